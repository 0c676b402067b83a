"""The Starlette application: ``create_app(settings)`` wires everything in one lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callcenter import __version__, web
from callcenter.api import customers, managers, orders, work
from callcenter.api.registry import ApiRouter, openapi_document
from callcenter.db import make_engine, make_sessionmaker
from callcenter.errors import ApiError, handle_api_error, handle_http_exception, handle_unexpected
from callcenter.security import LoginRateLimiter
from callcenter.settings import Settings
from callcenter.telephony import Telephony

API_PREFIX = "/api/v1"
SESSION_COOKIE = "callcenter_session"


def api_router() -> ApiRouter:
    router = ApiRouter(API_PREFIX)
    for module in (customers, orders, managers, work):
        router.include(module.router)
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


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    router = api_router()
    openapi = openapi_document(router, "Call centre API", __version__)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.telephony = Telephony(settings, app.state.sessionmaker)
        await app.state.telephony.start()
        try:
            yield
        finally:
            await app.state.telephony.stop()
            await engine.dispose()

    async def openapi_json(_request: Request) -> Response:
        return JSONResponse(openapi)

    async def healthz(request: Request) -> Response:
        pbx = request.app.state.telephony.status()
        healthy = all(p["state"] == "connected" for p in pbx.values())
        return JSONResponse(
            {"status": "ok" if healthy else "degraded", "version": __version__, "pbx": pbx}
        )

    routes = [
        Route(f"{API_PREFIX}/openapi.json", openapi_json, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        *router.starlette_routes(),
        *web.routes,
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
            Exception: handle_unexpected,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.login_limiter = LoginRateLimiter(settings.login_attempts_per_minute)
    return app
