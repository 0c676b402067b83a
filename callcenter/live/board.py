"""``LiveBoard``: the supervisors' live board, kept in memory and pushed over ``/ws``.

What it holds: every live call (from the PBX trackers' changes), every manager's presence and
PBX device state, the open callback tasks, and today's counters from the call log. A
supervisor's socket (``/ws?board=1``) gets ``board.snapshot`` first, built from memory without
waiting on the database, then ``board.call`` / ``board.manager`` / ``board.tasks`` /
``board.stats`` as things change. Operators never get board messages.

The call changes arrive before the call log is written (an early listener) and are handled by
one worker task, in order, so the event pump never waits for the customer lookup. The counters
and tasks are reloaded after a call ends (once it is stored and its callback task made), when a
callback task changes, and every ``refresh_seconds`` (tasks completed by hand, new managers).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.calls.telephony import CallKey
from callcenter.core.models import Call, CallDirection, CallStatus, Customer, Manager, Task
from callcenter.core.phones import try_normalize_phone
from callcenter.customers.service import find_by_phone
from callcenter.screenpop.hub import Message, ScreenPopHub
from callcenter.tasks.callbacks import CALLBACK
from pbx_bridge.tracker import (
    CallAnswered,
    CallEnded,
    CallsMerged,
    CallSnapshot,
    CallUpdated,
    Change,
    DevicePresence,
    DeviceRinging,
    Resynced,
)
from routing.decide import reachable

log = logging.getLogger(__name__)
_CALL_CHANGES = (CallUpdated, DeviceRinging, CallAnswered, CallEnded, CallsMerged)
_REFRESH = ("refresh",)


def manager_entry(manager: Manager) -> dict[str, Any]:
    return {
        "id": manager.id,
        "name": manager.name or manager.login,
        "role": manager.role.value,
        "extension": manager.extension,
        "status": manager.status.value,
        "device_state": manager.device_state,
        "softphone_state": manager.softphone_state,
        "reachable": reachable(manager.device_state, manager.softphone_state),
    }


class LiveBoard:
    def __init__(
        self,
        hub: ScreenPopHub,
        sessionmaker: async_sessionmaker[AsyncSession],
        region: str = "RU",
        *,
        refresh_seconds: float = 15.0,
        min_refresh_interval: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.hub = hub
        self.sessionmaker = sessionmaker
        self.region = region
        self.refresh_seconds = refresh_seconds
        # Calls end many times a second in a busy centre: the counters reload at most this often.
        self.min_refresh_interval = min_refresh_interval
        self._refresh_queued = False
        self._refresh_timer: asyncio.TimerHandle | None = None
        self._last_refresh = -math.inf
        self.clock = clock  # what "today" is for the counters (tests move it)
        self.calls: dict[CallKey, dict[str, Any]] = {}
        self.managers: dict[int, dict[str, Any]] = {}
        self.tasks: list[dict[str, Any]] = []
        self.stats: dict[str, Any] = {}
        self._customers: dict[CallKey, tuple[str | None, int | None, str | None]] = {}
        self._queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue(10_000)
        self._worker: asyncio.Task[None] | None = None
        self._refresher: asyncio.Task[None] | None = None
        # Who leads each PBX (several instances): each instance tells its own boards.
        self.leaders: Callable[[], dict[str, Any]] | None = None
        self._leaders_shown: dict[str, Any] | None = None
        self._leaders_watch: asyncio.Task[None] | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self.refresh(publish=False)
        except Exception:
            log.exception("live board: the first load failed; retrying in the background")
        self._worker = asyncio.create_task(self._run(), name="live-board")
        self._refresher = asyncio.create_task(self._refresh_loop(), name="live-board-refresh")
        if self.leaders is not None:
            self._leaders_watch = asyncio.create_task(self._watch_leaders(), name="live-leaders")

    async def stop(self) -> None:
        if self._refresh_timer is not None:
            self._refresh_timer.cancel()
        for task in (self._refresher, self._worker, self._leaders_watch):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._worker = self._refresher = self._leaders_watch = None

    async def idle(self) -> None:
        """Wait until every queued item, and a refresh put off for a moment, is handled."""
        await self._queue.join()
        while self._refresh_queued:
            await asyncio.sleep(0.05)
            await self._queue.join()

    def snapshot(self) -> Message:
        return {
            "type": "board.snapshot",
            "now": time.time(),
            "calls": list(self.calls.values()),
            "managers": sorted(self.managers.values(), key=lambda m: (m["name"], m["id"])),
            "tasks": self.tasks,
            "stats": self.stats,
            "cluster": self.leaders() if self.leaders is not None else None,
        }

    async def _watch_leaders(self, every: float = 1.0) -> None:
        """A change of leader reaches this instance's boards within a second."""
        assert self.leaders is not None
        while True:
            now = self.leaders()
            if now != self._leaders_shown:
                self._leaders_shown = now
                self.hub.publish_board({"type": "board.cluster", "cluster": now}, share=False)
            await asyncio.sleep(every)

    # --- listeners ----------------------------------------------------------------------------

    async def on_changes(self, pbx: str, changes: Sequence[Change]) -> None:
        """Early listener: calls and device states, before the call log is written."""
        if any(isinstance(c, (*_CALL_CHANGES, DevicePresence, Resynced)) for c in changes):
            self._put(("changes", pbx, changes))

    async def on_stored(self, _pbx: str, changes: Sequence[Change]) -> None:
        """Late listener: a call ended and is in the log (with its callback task, if any)."""
        if any(isinstance(c, CallEnded) for c in changes):
            self._want_refresh()

    async def on_task(self, _task: Task, _what: str) -> None:
        self._want_refresh()

    def request_refresh(self) -> None:
        """Reload from the database now (a board just connected: its snapshot may be stale)."""
        self._want_refresh(now=True)

    def _want_refresh(self, *, now: bool = False) -> None:
        """One reload for any number of requests, and not more often than
        ``min_refresh_interval`` unless ``now``; none at all while no board is open."""
        if not now and not self._watched():
            return
        if now and self._refresh_timer is not None:
            self._refresh_timer.cancel()
            self._refresh_timer = None
            self._refresh_queued = False
        if self._refresh_queued:
            return
        self._refresh_queued = True
        wait = self._last_refresh + self.min_refresh_interval - time.monotonic()
        if now or wait <= 0:
            self._put(_REFRESH)
        else:
            self._refresh_timer = asyncio.get_running_loop().call_later(wait, self._put, _REFRESH)

    def _watched(self) -> bool:
        return self.hub.board_connections > 0

    def absorb(self, message: Message) -> None:
        """A board message from another instance (the one leading a PBX sees its calls and
        phones): kept, so a board opened here starts from the same snapshot."""
        if message.get("type") == "board.call":
            call = message["call"]
            key = (str(call.get("pbx")), str(call.get("call_id")))
            if call.get("state") == "ended":
                self.calls.pop(key, None)
            else:
                self.calls[key] = call
        elif message.get("type") == "board.manager":
            entry = message["manager"]
            self.managers[entry["id"]] = entry

    def put_manager(self, entry: dict[str, Any], *, device: bool = False) -> None:
        """A manager's presence (or details) changed: tell the boards. The device state comes
        from the PBX's events (``device``); the database's copy of it may lag behind them."""
        old = self.managers.get(entry["id"])
        if not device and old is not None:
            for key in ("device_state", "softphone_state"):
                if old[key] is not None:
                    entry = {**entry, key: old[key]}
            entry["reachable"] = reachable(entry["device_state"], entry["softphone_state"])
        if old != entry:
            self.managers[entry["id"]] = entry
            self.hub.publish_board({"type": "board.manager", "manager": entry})

    def _put(self, item: tuple[Any, ...]) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("live board is %d items behind: an update dropped", self._queue.qsize())

    # --- the worker ---------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if item[0] == "changes":
                    await self._apply(item[1], item[2])
                else:
                    self._refresh_queued, self._refresh_timer = False, None
                    self._last_refresh = time.monotonic()
                    await self.refresh()
            except Exception:
                log.exception("live board: an update failed")
            finally:
                self._queue.task_done()

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_seconds)
            self._want_refresh()

    async def _apply(self, pbx: str, changes: Sequence[Change]) -> None:
        # Who is calling matters only to an open board; one that opens later looks them up.
        fresh = (
            {
                c.call.call_id: c.call
                for c in changes
                if isinstance(c, CallUpdated | DeviceRinging | CallAnswered)
                and (pbx, c.call.call_id) not in self._customers
                and c.call.number
            }
            if self._watched()
            else {}
        )
        if fresh:
            async with self.sessionmaker() as session:
                for call_id, call in fresh.items():
                    self._customers[(pbx, call_id)] = await self._customer_of(session, call.number)
        touched: dict[CallKey, bool] = {}  # key -> still live
        for change in changes:
            if isinstance(change, Resynced):  # calls that ended while nobody watched
                still = set(change.live)
                for key in [k for k in self.calls if k[0] == pbx and k[1] not in still]:
                    touched[key] = self._end(key)
            elif isinstance(change, DevicePresence):
                self._device(change.extension, change.state, change.softphone)
            elif isinstance(change, CallEnded):
                touched[(pbx, change.call.call_id)] = self._end((pbx, change.call.call_id))
            elif isinstance(change, CallsMerged):
                touched[(pbx, change.absorbed_id)] = self._end((pbx, change.absorbed_id))
                self._upsert(pbx, change.call)
                touched[(pbx, change.call.call_id)] = True
            elif isinstance(change, _CALL_CHANGES):
                self._upsert(pbx, change.call)
                touched[(pbx, change.call.call_id)] = True
        for key, live in touched.items():
            if live and key in self.calls:
                self.hub.publish_board({"type": "board.call", "call": self.calls[key]})
            elif not live:
                ended = {"call_id": key[1], "pbx": key[0], "state": "ended"}
                self.hub.publish_board({"type": "board.call", "call": ended})

    def _end(self, key: CallKey) -> bool:
        self._customers.pop(key, None)
        self.calls.pop(key, None)
        return False

    def _upsert(self, pbx: str, call: CallSnapshot) -> None:
        key = (pbx, call.call_id)
        state = "talking" if call.answered_by else "ringing"
        old = self.calls.get(key)
        since = old["since"] if old is not None and old["state"] == state else time.time()
        phone, customer_id, customer = self._customers.get(key) or (call.number, None, None)
        by_extension = {m["extension"]: m["id"] for m in self.managers.values() if m["extension"]}
        self.calls[key] = {
            "call_id": call.call_id,
            "pbx": pbx,
            "direction": call.direction.value if call.direction else None,
            "phone": phone,
            "customer_id": customer_id,
            "customer": customer,
            "state": state,
            "since": since,
            "extension": call.answered_by,
            "manager_id": by_extension.get(call.answered_by or ""),
            "rang": [by_extension.get(e) for e in call.rang if by_extension.get(e)],
            "route": call.route,
        }

    def _device(self, extension: str, state: str, softphone: bool) -> None:
        key = "softphone_state" if softphone else "device_state"
        for entry in list(self.managers.values()):
            if entry["extension"] == extension and entry[key] != state:
                changed = {**entry, key: state}
                phones = changed["device_state"], changed["softphone_state"]
                changed["reachable"] = reachable(*phones)
                self.put_manager(changed, device=True)

    async def _customer_of(
        self, session: AsyncSession, number: str | None
    ) -> tuple[str | None, int | None, str | None]:
        phone = try_normalize_phone(number, self.region) if number else None
        customer = await find_by_phone(session, phone) if phone else None
        if customer is None:
            return phone or number, None, None
        return phone, customer.id, customer.name

    async def _name_callers(self, session: AsyncSession) -> list[dict[str, Any]]:
        """Callers of calls that began while no board was open, looked up now."""
        named = []
        for key, entry in list(self.calls.items()):
            if key in self._customers or not entry["phone"]:
                continue
            found = self._customers[key] = await self._customer_of(session, entry["phone"])
            if key in self.calls:
                phone, customer_id, name = found
                entry.update(phone=phone, customer_id=customer_id, customer=name)
                named.append(entry)
        return named

    # --- from the database ---------------------------------------------------------------------

    async def refresh(self, *, publish: bool = True) -> None:
        async with self.sessionmaker() as session:
            managers = {
                m.id: manager_entry(m)
                for m in await session.scalars(select(Manager).where(Manager.is_active.is_(True)))
            }
            tasks = await self._load_tasks(session)
            stats = await self._load_stats(session)
            named = await self._name_callers(session)
        for entry in named if publish else ():
            self.hub.publish_board({"type": "board.call", "call": entry})
        if not publish:
            self.managers, self.tasks, self.stats = managers, tasks, stats
            return
        for entry in managers.values():
            self.put_manager(entry)
        for gone in set(self.managers) - set(managers):
            del self.managers[gone]
        if tasks != self.tasks:
            self.tasks = tasks
            self.hub.publish_board({"type": "board.tasks", "tasks": tasks})
        if stats != self.stats:
            self.stats = stats
            self.hub.publish_board({"type": "board.stats", "stats": stats})

    async def _load_tasks(self, session: AsyncSession) -> list[dict[str, Any]]:
        rows = await session.execute(
            select(Task, Customer.name)
            .outerjoin(Customer, Customer.id == Task.customer_id)
            .where(Task.kind == CALLBACK, Task.done_at.is_(None))
            .order_by(Task.deadline.is_(None), Task.deadline, Task.id)
            .limit(200)
        )
        return [
            {
                "id": task.id,
                "title": task.title,
                "phone": task.phone,
                "customer_id": task.customer_id,
                "customer": name,
                "assignee_id": task.assignee_id,
                "group": task.group_name,
                "deadline": _iso(task.deadline),
            }
            for task, name in rows.tuples()
        ]

    async def _load_stats(self, session: AsyncSession) -> dict[str, Any]:
        """Today's (UTC) finished external calls, in one query."""
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC).replace(tzinfo=None)
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        inbound = Call.direction == CallDirection.IN
        answered = Call.status == CallStatus.ANSWERED
        missed = and_(inbound, Call.status.in_([CallStatus.MISSED, CallStatus.BUSY]))
        row = (
            await session.execute(
                select(
                    func.count(Call.id),
                    func.coalesce(func.sum(case((answered, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((missed, 1), else_=0)), 0),
                    func.avg(case((inbound, Call.wait_seconds))),
                    func.avg(case((answered, Call.talk_seconds))),
                ).where(
                    Call.started_at >= day,
                    Call.started_at < day + dt.timedelta(days=1),
                    Call.ended_at.is_not(None),
                    Call.direction != CallDirection.INTERNAL,
                )
            )
        ).one()
        calls, answered_count, missed_count, wait, talk = row
        return {
            "day": day.date().isoformat(),
            "calls": int(calls or 0),
            "answered": int(answered_count or 0),
            "answered_pct": round(100 * int(answered_count or 0) / calls) if calls else None,
            "missed": int(missed_count or 0),
            "avg_wait": None if wait is None else round(float(wait)),
            "avg_talk": None if talk is None else round(float(talk)),
        }


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(tzinfo=dt.UTC).isoformat()
