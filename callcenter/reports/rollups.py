"""Daily roll-ups for the reports, rebuilt from the raw tables for every day a write touched.

Why roll-ups: a report over a year of a big shop (a million calls, five million orders) must
answer in a second, and a scan of the raw tables takes several. The roll-ups hold one row per
local day and manager (or line, hour, wait), so a report sums a few thousand rows.

Why they stay true: triggers (migration 0009) append the UTC day of every row written to
calls, call_rings, orders and tasks to ``report_stale``, whatever wrote it: the call log,
reconciliation after an outage, a late event, a CSV import, a fix by hand in SQL. ``refresh``
takes those days, rebuilds the shop's days they overlap from the raw rows, and deletes the
marks, in one transaction: the marks are deleted by the transaction's first statement, so a
write that commits later leaves its own mark for the next refresh, and a failed rebuild
leaves them all. Rebuilding a day twice gives the same rows.

What counts where (the reports page says the same in words):
- a call counts on the shop's day and hour it started, once it has ended; internal calls
  between managers are not counted;
- its owner is who answered it (after a transfer, who had it last); an unanswered outbound
  call belongs to the manager whose phone placed it;
- a call is offered to every manager whose phone rang for it, and to who answered it;
- an order counts on the day it was made; it was taken after a call when its customer had an
  answered call, inbound or outbound, in the ``order_window`` before it: the last such call's
  manager is credited;
- a task counts on the day it was given; it was closed on time when it was done no later than
  its deadline (or it had none); a callback's delay runs from the missed call that made it to
  the call that reached the customer.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import datetime as dt
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, delete, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.core.models import (
    AppSetting,
    Base,
    Call,
    CallRing,
    Order,
    OrderStatus,
    ReportCallbackDelay,
    ReportCallDay,
    ReportHour,
    ReportOfferDay,
    ReportOrderDay,
    ReportStale,
    ReportTaskDay,
    ReportWait,
    Task,
    table_of,
)
from callcenter.core.shop_days import utc_range
from callcenter.reports.days import local_days_of, local_slot, runs

log = logging.getLogger(__name__)

STATE_KEY = "report_rollups"
CHUNK_DAYS = 7
CALL_TABLES: tuple[type[Base], ...] = (ReportCallDay, ReportOfferDay, ReportHour, ReportWait)
TASK_TABLES: tuple[type[Base], ...] = (ReportTaskDay, ReportCallbackDelay)
COUNTED = ("in", "out")


@dataclass
class _Sums:
    """Roll-up rows being built: key tuple -> column -> value."""

    rows: dict[type[Base], dict[tuple[Any, ...], Counter[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Counter))
    )

    def add(self, table: type[Base], key: tuple[Any, ...], **values: int) -> None:
        self.rows[table][key].update(values)

    def table_rows(self, table: type[Base]) -> list[dict[str, Any]]:
        keys = [c.name for c in table_of(table).primary_key.columns]
        sums = [c.name for c in table_of(table).columns if c.name not in keys]
        return [
            {**dict(zip(keys, key, strict=True)), **{s: values.get(s, 0) for s in sums}}
            for key, values in self.rows[table].items()
        ]


class ReportRollups:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        zone: ZoneInfo,
        order_window: dt.timedelta,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.zone = zone
        self.order_window = order_window
        self._lock = asyncio.Lock()

    # --- keeping them current ----------------------------------------------------------------

    async def check_settings(self) -> bool:
        """Mark every day stale when the shop's zone or the order window changed since the
        roll-ups were built (their days and credits depend on both). True when it did."""
        wanted = {
            "timezone": self.zone.key,
            "order_window_minutes": int(self.order_window.total_seconds() // 60),
        }
        async with self.sessionmaker() as session, session.begin():
            row = await session.get(AppSetting, STATE_KEY)
            if row is not None and row.value == wanted:
                return False
            for table, column in (
                (Call, Call.started_at),
                (Order, Order.created_at),
                (Task, Task.created_at),
            ):
                days = select(func.date(column) if _sqlite(session) else column.cast(Date))
                await session.execute(
                    insert(ReportStale).from_select(["day"], days.select_from(table).distinct())
                )
            if row is None:
                session.add(AppSetting(key=STATE_KEY, value=wanted))
            else:
                row.value = wanted
        log.info("report roll-ups: rebuilding every day for %s", wanted)
        return True

    async def refresh(
        self, within: tuple[dt.date, dt.date] | None = None, max_chunks: int | None = None
    ) -> int:
        """Rebuild the stale days (only UTC days ``within`` these, when given); the number
        of UTC days rebuilt. Safe to run from several places at once."""
        done = 0
        chunks = 0
        async with self._lock:
            while max_chunks is None or chunks < max_chunks:
                try:
                    rebuilt = await self._refresh_chunk(within)
                except DBAPIError as exc:
                    if not _lost_race(exc):
                        raise
                    # Another instance rebuilt the same days at the same moment: its rows
                    # stand, and whatever is still marked is taken next time.
                    log.info("report roll-ups: a concurrent rebuild won (%s)", exc.orig)
                    break
                if not rebuilt:
                    break
                done += rebuilt
                chunks += 1
        return done

    async def _refresh_chunk(self, within: tuple[dt.date, dt.date] | None) -> int:
        async with self.sessionmaker() as session, session.begin():
            stale = select(ReportStale.day)
            if within is not None:
                stale = stale.where(ReportStale.day.between(*within))
            chosen = stale.distinct().order_by(ReportStale.day).limit(CHUNK_DAYS)
            taken = await session.execute(
                delete(ReportStale)
                .where(ReportStale.day.in_(chosen.scalar_subquery()))
                .returning(ReportStale.day)
            )
            utc_days = set(taken.scalars())
            if not utc_days:
                return 0
            local = local_days_of(utc_days, self.zone)
            reach = math.ceil(self.order_window / dt.timedelta(days=1)) + 1
            order_days = {d + dt.timedelta(days=n) for d in local for n in range(reach + 1)}
            for first, last in runs(local):
                await self._rebuild_calls(session, first, last)
                await self._rebuild_tasks(session, first, last)
            for first, last in runs(order_days):
                await self._rebuild_orders(session, first, last)
        return len(utc_days)

    # --- rebuilding a run of local days --------------------------------------------------------

    async def _replace(
        self,
        session: AsyncSession,
        tables: Iterable[type[Base]],
        first: dt.date,
        last: dt.date,
        sums: _Sums,
    ) -> None:
        for table in tables:
            t = table_of(table)
            await session.execute(delete(t).where(t.c.day.between(first, last)))
            rows = sums.table_rows(table)
            if rows:
                await session.execute(insert(t), rows)

    async def _rebuild_calls(self, session: AsyncSession, first: dt.date, last: dt.date) -> None:
        start, end = utc_range(first, last, self.zone)
        in_range = (
            Call.started_at >= start,
            Call.started_at < end,
            Call.status.is_not(None),
            Call.direction.in_(COUNTED),
        )
        calls = (
            await session.execute(
                select(
                    Call.id,
                    Call.started_at,
                    Call.direction,
                    Call.status,
                    Call.manager_id,
                    Call.line,
                    Call.wait_seconds,
                    Call.talk_seconds,
                ).where(*in_range)
            )
        ).all()
        rang: dict[int, set[int]] = defaultdict(set)
        ring_rows = await session.execute(
            select(CallRing.call_id, CallRing.manager_id)
            .join(Call, Call.id == CallRing.call_id)
            .where(*in_range)
        )
        for call_id, manager_id in ring_rows:
            rang[call_id].add(manager_id)
        sums = _Sums()
        for call in calls:
            self._add_call(sums, call, rang.get(call.id, set()))
        await self._replace(session, CALL_TABLES, first, last, sums)

    def _add_call(self, sums: _Sums, call: Any, rang: set[int]) -> None:
        day, hour = local_slot(call.started_at, self.zone)
        answered = call.status == "answered"
        direction = str(call.direction)
        owner = call.manager_id or (min(rang) if direction == "out" and rang else 0)
        line = call.line or ""
        wait = max(0, call.wait_seconds or 0) if answered else 0
        sums.add(
            ReportCallDay,
            (day, owner, line, direction),
            calls=1,
            answered=int(answered),
            wait_sum=wait,
            talk_sum=(call.talk_seconds or 0) if answered else 0,
        )
        if direction != "in":
            return
        sums.add(ReportHour, (day, hour), inbound=1, answered=int(answered))
        if answered:
            sums.add(ReportWait, (day, owner, line, wait), calls=1)
        for manager_id in rang | ({call.manager_id} if call.manager_id else set()):
            sums.add(
                ReportOfferDay,
                (day, manager_id),
                offered=1,
                answered=int(answered and manager_id == call.manager_id),
                missed=int(not answered),
            )

    async def _rebuild_tasks(self, session: AsyncSession, first: dt.date, last: dt.date) -> None:
        start, end = utc_range(first, last, self.zone)
        tasks = await session.execute(
            select(
                Task.created_at,
                Task.assignee_id,
                Task.kind,
                Task.deadline,
                Task.done_at,
                Task.events,
            ).where(Task.created_at >= start, Task.created_at < end)
        )
        sums = _Sums()
        for created_at, assignee_id, kind, deadline, done_at, events in tasks:
            day, _ = local_slot(created_at, self.zone)
            manager_id = assignee_id or 0
            closed = done_at is not None
            on_time = closed and (deadline is None or done_at <= deadline)
            sums.add(
                ReportTaskDay,
                (day, manager_id, kind),
                given=1,
                closed=int(closed),
                on_time=int(on_time),
            )
            if closed and kind == "callback":
                delay = done_at - missed_at(events, created_at)
                minutes = max(0, int(delay.total_seconds() // 60))
                sums.add(ReportCallbackDelay, (day, manager_id, minutes), callbacks=1)
        await self._replace(session, TASK_TABLES, first, last, sums)

    async def _rebuild_orders(self, session: AsyncSession, first: dt.date, last: dt.date) -> None:
        start, end = utc_range(first, last, self.zone)
        orders = (
            await session.execute(
                select(Order.created_at, Order.customer_id, Order.manager_id, Order.status).where(
                    Order.created_at >= start, Order.created_at < end
                )
            )
        ).all()
        credits = await self._calls_before(session, start - self.order_window, end)
        sums = _Sums()
        for created_at, customer_id, manager_id, status in orders:
            day, _ = local_slot(created_at, self.zone)
            completed = status == OrderStatus.COMPLETE
            sums.add(ReportOrderDay, (day, manager_id or 0), orders=1, completed=int(completed))
            credited = self._credit(credits.get(customer_id), created_at)
            if credited is not None:
                sums.add(ReportOrderDay, (day, credited), after_call=1)
        await self._replace(session, (ReportOrderDay,), first, last, sums)

    async def _calls_before(
        self, session: AsyncSession, start: dt.datetime, end: dt.datetime
    ) -> dict[int, list[tuple[dt.datetime, int]]]:
        """Answered calls with a customer and a manager, by customer, oldest first."""
        rows = await session.execute(
            select(Call.customer_id, Call.started_at, Call.manager_id)
            .where(
                Call.started_at >= start,
                Call.started_at < end,
                Call.status == "answered",
                Call.direction.in_(COUNTED),
                Call.customer_id.is_not(None),
                Call.manager_id.is_not(None),
            )
            .order_by(Call.started_at, Call.id)
        )
        found: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
        for customer_id, started_at, manager_id in rows:
            found[customer_id].append((started_at, manager_id))
        return found

    def _credit(
        self, calls: list[tuple[dt.datetime, int]] | None, ordered_at: dt.datetime
    ) -> int | None:
        """The manager of the customer's last answered call in the window before the order."""
        if not calls:
            return None
        at = bisect.bisect_right([started for started, _ in calls], ordered_at)
        if at == 0:
            return None
        started, manager_id = calls[at - 1]
        return manager_id if ordered_at - started <= self.order_window else None


def missed_at(events: list[dict[str, Any]] | None, fallback: dt.datetime) -> dt.datetime:
    """When the missed call that made a callback happened (its first event)."""
    for event in events or []:
        if event.get("what") == "missed" and event.get("at"):
            try:
                return dt.datetime.fromisoformat(str(event["at"])).replace(tzinfo=None)
            except ValueError:
                break
    return fallback


def _lost_race(exc: DBAPIError) -> bool:
    """A duplicate key, a deadlock or a serialization failure: two rebuilds met."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return isinstance(exc, IntegrityError) or code in ("40001", "40P01")


def _sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


class RollupJob:
    """Keeps the roll-ups current in the background, so a report seldom waits for a rebuild:
    at start it checks the zone and window they were built for, then rebuilds stale days
    every ``interval`` seconds."""

    def __init__(self, rollups: ReportRollups, interval: float = 15.0) -> None:
        self.rollups = rollups
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.rollups.check_settings()
        self._task = asyncio.create_task(self._run(), name="report roll-ups")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.rollups.refresh()
            except Exception:
                log.exception("report roll-ups: the rebuild failed; trying again later")
            await asyncio.sleep(self.interval)
