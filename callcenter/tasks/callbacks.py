"""Missed calls become callback tasks with a deadline; a later conversation closes them.

A listener on the call log: it sees each batch after it is stored. One open callback per
number: a repeated missed call updates it instead of piling up tasks.

What happened to a callback is stored as data, not as text: ``Task.events``, each
``{"what": "missed" | "missed_again" | "closed", "at": UTC, "call_id"}``. Users of one shop
read different languages, and a sentence stored once is in one of them; so the pages put the
events into words when they show a task (``_macros.html`` task_note), in the reader's language
and on the shop's clock (``CALLCENTER_TIMEZONE``), and the API gives the events as they are.
The note stays what a person wrote (empty for a new callback). The title is a required text
in the API, so a callback's is still written, in the shop's default language (Russian); the
pages show a callback's title in the reader's language from its kind. Callbacks made before
the events existed had English lines in their note; migration 0008 turned those into events.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.core.i18n import DEFAULT_LANGUAGE, translate
from callcenter.core.models import Call, CallDirection, CallStatus, Customer, Task
from callcenter.routing.settings import load_routing_settings
from callcenter.screenpop.hub import ScreenPopHub
from callcenter.webhooks.events import callback_event, callback_source
from pbx_bridge.tracker import CallEnded, Change

log = logging.getLogger(__name__)

CALLBACK = "callback"
DEFAULT_GROUP = "default"
MAX_EVENTS = 50  # a number that keeps calling: the first missed call and the latest ones
TaskListener = Callable[[Task, str], Awaitable[None]]


class CallbackTasks:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        # Told of each callback created ("created"), closed ("closed"), or given back to its
        # group or personal manager when the manager rung for it did not answer ("returned"):
        # screen-pops, the live board.
        self.listeners: list[TaskListener] = []

    async def __call__(self, pbx: str, changes: Sequence[Change]) -> None:
        ended = [c.call.call_id for c in changes if isinstance(c, CallEnded)]
        if not ended:
            return
        events: list[tuple[Task, str]] = []
        async with self.sessionmaker() as session, session.begin():
            calls = await session.scalars(
                select(Call).where(Call.pbx == pbx, Call.linkedid.in_(ended))
            )
            for call in calls:
                events.extend(await self._handle(session, call))
        await self.notify(events)

    async def notify(self, events: Sequence[tuple[Task, str]]) -> None:
        """Tell the listeners, once the transaction that made the changes has committed (also
        of callbacks made elsewhere: the shop's website, ``callcenter.web_callback``)."""
        for task, what in events:
            for listener in self.listeners:
                try:
                    await listener(task, what)
                except Exception:
                    log.exception("a callback-task listener failed")

    async def _handle(self, session: AsyncSession, call: Call) -> list[tuple[Task, str]]:
        if not call.phone or call.status is None:
            return []
        open_task = await open_callback(session, call.phone)
        talked = call.status is CallStatus.ANSWERED
        if talked and call.direction in (CallDirection.IN, CallDirection.OUT):
            if open_task is None:
                return []
            # The moment the customer was reached, also when the call is reconciled later.
            open_task.done_at = call.answered_at or call.started_at
            _add_event(open_task, "closed", open_task.done_at, call)
            await callback_event(session, open_task, "closed", call)
            return [(open_task, "closed")]
        missed = call.direction is CallDirection.IN and call.status in (
            CallStatus.MISSED,
            CallStatus.BUSY,
        )
        if not missed:
            return []
        if open_task is not None:
            open_task.call_id = call.id
            _add_event(open_task, "missed_again", call.started_at, call)
            return []
        task = await _new_callback(session, call)
        session.add(task)
        await session.flush()
        await callback_event(session, task, "created", call)
        return [(task, "created")]


async def open_callback(session: AsyncSession, phone: str) -> Task | None:
    """The number's open callback (one per number), or None."""
    return (
        await session.scalars(
            select(Task)
            .where(Task.kind == CALLBACK, Task.phone == phone, Task.done_at.is_(None))
            .order_by(Task.id)
            .limit(1)
        )
    ).first()


async def _new_callback(session: AsyncSession, call: Call) -> Task:
    settings = await load_routing_settings(session)
    customer = await session.get(Customer, call.customer_id) if call.customer_id else None
    who = customer.name if customer else call.phone
    task = Task(
        title=translate("task.callback_title", DEFAULT_LANGUAGE, who=who),
        kind=CALLBACK,
        note="",
        events=[],
        customer_id=call.customer_id,
        call_id=call.id,
        phone=call.phone,
        assignee_id=customer.manager_id if customer else None,
        group_name=None if customer and customer.manager_id else DEFAULT_GROUP,
        # From the missed call, not from now: a call reconciled after an outage is as late as
        # it really is.
        deadline=(call.ended_at or call.started_at)
        + dt.timedelta(minutes=settings.callback_deadline_minutes),
    )
    _add_event(task, "missed", call.started_at, call)
    return task


def _add_event(task: Task, what: str, at: dt.datetime, call: Call) -> None:
    add_event(task, {"what": what, "at": at.isoformat("T", "seconds"), "call_id": call.id})


def add_event(task: Task, event: dict[str, Any]) -> None:
    """One more event (a new list: the JSON column notices assignments, not appends); the
    first one stays, and the latest ``MAX_EVENTS``."""
    events = [*(task.events or []), event]
    if len(events) > MAX_EVENTS:
        events = [events[0], *events[1 - MAX_EVENTS :]]
    task.events = events


def callback_pops(
    hub: ScreenPopHub, sessionmaker: async_sessionmaker[AsyncSession]
) -> TaskListener:
    """A new callback pops to its assignee, or to everyone connected for a group callback; one
    given back (its manager did not answer) pops again, to whom it now belongs."""

    async def pop(task: Task, what: str) -> None:
        if what not in ("created", "returned"):
            return
        async with sessionmaker() as session:
            call = await session.get(Call, task.call_id) if task.call_id else None
        hub.notify(
            None if task.assignee_id is None else [task.assignee_id],
            {
                "type": "task.created",
                "call_id": call.linkedid if call else None,
                "task": {
                    "id": task.id,
                    "title": task.title,
                    "kind": task.kind,
                    "phone": task.phone,
                    "customer_id": task.customer_id,
                    "assignee_id": task.assignee_id,
                    "group_name": task.group_name,
                    "deadline": task.deadline.isoformat() + "Z" if task.deadline else None,
                    "source": callback_source(task),
                },
            },
        )

    return pop
