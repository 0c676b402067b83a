"""The cluster feature: first to start and last to stop, so every other feature may publish on
the bus and hand jobs to the singletons while it runs. Nothing to do on SQLite."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.services import Services


async def start(services: Services) -> None:
    if services.cluster is not None:
        await services.cluster.bus.start()
    services.singletons.start()


async def stop(services: Services) -> None:
    await services.singletons.stop()
    if services.cluster is not None:
        await services.cluster.bus.stop()


feature = Feature[Services]("cluster", start=start, stop=stop)
