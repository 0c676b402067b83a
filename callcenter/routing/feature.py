"""The routing feature: the FastAGI server the dialplan asks, the settings API and page."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.routing import agi, api, pages
from callcenter.services import Services


async def start(services: Services) -> None:
    await services.routing.warm_up()
    services.agi = await agi.start_agi(services.settings, services.routing)


async def stop(services: Services) -> None:
    if services.agi is not None:
        await services.agi.stop()


feature = Feature[Services](
    "routing", api=[api.router], routes=pages.routes, start=start, stop=stop
)
