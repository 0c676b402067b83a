"""The softphone feature: the browsers' SIP accounts in Asterisk, and each manager's own."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.services import Services
from callcenter.softphone import api


async def start(services: Services) -> None:
    await services.softphones.start()


async def stop(services: Services) -> None:
    await services.softphones.stop()


feature = Feature[Services]("softphone", api=[api.router], start=start, stop=stop)
