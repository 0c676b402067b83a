"""Who is calling: a browser session (cookie + CSRF) or an API bearer token."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import DateTime, Integer, String, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from callcenter.core.errors import Forbidden, Unauthorized
from callcenter.core.models import ApiToken, Manager, Role, table_of, utcnow
from callcenter.core.security import csrf_matches, hash_token, new_csrf_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
_TOKEN_TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    manager: Manager
    via: Literal["session", "token"]

    @property
    def id(self) -> int:
        return self.manager.id

    @property
    def role(self) -> Role:
        return self.manager.role

    @property
    def sees_everything(self) -> bool:
        """Supervisors and admins see all customers, calls and tasks; operators their own."""
        return self.manager.role in (Role.SUPERVISOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.manager.role is Role.ADMIN


def csrf_token(conn: HTTPConnection) -> str:
    """The session's CSRF token, created on first use."""
    token = conn.session.get("csrf")
    if not token:
        token = new_csrf_token()
        conn.session["csrf"] = token
    return str(token)


# Built once: SQLAlchemy caches a statement's compiled form under a key it derives from the
# statement object, and deriving it for a fresh statement costs more than running it. The
# token's own row is read as plain columns: only the manager is wanted as an ORM object.
_TOKENS = table_of(ApiToken).c
_BY_TOKEN = (
    select(Manager, _TOKENS.id, _TOKENS.revoked_at, _TOKENS.last_used_at)
    .join_from(table_of(ApiToken), Manager, Manager.id == _TOKENS.manager_id)
    .where(_TOKENS.token_hash == bindparam("token_hash", type_=String))
)
_BY_ID = select(Manager).where(Manager.id == bindparam("manager_id", type_=Integer))
_TOUCH = (
    update(table_of(ApiToken))
    .where(_TOKENS.id == bindparam("token_id", type_=Integer))
    .values(last_used_at=bindparam("now", type_=DateTime))
)


async def authenticate(conn: HTTPConnection, session: AsyncSession) -> Principal | None:
    header = conn.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use 'Authorization: Bearer <token>'")
        return await _from_token(session, token.strip())
    manager_id = conn.session.get("manager_id")
    if manager_id is None:
        return None
    manager = (await session.execute(_BY_ID, {"manager_id": manager_id})).scalar()
    if manager is None or not manager.is_active:
        conn.session.clear()
        return None
    return Principal(manager, "session")


async def authenticate_token(session: AsyncSession, token: str) -> Principal:
    """An API token passed another way than the header (the WebSocket's ``?token=``)."""
    if not token.strip():
        raise Unauthorized("empty API token")
    return await _from_token(session, token.strip())


async def _from_token(session: AsyncSession, token: str) -> Principal:
    row = (await session.execute(_BY_TOKEN, {"token_hash": hash_token(token)})).first()
    if row is None:
        raise Unauthorized("unknown API token")
    manager, token_id, revoked_at, last_used_at = row
    if revoked_at is not None:
        raise Unauthorized("this API token was revoked")
    if not manager.is_active:
        raise Unauthorized("the token's user is deactivated")
    now = utcnow()
    if last_used_at is None or now - last_used_at > _TOKEN_TOUCH_EVERY:
        await session.execute(_TOUCH, {"token_id": token_id, "now": now})
    return Principal(manager, "token")


def check_csrf(conn: HTTPConnection, method: str, principal: Principal | None) -> None:
    """Cookie-authenticated writes must echo the session's CSRF token in a header."""
    if method in SAFE_METHODS or principal is None or principal.via != "session":
        return
    if not csrf_matches(conn.session.get("csrf"), conn.headers.get(CSRF_HEADER)):
        raise Forbidden(
            "missing or wrong CSRF token: send the X-CSRF-Token header", code="csrf_failed"
        )
