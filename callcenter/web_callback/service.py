"""The website's callback requests: the number's checks, the limits, the task and the call.

``WebCallbacks.submit`` writes in one transaction: the callback task (a new one, or the open
callback for the number brought up to date: one open callback per number, as for missed
calls), its ``callback.created`` webhook and the audit entry. Once that has committed the
operators hear of it (pops, the live board) and, when a manager was free within the shop's
working hours, their phone rings and then the visitor's: the click-to-call flow
(``calls.service.place_call``), off the request's path, so the visitor is answered at once.

The answers never depend on whether the number is a customer's: a stranger learns nothing
from them but the shop's hours.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import phonenumbers
from phonenumbers import PhoneNumberType
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.calls.service import place_call
from callcenter.calls.telephony import Telephony
from callcenter.core.db import lock_for_transaction
from callcenter.core.errors import ApiError
from callcenter.core.i18n import DEFAULT_LANGUAGE, local_datetime, translate
from callcenter.core.models import (
    AuditLog,
    Customer,
    CustomerPhone,
    Manager,
    Order,
    Task,
    utcnow,
)
from callcenter.core.phones import InvalidPhone, normalize_phone
from callcenter.core.rate_limits import RateLimit
from callcenter.core.settings import Settings
from callcenter.customers.service import find_by_phone
from callcenter.routing.settings import WEEKDAYS, load_routing_settings, load_shop_hours
from callcenter.tasks.callbacks import (
    CALLBACK,
    DEFAULT_GROUP,
    CallbackTasks,
    add_event,
    open_callback,
)
from callcenter.webhooks.events import callback_event
from routing.decide import ManagerState, callback_manager
from routing.shop_hours import Opening, opening

log = logging.getLogger(__name__)

SOURCE = "website"
# The numbers a shop calls back: people's phones. Never premium-rate, shared-cost, toll-free,
# pager, voicemail or personal (forwarding) numbers, which a bot could make the shop dial.
CALLABLE = frozenset(
    {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.VOIP,
    }
)
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class Refused(Exception):
    """A request turned down; the API puts ``key`` (and each field's) into the visitor's
    language. ``fields``: (field, key, params) for a 422."""

    status: int
    code: str
    key: str
    params: dict[str, object] = field(default_factory=dict)
    fields: list[tuple[str, str, dict[str, object]]] = field(default_factory=list)
    retry_after: int | None = None


def invalid(name: str, key: str, **params: object) -> Refused:
    return Refused(422, "validation_error", key, params, [(name, key, params)])


def too_many(wait: int) -> Refused:
    return Refused(
        429,
        "too_many_requests",
        "web_callback.error.too_many",
        {"minutes": max(1, math.ceil(wait / 60))},
        retry_after=wait,
    )


@dataclass(frozen=True)
class Visitor:
    phone: str  # E.164, checked
    order: str | None
    name: str | None
    client: str


Status = Literal["calling", "queued", "closed"]


@dataclass(frozen=True)
class Outcome:
    """``status``: calling, queued or closed; ``call_at`` (aware UTC): when the shop calls at
    the latest; ``minutes``: the callback deadline the shop keeps."""

    status: Status
    call_at: dt.datetime | None
    minutes: int


def decide(when: Opening, free: bool, now: dt.datetime, minutes: int) -> Outcome:
    if free:
        return Outcome("calling", now, minutes)
    if when.open_now:
        return Outcome("queued", now + dt.timedelta(minutes=minutes), minutes)
    return Outcome("closed", when.at, minutes)


def clean_name(raw: str | None) -> str | None:
    """A visitor's name as one line of text, or None."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", raw or "")).strip()
    return text or None


def callback_words(outcome: Outcome, lang: str, zone: dt.tzinfo) -> str:
    """What the visitor reads: in their language, a time on the shop's clock."""
    if outcome.status == "calling":
        return translate("web_callback.calling", lang)
    if outcome.status == "queued":
        return translate("web_callback.soon", lang, minutes=outcome.minutes)
    if outcome.call_at is None:
        return translate("web_callback.closed_for_now", lang)
    day = WEEKDAYS[outcome.call_at.astimezone(zone).weekday()]
    when = translate(
        "web_callback.when",
        lang,
        day=translate(f"web_callback.on.{day}", lang),
        moment=local_datetime(outcome.call_at, lang, zone),
    )
    return translate("web_callback.closed", lang, when=when)


class WebCallbacks:
    """The running part: the limits (counted in the database, shared by every instance), the
    calls being placed, the clock."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        telephony: Telephony,
        callbacks: CallbackTasks,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.telephony = telephony
        self.callbacks = callbacks
        self.by_address = RateLimit(
            sessionmaker,
            "callback.address",
            settings.callback_per_address,
            settings.callback_address_minutes * 60.0,
        )
        self.by_phone = RateLimit(
            sessionmaker,
            "callback.phone",
            settings.callback_per_phone,
            settings.callback_phone_minutes * 60.0,
        )
        # When the working hours are read against (aware UTC).
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
        # One request at a time finds or makes a number's open callback.
        self._lock = asyncio.Lock()
        # Managers whose phone rings for a web callback: nobody else's request picks them.
        self._ringing: set[int] = set()
        self._calls: set[asyncio.Task[None]] = set()

    # --- checks ---------------------------------------------------------------------------

    async def limit_address(self, client: str) -> None:
        wait = await self.by_address.hit(f"ip:{client}")
        if wait:
            raise too_many(wait)

    async def limit_phone(self, phone: str) -> None:
        wait = await self.by_phone.hit(f"phone:{phone}")
        if wait:
            raise too_many(wait)

    def phone_of(self, raw: str) -> str:
        """The visitor's number as E.164; a clear refusal for what the shop cannot call."""
        if not raw.strip():
            raise invalid("phone", "web_callback.error.phone_required")
        try:
            phone = normalize_phone(raw, self.settings.default_region)
        except InvalidPhone:
            raise invalid("phone", "web_callback.error.phone") from None
        number = phonenumbers.parse(phone)
        if phonenumbers.number_type(number) not in CALLABLE:
            raise invalid("phone", "web_callback.error.phone_kind")
        if phonenumbers.region_code_for_number(number) not in self.settings.callback_country_set:
            raise invalid("phone", "web_callback.error.phone_country")
        return phone

    # --- a request ------------------------------------------------------------------------

    async def pretend(self) -> Outcome:
        """The answer a request would get with nobody free (a filled honeypot's: a bot learns
        nothing from it, and nothing is made)."""
        async with self.sessionmaker() as session:
            hours = await load_shop_hours(session)
            minutes = (await load_routing_settings(session)).callback_deadline_minutes
        now = self.clock()
        return decide(opening(hours.week(), now, self.settings.zone), False, now, minutes)

    async def submit(self, visitor: Visitor) -> Outcome:
        async with self._lock, self.sessionmaker() as session:
            # Across instances too: one request at a time finds or makes a number's open
            # callback and picks a free manager.
            await lock_for_transaction(session, "web_callback")
            task, created, outcome, manager_id = await self._record(session, visitor)
            await session.commit()
        if created:
            await self.callbacks.notify([(task, "created")])
        if manager_id is not None:
            self._ring(task.id, manager_id, visitor.phone)
        return outcome

    async def _record(
        self, session: AsyncSession, visitor: Visitor
    ) -> tuple[Task, bool, Outcome, int | None]:
        now = self.clock()
        customer = await find_by_phone(session, visitor.phone)
        order = await _order(session, visitor.order, visitor.phone)
        hours = await load_shop_hours(session)
        routing = await load_routing_settings(session)
        when = opening(hours.week(), now, self.settings.zone)
        free = None
        if when.open_now:
            free = await self._free_manager(session, customer, routing.default_group)
        outcome = decide(when, free is not None, now, routing.callback_deadline_minutes)
        due = (outcome.call_at if outcome.status == "closed" and outcome.call_at else now) + (
            dt.timedelta(minutes=routing.callback_deadline_minutes)
        )
        task = await open_callback(session, visitor.phone)
        created = task is None
        if task is None:
            task = _new_task(visitor, customer, due)
            session.add(task)
        elif task.deadline is None or task.deadline > _naive(due):
            task.deadline = _naive(due)
        if task.customer_id is None and customer is not None:
            task.customer_id = customer.id
        if free is not None:
            task.assignee_id, task.group_name = free.id, None
            free.last_offered_at = utcnow()
        add_event(task, _request_event(now, visitor, order))
        await session.flush()
        if created:
            await callback_event(session, task, "created", None, source=SOURCE)
        session.add(_audit(visitor, task, created, outcome, order is not None))
        return task, created, outcome, free.id if free else None

    async def _free_manager(
        self, session: AsyncSession, customer: Customer | None, group: list[int]
    ) -> Manager | None:
        """The customer's personal manager when free, else the default group's least recently
        offered free one; nobody while no PBX is connected."""
        if not self.telephony.reachable():
            return None
        managers = {
            m.id: m for m in await session.scalars(select(Manager).where(Manager.is_active))
        }
        ringing = self.telephony.ringing_extensions()
        states = {
            m.id: ManagerState(
                id=m.id,
                extension=m.extension,
                presence=m.status.value,
                device_state=m.device_state,
                softphone_state=m.softphone_state,
                ringing=m.extension in ringing or m.id in self._ringing,
                last_offered_at=m.last_offered_at.timestamp() if m.last_offered_at else None,
            )
            for m in managers.values()
        }
        chosen = callback_manager(customer.manager_id if customer else None, group, states)
        return managers[chosen] if chosen is not None else None

    # --- the call -------------------------------------------------------------------------

    def _ring(self, task_id: int, manager_id: int, phone: str) -> None:
        self._ringing.add(manager_id)
        call = asyncio.get_running_loop().create_task(self._place(task_id, manager_id, phone))
        self._calls.add(call)
        call.add_done_callback(self._calls.discard)

    async def _place(self, task_id: int, manager_id: int, phone: str) -> None:
        """The manager's phone, then the visitor's; a manager who does not answer gives the
        callback back to its group (or the customer's personal manager)."""
        try:
            async with self.sessionmaker() as session:
                manager = await session.get(Manager, manager_id)
                if manager is None:
                    return
                failed: ApiError | None = None
                call_id: object = None
                try:
                    call_id = (await place_call(session, self.telephony, manager, phone)).call_id
                except ApiError as exc:
                    failed, call_id = exc, exc.details.get("call_id")
                    log.info("web callback %s: %s did not connect: %s", task_id, manager.login, exc)
                session.add(_ring_audit(task_id, manager_id, call_id, failed))
                await session.commit()
            if failed is not None:
                await self._give_back(task_id, manager_id)
        except Exception:
            log.exception("web callback %s: placing the call failed", task_id)
        finally:
            self._ringing.discard(manager_id)

    async def _give_back(self, task_id: int, manager_id: int) -> None:
        async with self.sessionmaker() as session:
            task = await session.get(Task, task_id)
            if task is None or task.done_at is not None or task.assignee_id != manager_id:
                return
            customer = await session.get(Customer, task.customer_id) if task.customer_id else None
            personal = customer.manager_id if customer else None
            task.assignee_id = personal
            task.group_name = None if personal else DEFAULT_GROUP
            event = {"what": "ring_failed", "at": _stamp(utcnow()), "call_id": None}
            add_event(task, {**event, "manager_id": manager_id})
            await session.commit()
        await self.callbacks.notify([(task, "returned")])

    async def stop(self) -> None:
        """Stop placing calls (the service is stopping): what was asked stays a task."""
        for call in list(self._calls):
            call.cancel()
        for call in list(self._calls):
            with contextlib.suppress(asyncio.CancelledError):
                await call


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _stamp(moment: dt.datetime) -> str:
    """A moment as events keep it: naive UTC, to the second."""
    naive = _naive(moment) if moment.tzinfo else moment
    return naive.isoformat("T", "seconds")


async def _order(session: AsyncSession, raw: str | None, phone: str) -> tuple[str, bool] | None:
    """(the order's number, whether it is the number's customer's), or None when no number was
    given; an unknown number is refused. Whose order it is never shows in the answer."""
    number = (raw or "").strip().lstrip("#№").strip()
    if not number:
        return None
    row = None
    for candidate in dict.fromkeys((number, number.upper())):
        row = (
            await session.execute(
                select(Order.number, Order.customer_id).where(Order.number == candidate)
            )
        ).first()
        if row is not None:
            break
    if row is None:
        raise invalid("order", "web_callback.error.order")
    theirs = await session.scalar(
        select(CustomerPhone.customer_id).where(
            CustomerPhone.customer_id == row.customer_id, CustomerPhone.phone == phone
        )
    )
    return str(row.number), theirs is not None


def _new_task(visitor: Visitor, customer: Customer | None, due: dt.datetime) -> Task:
    """A callback as a missed call makes one: the customer's personal manager's, or the
    default group's; the caller of ``_record`` gives it to a free manager. Titled by the
    customer's name or the number: a name a visitor typed is in its event, as theirs."""
    who = customer.name if customer else visitor.phone
    personal = customer.manager_id if customer else None
    return Task(
        title=translate("task.callback_title", DEFAULT_LANGUAGE, who=who)[:255],
        kind=CALLBACK,
        note="",
        events=[],
        customer_id=customer.id if customer else None,
        phone=visitor.phone,
        assignee_id=personal,
        group_name=None if personal else DEFAULT_GROUP,
        deadline=_naive(due),
    )


def _request_event(
    now: dt.datetime, visitor: Visitor, order: tuple[str, bool] | None
) -> dict[str, object]:
    event: dict[str, object] = {
        "what": "website",
        "at": _stamp(now),
        "call_id": None,
        "source": SOURCE,
    }
    if order is not None:
        event["order"], event["order_matches"] = order
    if visitor.name:
        event["name"] = visitor.name
    return event


def _audit(
    visitor: Visitor, task: Task, created: bool, outcome: Outcome, order_given: bool
) -> AuditLog:
    """Who asked is the website (no actor); the number and the name stay in the task."""
    return AuditLog(
        action="web_callback.request",
        target_type="task",
        target_id=str(task.id),
        details={
            "created": created,
            "outcome": outcome.status,
            "assignee_id": task.assignee_id,
            "order_given": order_given,
        },
        ip=visitor.client[:64],
    )


def _ring_audit(
    task_id: int, manager_id: int, call_id: object, failed: ApiError | None
) -> AuditLog:
    """The call placed for a web callback, audited as click-to-call's are (no actor: the
    website asked)."""
    details: dict[str, object] = {"via": SOURCE, "task_id": task_id, "manager_id": manager_id}
    if failed is not None:
        details["failed"] = failed.code
    target = None if call_id is None else str(call_id)
    return AuditLog(action="call.originate", target_type="call", target_id=target, details=details)
