"""The reports feature: the roll-ups' background job, the API and the page."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.reports import api, pages
from callcenter.services import Services


async def start(services: Services) -> None:
    await services.singletons.add(services.report_job)


async def stop(services: Services) -> None:
    await services.singletons.remove(services.report_job)


feature = Feature[Services](
    "reports", api=[api.router], routes=pages.routes, start=start, stop=stop
)
