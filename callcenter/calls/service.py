"""The call log as operators and supervisors read it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.calls.call_log import line_number
from callcenter.calls.schemas import CallOut, CallQuery, OriginateIn, OriginateOut
from callcenter.calls.telephony import OriginateFailed, PbxUnavailable, Telephony
from callcenter.core.auth import Principal
from callcenter.core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceUnavailable
from callcenter.core.models import (
    Call,
    CallDirection,
    CallRing,
    CallStatus,
    Line,
    Manager,
    to_utc_naive,
)
from callcenter.core.paging import fetch_page, within
from callcenter.core.phones import InvalidPhone, normalize_phone
from callcenter.core.schemas import Page
from callcenter.customers.service import find_by_phone
from callcenter.recordings.service import calls_out, has_ready_recording
from callcenter.softphone.accounts import endpoint_of
from routing.decide import browser_registered

# Asks the browser's softphone to answer at once (Call-Info's answer-after, RFC 7462's
# predecessor that desk phones and softphones read); set on the originated channel, so it is
# on the INVITE to the browser only.
AUTO_ANSWER_HEADER = "PJSIP_HEADER(add,Call-Info)"
AUTO_ANSWER = "<sip:callcenter>;answer-after=0"


def took_part(manager_id: int) -> ColumnElement[bool]:
    """Calls a manager answered or whose phone rang for."""
    return or_(
        Call.manager_id == manager_id,
        exists().where(CallRing.call_id == Call.id, CallRing.manager_id == manager_id),
    )


async def get_visible(session: AsyncSession, principal: Principal, call_id: int) -> Call:
    call = await session.get(Call, call_id)
    if call is None:
        raise NotFound(f"no call with id {call_id}")
    if not principal.sees_everything and not (
        call.manager_id == principal.id or principal.id in call.rang_manager_ids
    ):
        raise Forbidden("this call is in another manager's log")
    return call


MAX_SLOT_DAYS = 400


def local_slots(q: CallQuery, zone: dt.tzinfo) -> list[tuple[dt.datetime, dt.datetime]]:
    """The UTC hours of the period that are ``q.weekday`` / ``q.hour`` on the shop's clock
    (SQLite has no time zones: the service turns them into ranges)."""
    if q.from_ is None:
        raise Invalid("from", "weekday and hour need the period's first day")
    if q.until is None:
        raise Invalid("until", "weekday and hour need the period's last day")
    start, end = to_utc_naive(q.from_), to_utc_naive(q.until)
    if end - start > dt.timedelta(days=MAX_SLOT_DAYS):
        raise Invalid("until", f"weekday and hour need a period of at most {MAX_SLOT_DAYS} days")
    slots = []
    moment = start.replace(minute=0, second=0)
    while moment < end:
        local = moment.replace(tzinfo=dt.UTC).astimezone(zone)
        if (q.weekday is None or local.isoweekday() == q.weekday) and (
            q.hour is None or local.hour == q.hour
        ):
            slots.append((max(moment, start), min(moment + dt.timedelta(hours=1), end)))
        moment += dt.timedelta(hours=1)
    return slots


def _who(query: Select[tuple[Call]], principal: Principal, q: CallQuery) -> Select[tuple[Call]]:
    """Operators see calls they took part in; anyone's id but their own is a 403."""
    if not principal.sees_everything:
        for name in ("manager_id", "answered_by", "rang"):
            value = getattr(q, name)
            if value is not None and value != principal.id:
                raise Forbidden("operators see their own call log only")
        query = query.where(took_part(principal.id))
    elif q.manager_id is not None:
        query = query.where(took_part(q.manager_id))
    if q.answered_by is not None:
        query = query.where(Call.manager_id == q.answered_by)
    if q.rang is not None:
        query = query.where(
            exists().where(CallRing.call_id == Call.id, CallRing.manager_id == q.rang)
        )
    return query


def _outcome(query: Select[tuple[Call]], q: CallQuery, zone: dt.tzinfo) -> Select[tuple[Call]]:
    if q.answered is True:
        query = query.where(Call.status == CallStatus.ANSWERED)
    elif q.answered is False:
        query = query.where(Call.status.is_not(None), Call.status != CallStatus.ANSWERED)
    if q.internal is not None:
        inside = Call.direction == CallDirection.INTERNAL
        query = query.where(inside if q.internal else ~inside)
    if q.ended is not None:
        query = query.where(Call.status.is_not(None) if q.ended else Call.status.is_(None))
    if q.min_wait is not None:
        query = query.where(Call.wait_seconds >= q.min_wait)
    if q.max_wait is not None:
        query = query.where(Call.wait_seconds <= q.max_wait)
    if q.weekday is not None or q.hour is not None:
        slots = local_slots(q, zone)
        query = query.where(
            or_(*[and_(Call.started_at >= a, Call.started_at < b) for a, b in slots])
            if slots
            else false()
        )
    return query


async def list_calls(
    session: AsyncSession,
    principal: Principal,
    q: CallQuery,
    region: str = "RU",
    zone: dt.tzinfo = dt.UTC,
) -> Page[CallOut]:
    query = within(select(Call), Call.started_at, q.from_, q.until)
    query = _outcome(_who(query, principal, q), q, zone)
    if q.customer_id is not None:
        query = query.where(Call.customer_id == q.customer_id)
    if q.direction is not None:
        query = query.where(Call.direction == q.direction)
    if q.status is not None:
        query = query.where(Call.status == q.status)
    if q.line is not None:
        query = query.where(Call.line.in_({q.line.strip(), line_number(q.line, region) or ""}))
    if q.source is not None:
        query = query.where(Call.line.in_(select(Line.number).where(Line.source == q.source)))
    if q.has_recording is not None:
        recorded = has_ready_recording()
        query = query.where(recorded if q.has_recording else ~recorded)
    rows, total = await fetch_page(session, query, q, Call.started_at.desc(), Call.id.desc())
    return Page(items=await calls_out(session, rows), total=total, limit=q.limit, offset=q.offset)


def _caller_id(name: str | None, number: str) -> str:
    """What the manager's phone shows while it rings: the customer being called."""
    if not name:
        return number
    clean = "".join(ch for ch in name if ch not in '"<>\r\n')[:60]
    return f'"{clean}" <{number}>'


def _first_phone(manager: Manager, ring: str | None) -> str | None:
    """The browser's endpoint when the call goes through it (it answers by itself: the
    operator clicked to call, so their own leg does not ring, and the desk phone is left
    alone); None for the desk phone. The page says "browser" when its softphone is registered,
    which the PBX's device state may not have reported yet."""
    if ring == "browser" and not manager.softphone_user:
        raise Invalid("ring", f"{manager.login} has no browser softphone")
    if ring == "browser" or (ring is None and browser_registered(manager.softphone_state)):
        return endpoint_of(manager.extension or "")
    return None


async def originate(
    session: AsyncSession,
    principal: Principal,
    telephony: Telephony,
    body: OriginateIn,
    region: str,
) -> OriginateOut:
    """Click-to-call: the manager's phone rings first; when it answers, the customer's."""
    manager_id = body.manager_id if body.manager_id is not None else principal.id
    if manager_id != principal.id and not principal.sees_everything:
        raise Forbidden("operators can only place calls from their own phone")
    manager = await session.get(Manager, manager_id)
    if manager is None:
        raise Invalid("manager_id", f"no manager with id {manager_id}")
    if not manager.extension:
        raise Invalid("manager_id", f"{manager.login} has no extension to ring")
    try:
        phone = normalize_phone(body.phone, region)
    except InvalidPhone as exc:
        raise Invalid("phone", str(exc)) from None
    return await place_call(session, telephony, manager, phone, body.ring)


async def place_call(
    session: AsyncSession,
    telephony: Telephony,
    manager: Manager,
    phone: str,
    ring: str | None = None,
) -> OriginateOut:
    """Click-to-call once who and whom are settled (``manager`` has an extension, ``phone`` is
    E.164): the manager's phone rings (``ring``: "browser", "desk", or None for the browser when
    it is registered), and when they answer the PBX dials the customer. Also how a callback
    asked for on the shop's website is placed (``callcenter.web_callback``). Commits
    ``session`` first: no database connection is held while a phone rings."""
    if not manager.extension:
        raise Invalid("manager_id", f"{manager.login} has no extension to ring")
    customer = await find_by_phone(session, phone)
    customer_id = customer.id if customer else None
    digits = phone.lstrip("+")
    caller_id = _caller_id(customer.name if customer else None, digits)
    # Do not hold a database connection while a phone rings.
    await session.commit()
    variables = {"CRM_CUSTOMER_ID": str(customer_id or ""), "CRM_MANAGER_ID": str(manager.id)}
    device = _first_phone(manager, ring)
    if device is not None:
        variables[AUTO_ANSWER_HEADER] = AUTO_ANSWER
    try:
        call_id = await telephony.originate(
            manager.extension, digits, caller_id, variables=variables, device=device
        )
    except PbxUnavailable as exc:
        raise ServiceUnavailable(f"cannot place the call: {exc}", code="pbx_unavailable") from None
    except OriginateFailed as exc:
        raise Conflict(
            f"the call was not placed: {exc.reason}",
            code="originate_failed",
            details={"call_id": exc.call_id, "reason": exc.reason},
        ) from None
    return OriginateOut(
        call_id=call_id, status="manager_answered", phone=phone, customer_id=customer_id
    )
