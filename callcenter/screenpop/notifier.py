"""``ScreenPopNotifier``: a CallRecorder listener that turns the bridge's call changes into
screen-pops. DeviceRinging pops the call for the manager of that extension (inbound calls, and
click-to-call, where Asterisk first dials the calling manager's own phone), CallAnswered and
CallEnded close the pops, CallsMerged keeps following a transferred call.

The listener never waits for the database. The card lookup starts, in a task of its own, when
the call appears (the caller's channel, before routing and dialling), so the card is usually
ready when a phone starts ringing; then the pop goes out at once, from the listener itself.
When it is not ready yet (or a manager's extension is not cached), that call's changes queue
behind it in a per-call backlog, kept in the order the PBX reported them, while other calls
go on: one slow lookup never delays another call's pop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.calls.call_log import line_number
from callcenter.core.phones import try_normalize_phone
from callcenter.lines.service import LineBook
from callcenter.screenpop.card import managers_by_extension, pop_card
from callcenter.screenpop.hub import Message, ScreenPopHub
from pbx_bridge.tracker import (
    CallAnswered,
    CallChange,
    CallEnded,
    CallsMerged,
    CallSnapshot,
    CallUpdated,
    Change,
    DeviceRinging,
    Direction,
    Resynced,
)

log = logging.getLogger(__name__)

POPPED_DIRECTIONS = (Direction.IN, Direction.OUT)
Key = tuple[str, str]  # (pbx, linkedid)
CardLookup = Callable[
    [AsyncSession, str | None], Awaitable[tuple[dict[str, Any] | None, dict[str, Any] | None]]
]
ManagerLookup = Callable[[AsyncSession, set[str]], Awaitable[dict[str, int]]]
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
        max_cards: int = 10_000,
        lookups: int = 4,
        card_lookup: CardLookup = pop_card,
        manager_lookup: ManagerLookup = managers_by_extension,
        lines: LineBook | None = None,
    ) -> None:
        self.hub = hub
        self.sessionmaker = sessionmaker
        self.region = region
        # Extension -> manager id changes when an admin edits a user: a few seconds of cache.
        self.managers_ttl = managers_ttl
        self._managers: dict[str, int | None] = {}
        self._managers_at = 0.0
        # Card lookups of calls in progress, by call; at most ``lookups`` at once.
        self._cards: OrderedDict[Key, asyncio.Future[Card]] = OrderedDict()
        self.max_cards = max_cards
        self._lookups = asyncio.Semaphore(lookups)
        self._card_lookup = card_lookup
        self._manager_lookup = manager_lookup
        self.lines = lines
        # Changes of a call that wait for its card or a manager's id, in the PBX's order.
        self._backlog: dict[Key, list[CallChange]] = {}
        self._drains: dict[Key, asyncio.Task[None]] = {}

    async def __call__(self, pbx: str, changes: Sequence[Change]) -> None:
        for change in changes:
            if isinstance(change, Resynced):
                self.hub.end_missing(pbx, change.live)
            if not isinstance(change, self._WANTED):
                continue
            key = (pbx, change.call.call_id)
            if isinstance(change, CallUpdated | DeviceRinging):
                self._look_up(key, change.call)
                if isinstance(change, CallUpdated):
                    continue
            if isinstance(change, CallsMerged):
                self._park_merge(pbx, change)
            elif key in self._backlog or not self._ready(pbx, change):
                self._park(pbx, key, change)
            else:
                self._apply(pbx, change)

    async def stop(self) -> None:
        tasks: list[asyncio.Future[Any]] = [*self._cards.values(), *self._drains.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._cards.clear()
        self._drains.clear()
        self._backlog.clear()

    async def idle(self) -> None:
        """Wait until every change received so far is handled (tests, benchmarks)."""
        while self._drains:
            await asyncio.gather(*self._drains.values(), return_exceptions=True)

    # --- the fast path: everything is known ---------------------------------------------------

    def _ready(self, pbx: str, change: CallChange) -> bool:
        if isinstance(change, DeviceRinging):
            if change.call.direction not in POPPED_DIRECTIONS:
                return True
            card = self._cards.get((pbx, change.call.call_id))
            return self._cached_manager(change.extension) and (card is None or card.done())
        if isinstance(change, CallAnswered):
            return self._cached_manager(change.extension)
        return True

    def _apply(self, pbx: str, change: CallChange) -> None:
        key = (pbx, change.call.call_id)
        if isinstance(change, DeviceRinging):
            manager_id = self._managers.get(change.extension)
            if manager_id is not None and change.call.direction in POPPED_DIRECTIONS:
                message = self.hub.ringing_message(key) or self._message(change.call, key)
                self.hub.ring(key, manager_id, message)
        elif isinstance(change, CallAnswered):
            self.hub.answer(key, self._managers.get(change.extension))
        elif isinstance(change, CallEnded):
            self._cards.pop(key, None)
            status = change.call.status.value if change.call.status else "missed"
            self.hub.end(key, status)
        elif isinstance(change, CallsMerged):
            self._cards.pop((pbx, change.absorbed_id), None)
            self.hub.merge((pbx, change.absorbed_id), key)

    # --- the slow path: a call's changes wait for its card or a manager's id ---------------

    def _park(self, pbx: str, key: Key, change: CallChange) -> None:
        self._backlog.setdefault(key, []).append(change)
        if key not in self._drains:
            task = asyncio.create_task(self._drain(pbx, key), name=f"screenpop-{key[1]}")
            self._drains[key] = task

    def _park_merge(self, pbx: str, change: CallsMerged) -> None:
        absorbed, survivor = (pbx, change.absorbed_id), (pbx, change.call.call_id)
        if absorbed in self._backlog or survivor in self._backlog:
            self._park(pbx, survivor, change)
        else:
            self._apply(pbx, change)

    async def _drain(self, pbx: str, key: Key) -> None:
        try:
            backlog = self._backlog[key]
            while backlog:
                change = backlog[0]
                try:
                    await self._prepare(pbx, change)
                except Exception:
                    log.exception("a screen-pop lookup failed; the pop goes out without it")
                backlog.pop(0)
                self._apply(pbx, change)
        finally:
            self._backlog.pop(key, None)
            self._drains.pop(key, None)

    async def _prepare(self, pbx: str, change: CallChange) -> None:
        if isinstance(change, CallsMerged):
            absorbed = self._drains.get((pbx, change.absorbed_id))
            if absorbed is not None:
                await asyncio.wait([absorbed])
            return
        card = self._cards.get((pbx, change.call.call_id))
        if isinstance(change, DeviceRinging) and card is not None:
            await asyncio.wait([card])
        # Last, so that nothing awaits between learning the manager's id and using it.
        extension = getattr(change, "extension", None)
        if extension is not None and not self._cached_manager(extension):
            await self._fetch_manager(extension)

    # --- lookups ------------------------------------------------------------------------------

    def _look_up(self, key: Key, call: CallSnapshot) -> None:
        if (
            key in self._cards
            or call.direction not in POPPED_DIRECTIONS
            or call.status is not None
            or self.hub.ringing_message(key) is not None
        ):
            return
        self._cards[key] = asyncio.ensure_future(self._card(call))
        while len(self._cards) > self.max_cards:
            self._cards.popitem(last=False)

    async def _card(self, call: CallSnapshot) -> Card:
        phone = try_normalize_phone(call.number, self.region) if call.number else None
        if self.lines is not None and call.line:
            try:
                await self.lines.refresh()
            except Exception:
                log.exception("the lines could not be read; the pop shows the number")
        try:
            async with self._lookups, self.sessionmaker() as session:
                customer, last_order = await self._card_lookup(session, phone)
        except Exception:
            log.exception("the card of a caller could not be read; the pop shows the number")
            customer, last_order = None, None
        return phone or call.number, customer, last_order

    def _cached_manager(self, extension: str) -> bool:
        if time.monotonic() - self._managers_at > self.managers_ttl:
            self._managers, self._managers_at = {}, time.monotonic()
        return extension in self._managers

    async def _fetch_manager(self, extension: str) -> None:
        async with self.sessionmaker() as session:
            found = await self._manager_lookup(session, {extension})
        self._managers[extension] = found.get(extension)

    def _message(self, call: CallSnapshot, key: Key) -> Message:
        card = self._cards.get(key)
        done = card.result() if card is not None and card.done() else None
        phone, customer, last_order = done or (call.number, None, None)
        route: Any = call.route
        if route is None and call.direction is Direction.OUT:
            route = "click_to_call"
        line = line_number(call.line, self.region)
        info = self.lines.get(line) if self.lines is not None else None
        return {
            "type": "call.ringing",
            "call_id": call.call_id,
            "direction": call.direction.value if call.direction else None,
            "phone": phone,
            "customer": customer,
            "last_order": last_order,
            "route": route,
            "line": line,
            "line_name": info.name if info else None,
            "line_source": info.source if info else None,
        }
