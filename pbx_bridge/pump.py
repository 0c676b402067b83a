"""The one event pump: queue → parse → tracker → sink. One bad event never stops it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from pbx_bridge.events import MalformedEvent, parse_event
from pbx_bridge.tracker import CallTracker, Change, OriginateRequested, Resync, TrueTimes

log = logging.getLogger(__name__)


class ChangeSink(Protocol):
    async def handle(self, changes: Sequence[Change]) -> None: ...


class EventPump:
    def __init__(
        self,
        queue: asyncio.Queue[tuple[float, Any]],
        tracker: CallTracker,
        sink: ChangeSink,
        *,
        batch_max: int = 1000,
        sink_retries: int = 3,
    ) -> None:
        self.queue = queue
        self.tracker = tracker
        self.sink = sink
        self.batch_max = batch_max
        self.sink_retries = sink_retries
        self.processed = 0
        self.bad_events = 0
        self.lost_changes = 0

    async def run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.batch_max and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            await self.process(batch)

    async def process(self, batch: Sequence[tuple[float, Any]]) -> None:
        changes: list[Change] = []
        for received_at, item in batch:
            try:
                event = (
                    item
                    if isinstance(item, Resync | OriginateRequested | TrueTimes)
                    else parse_event(item, received_at)
                )
                if event is not None:
                    changes.extend(self.tracker.apply(event))
            except MalformedEvent as exc:
                self.bad_events += 1
                log.warning("malformed AMI event skipped: %s", exc)
            except Exception:
                self.bad_events += 1
                log.exception("AMI event could not be tracked; skipped: %.300r", item)
        self.processed += len(batch)
        if changes:
            await self._deliver(changes)

    async def _deliver(self, changes: list[Change]) -> None:
        delay = 0.2
        for attempt in range(1, self.sink_retries + 1):
            try:
                await self.sink.handle(changes)
                return
            except Exception:
                log.exception(
                    "storing %d call changes failed (attempt %d of %d)",
                    len(changes),
                    attempt,
                    self.sink_retries,
                )
                if attempt < self.sink_retries:
                    await asyncio.sleep(delay)
                    delay *= 2
        self.lost_changes += len(changes)
