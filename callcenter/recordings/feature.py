"""The recordings feature: the API, the audio stream, the player page; ingest and retention
in the background."""

from __future__ import annotations

from callcenter.core.api import API_PREFIX
from callcenter.core.feature import Feature
from callcenter.recordings import api, pages
from callcenter.services import Services


async def start(services: Services) -> None:
    await services.recordings.start()
    await services.singletons.add(services.recordings.chores)


async def stop(services: Services) -> None:
    await services.singletons.remove(services.recordings.chores)
    await services.recordings.stop()


feature = Feature[Services](
    "recordings",
    api=[api.router],
    routes=[*api.audio_routes(API_PREFIX), *pages.routes],
    openapi_paths=api.audio_openapi(API_PREFIX),
    start=start,
    stop=stop,
)
