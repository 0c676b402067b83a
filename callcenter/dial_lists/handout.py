"""Handing out dial-list entries: who may work a list, the next entry, stale locks, and
entries stranded with someone who does not work the list.

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
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
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

from callcenter.core.auth import Principal
from callcenter.core.errors import Forbidden, NotFound
from callcenter.core.models import (
    DialList,
    DialListEntry,
    DialListManager,
    DialListStatus,
    EntryState,
    Manager,
    table_of,
)
from callcenter.dial_lists.schemas import DialListSettings, NextReason
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


def workers(list_id: int) -> Select[tuple[int]]:
    """Who an entry of the list may wait for: the managers chosen for it who are still active.
    An entry assigned to anyone else (an admin who does not work the list, a manager since
    deactivated or taken off it) belongs to the common pool."""
    return (
        select(DialListManager.manager_id)
        .join(Manager, Manager.id == DialListManager.manager_id)
        .where(
            DialListManager.list_id == list_id,
            DialListManager.chosen.is_(True),
            Manager.is_active.is_(True),
        )
    )


def _mine(manager_id: int) -> ColumnElement[bool]:
    return or_(Entry.manager_id == manager_id, Entry.manager_id.is_(None))


# The hot path is built once, with bind parameters: building a statement costs more Python
# than running it.
_LIST = bindparam("p_list", type_=Integer)
_MANAGER = bindparam("p_manager", type_=Integer)
_NOW = bindparam("p_now", type_=DateTime)
# The claim is Core on the table: an ORM UPDATE is copied on every execution, so SQLAlchemy
# derives its cache key (a walk over the three subqueries) anew each time.
_COLS = table_of(DialListEntry).c


def _first(zones: list[Any], *where: ColumnElement[bool], order: tuple[Any, ...]) -> Any:
    return (
        select(_COLS.id)
        .where(
            _COLS.list_id == _LIST,
            _COLS.state == EntryState.PENDING,
            _COLS.timezone.in_(zones),
            *where,
        )
        .order_by(*order)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )


@functools.lru_cache(maxsize=64)
def _claim_statement(zone_count: int) -> Any:
    """The claim for ``zone_count`` open zones, as ``IN (:z0, :z1, ...)``: an expanding IN
    would be rendered into the SQL again at each execution."""
    zones = [bindparam(f"z{i}", type_=String) for i in range(zone_count)]
    due = or_(_COLS.next_attempt_at.is_(None), _COLS.next_attempt_at <= _NOW)
    # A due callback (the earliest), else the manager's own first entry by priority, else the
    # common pool's: each branch is one probe of an index, and COALESCE stops at the first.
    claim = (
        update(table_of(DialListEntry))
        .where(
            _COLS.id
            == func.coalesce(
                _first(
                    zones,
                    or_(_COLS.manager_id == _MANAGER, _COLS.manager_id.is_(None)),
                    _COLS.callback_at <= _NOW,
                    order=(_COLS.callback_at, _COLS.id),
                ),
                _first(zones, _COLS.manager_id == _MANAGER, due, order=(_COLS.priority,)),
                _first(zones, _COLS.manager_id.is_(None), due, order=(_COLS.priority,)),
            ),
            _COLS.state == EntryState.PENDING,
        )
        .values(state=EntryState.IN_PROGRESS, locked_by_id=_MANAGER, locked_at=_NOW)
        .returning(*table_of(DialListEntry).c)
    )
    # The returned row becomes the session's DialListEntry, as an ORM UPDATE's would.
    return select(DialListEntry).from_statement(claim)


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


# ``get_list`` + ``check_worker`` + the entry asked for (or the one the manager holds) in one
# round trip: each was a statement of its own, and a statement costs more in Python than in
# the database. The entry comes through an outer join, so an absent one is a NULL row.
_MEMBER = exists().where(DialListManager.list_id == _LIST, DialListManager.manager_id == _MANAGER)
_ENTRY_ID = bindparam("p_entry", type_=Integer)
_WORK_LIST = select(DialList, _MEMBER.label("member"))
_WITH_ENTRY = (
    _WORK_LIST.add_columns(Entry)
    .outerjoin(Entry, (Entry.id == _ENTRY_ID) & (Entry.list_id == DialList.id))
    .where(DialList.id == _LIST)
)
_WITH_HELD = (
    _WORK_LIST.add_columns(Entry)
    .outerjoin(Entry, Entry.id == _HELD.scalar_subquery())
    .where(DialList.id == _LIST)
)


async def open_to_worker(
    session: AsyncSession, principal: Principal, list_id: int, entry_id: int | None = None
) -> tuple[DialList, DialListEntry | None]:
    """``get_list``, ``check_worker`` and ``get_entry`` (or, without ``entry_id``, the entry
    the worker holds, as ``next_entry`` looks it up) in one statement, with the same errors in
    the same order."""
    params = {"p_list": list_id, "p_manager": principal.id}
    statement = _WITH_HELD
    if entry_id is not None:
        statement, params["p_entry"] = _WITH_ENTRY, entry_id
    row = (await session.execute(statement, params)).first()
    if row is None:
        raise NotFound(f"no dial list with id {list_id}")
    dial_list, member, entry = row
    if not (principal.sees_everything or member):
        raise Forbidden("you are not on this dial list")
    if entry_id is not None and entry is None:
        raise NotFound(f"no entry {entry_id} in dial list {list_id}")
    return dial_list, entry


async def next_entry(
    session: AsyncSession, dial_list: DialList, manager_id: int, now: dt.datetime
) -> Handout:
    """The manager's next entry, locked to them; the one they already hold comes back first."""
    if dial_list.status is not DialListStatus.READY:
        return Handout(None, "not_ready")
    held_id = await session.scalar(_HELD, {"p_list": dial_list.id, "p_manager": manager_id})
    held = None if held_id is None else await session.get_one(Entry, held_id)
    return await hand_out(session, dial_list, manager_id, now, held)


async def hand_out(
    session: AsyncSession,
    dial_list: DialList,
    manager_id: int,
    now: dt.datetime,
    held: DialListEntry | None,
) -> Handout:
    """``next_entry`` once the held entry is known (``open_to_worker`` fetched it)."""
    if dial_list.status is not DialListStatus.READY:
        return Handout(None, "not_ready")
    if held is not None:
        return Handout(held, "held")
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
            # Nothing for this manager: first give back what nobody can take otherwise.
            swept = True
            if await sweep_list(session, dial_list.id, settings, now):
                continue
        rows = await _pending(session, dial_list.id, manager_id, now)
        if not rows:
            return await _nothing_mine(session, dial_list.id)
        if not any(zone in zones and due for zone, _, due in rows):
            return _why_none(rows, set(zones), now, settings)
        # Due entries the claim skipped: other managers hold their row locks at this very
        # moment (PostgreSQL), taking them. Ask again once they are theirs.
        await asyncio.sleep(0.005 * (attempt + 1))
    return Handout(None, "waiting", now)


async def _claim(
    session: AsyncSession, list_id: int, manager_id: int, zones: list[str], now: dt.datetime
) -> DialListEntry | None:
    params: dict[str, Any] = {f"z{i}": zone for i, zone in enumerate(zones)}
    params.update(p_list=list_id, p_manager=manager_id, p_now=now)
    claimed = await session.scalars(
        _claim_statement(len(zones)),
        params,
        execution_options={"populate_existing": True},
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


async def _nothing_mine(session: AsyncSession, list_id: int) -> Handout:
    """No entry waits for this manager nor in the pool: the list is done only when no entry
    waits for anyone."""
    others = await session.scalar(
        select(
            exists().where(
                Entry.list_id == list_id,
                Entry.state == EntryState.PENDING,
                Entry.manager_id.is_not(None),
            )
        )
    )
    return Handout(None, "assigned_to_others" if others else "list_done")


def _why_none(
    rows: list[tuple[str, dt.datetime | None, int]],
    zones: set[str],
    now: dt.datetime,
    settings: DialListSettings,
) -> Handout:
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


async def release_stranded(session: AsyncSession, list_id: int) -> int:
    """Pending entries assigned to someone who does not work the list (see ``workers``) go to
    the common pool, personal or not: waiting for them would strand the entry."""
    result = await session.execute(
        update(Entry)
        .where(
            Entry.list_id == list_id,
            Entry.state == EntryState.PENDING,
            Entry.manager_id.is_not(None),
            Entry.manager_id.not_in(workers(list_id)),
        )
        .values(manager_id=None, personal=False)
        .execution_options(synchronize_session=False)
    )
    released = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if released:
        await session.commit()
    return released


async def sweep_list(
    session: AsyncSession, list_id: int, settings: DialListSettings, now: dt.datetime
) -> int:
    """Stale locks released, then stranded entries pooled; how many entries moved."""
    released = await release_stale(session, list_id, settings, now)
    return released + await release_stranded(session, list_id)
