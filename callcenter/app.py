"""The Starlette application: ``create_app(settings)`` wires everything in one lifespan."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callcenter import __version__, pages, web
from callcenter.api import customers, dial_lists, dial_rules, managers, orders, recordings, work
from callcenter.api import live as live_api
from callcenter.api import settings as settings_api
from callcenter.api.registry import ApiRouter, openapi_document
from callcenter.callbacks import CallbackTasks, callback_pops
from callcenter.db import make_engine, make_sessionmaker
from callcenter.dial_jobs import DialLists
from callcenter.errors import (
    ApiError,
    handle_api_error,
    handle_database_error,
    handle_http_exception,
    handle_unexpected,
)
from callcenter.live_board import LiveBoard
from callcenter.live_listen import ListenService
from callcenter.recording_jobs import Recordings
from callcenter.routing_service import Router
from callcenter.screenpop import ws as screenpop_ws
from callcenter.screenpop.hub import ScreenPopHub
from callcenter.screenpop.notifier import ScreenPopNotifier
from callcenter.security import LoginRateLimiter
from callcenter.settings import Settings
from callcenter.telephony import Telephony
from pbx_bridge.agi import FastAgiServer

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"
SESSION_COOKIE = "callcenter_session"


def api_router() -> ApiRouter:
    router = ApiRouter(API_PREFIX)
    for module in (customers, orders, managers, work, settings_api, recordings):
        router.include(module.router)
    router.include(dial_rules.router)
    router.include(dial_lists.router)
    router.include(live_api.router)
    return router


class SecurityHeaders:
    """Conservative headers on every HTTP response."""

    HEADERS = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'"),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + self.HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def start_agi(settings: Settings, router: Router) -> FastAgiServer | None:
    """The FastAGI server the dialplan asks for routes; off when CALLCENTER_AGI_BIND is empty.
    A port that cannot be bound is logged, not fatal: the dialplan falls back by itself."""
    if not settings.agi_bind:
        return None
    host, port = settings.agi_host_port
    server = FastAgiServer(
        {"route": router.route},
        fallback=Router.fallback_variables,
        budget=settings.agi_budget_ms / 1000,
    )
    try:
        await server.start(host, port)
    except OSError as exc:
        log.error(
            "FastAGI cannot listen on %s: %s; calls take the dialplan's fallback",
            settings.agi_bind,
            exc,
        )
        return None
    return server


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


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    screenpop_ws.install_log_redaction()
    router = api_router()
    openapi = openapi_document(router, "Call centre API", __version__)
    openapi["paths"].update(recordings.audio_openapi(API_PREFIX))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.telephony = Telephony(settings, app.state.sessionmaker)
        app.state.callbacks = CallbackTasks(app.state.sessionmaker)
        app.state.telephony.add_listener(app.state.callbacks)
        app.state.dial_lists = DialLists(app.state.sessionmaker)
        await app.state.dial_lists.start()
        app.state.telephony.add_listener(app.state.dial_lists)
        app.state.screenpop = ScreenPopHub()
        app.state.screenpop_notifier = ScreenPopNotifier(
            app.state.screenpop, app.state.sessionmaker, settings.default_region
        )
        # Pops must not wait for the call log's write.
        app.state.telephony.add_listener(app.state.screenpop_notifier, early=True)
        app.state.live_board = LiveBoard(
            app.state.screenpop, app.state.sessionmaker, settings.default_region
        )
        app.state.telephony.add_listener(app.state.live_board.on_changes, early=True)
        app.state.telephony.add_listener(app.state.live_board.on_stored)
        app.state.callbacks.listeners.append(app.state.live_board.on_task)
        app.state.callbacks.listeners.append(
            callback_pops(app.state.screenpop, app.state.sessionmaker)
        )
        await app.state.live_board.start()
        app.state.router = Router(
            app.state.sessionmaker,
            app.state.telephony,
            settings.default_region,
            settings.device_tech,
        )
        await app.state.router.warm_up()
        app.state.agi = await start_agi(settings, app.state.router)
        app.state.recordings = Recordings(settings, app.state.sessionmaker)
        await app.state.recordings.start()
        app.state.telephony.add_listener(app.state.recordings)
        app.state.live_listen = ListenService(settings, app.state.telephony)
        await app.state.live_listen.start()
        await app.state.telephony.start()
        _freeze_startup_objects()
        try:
            yield
        finally:
            await app.state.live_listen.stop()
            await app.state.telephony.stop()
            await app.state.dial_lists.stop()
            await app.state.screenpop_notifier.stop()
            await app.state.live_board.stop()
            await app.state.recordings.stop()
            if app.state.agi is not None:
                await app.state.agi.stop()
            await engine.dispose()

    async def openapi_json(_request: Request) -> Response:
        return JSONResponse(openapi)

    async def healthz(request: Request) -> Response:
        pbx = request.app.state.telephony.status()
        agi = request.app.state.agi
        healthy = all(p["state"] == "connected" for p in pbx.values())
        return JSONResponse(
            {
                "status": "ok" if healthy else "degraded",
                "version": __version__,
                "pbx": pbx,
                "agi": None
                if agi is None
                else {"sessions": agi.sessions, "fallbacks": agi.fallbacks, "errors": agi.errors},
            }
        )

    routes = [
        Route(f"{API_PREFIX}/openapi.json", openapi_json, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        *router.starlette_routes(),
        *recordings.audio_routes(API_PREFIX),
        *web.routes,
        *pages.routes,
        *screenpop_ws.routes,
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
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
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.login_limiter = LoginRateLimiter(settings.login_attempts_per_minute)
    return app
