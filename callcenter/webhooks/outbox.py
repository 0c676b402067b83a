"""The outbox: ``emit`` writes an event, and one delivery per endpoint that wants it, in the
caller's own transaction. What tells of a call, a callback or an order commits together with
its event, or neither does: a crash cannot lose an event or send one for a rolled-back change.

Nothing here sends anything. ``callcenter.webhooks.sender`` works through the deliveries off
every request's and every pop's path; ``emit`` only wakes it once the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from callcenter.core.models import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    table_of,
    utcnow,
)

# Every event a shop can subscribe to, in the order the admin page lists them.
EVENT_TYPES: tuple[str, ...] = (
    "call.ringing",
    "call.answered",
    "call.ended",
    "call.missed",
    "recording.ready",
    "callback.created",
    "callback.closed",
    "order.created",
    "dial_list.outcome",
)

# Called after a transaction that emitted events commits (the sender's wake-up).
_wakers: list[Callable[[], None]] = []
_EMITTED = "webhooks_emitted"


def on_commit(waker: Callable[[], None]) -> Callable[[], None]:
    """Call ``waker`` after every commit that emitted an event; returns the undo."""
    _wakers.append(waker)
    return lambda: _wakers.remove(waker)


@orm_event.listens_for(Session, "after_commit")
def _wake(session: Session) -> None:
    if session.info.pop(_EMITTED, False):
        for waker in list(_wakers):
            waker()


@orm_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_EMITTED, None)


class EndpointMap:
    """Which active endpoints want which event, kept fresh by the running sender (every few
    seconds, and at once after an admin's change in this process), so that ``emit`` on the
    hot paths (a call's store, a dial-list outcome) costs no query. Another instance's
    change reaches it within ``max_age``; without a fresh map ``emit`` asks the database."""

    def __init__(self, max_age: float = 5.0) -> None:
        self.max_age = max_age
        self.by_type: dict[str, list[int]] = {}
        self.loaded_at = -1e9

    @property
    def fresh(self) -> bool:
        return time.monotonic() - self.loaded_at < self.max_age * 3

    async def load(self, session: AsyncSession) -> None:
        self.by_type = await _endpoints_by_type(session)
        self.loaded_at = time.monotonic()


_maps: weakref.WeakKeyDictionary[Engine, EndpointMap] = weakref.WeakKeyDictionary()


def endpoint_map(engine: Engine) -> EndpointMap:
    """The map ``emit`` reads for sessions on ``engine`` (the sender keeps it fresh)."""
    return _maps.setdefault(engine, EndpointMap())


async def _endpoints_by_type(session: AsyncSession) -> dict[str, list[int]]:
    by_type: dict[str, list[int]] = {}
    endpoints = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.is_active.is_(True))
        .order_by(WebhookEndpoint.id)
    )
    for endpoint in endpoints:
        for type_ in endpoint.events:
            by_type.setdefault(type_, []).append(endpoint.id)
    return by_type


async def _wanted(session: AsyncSession) -> dict[str, list[int]]:
    """Which endpoints want which event: the fresh map, else the database's word."""
    bind = session.get_bind()
    known = _maps.get(bind) if isinstance(bind, Engine) else None
    if known is not None and known.fresh:
        return known.by_type
    return await _endpoints_by_type(session)


def iso(value: dt.datetime | None) -> str | None:
    """A stored time (naive UTC) as the events carry it: ISO 8601 with ``Z``."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def envelope(event_id: str, type_: str, created_at: dt.datetime, data: dict[str, Any]) -> str:
    """The body every delivery of an event carries (CONTRACT.md: id, type, created_at, data)."""
    body = {"id": event_id, "type": type_, "created_at": iso(created_at), "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class Event:
    """One event to emit: its type and data; ``key`` orders deliveries (one call's events
    reach an endpoint in order); ``dedupe`` makes it happen once however often its cause is
    seen (a call reconciled twice)."""

    type: str
    data: dict[str, Any]
    key: str
    dedupe: str | None = None


async def emit(
    session: AsyncSession,
    type_: str,
    data: dict[str, Any],
    *,
    key: str,
    dedupe: str | None = None,
) -> str | None:
    """Write one event and its deliveries into ``session``'s transaction. Returns the
    event's id, or None when nobody wants it or it happened already."""
    ids = await emit_many(session, [Event(type_, data, key, dedupe)])
    return ids[0] if ids else None


async def emit_many(session: AsyncSession, events: list[Event]) -> list[str]:
    """Write these events, and a delivery for each endpoint that wants one, in two
    statements: the call log emits a batch's events at once. Returns the ids written
    (not those nobody wants, nor those that happened already)."""
    for event in events:
        if event.type not in EVENT_TYPES:
            raise ValueError(f"unknown webhook event {event.type!r}")
    if not events:
        return []
    now = utcnow()
    by_type = await _wanted(session)
    rows: list[dict[str, Any]] = []
    wanted: dict[str, list[int]] = {}
    for event in events:
        endpoints = by_type.get(event.type, [])
        if not endpoints:
            continue
        event_id = f"evt_{uuid.uuid4().hex}"
        wanted[event_id] = endpoints
        rows.append(
            {
                "id": event_id,
                "type": event.type,
                "key": event.key[:120],
                "dedupe": event.dedupe,
                "body": envelope(event_id, event.type, now, event.data),
                "created_at": now,
            }
        )
    written = await _insert_new(session, rows) if rows else []
    deliveries = [
        {"event_id": row["id"], "endpoint_id": endpoint_id, "key": row["key"]}
        for row in rows
        if row["id"] in written
        for endpoint_id in wanted[row["id"]]
    ]
    if deliveries:
        await session.execute(insert(WebhookDelivery), deliveries)
        session.sync_session.info[_EMITTED] = True
    return [row["id"] for row in rows if row["id"] in written]


async def _insert_new(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the events whose ``dedupe`` is not taken, in one statement (ON CONFLICT DO
    NOTHING on both databases, so a duplicate never breaks the caller's transaction);
    returns the ids inserted."""
    table = table_of(WebhookEvent)
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["dedupe"])
        .returning(table.c.id)
    )
    return set(await session.scalars(statement))
