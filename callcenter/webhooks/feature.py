"""The webhooks feature: the outbox's sender, the admin's API and pages."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.services import Services
from callcenter.webhooks import api, pages


async def start(services: Services) -> None:
    await services.webhooks.start()


async def stop(services: Services) -> None:
    await services.webhooks.stop()


feature = Feature[Services](
    "webhooks", api=[api.router], routes=pages.routes, start=start, stop=stop
)
