"""The lines feature: the admin's names for the shop's numbers, their API and page."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.lines import api, pages
from callcenter.services import Services


async def start(services: Services) -> None:
    await services.lines.refresh()


feature = Feature[Services]("lines", api=[api.router], routes=pages.routes, start=start)
