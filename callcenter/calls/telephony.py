"""The PBX side of the service: one AMI client, tracker and event pump per configured PBX,
and click-to-call (Originate) on top of them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.calls.call_log import CallRecorder, Listener, StoreHook
from callcenter.calls.history import CallHistory, csv_source, table_source
from callcenter.core.settings import AmiServer, Settings
from pbx_bridge.ami import AmiClient, AmiConfig, AmiError
from pbx_bridge.pump import EventPump
from pbx_bridge.tracker import (
    CallSnapshot,
    CallTracker,
    Change,
    OriginateRequested,
    OriginateResult,
    Resynced,
)

log = logging.getLogger(__name__)


# One call across every PBX: (the PBX's name, the call's Linkedid). A Linkedid alone is
# unique on one PBX only.
CallKey = tuple[str, str]


class PbxUnavailable(Exception):
    pass


class OriginateFailed(Exception):
    def __init__(self, reason: str, call_id: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.call_id = call_id


@dataclass
class PbxLink:
    name: str
    client: AmiClient
    tracker: CallTracker
    pump: EventPump
    recorder: CallRecorder
    tasks: list[asyncio.Task[None]]
    history: CallHistory | None = None


class Telephony:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.links: dict[str, PbxLink] = {}
        self._waiters: dict[str, asyncio.Future[OriginateResult]] = {}
        self._listeners: list[Listener] = [self._on_changes]
        self._early_listeners: list[Listener] = []
        self._store_hooks: list[StoreHook] = []
        self._reconciling: set[asyncio.Task[None]] = set()

    def add_listener(self, listener: Listener, *, early: bool = False) -> None:
        """Told of every batch of call changes, on every PBX (now and later): after it is
        stored, or with ``early`` before (for what must not wait for the database)."""
        (self._early_listeners if early else self._listeners).append(listener)
        for link in self.links.values():
            (link.recorder.early_listeners if early else link.recorder.listeners).append(listener)

    def add_store_hook(self, hook: StoreHook) -> None:
        """Run inside every call-log transaction, on every PBX (now and later)."""
        self._store_hooks.append(hook)
        for link in self.links.values():
            link.recorder.store_hooks.append(hook)

    async def start(self) -> None:
        for server in self.settings.ami_connections():
            client = AmiClient(
                AmiConfig(
                    host=server.host,
                    port=server.port,
                    username=server.username,
                    secret=server.secret.get_secret_value(),
                    name=server.name,
                )
            )
            tracker = CallTracker(self.settings.device_tech)
            recorder = CallRecorder(self.sessionmaker, server.name, self.settings.default_region)
            recorder.listeners.extend(self._listeners)
            recorder.early_listeners.extend(self._early_listeners)
            recorder.store_hooks.extend(self._store_hooks)
            pump = EventPump(client.queue, tracker, recorder)
            tasks = [client.start(), asyncio.create_task(pump.run(), name=f"pump-{server.name}")]
            self.links[server.name] = PbxLink(
                server.name, client, tracker, pump, recorder, tasks, self._history(server, recorder)
            )
            log.info("PBX %s: bridge started for %s:%s", server.name, server.host, server.port)

    def _history(self, server: AmiServer, recorder: CallRecorder) -> CallHistory | None:
        if not server.cel_source:
            return None
        source = (
            table_source(self.sessionmaker)
            if server.cel_source == "table"
            else csv_source(Path(server.cel_source))
        )
        return CallHistory(
            self.sessionmaker,
            recorder,
            source,
            device_tech=self.settings.device_tech,
            monitor_dir=self.settings.recordings_pbx_prefix,
            lookback_hours=self.settings.cel_lookback_hours,
        )

    async def stop(self) -> None:
        for task in list(self._reconciling):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for link in self.links.values():
            await link.client.stop()
            for task in link.tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await link.recorder.stop()  # what the pump handed over is still written
        self.links.clear()

    def live_call(self, call_id: str) -> tuple[str, CallSnapshot, tuple[str, str] | None] | None:
        """(PBX, the call, the answering manager's live (Uniqueid, channel) or None) of a live
        call, by its Linkedid."""
        for name, link in self.links.items():
            call = link.tracker.live_call(call_id)
            if call is not None:
                return name, call, link.tracker.answered_leg(call_id)
        return None

    def ringing_extensions(self) -> set[str]:
        return set().union(*(link.tracker.ringing_extensions() for link in self.links.values()))

    def status(self) -> dict[str, dict[str, object]]:
        return {
            name: {
                "state": link.client.state.value,
                "last_error": link.client.last_error,
                "connects": link.client.connects,
                "events": link.pump.processed,
                "bad_events": link.pump.bad_events,
                "active_calls": len(link.tracker.active_calls),
            }
            for name, link in self.links.items()
        }

    async def _on_changes(self, pbx: str, changes: Sequence[Change]) -> None:
        for change in changes:
            if isinstance(change, Resynced):
                self._reconcile(pbx, change.live)
            if isinstance(change, OriginateResult):
                waiter = self._waiters.pop(change.action_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(change)

    def _reconcile(self, pbx: str, live: tuple[str, ...]) -> None:
        """After a re-sync: the calls of the gap from CEL, off the listener's path."""
        link = self.links.get(pbx)
        if link is None or link.history is None:
            return
        history, queue = link.history, link.client.queue

        async def run() -> None:
            try:
                await history.reconcile(live, lambda t: queue.put_nowait((time.time(), t)))
            except Exception:
                log.exception("PBX %s: reconciling the calls from CEL failed", pbx)

        task = asyncio.get_running_loop().create_task(run(), name=f"cel-{pbx}")
        self._reconciling.add(task)
        task.add_done_callback(self._reconciling.discard)

    async def originate(
        self,
        extension: str,
        number: str,
        caller_id: str,
        *,
        pbx: str | None = None,
        ring_seconds: int = 30,
        variables: dict[str, str] | None = None,
        device: str | None = None,
    ) -> str:
        """Ring the manager's phone (``device``: another of the extension's endpoints, the
        browser's); when it answers, the dialplan dials ``number``.

        Returns the call id once the manager has answered; raises :class:`OriginateFailed`
        with a clear reason otherwise."""
        link = self.links.get(pbx or next(iter(self.links), ""))
        if link is None or not link.client.connected:
            raise PbxUnavailable("the PBX is not connected")
        channel_id = f"crm-{uuid.uuid4().hex[:20]}"
        action_id = f"originate-{channel_id}"
        waiter: asyncio.Future[OriginateResult] = asyncio.get_running_loop().create_future()
        self._waiters[action_id] = waiter
        # In the event stream before the Originate, so the tracker knows the call it starts.
        link.client.queue.put_nowait(
            (time.time(), OriginateRequested(time.time(), channel_id, extension, number, action_id))
        )
        try:
            await link.client.originate(
                channel=f"{self.settings.device_tech}/{device or extension}",
                context=self.settings.originate_context,
                exten=number,
                caller_id=caller_id,
                channel_id=channel_id,
                action_id=action_id,
                timeout_ms=ring_seconds * 1000,
                variables=variables,
            )
            result = await asyncio.wait_for(waiter, ring_seconds + 10)
        except (AmiError, TimeoutError) as exc:
            reason = f"the PBX did not place the call: {exc or 'no answer from the PBX'}"
            raise OriginateFailed(reason, channel_id) from None
        finally:
            self._waiters.pop(action_id, None)
        if not result.success:
            raise OriginateFailed(result.reason or "the call failed", result.call_id or channel_id)
        return result.call_id or channel_id
