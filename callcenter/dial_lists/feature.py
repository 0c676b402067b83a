"""The dial-lists feature: rules and lists in the API and the pages; builds and stale
locks in the background."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.dial_lists import lists_api, pages, rules_api
from callcenter.services import Services


async def start(services: Services) -> None:
    await services.singletons.add(services.dial_lists)


async def stop(services: Services) -> None:
    await services.singletons.remove(services.dial_lists)


feature = Feature[Services](
    "dial lists",
    api=[rules_api.router, lists_api.router],
    routes=pages.routes,
    start=start,
    stop=stop,
)
