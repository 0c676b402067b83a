"""The calls feature: the call log's API and page, and the PBX connections. They connect
after every other feature listens, and disconnect before the features that listen stop."""

from __future__ import annotations

from callcenter.calls import api, pages
from callcenter.core.feature import Feature
from callcenter.services import Services


async def start(services: Services) -> None:
    await services.telephony.start()


async def stop(services: Services) -> None:
    await services.telephony.stop()


feature = Feature[Services]("calls", api=[api.router], routes=pages.routes, start=start, stop=stop)
