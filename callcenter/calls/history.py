"""``CallHistory``: the calls the service missed, from Asterisk's own record (CEL).

AMI has no replay: whatever happens while the service is stopped, crashed or disconnected is
gone from the event stream. Asterisk's CEL is written whether or not anyone listens, so after
every (re)connect, once the tracker has re-synced, the service reads the CEL of the window it
may have missed and:

- stores every call that ended in it with its true times, status, manager, line and caller,
  then tells the call log's listeners, as for a call seen live: its recording is ingested and
  a missed one gets its callback (deduplicated by number, as always);
- corrects a stored call whose end the re-sync had to guess (CEL wins on times, status and
  who answered; what only AMI knows, such as the routing reason, stays);
- gives each live call the tracker adopted at the re-sync its real start and answer
  (:class:`~pbx_bridge.tracker.TrueTimes`), so talk time after a crash is true.

Running it twice over the same window changes nothing: a call already stored as ended is
only rewritten when CEL disagrees with it. The window starts at the newest call end
reconciled before (kept in ``app_settings``), less ``MARGIN`` for calls that were still going
on then; the first time, ``lookback`` hours back.

A garbled record is logged with its reason and skipped; the rest still lands.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.calls.call_log import CallRecorder, line_number
from callcenter.core.models import AppSetting, AsteriskCel, Call, utcnow
from pbx_bridge.cel import (
    COLUMNS,
    CelCall,
    CelEvent,
    CelRecordError,
    group_calls,
    parse_record,
)
from pbx_bridge.tracker import CallEnded, CallSnapshot, CallUpdated, Change, TrueTimes

log = logging.getLogger(__name__)

MARGIN = 6 * 3600.0
MAX_LOGGED_ERRORS = 20


@dataclass
class CelRead:
    events: list[CelEvent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


CelSource = Callable[[float], Awaitable[CelRead]]


def csv_source(path: Path) -> CelSource:
    """cel_custom's file on a shared volume (``CALLCENTER_CEL_SOURCE=/path/callcenter.csv``)."""

    async def read(since: float) -> CelRead:
        return await asyncio.to_thread(read_cel_csv, path, since)

    return read


def table_source(sessionmaker: async_sessionmaker[AsyncSession]) -> CelSource:
    """cel_pgsql's table in the service's database (``CALLCENTER_CEL_SOURCE=table``)."""
    columns = [getattr(AsteriskCel, name) for name in COLUMNS]

    async def read(since: float) -> CelRead:
        result = CelRead()
        query = select(AsteriskCel.id, *columns).where(AsteriskCel.eventtime >= since)
        async with sessionmaker() as session:
            rows = await session.execute(query.order_by(AsteriskCel.id))
            for row_id, *values in rows:
                try:
                    result.events.append(parse_record([_text(v) for v in values]))
                except CelRecordError as exc:
                    result.errors.append(f"asterisk_cel id {row_id}: {exc}")
        return result

    return read


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6f}"
    return "" if value is None else str(value)


def read_cel_csv(path: Path, since: float) -> CelRead:
    """The CEL file written by cel_custom (docker/asterisk/cel_custom.conf) and the one
    before its last rotation (``<name>.1``), from ``since`` on. Blocking: run it in a thread."""
    read = CelRead()
    for part in (path.with_name(path.name + ".1"), path):
        if not part.exists():
            continue
        with part.open(newline="", encoding="utf-8", errors="replace") as f:
            for number, row in enumerate(csv.reader(f), 1):
                if not row:
                    continue
                try:
                    event = parse_record(row)
                except CelRecordError as exc:
                    read.errors.append(f"{part.name} line {number}: {exc}")
                    continue
                if event.eventtime >= since:
                    read.events.append(event)
    if not path.exists():
        read.errors.append(f"{path}: no such file (is cel_custom loaded and the volume shared?)")
    return read


@dataclass(frozen=True)
class Reconciled:
    read: int
    errors: int
    stored: int
    corrected: int
    adopted: int


class CallHistory:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        recorder: CallRecorder,
        source: CelSource,
        *,
        device_tech: str = "PJSIP",
        monitor_dir: str = "",
        lookback_hours: float = 24.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.recorder = recorder
        self.source = source
        self.device_tech = device_tech
        self.monitor_dir = monitor_dir
        self.lookback = lookback_hours * 3600
        self.key = f"cel:{recorder.pbx}"
        self.last: Reconciled | None = None
        self._lock = asyncio.Lock()

    async def reconcile(
        self, live: Sequence[str] = (), feed: Callable[[TrueTimes], None] | None = None
    ) -> Reconciled:
        """Reconcile the window since the last run; ``live`` are the calls the tracker holds
        now, whose true times go back to it through ``feed``."""
        async with self._lock:
            await self.recorder.drain()  # what the pump saw is stored before we compare
            watermark = await self._watermark()
            since = watermark - MARGIN if watermark else time.time() - self.lookback
            read = await self.source(since)
            self._log_errors(read.errors)
            calls = group_calls(read.events)
            stored, corrected, newest = await self._store_ended(calls, set(live))
            adopted = self._true_times(calls, live, feed)
            if newest > watermark:
                await self._save_watermark(newest)
            self.last = Reconciled(len(read.events), len(read.errors), stored, corrected, adopted)
            log.info("CEL %s: %s", self.recorder.pbx, self.last)
            return self.last

    async def _store_ended(
        self, calls: dict[str, CelCall], live: set[str]
    ) -> tuple[int, int, float]:
        snaps = [
            call.snapshot(self.device_tech, self.monitor_dir)
            for call_id, call in calls.items()
            if call.complete and call_id not in live
        ]
        snaps.sort(key=lambda s: s.ended_at or 0.0)
        stored = await self._stored(s.call_id for s in snaps)
        new = [s for s in snaps if stored.get(s.call_id) is None]
        wrong = [s for s in snaps if (c := stored.get(s.call_id)) and self._differs(c, s)]
        if new:
            ended: list[Change] = [CallEnded(s) for s in new]
            await self.recorder.store(ended)
            await self.recorder.tell_stored(ended)
        if wrong:
            await self.recorder.store([CallUpdated(s) for s in wrong])
        newest = max((s.ended_at or 0.0 for s in snaps), default=0.0)
        return len(new), len(wrong), newest

    async def _stored(self, ids: Iterable[str]) -> dict[str, Call | None]:
        """The stored calls among ``ids`` that have ended; None for live or unknown ones."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Call | None] = {}
        async with self.sessionmaker() as session:
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                rows = await session.scalars(
                    select(Call).where(Call.pbx == self.recorder.pbx, Call.linkedid.in_(chunk))
                )
                found.update({c.linkedid: c if c.status is not None else None for c in rows})
        return found

    def _differs(self, call: Call, snap: CallSnapshot) -> bool:
        def far(stored: dt.datetime | None, true: float | None) -> bool:
            if stored is None or true is None:
                return (stored is None) != (true is None)
            return abs(stored.replace(tzinfo=dt.UTC).timestamp() - true) > 1.0

        line = line_number(snap.line, self.recorder.region)
        return (
            far(call.started_at, snap.started_at)
            or far(call.answered_at, snap.answered_at)
            or far(call.ended_at, snap.ended_at)
            or (snap.status is not None and call.status != snap.status.value)
            or (line is not None and call.line != line)
        )

    def _true_times(
        self,
        calls: dict[str, CelCall],
        live: Sequence[str],
        feed: Callable[[TrueTimes], None] | None,
    ) -> int:
        if feed is None:
            return 0
        count = 0
        for call_id in live:
            call = calls.get(call_id)
            if call is None:
                continue
            snap = call.snapshot(self.device_tech)
            feed(
                TrueTimes(time.time(), call_id, snap.started_at, snap.answered_at, snap.answered_by)
            )
            count += 1
        return count

    def _log_errors(self, errors: list[str]) -> None:
        for error in errors[:MAX_LOGGED_ERRORS]:
            log.warning("CEL %s: a record is skipped: %s", self.recorder.pbx, error)
        if len(errors) > MAX_LOGGED_ERRORS:
            log.warning("CEL %s: %d more records skipped", self.recorder.pbx, len(errors) - 20)

    async def _watermark(self) -> float:
        async with self.sessionmaker() as session:
            row = await session.get(AppSetting, self.key)
            return float(row.value.get("reconciled_until", 0.0)) if row else 0.0

    async def _save_watermark(self, value: float) -> None:
        async with self.sessionmaker() as session, session.begin():
            row = await session.get(AppSetting, self.key)
            if row is None:
                session.add(AppSetting(key=self.key, value={"reconciled_until": value}))
            else:
                row.value = {"reconciled_until": value}
                row.updated_at = utcnow()
