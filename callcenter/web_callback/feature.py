"""The website's "call me back": the public endpoints (outside the registry: no login) with
their OpenAPI paths, the widget (static/callback-widget.js), and the calls it places, stopped
with the service."""

from __future__ import annotations

from callcenter.core.api import API_PREFIX
from callcenter.core.feature import Feature
from callcenter.services import Services
from callcenter.web_callback import api


async def stop(services: Services) -> None:
    await services.web_callbacks.stop()


feature = Feature[Services](
    "web_callback",
    routes=api.routes(API_PREFIX),
    openapi_paths=api.openapi_paths(API_PREFIX),
    stop=stop,
)
