"""The Starlette application: ``create_app(settings)`` is a loop over the features."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callcenter import __version__
from callcenter.audit import feature as audit
from callcenter.calls import feature as calls
from callcenter.cluster import feature as cluster
from callcenter.core.api import API_PREFIX, ApiRouter
from callcenter.core.errors import (
    ApiError,
    handle_api_error,
    handle_database_error,
    handle_http_exception,
    handle_unexpected,
)
from callcenter.core.feature import Feature
from callcenter.core.openapi import openapi_document
from callcenter.core.pages import feature_dirs
from callcenter.core.settings import Settings
from callcenter.customers import feature as customers
from callcenter.desk import feature as desk
from callcenter.dial_lists import feature as dial_lists
from callcenter.lines import feature as lines
from callcenter.live import feature as live
from callcenter.managers import feature as managers
from callcenter.orders import feature as orders
from callcenter.recordings import feature as recordings
from callcenter.reports import feature as reports
from callcenter.routing import feature as routing
from callcenter.screenpop import feature as screenpop
from callcenter.services import Services, services_of
from callcenter.softphone import feature as softphone
from callcenter.tasks import feature as tasks
from callcenter.web_callback import feature as web_callback
from callcenter.webhooks import feature as webhooks

log = logging.getLogger(__name__)
SESSION_COOKIE = "callcenter_session"

# Started in this order, stopped in the reverse one. The cluster's bus and jobs leadership
# first, as every feature may use them. Everything that hears of calls starts
# before the PBXs connect (calls); listening sessions need the PBX, so they start after it, and
# the website's callbacks stop placing calls before the PBXs go.
FEATURES: tuple[Feature[Services], ...] = (
    cluster.feature,
    managers.feature,
    customers.feature,
    orders.feature,
    audit.feature,
    lines.feature,
    desk.feature,
    tasks.feature,
    dial_lists.feature,
    screenpop.feature,
    live.board,
    routing.feature,
    recordings.feature,
    reports.feature,
    webhooks.feature,
    calls.feature,
    live.listening,
    softphone.feature,
    web_callback.feature,
)


def content_policy(softphone_ws_url: str = "") -> bytes:
    """Everything from this origin only; the one exception is the softphone's WebSocket to
    Asterisk (another port, often another host), which ``connect-src`` names exactly."""
    connect = "'self'"
    if softphone_ws_url:
        parts = urlsplit(softphone_ws_url)
        connect += f" {parts.scheme}://{parts.netloc}"
    return f"default-src 'self'; connect-src {connect}; frame-ancestors 'none'".encode()


class SecurityHeaders:
    """Conservative headers on every HTTP response."""

    def __init__(self, app: ASGIApp, policy: bytes = content_policy()) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"content-security-policy", policy),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        api = str(scope.get("path", "")).startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + self.headers
                # The API's answers are one user's data (a softphone's credential among
                # them): no cache keeps them, unless an endpoint says otherwise.
                if api and not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_frozen = False


def _freeze_startup_objects() -> None:
    """Move what imports and startup made (modules, mappers, compiled schemas: hundreds of
    thousands of objects that live as long as the process) out of the collector's way, so a
    full collection does not walk them all while a phone rings. Once per process."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


async def healthz(request: Request) -> Response:
    """Per PBX: this instance's connection when it leads it (``"leader": true``), else who
    does. Healthy when every PBX is connected here or led by another instance."""
    services = services_of(request)
    pbx = services.telephony.status()
    agi = services.agi
    cluster = services.cluster
    healthy = all(p["state"] == "connected" or p.get("leader_instance") for p in pbx.values())
    return JSONResponse(
        {
            "status": "ok" if healthy else "degraded",
            "version": __version__,
            "instance": cluster.instance if cluster else None,
            "jobs_leader": services.singletons.leader,
            "bus": None if cluster is None else {"listening": cluster.bus.listening},
            "pbx": pbx,
            "agi": None
            if agi is None
            else {"sessions": agi.sessions, "fallbacks": agi.fallbacks, "errors": agi.errors},
        }
    )


@contextlib.asynccontextmanager
async def _running(app: Starlette, settings: Settings) -> AsyncIterator[None]:
    """The lifespan: build the services, start the features in order, stop them in reverse."""
    services = Services.build(settings)
    app.state.services = services
    try:
        async with contextlib.AsyncExitStack() as stack:
            for feature in FEATURES:
                if feature.start is not None:
                    await feature.start(services)
                    log.debug("started %s", feature.name)
                if feature.stop is not None:
                    stack.push_async_callback(feature.stop, services)
            _freeze_startup_objects()
            yield
    finally:
        await services.engine.dispose()


def _routes(api: ApiRouter, openapi: dict[str, Any]) -> list[BaseRoute]:
    async def openapi_json(_request: Request) -> Response:
        return JSONResponse(openapi)

    # One /static/ over every feature's static folder; file names are unique across them.
    static = StaticFiles(
        packages=[(f"callcenter.{f.parent.name}", "static") for f in feature_dirs("static")]
    )
    return [
        Route(f"{API_PREFIX}/openapi.json", openapi_json, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        *api.starlette_routes(),
        *(route for feature in FEATURES for route in feature.routes),
        Mount("/static", static, name="static"),
    ]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    api = ApiRouter(API_PREFIX)
    for feature in FEATURES:
        for router in feature.api:
            api.include(router)
    openapi = openapi_document(api, "Call centre API", __version__)
    for feature in FEATURES:
        openapi["paths"].update(feature.openapi_paths)

    return Starlette(
        routes=_routes(api, openapi),
        middleware=[
            Middleware(SecurityHeaders, policy=content_policy(settings.softphone_ws_url)),
            Middleware(
                SessionMiddleware,
                secret_key=settings.resolved_secret_key(),
                session_cookie=SESSION_COOKIE,
                max_age=settings.session_max_age,
                same_site="lax",
                https_only=settings.cookie_secure,
            ),
        ],
        exception_handlers={
            ApiError: handle_api_error,
            HTTPException: handle_http_exception,
            DBAPIError: handle_database_error,
            Exception: handle_unexpected,
        },
        lifespan=functools.partial(_running, settings=settings),
    )
