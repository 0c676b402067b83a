"""The customers feature: the API, search and the card."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.customers import api, pages
from callcenter.services import Services

feature = Feature[Services]("customers", api=[api.router], routes=pages.routes)
