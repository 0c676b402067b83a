"""The desk feature: the start page."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.desk import pages
from callcenter.services import Services

feature = Feature[Services]("desk", routes=pages.routes)
