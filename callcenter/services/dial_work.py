"""Handing out dial-list entries: who may work a list, the next entry, stale locks.

The hand-out is one statement: ``UPDATE entry SET state = 'in_progress' WHERE id = COALESCE(
(a due callback), (my first pending entry), (the pool's first)) AND state = 'pending'``, each
branch ``SELECT id ... ORDER BY ... LIMIT 1 FOR UPDATE SKIP LOCKED``. On PostgreSQL
the row lock makes concurrent managers skip each other's pick; on SQLite (which ignores FOR
UPDATE) the statement runs under the database's single write lock, so the subquery always
sees the committed state. Either way no entry is handed out twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    String,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.auth import Principal
from callcenter.dial_schemas import DialListSettings, NextReason
from callcenter.errors import Forbidden, NotFound
from callcenter.models import (
    DialList,
    DialListEntry,
    DialListManager,
    DialListStatus,
    EntryState,
)
from routing.dialing import next_opening, open_zones

Entry = DialListEntry
CLAIM_TRIES = 5


@dataclass(frozen=True)
class Handout:
    entry: DialListEntry | None
    reason: NextReason
    next_at: dt.datetime | None = None


def list_settings(dial_list: DialList) -> DialListSettings:
    return DialListSettings.model_validate(dial_list.settings)


async def get_list(session: AsyncSession, list_id: int) -> DialList:
    dial_list = await session.get(DialList, list_id)
    if dial_list is None:
        raise NotFound(f"no dial list with id {list_id}")
    return dial_list


async def is_member(session: AsyncSession, list_id: int, manager_id: int) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    DialListManager.list_id == list_id, DialListManager.manager_id == manager_id
                )
            )
        )
    )


async def check_worker(session: AsyncSession, principal: Principal, dial_list: DialList) -> None:
    """Operators work the lists they are on; supervisors and admins may work any."""
    if principal.sees_everything or await is_member(session, dial_list.id, principal.id):
        return
    raise Forbidden("you are not on this dial list")


async def get_entry(session: AsyncSession, dial_list: DialList, entry_id: int) -> DialListEntry:
    entry = await session.get(DialListEntry, entry_id)
    if entry is None or entry.list_id != dial_list.id:
        raise NotFound(f"no entry {entry_id} in dial list {dial_list.id}")
    return entry


def _mine(manager_id: int) -> ColumnElement[bool]:
    return or_(Entry.manager_id == manager_id, Entry.manager_id.is_(None))


# The hot path is built once, with bind parameters: building a statement costs more Python
# than running it.
_LIST = bindparam("p_list", type_=Integer)
_MANAGER = bindparam("p_manager", type_=Integer)
_NOW = bindparam("p_now", type_=DateTime)
_ZONES = bindparam("p_zones", expanding=True, type_=String)


def _first(*where: ColumnElement[bool], order: tuple[Any, ...]) -> Any:
    return (
        select(Entry.id)
        .where(
            Entry.list_id == _LIST,
            Entry.state == EntryState.PENDING,
            Entry.timezone.in_(_ZONES),
            *where,
        )
        .order_by(*order)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )


_DUE = or_(Entry.next_attempt_at.is_(None), Entry.next_attempt_at <= _NOW)
# A due callback (the earliest), else the manager's own first entry by priority, else the
# common pool's: each branch is one probe of an index, and COALESCE stops at the first found.
_CLAIM = (
    update(Entry)
    .where(
        Entry.id
        == func.coalesce(
            _first(
                or_(Entry.manager_id == _MANAGER, Entry.manager_id.is_(None)),
                Entry.callback_at <= _NOW,
                order=(Entry.callback_at, Entry.id),
            ),
            _first(Entry.manager_id == _MANAGER, _DUE, order=(Entry.priority,)),
            _first(Entry.manager_id.is_(None), _DUE, order=(Entry.priority,)),
        ),
        Entry.state == EntryState.PENDING,
    )
    .values(state=EntryState.IN_PROGRESS, locked_by_id=_MANAGER, locked_at=_NOW)
    .returning(Entry)
)
_HELD = (
    select(Entry.id)
    .where(
        Entry.locked_by_id == _MANAGER,
        Entry.list_id == _LIST,
        Entry.state == EntryState.IN_PROGRESS,
    )
    .order_by(Entry.locked_at)
    .limit(1)
)


async def next_entry(
    session: AsyncSession, dial_list: DialList, manager_id: int, now: dt.datetime
) -> Handout:
    """The manager's next entry, locked to them; the one they already hold comes back first."""
    if dial_list.status is not DialListStatus.READY:
        return Handout(None, "not_ready")
    held_id = await session.scalar(_HELD, {"p_list": dial_list.id, "p_manager": manager_id})
    if held_id is not None:
        return Handout(await session.get_one(Entry, held_id), "held")
    settings = list_settings(dial_list)
    zones = open_zones(dial_list.timezones, now, settings.call_from, settings.call_until)
    swept = False
    for attempt in range(CLAIM_TRIES):
        if zones:
            entry = await _claim(session, dial_list.id, manager_id, zones, now)
            if entry is not None:
                due = entry.callback_at is not None and entry.callback_at <= now
                return Handout(entry, "callback_due" if due else "next")
            if not swept:
                swept = True
                if await release_stale(session, dial_list.id, settings, now):
                    continue
        rows = await _pending(session, dial_list.id, manager_id, now)
        if not any(zone in zones and due for zone, _, due in rows):
            return _why_none(rows, set(zones), now, settings)
        # Due entries the claim skipped: other managers hold their row locks at this very
        # moment (PostgreSQL), taking them. Ask again once they are theirs.
        await asyncio.sleep(0.005 * (attempt + 1))
    return Handout(None, "waiting", now)


async def _claim(
    session: AsyncSession, list_id: int, manager_id: int, zones: list[str], now: dt.datetime
) -> DialListEntry | None:
    claimed = await session.scalars(
        _CLAIM,
        {"p_list": list_id, "p_manager": manager_id, "p_now": now, "p_zones": zones},
        execution_options={"synchronize_session": False, "populate_existing": True},
    )
    entry = claimed.first()
    if entry is not None:
        # Commit at once: the lock (a PostgreSQL row, SQLite's database) lasts one statement.
        await session.commit()
    return entry


async def _pending(
    session: AsyncSession, list_id: int, manager_id: int, now: dt.datetime
) -> list[tuple[str, dt.datetime | None, int]]:
    """The manager's pending entries per zone: the earliest retry, and how many are due."""
    due = or_(Entry.next_attempt_at.is_(None), Entry.next_attempt_at <= now)
    rows = await session.execute(
        select(
            Entry.timezone,
            func.min(Entry.next_attempt_at),
            func.count(case((due, Entry.id))),
        )
        .where(Entry.list_id == list_id, Entry.state == EntryState.PENDING, _mine(manager_id))
        .group_by(Entry.timezone)
    )
    return [(zone, at, int(n)) for zone, at, n in rows]


def _why_none(
    rows: list[tuple[str, dt.datetime | None, int]],
    zones: set[str],
    now: dt.datetime,
    settings: DialListSettings,
) -> Handout:
    if not rows:
        return Handout(None, "list_done")
    waiting = [at for zone, at, _ in rows if zone in zones and at is not None]
    if waiting:
        return Handout(None, "waiting", max(min(waiting), now))
    closed = [zone for zone, _, _ in rows if zone not in zones]
    return Handout(None, "outside_calling_hours", next_opening(closed, now, settings.call_from))


async def release_stale(
    session: AsyncSession, list_id: int, settings: DialListSettings, now: dt.datetime
) -> int:
    """Entries held longer than the lock timeout (the manager vanished) go back: a personal
    customer to their manager, anyone else to the list's common pool."""
    cutoff = now - dt.timedelta(minutes=settings.lock_timeout_minutes)
    result = await session.execute(
        update(Entry)
        .where(
            Entry.list_id == list_id,
            Entry.state == EntryState.IN_PROGRESS,
            Entry.locked_at < cutoff,
        )
        .values(
            state=EntryState.PENDING,
            locked_by_id=None,
            locked_at=None,
            manager_id=case((Entry.personal.is_(True), Entry.manager_id), else_=None),
        )
        .execution_options(synchronize_session=False)
    )
    released = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if released:
        await session.commit()
    return released
