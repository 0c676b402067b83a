"""The running parts the core itself needs; made in the app's lifespan.

``callcenter.services.Services`` extends this with every feature's running parts. Handlers
reach them through ``core_services(request)`` (or ``services_of(request)``): typed, checked,
and never an untyped bag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from callcenter.core.rate_limits import LoginRateLimiter
from callcenter.core.settings import Settings


@dataclass
class CoreServices:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    login_limiter: LoginRateLimiter


S = TypeVar("S", bound=CoreServices)


def services_in(app: Starlette, kind: type[S]) -> S:
    """The services a running app's lifespan made, as ``kind`` (checked, so typed)."""
    services = getattr(app.state, "services", None)
    if not isinstance(services, kind):
        raise RuntimeError("the service has not started (no lifespan ran)")
    return services


def core_services(conn: HTTPConnection) -> CoreServices:
    """The core's part of the services of the app serving this request or WebSocket."""
    return services_in(conn.app, CoreServices)


