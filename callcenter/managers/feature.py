"""The managers feature: users, presence and tokens in the API; logging in and out."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.managers import api, login
from callcenter.services import Services

feature = Feature[Services]("managers", api=[api.router], routes=login.routes)
