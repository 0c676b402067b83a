"""One entry in a manager's hands: its customer card, the call placed from it, the outcome
recorded after, or giving it back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.calls import service as call_service
from callcenter.calls.schemas import OriginateIn, OriginateOut
from callcenter.calls.telephony import Telephony
from callcenter.core.auth import Principal
from callcenter.core.errors import ApiError, Conflict, Invalid, NotFound
from callcenter.core.models import (
    Call,
    Customer,
    DialList,
    DialListEntry,
    EntryState,
    Order,
    to_utc_naive,
)
from callcenter.dial_lists.handout import list_settings
from callcenter.dial_lists.schemas import EntryCard, EntryOut, OutcomeIn
from callcenter.screenpop.card import customer_card
from callcenter.webhooks.events import dial_outcome
from routing.dialing import Outcome, after_outcome, local_now

MAX_CALLBACK_AHEAD = dt.timedelta(days=365)


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
    await dial_outcome(session, entry, principal.id)


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
    """The same card as a screen-pop's, in one query."""
    customer, order = await customer_card(session, entry.customer_id)
    if customer is None:
        raise NotFound(f"the customer {entry.customer_id} of this entry is gone")
    return EntryCard(
        entry=EntryOut.model_validate(entry),
        customer=customer,
        last_order=order,
        local_time=local_now(entry.timezone, now),
    )
