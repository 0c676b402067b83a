"""The screen-pop feature: ``GET /ws`` and what a pop fetches."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.screenpop import pages, ws
from callcenter.services import Services


async def start(_services: Services) -> None:
    ws.install_log_redaction()


async def stop(services: Services) -> None:
    await services.screenpop_notifier.stop()


feature = Feature[Services](
    "screen-pop", routes=[*ws.routes, *pages.routes], start=start, stop=stop
)
