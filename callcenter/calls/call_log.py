"""``CallRecorder``: the sink of the AMI event pump. It writes what the tracker says of calls
into the Call table (one transaction per batch), matches customers by phone, records which
managers' phones rang, and keeps the PBX's view of each manager's device."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.core.db import reserve_ids
from callcenter.core.models import (
    Call,
    CallDirection,
    CallRing,
    CallStatus,
    Customer,
    CustomerPhone,
    Manager,
    table_of,
    utcnow,
)
from callcenter.core.phones import try_normalize_phone
from pbx_bridge.tracker import (
    CallAnswered,
    CallEnded,
    CallsMerged,
    CallSnapshot,
    CallUpdated,
    Change,
    DevicePresence,
    DeviceRinging,
)

log = logging.getLogger(__name__)

Listener = Callable[[str, Sequence[Change]], Awaitable[None]]


@dataclass(frozen=True)
class CallStep:
    """A call as one batch stored it, and what it was before: enough to tell what happened
    (it rang, it was answered, it ended) exactly once, however often a call is stored."""

    call: Call
    new: bool
    was_answered: bool
    was_ended: bool


# Run inside the batch's transaction, after the calls are written (the webhooks' outbox):
# what it adds commits with the calls, or neither does.
StoreHook = Callable[[AsyncSession, str, list[CallStep]], Awaitable[None]]


def line_number(raw: str | None, region: str) -> str | None:
    """A line as calls keep it: E.164 when it parses as a phone number, else as sent."""
    if not raw or not raw.strip():
        return None
    return try_normalize_phone(raw, region) or raw.strip()[:40]


def _ts(value: float | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.fromtimestamp(value, dt.UTC).replace(tzinfo=None, microsecond=0)


class CallRecorder:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        pbx: str = "default",
        region: str = "RU",
    ) -> None:
        self.sessionmaker = sessionmaker
        self.pbx = pbx
        self.region = region
        # Told of every batch after it is stored: originate waiters, callbacks, recordings.
        self.listeners: list[Listener] = []
        # Told before it is stored: screen-pops, which must not wait for the write.
        self.early_listeners: list[Listener] = []
        self.store_hooks: list[StoreHook] = []
        self._pending: asyncio.Queue[list[Change]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self.lost_changes = 0

    async def handle(self, changes: Sequence[Change]) -> None:
        """The pump's sink: tell the early listeners now, and leave the write to the writer
        task, so that the next events (and their pops) never queue behind a database write."""
        await self._tell(self.early_listeners, changes)
        self._pending.put_nowait(list(changes))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_behind())

    async def drain(self) -> None:
        """Wait until everything handed over so far is stored (tests, shutdown)."""
        await self._pending.join()

    async def stop(self) -> None:
        await self.drain()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    async def _write_behind(self) -> None:
        while True:
            batches = [await self._pending.get()]
            while not self._pending.empty():
                batches.append(self._pending.get_nowait())
            changes = [change for batch in batches for change in batch]
            try:
                if await self._store_with_retries(changes):
                    await self._tell(self.listeners, changes)
            finally:
                for _ in batches:
                    self._pending.task_done()

    async def _store_with_retries(self, changes: list[Change], attempts: int = 3) -> bool:
        delay = 0.2
        for attempt in range(1, attempts + 1):
            try:
                await self.store(changes)
                return True
            except Exception:
                log.exception(
                    "storing %d call changes failed (attempt %d of %d)",
                    len(changes),
                    attempt,
                    attempts,
                )
                if attempt < attempts:
                    await asyncio.sleep(delay)
                    delay *= 2
        self.lost_changes += len(changes)
        return False

    async def store(self, changes: Sequence[Change]) -> None:
        """One transaction for a batch: the latest state of each call, merges, presence."""
        latest: dict[str, CallSnapshot] = {}
        absorbed: list[str] = []
        presence: dict[tuple[str, bool], str] = {}  # (extension, softphone) -> state
        for change in changes:
            if isinstance(change, CallUpdated | DeviceRinging | CallAnswered | CallEnded):
                latest[change.call.call_id] = change.call
            elif isinstance(change, CallsMerged):
                absorbed.append(change.absorbed_id)
                latest.pop(change.absorbed_id, None)
                latest[change.call.call_id] = change.call
            elif isinstance(change, DevicePresence):
                presence[(change.extension, change.softphone)] = change.state
        if latest or absorbed or presence:
            async with self.sessionmaker() as session, session.begin():
                with session.no_autoflush:
                    await self._store(session, latest, absorbed, presence)

    async def tell_stored(self, changes: Sequence[Change]) -> None:
        """Tell the listeners of stored changes (the calls CEL reconciliation stored)."""
        await self._tell(self.listeners, changes)

    async def _tell(self, listeners: list[Listener], changes: Sequence[Change]) -> None:
        for listener in listeners:
            try:
                await listener(self.pbx, changes)
            except Exception:
                log.exception("a call listener failed")

    @staticmethod
    async def _managers(
        session: AsyncSession,
        latest: dict[str, CallSnapshot],
        presence: dict[tuple[str, bool], str],
    ) -> dict[str, Manager]:
        """The managers these calls rang or reached, and those whose phone changed state,
        by extension."""
        extensions = {ext for snap in latest.values() for ext in snap.rang}
        extensions |= {s.answered_by for s in latest.values() if s.answered_by}
        extensions |= {extension for extension, _ in presence}
        return {
            m.extension: m
            for m in await session.scalars(select(Manager).where(Manager.extension.in_(extensions)))
            if m.extension is not None
        }

    async def _store(
        self,
        session: AsyncSession,
        latest: dict[str, CallSnapshot],
        absorbed: list[str],
        presence: dict[tuple[str, bool], str],
    ) -> None:
        managers = await self._managers(session, latest, presence)
        if absorbed:
            await session.execute(
                delete(Call).where(Call.pbx == self.pbx, Call.linkedid.in_(absorbed))
            )
        existing = {
            c.linkedid: c
            for c in await session.scalars(
                select(Call).where(Call.pbx == self.pbx, Call.linkedid.in_(list(latest)))
            )
        }
        phones = {
            call_id: try_normalize_phone(snap.number, self.region) if snap.number else None
            for call_id, snap in latest.items()
        }
        customers = await self._customers_by_phone(
            session,
            {
                phone
                for call_id, phone in phones.items()
                if phone and (call_id not in existing or existing[call_id].phone != phone)
            },
        )
        # Ids up front let the ORM insert new calls in one batch instead of row by row.
        new_ids = iter(
            await reserve_ids(
                session,
                table_of(Call),
                sum(1 for call_id in latest if call_id not in existing),
            )
        )
        steps: list[CallStep] = []
        for call_id, snap in latest.items():
            call = existing.get(call_id)
            if call is None:
                call = Call(id=next(new_ids), pbx=self.pbx, linkedid=call_id, rang=[])
                session.add(call)
            before = (call.answered_at is not None, call.ended_at is not None)
            phone = phones[call_id]
            if phone != call.phone or call_id not in existing:
                call.phone = phone
                call.customer_id = customers.get(phone) if phone else None
            self._apply(call, snap, managers)
            call.line = line_number(snap.line, self.region) or call.line
            steps.append(CallStep(call, call_id not in existing, *before))
        if self.store_hooks:
            await self._run_hooks(session, steps)
        _note_presence(managers, presence)

    async def _run_hooks(self, session: AsyncSession, steps: list[CallStep]) -> None:
        """The store hooks, each in a savepoint: what a hook writes commits with the calls,
        and a hook that fails loses its own writes (logged), never the calls."""
        await session.flush()  # the calls first: SQLite nests a savepoint only in a begun write
        for hook in self.store_hooks:
            try:
                async with session.begin_nested():
                    await hook(session, self.pbx, steps)
            except Exception:
                log.exception("a call-log hook failed; the calls are stored without it")

    @staticmethod
    async def _customers_by_phone(session: AsyncSession, phones: set[str]) -> dict[str, int]:
        """Customer ids by phone, one query; with several, the most recent buyer wins."""
        if not phones:
            return {}
        rows = await session.execute(
            select(CustomerPhone.phone, Customer.id)
            .join(Customer, Customer.id == CustomerPhone.customer_id)
            .where(CustomerPhone.phone.in_(phones))
            .order_by(Customer.last_order_at.desc().nulls_last(), Customer.id)
        )
        found: dict[str, int] = {}
        for phone, customer_id in rows:
            found.setdefault(phone, customer_id)
        return found

    @staticmethod
    def _apply(call: Call, snap: CallSnapshot, managers: dict[str, Manager]) -> None:
        call.direction = CallDirection(snap.direction.value if snap.direction else "internal")
        call.caller_id_raw = snap.number
        call.route = snap.route or call.route
        call.started_at = _ts(snap.started_at) or utcnow()
        call.answered_at = _ts(snap.answered_at)
        call.ended_at = _ts(snap.ended_at)
        call.wait_seconds = snap.wait_seconds
        call.talk_seconds = snap.talk_seconds
        call.status = CallStatus(snap.status.value) if snap.status else None
        call.status_reason = snap.status_reason
        answered = managers.get(snap.answered_by) if snap.answered_by else None
        call.manager_id = answered.id if answered else None
        have = {ring.manager_id for ring in call.rang}
        for extension in snap.rang:
            manager = managers.get(extension)
            if manager is not None and manager.id not in have:
                call.rang.append(CallRing(manager_id=manager.id, rang_at=call.started_at))
                have.add(manager.id)


def _note_presence(managers: dict[str, Manager], presence: dict[tuple[str, bool], str]) -> None:
    """The PBX's word on each manager's desk phone and browser (by extension)."""
    now = utcnow()
    for (extension, softphone), state in presence.items():
        manager = managers.get(extension)
        if manager is None:
            continue
        if softphone:
            manager.softphone_state = state
        elif manager.device_state != state:
            manager.device_state = state
            manager.device_state_changed_at = now
