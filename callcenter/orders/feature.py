"""The orders feature: the API and the order form."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.orders import api, pages
from callcenter.services import Services

feature = Feature[Services]("orders", api=[api.router], routes=pages.routes)
