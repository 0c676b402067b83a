"""The running parts the core itself needs; made in the app's lifespan.

``callcenter.services.Services`` extends this with every feature's running parts. Handlers
reach them through ``core_services(request)`` (or ``services_of(request)``): typed, checked,
and never an untyped bag.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from callcenter.core.security import LoginRateLimiter
from callcenter.core.settings import Settings


@dataclass
class CoreServices:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    login_limiter: LoginRateLimiter


def core_services(conn: HTTPConnection) -> CoreServices:
    """The running services of the app serving this request or WebSocket."""
    services = getattr(conn.app.state, "services", None)
    if not isinstance(services, CoreServices):
        raise RuntimeError("the service has not started (no lifespan ran)")
    return services


