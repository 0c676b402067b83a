"""``ScreenPopNotifier``: a CallRecorder listener that turns the bridge's call changes into
screen-pops. DeviceRinging pops the call for the manager of that extension (inbound calls, and
click-to-call, where Asterisk first dials the calling manager's own phone), CallAnswered and
CallEnded close the pops, CallsMerged keeps following a transferred call.

The listener only queues the batch: one worker task of its own looks the caller up and feeds
the hub, in the order the PBX reported, so the event pump never waits for a card lookup. The
lookup starts when the call appears (the caller's channel, before routing and dialling), so
the card is usually ready when a phone starts ringing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.phones import try_normalize_phone
from callcenter.screenpop.hub import Message, ScreenPopHub
from callcenter.services.screenpop import managers_by_extension, pop_card
from pbx_bridge.tracker import (
    CallAnswered,
    CallEnded,
    CallsMerged,
    CallSnapshot,
    CallUpdated,
    Change,
    DeviceRinging,
    Direction,
)

log = logging.getLogger(__name__)

POPPED_DIRECTIONS = (Direction.IN, Direction.OUT)
Batch = tuple[str, Sequence[Change]]
Card = tuple[str | None, dict[str, Any] | None, dict[str, Any] | None]  # phone, customer, order


class ScreenPopNotifier:
    _WANTED = (CallUpdated, DeviceRinging, CallAnswered, CallEnded, CallsMerged)

    def __init__(
        self,
        hub: ScreenPopHub,
        sessionmaker: async_sessionmaker[AsyncSession],
        region: str = "RU",
        *,
        managers_ttl: float = 5.0,
        backlog: int = 10_000,
    ) -> None:
        self.hub = hub
        self.sessionmaker = sessionmaker
        self.region = region
        # Extension -> manager id changes when an admin edits a user: a few seconds of cache.
        self.managers_ttl = managers_ttl
        self._managers: dict[str, int | None] = {}
        self._managers_at = 0.0
        self._queue: asyncio.Queue[Batch] = asyncio.Queue(backlog)
        self._worker: asyncio.Task[None] | None = None
        self._cards: OrderedDict[tuple[str, str], Card] = OrderedDict()
        self.max_cards = backlog
        self.dropped_batches = 0

    async def __call__(self, pbx: str, changes: Sequence[Change]) -> None:
        if not any(isinstance(c, self._WANTED) for c in changes):
            return
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name="screenpop-notifier")
        try:
            self._queue.put_nowait((pbx, changes))
        except asyncio.QueueFull:
            self.dropped_batches += 1
            log.warning(
                "screen-pop notifier is %d batches behind: a batch dropped", self._queue.qsize()
            )

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def idle(self) -> None:
        """Wait until every queued batch is handled (tests, benchmarks)."""
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            pbx, changes = await self._queue.get()
            try:
                await self.process(pbx, changes)
            except Exception:
                log.exception("screen-pops for a batch of call changes failed")
            finally:
                self._queue.task_done()

    async def process(self, pbx: str, changes: Sequence[Change]) -> None:
        rings = [
            c
            for c in changes
            if isinstance(c, DeviceRinging) and c.call.direction in POPPED_DIRECTIONS
        ]
        extensions = {c.extension for c in rings}
        extensions |= {c.extension for c in changes if isinstance(c, CallAnswered)}
        fresh = {
            c.call.call_id: c.call
            for c in changes
            if isinstance(c, CallUpdated | DeviceRinging)
            and c.call.direction in POPPED_DIRECTIONS
            and c.call.status is None
            and (pbx, c.call.call_id) not in self._cards
            and self.hub.ringing_message((pbx, c.call.call_id)) is None
        }
        managers: dict[str, int | None] = {}
        if extensions or fresh:
            async with self.sessionmaker() as session:
                if extensions:
                    managers = await self._manager_ids(session, extensions)
                for call_id, call in fresh.items():
                    self._remember((pbx, call_id), await self._card(session, call))
        # In the order the PBX reported them: a fast call rings, is answered and ends in one batch.
        for change in changes:
            if isinstance(change, DeviceRinging):
                key = (pbx, change.call.call_id)
                manager_id = managers.get(change.extension)
                if manager_id is not None and change.call.direction in POPPED_DIRECTIONS:
                    message = self.hub.ringing_message(key) or self._message(change.call, key)
                    self.hub.ring(key, manager_id, message)
            elif isinstance(change, CallAnswered):
                self.hub.answer((pbx, change.call.call_id), managers.get(change.extension))
            elif isinstance(change, CallEnded):
                self._cards.pop((pbx, change.call.call_id), None)
                status = change.call.status.value if change.call.status else "missed"
                self.hub.end((pbx, change.call.call_id), status)
            elif isinstance(change, CallsMerged):
                self._cards.pop((pbx, change.absorbed_id), None)
                self.hub.merge((pbx, change.absorbed_id), (pbx, change.call.call_id))

    async def _manager_ids(
        self, session: AsyncSession, extensions: set[str]
    ) -> dict[str, int | None]:
        now = time.monotonic()
        if now - self._managers_at > self.managers_ttl:
            self._managers, self._managers_at = {}, now
        missing = extensions - set(self._managers)
        if missing:
            found = await managers_by_extension(session, missing)
            self._managers.update({ext: found.get(ext) for ext in missing})
        return {ext: self._managers[ext] for ext in extensions}

    def _remember(self, key: tuple[str, str], card: Card) -> None:
        self._cards[key] = card
        while len(self._cards) > self.max_cards:
            self._cards.popitem(last=False)

    async def _card(self, session: AsyncSession, call: CallSnapshot) -> Card:
        phone = try_normalize_phone(call.number, self.region) if call.number else None
        customer, last_order = await pop_card(session, phone)
        return phone or call.number, customer, last_order

    def _message(self, call: CallSnapshot, key: tuple[str, str]) -> Message:
        phone, customer, last_order = self._cards.get(key) or (call.number, None, None)
        route: Any = call.route
        if route is None and call.direction is Direction.OUT:
            route = "click_to_call"
        return {
            "type": "call.ringing",
            "call_id": call.call_id,
            "direction": call.direction.value if call.direction else None,
            "phone": phone,
            "customer": customer,
            "last_order": last_order,
            "route": route,
        }
