"""Working a dial list: hand out the next entry, place the call, record the outcome.

The hand-out is one statement: ``UPDATE entry SET state = 'in_progress' WHERE id = COALESCE(
(a due callback), (my first pending entry), (the pool's first)) AND state = 'pending'``, each
branch ``SELECT id ... ORDER BY ... LIMIT 1 FOR UPDATE SKIP LOCKED``. On PostgreSQL
the row lock makes concurrent managers skip each other's pick; on SQLite (which ignores FOR
UPDATE) the statement runs under the database's single write lock, so the subquery always
sees the committed state. Either way no entry is handed out twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from callcenter.auth import Principal
from callcenter.dial_schemas import DialListSettings, EntryCard, EntryOut, NextReason, OutcomeIn
from callcenter.errors import ApiError, Conflict, Forbidden, Invalid, NotFound
from callcenter.models import (
    Call,
    Customer,
    DialList,
    DialListEntry,
    DialListManager,
    DialListStatus,
    EntryState,
    Order,
)
from callcenter.schemas import OrderOut, OriginateIn, OriginateOut
from callcenter.services import calls as call_service
from callcenter.services.customers import customer_out
from callcenter.services.orders import to_utc_naive
from callcenter.telephony import Telephony
from routing.dialing import Outcome, after_outcome, local_now, next_opening, open_zones

Entry = DialListEntry
MAX_CALLBACK_AHEAD = dt.timedelta(days=365)


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


async def next_entry(
    session: AsyncSession, dial_list: DialList, manager_id: int, now: dt.datetime
) -> Handout:
    """The manager's next entry, locked to them; the one they already hold comes back first."""
    if dial_list.status is not DialListStatus.READY:
        return Handout(None, "not_ready")
    held_id = await session.scalar(
        select(Entry.id)
        .where(
            Entry.list_id == dial_list.id,
            Entry.state == EntryState.IN_PROGRESS,
            Entry.locked_by_id == manager_id,
        )
        .order_by(Entry.locked_at)
        .limit(1)
    )
    if held_id is not None:
        return Handout(await session.get_one(Entry, held_id), "held")
    settings = list_settings(dial_list)
    zones = open_zones(dial_list.timezones, now, settings.call_from, settings.call_until)
    if zones:
        entry = await _claim(session, dial_list.id, manager_id, zones, now)
        if entry is None and await release_stale(session, dial_list.id, settings, now):
            entry = await _claim(session, dial_list.id, manager_id, zones, now)
        if entry is not None:
            due = entry.callback_at is not None and entry.callback_at <= now
            return Handout(entry, "callback_due" if due else "next")
    return await _why_none(session, dial_list, manager_id, now, set(zones))


async def _claim(
    session: AsyncSession, list_id: int, manager_id: int, zones: list[str], now: dt.datetime
) -> DialListEntry | None:
    """One statement: a due callback (the earliest), else the manager's own first entry by
    priority, else the common pool's. Each branch is one probe of an index."""

    def first(*where: ColumnElement[bool], order: tuple[Any, ...]) -> Any:
        return (
            select(Entry.id)
            .where(
                Entry.list_id == list_id,
                Entry.state == EntryState.PENDING,
                Entry.timezone.in_(zones),
                *where,
            )
            .order_by(*order)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )

    due = or_(Entry.next_attempt_at.is_(None), Entry.next_attempt_at <= now)
    pick = func.coalesce(
        first(_mine(manager_id), Entry.callback_at <= now, order=(Entry.callback_at, Entry.id)),
        first(Entry.manager_id == manager_id, due, order=(Entry.priority,)),
        first(Entry.manager_id.is_(None), due, order=(Entry.priority,)),
    )
    claimed = await session.scalars(
        update(Entry)
        .where(Entry.id == pick, Entry.state == EntryState.PENDING)
        .values(state=EntryState.IN_PROGRESS, locked_by_id=manager_id, locked_at=now)
        .returning(Entry),
        execution_options={"synchronize_session": False, "populate_existing": True},
    )
    entry = claimed.first()
    if entry is not None:
        # Commit at once: the lock (a PostgreSQL row, SQLite's database) lasts one statement.
        await session.commit()
    return entry


async def _why_none(
    session: AsyncSession, dial_list: DialList, manager_id: int, now: dt.datetime, zones: set[str]
) -> Handout:
    rows = (
        await session.execute(
            select(Entry.timezone, func.min(Entry.next_attempt_at))
            .where(
                Entry.list_id == dial_list.id,
                Entry.state == EntryState.PENDING,
                _mine(manager_id),
            )
            .group_by(Entry.timezone)
        )
    ).all()
    if not rows:
        return Handout(None, "list_done")
    waiting = [at for zone, at in rows if zone in zones and at is not None]
    if waiting:
        return Handout(None, "waiting", max(min(waiting), now))
    settings = list_settings(dial_list)
    closed = [zone for zone, _ in rows if zone not in zones]
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


def check_holder(principal: Principal, entry: DialListEntry, *, supervisors: bool = False) -> None:
    if entry.state is EntryState.IN_PROGRESS and (
        entry.locked_by_id == principal.id or (supervisors and principal.sees_everything)
    ):
        return
    raise Conflict(
        "this entry is not in your hands: ask for it with POST dial-lists/{id}/next",
        code="entry_not_held",
        details={"entry_id": entry.id, "state": entry.state.value},
    )


async def refresh_call_status(session: AsyncSession, entry: DialListEntry) -> None:
    """The PBX's word on the entry's last call, read from the call log by its Linkedid."""
    if entry.call_linkedid is None or entry.call_status is not None:
        return
    call = (
        await session.scalars(
            select(Call).where(Call.linkedid == entry.call_linkedid, Call.status.is_not(None))
        )
    ).first()
    if call is not None and call.status is not None:
        entry.call_status = call.status.value
        entry.call_status_reason = call.status_reason


async def record_outcome(
    session: AsyncSession,
    principal: Principal,
    dial_list: DialList,
    entry: DialListEntry,
    body: OutcomeIn,
    now: dt.datetime,
) -> None:
    check_holder(principal, entry)
    callback_at = None
    if body.outcome is Outcome.CALLBACK:
        if body.callback_at is None:
            raise Invalid("callback_at", "a callback needs the time to call back")
        callback_at = to_utc_naive(body.callback_at)
        if not now < callback_at <= now + MAX_CALLBACK_AHEAD:
            raise Invalid("callback_at", "must be in the future, within a year")
    elif body.callback_at is not None:
        raise Invalid("callback_at", "goes with the callback outcome only")
    if body.order_id is not None:
        if body.outcome is not Outcome.ORDERED:
            raise Invalid("order_id", "goes with the ordered outcome only")
        order = await session.get(Order, body.order_id)
        if order is None or order.customer_id != entry.customer_id:
            raise Invalid("order_id", f"no order {body.order_id} of this customer")
        entry.order_id = order.id
    settings = list_settings(dial_list)
    step = after_outcome(
        body.outcome,
        entry.attempts,
        max_attempts=settings.max_attempts,
        retry_delay=dt.timedelta(minutes=settings.retry_delay_minutes),
        now=now,
        callback_at=callback_at,
    )
    entry.state = EntryState.DONE if step.done else EntryState.PENDING
    entry.attempts = step.attempts
    entry.next_attempt_at = step.next_attempt_at
    entry.callback_at = step.callback_at
    entry.outcome = body.outcome
    if body.note:
        entry.note = body.note
    entry.worked_by_id = principal.id
    entry.worked_at = now
    entry.locked_by_id = None
    entry.locked_at = None
    if body.outcome is Outcome.DO_NOT_CALL:
        customer = await session.get(Customer, entry.customer_id)
        if customer is not None:
            customer.do_not_call = True
    await refresh_call_status(session, entry)


async def release(principal: Principal, entry: DialListEntry) -> None:
    """Give an entry back unworked (it keeps its place in the queue)."""
    check_holder(principal, entry, supervisors=True)
    entry.state = EntryState.PENDING
    entry.locked_by_id = None
    entry.locked_at = None


async def place_call(
    session: AsyncSession,
    principal: Principal,
    telephony: Telephony,
    region: str,
    entry: DialListEntry,
    now: dt.datetime,
) -> OriginateOut:
    """Click-to-call the entry's number from the manager's phone; links the call to the entry."""
    check_holder(principal, entry)
    try:
        result = await call_service.originate(
            session, principal, telephony, OriginateIn(phone=entry.phone), region
        )
    except ApiError as exc:
        if exc.code == "originate_failed":
            entry.call_linkedid = exc.details.get("call_id")
            entry.call_status = "failed"
            entry.call_status_reason = str(exc.details.get("reason", ""))[:255] or None
            entry.called_at = now
            await session.commit()
        raise
    entry.call_linkedid = result.call_id
    entry.call_status = None
    entry.call_status_reason = None
    entry.called_at = now
    return result


async def entry_card(session: AsyncSession, entry: DialListEntry, now: dt.datetime) -> EntryCard:
    """Two queries: the customer with phones and tags, the last order with its items."""
    customer = (
        (
            await session.scalars(
                select(Customer)
                .options(joinedload(Customer.phones), joinedload(Customer.tags))
                .where(Customer.id == entry.customer_id)
            )
        )
        .unique()
        .first()
    )
    if customer is None:
        raise NotFound(f"the customer {entry.customer_id} of this entry is gone")
    order = (
        (
            await session.scalars(
                select(Order)
                .options(joinedload(Order.items))
                .where(Order.customer_id == customer.id)
                .order_by(Order.created_at.desc(), Order.id.desc())
                .limit(1)
            )
        )
        .unique()
        .first()
    )
    return EntryCard(
        entry=EntryOut.model_validate(entry),
        customer=customer_out(customer),
        last_order=OrderOut.model_validate(order) if order is not None else None,
        local_time=local_now(entry.timezone, now),
    )
