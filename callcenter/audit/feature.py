"""The audit log feature: its API."""

from __future__ import annotations

from callcenter.audit import api
from callcenter.core.feature import Feature
from callcenter.services import Services

feature = Feature[Services]("audit", api=[api.router])
