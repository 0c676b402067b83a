"""Engines and sessions. Engines are made by the app's lifespan or the CLI, never at import."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, false, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


# A pooled PostgreSQL connection that sat idle this long is pinged before use. SQLAlchemy's
# pool_pre_ping pings on every checkout, three round trips with asyncpg (BEGIN, ";",
# ROLLBACK): a third of a busy request's database time. A connection that broke while in
# use (the server restarted under traffic) fails that one request; SQLAlchemy then sees the
# disconnect and drops every older pooled connection, so the next request reconnects.
PING_AFTER_IDLE_SECONDS = 10.0


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_when_idle(after: float) -> Any:
    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < after:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:  # the pool discards it and checks out another
            raise DisconnectionError("a pooled connection was found closed") from exc

    return checkout


def make_engine(
    url: str, *, ping_after_idle: float = PING_AFTER_IDLE_SECONDS, **kwargs: Any
) -> AsyncEngine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine.sync_engine, "checkin", _checked_in)
        event.listen(engine.sync_engine, "checkout", _ping_when_idle(ping_after_idle))
    return engine


def advisory_key(name: str) -> int:
    """A PostgreSQL advisory lock's key for a name: a stable signed 64-bit number."""
    digest = hashlib.sha256(f"callcenter:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def lock_for_transaction(session: AsyncSession, name: str) -> None:
    """Until this transaction ends, nobody else (on any instance) holds ``name``: on
    PostgreSQL a transaction's advisory lock; on SQLite (one instance, one writer at a time)
    nothing to do."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(advisory_key(name))))


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def reserve_ids(session: AsyncSession, table: Table, count: int) -> list[int]:
    """Primary keys for a bulk INSERT without RETURNING (which SQLite runs row by row when
    the returned ids must follow the parameters' order)."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        ids = await session.scalars(
            select(func.nextval(sequence)).select_from(func.generate_series(1, count))
        )
        return list(ids)
    # SQLite has one writer at a time: take the write lock first, then max(id) cannot move.
    await session.execute(update(table).where(false()).values(id=table.c.id))
    start = await session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
    return list(range(start + 1, start + 1 + count))
