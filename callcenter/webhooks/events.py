"""What each event says, and where it is emitted from. Every ``data`` is built from stored
rows, in the transaction that stores them (``outbox.emit``).

- ``call.ringing``, ``call.answered``, ``call.ended``, ``call.missed``: from the call log's
  store (``call_hook``), by comparing a call with what it was before the batch; calls that
  Asterisk's CEL brings back after an outage come this way too, with their true times. Each
  happens once per call (``dedupe``). ``call.missed`` follows ``call.ended`` for an inbound
  call nobody answered (missed or busy). Their key is the call: one call's events reach an
  endpoint in order.
- ``recording.ready``: the recording is stored; ``call.ended`` carries its URL when it was
  already there, which it seldom is (the PBX finishes the file as the call ends).
- ``callback.created`` / ``callback.closed``, ``order.created`` (an order keyed in after a call:
  the manager's answered call with that customer in the reports' window before it), and
  ``dial_list.outcome``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.calls.call_log import CallStep, StoreHook
from callcenter.core.models import (
    Call,
    CallDirection,
    CallStatus,
    DialListEntry,
    Line,
    Manager,
    Order,
    Recording,
    RecordingStatus,
    Task,
)
from callcenter.orders.credit import crediting_call
from callcenter.recordings.service import with_call
from callcenter.webhooks.outbox import Event, emit, emit_many, iso

MISSED = (CallStatus.MISSED, CallStatus.BUSY)


def recording_url(base_url: str, public_id: str) -> str:
    return f"{base_url.rstrip('/')}/api/v1/recordings/{public_id}/audio"


async def _lines(session: AsyncSession, numbers: set[str]) -> dict[str, Line]:
    if not numbers:
        return {}
    return {
        line.number: line
        for line in await session.scalars(select(Line).where(Line.number.in_(numbers)))
    }


async def _extensions(session: AsyncSession, ids: set[int]) -> dict[int, str | None]:
    if not ids:
        return {}
    rows = await session.execute(select(Manager.id, Manager.extension).where(Manager.id.in_(ids)))
    return dict(rows.tuples().all())


def call_data(
    call: Call, line: Line | None, extension: str | None, recording: str | None = None
) -> dict[str, Any]:
    return {
        "call_id": call.linkedid,
        "pbx": call.pbx,
        "direction": call.direction.value,
        "phone": call.phone,
        "caller_id": call.caller_id_raw,
        "customer_id": call.customer_id,
        "line": call.line,
        "line_name": line.name if line else None,
        "line_source": line.source if line else None,
        "manager_id": call.manager_id,
        "manager_extension": extension,
        "route": call.route,
        "started_at": iso(call.started_at),
        "answered_at": iso(call.answered_at),
        "ended_at": iso(call.ended_at),
        "wait_seconds": call.wait_seconds,
        "talk_seconds": call.talk_seconds,
        "status": call.status.value if call.status else None,
        "recording_url": recording,
    }


def _happened(step: CallStep) -> list[str]:
    call = step.call
    types = ["call.ringing"] if step.new else []
    if call.answered_at is not None and not step.was_answered:
        types.append("call.answered")
    if call.ended_at is not None and not step.was_ended:
        types.append("call.ended")
        if call.direction is CallDirection.IN and call.status in MISSED:
            types.append("call.missed")
    return types


def call_hook(base_url: str) -> StoreHook:
    """The call log's store hook: the call events of a stored batch."""

    async def hook(session: AsyncSession, pbx: str, steps: list[CallStep]) -> None:
        wanted = [
            (step.call, types)
            for step in steps
            if step.call.direction is not CallDirection.INTERNAL and (types := _happened(step))
        ]
        if not wanted:
            return
        lines = await _lines(session, {c.line for c, _ in wanted if c.line})
        extensions = await _extensions(session, {c.manager_id for c, _ in wanted if c.manager_id})
        ended = [c.id for c, types in wanted if "call.ended" in types]
        recordings = await _ready_recordings(session, ended)
        events: list[Event] = []
        for call, types in wanted:
            recording = recordings.get(call.id)
            data = call_data(
                call,
                lines.get(call.line or ""),
                extensions.get(call.manager_id or 0),
                recording_url(base_url, recording) if recording else None,
            )
            key = f"call:{pbx}:{call.linkedid}"
            events.extend(Event(t, data, key, f"{t}:{pbx}:{call.linkedid}") for t in types)
        await emit_many(session, events)

    return hook


async def _ready_recordings(session: AsyncSession, call_ids: list[int]) -> dict[int, str]:
    if not call_ids:
        return {}
    rows = await session.execute(
        select(Recording.call_id, Recording.public_id)
        .where(Recording.call_id.in_(call_ids), Recording.status == RecordingStatus.READY)
        .order_by(Recording.id)
    )
    return dict(rows.tuples().all())


async def recording_ready(session: AsyncSession, public_id: str, base_url: str) -> None:
    found = await with_call(session, public_id)
    if found is None:
        return
    recording, call = found
    await emit(
        session,
        "recording.ready",
        {
            "call_id": call.linkedid,
            "pbx": call.pbx,
            "recording_id": recording.public_id,
            "recording_url": recording_url(base_url, recording.public_id),
            "duration_seconds": recording.duration_seconds,
        },
        key=f"call:{call.pbx}:{call.linkedid}",
        dedupe=f"recording.ready:{recording.public_id}",
    )


def callback_source(task: Task) -> str | None:
    """What made a callback, from its first event: ``"website"`` for a customer's request on
    the shop's site (``callcenter.web_callback``); None for a missed call."""
    first = (task.events or [{}])[0]
    source = first.get("source")
    return str(source) if source else None


def _website_request(task: Task) -> dict[str, Any]:
    """The latest request from the website among the task's events, or nothing."""
    requests = [e for e in task.events or [] if e.get("what") == "website"]
    return requests[-1] if requests else {}


async def callback_event(
    session: AsyncSession,
    task: Task,
    what: str,
    call: Call | None,
    *,
    source: str | None = None,
) -> None:
    """``callback.created`` or ``callback.closed`` for a callback task. ``source`` says what
    made it (``"website"``); without it, the task's first event says (None: a missed call)."""
    request = _website_request(task)
    data: dict[str, Any] = {
        "task_id": task.id,
        "phone": task.phone,
        "customer_id": task.customer_id,
        "assignee_id": task.assignee_id,
        "group": task.group_name,
        "deadline": iso(task.deadline),
        "created_at": iso(task.created_at),
        "closed_at": iso(task.done_at),
        "call_id": call.linkedid if call else None,
        "line": call.line if call else None,
        "source": source or callback_source(task),
        # The order number a visitor gave on the website (an existing order), and whether it
        # is the customer's with this phone: a stranger may have typed it.
        "order_number": request.get("order"),
        "order_matches": request.get("order_matches"),
    }
    await emit(
        session,
        f"callback.{what}",
        data,
        key=f"task:{task.id}",
        dedupe=f"callback.{what}:{task.id}",
    )


async def order_created(session: AsyncSession, order: Order, window: dt.timedelta) -> None:
    """``order.created`` when the order follows an answered call with its customer (the
    reports' rule: within ``window`` before it); an order without one is not a call's."""
    call = (await session.scalars(crediting_call(order, window))).first()
    if call is None:
        return
    lines = await _lines(session, {call.line} if call.line else set())
    line = lines.get(call.line or "")
    await emit(
        session,
        "order.created",
        {
            "order_id": order.id,
            "number": order.number,
            "customer_id": order.customer_id,
            "status": order.status.value,
            "total": str(order.total),
            "manager_id": order.manager_id,
            "created_at": iso(order.created_at),
            "call_id": call.linkedid,
            "call_manager_id": call.manager_id,
            "line": call.line,
            "line_name": line.name if line else None,
            "line_source": line.source if line else None,
        },
        key=f"order:{order.id}",
        dedupe=f"order.created:{order.id}",
    )


async def dial_outcome(session: AsyncSession, entry: DialListEntry, manager_id: int) -> None:
    await emit(
        session,
        "dial_list.outcome",
        {
            "list_id": entry.list_id,
            "entry_id": entry.id,
            "customer_id": entry.customer_id,
            "manager_id": manager_id,
            "outcome": entry.outcome.value if entry.outcome else None,
            "note": entry.note,
            "attempts": entry.attempts,
            "callback_at": iso(entry.callback_at),
            "order_id": entry.order_id,
        },
        key=f"dial_entry:{entry.id}",
    )
