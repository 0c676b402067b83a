"""The PBX side of the service: one AMI client, tracker and event pump per configured PBX,
and click-to-call (Originate) on top of them.

With several instances (``callcenter/cluster/``) each PBX is connected by its leader only.
The other instances forward what needs the PBX (an Originate, an AMI action, a live call's
legs) to the leader over the cluster bus, and hear from it which phones ring (routing
avoids them)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.calls.call_log import CallRecorder, Listener, StoreHook
from callcenter.calls.history import CallHistory, csv_source, table_source
from callcenter.cluster.bus import Message, NotMine, RemoteError
from callcenter.cluster.leadership import Leadership
from callcenter.cluster.service import Cluster
from callcenter.core.settings import AmiServer, Settings
from pbx_bridge.ami import AmiClient, AmiConfig, AmiError
from pbx_bridge.pump import EventPump
from pbx_bridge.tracker import (
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
        self.data = call_id  # what travels with it from another instance


@dataclass(frozen=True)
class LiveCall:
    """A live call as listening needs it: its PBX, who answered, and that manager's live
    leg (Uniqueid, channel name), None before an answer."""

    pbx: str
    answered_by: str | None
    leg: tuple[str, str] | None


@dataclass(frozen=True)
class ActionResult:
    success: bool
    message: str


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
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        cluster: Cluster | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.cluster = cluster
        self.servers = {server.name: server for server in settings.ami_connections()}
        self.links: dict[str, PbxLink] = {}
        self.leaderships: dict[str, Leadership] = {}
        # Phones ringing on PBXs that another instance leads, as its leader last told.
        self.remote_ringing: dict[str, frozenset[str]] = {}
        self._shared_ringing: dict[str, frozenset[str]] = {}
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
        """Connect every PBX; in a cluster, contend for each one's leadership instead."""
        if self.cluster is None:
            for server in self.servers.values():
                await self._connect(server)
            return
        bus = self.cluster.bus
        bus.on("ringing", self._heard_ringing)
        bus.serve("originate", self._serve_originate)
        bus.serve("ami", self._serve_action)
        bus.serve("live_call", self._serve_live_call)
        self.add_listener(self._share_ringing, early=True)
        for server in self.servers.values():
            leadership = self.cluster.leadership(
                f"pbx:{server.name}",
                functools.partial(self._connect, server),
                functools.partial(self._disconnect, server.name),
            )
            self.leaderships[server.name] = leadership
            leadership.start()

    async def _connect(self, server: AmiServer) -> None:
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
        self.remote_ringing.pop(server.name, None)
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
        for leadership in self.leaderships.values():
            await leadership.stop()  # deposed: disconnects its PBX
        self.leaderships.clear()
        for name in list(self.links):
            await self._disconnect(name)

    async def _disconnect(self, name: str) -> None:
        """Stop acting for this PBX: the AMI connection first, so nothing more comes in;
        what the pump handed over is still written."""
        link = self.links.pop(name, None)
        if link is None:
            return
        await link.client.stop()
        for task in link.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await link.recorder.stop()
        self._shared_ringing.pop(name, None)

    def live_call(self, call_id: str) -> LiveCall | None:
        """A live call on a PBX this instance leads, by its Linkedid."""
        for name, link in self.links.items():
            call = link.tracker.live_call(call_id)
            if call is not None:
                return LiveCall(name, call.answered_by, link.tracker.answered_leg(call_id))
        return None

    async def find_live_call(self, call_id: str) -> LiveCall | None:
        """A live call on any PBX: asked of the other PBXs' leaders when not here."""
        found = self.live_call(call_id)
        if found is not None or not self._led_elsewhere():
            return found
        try:
            answer = await self._ask("live_call", {"call_id": call_id}, 2)
        except PbxUnavailable:
            return None
        leg = answer["leg"]
        return LiveCall(answer["pbx"], answer["answered_by"], tuple(leg) if leg else None)

    def ringing_extensions(self) -> set[str]:
        here = (link.tracker.ringing_extensions() for link in self.links.values())
        return set().union(*here, *self.remote_ringing.values())

    def reachable(self) -> bool:
        """Some PBX can take a call now: connected here, or led by another instance."""
        return any(
            state["state"] == "connected" or state.get("leader_instance")
            for state in self.status().values()
        )

    def status(self) -> dict[str, dict[str, object]]:
        """Per configured PBX: this instance's connection when it leads it, else who does."""
        status: dict[str, dict[str, object]] = {}
        for name in self.servers:
            link = self.links.get(name)
            leadership = self.leaderships.get(name)
            if link is None:
                holder = leadership.holder if leadership is not None else None
                status[name] = {"state": "standby", "leader": False, "leader_instance": holder}
                continue
            status[name] = {
                "state": link.client.state.value,
                "leader": True,
                "leader_instance": self.cluster.instance if self.cluster else None,
                "last_error": link.client.last_error,
                "connects": link.client.connects,
                "events": link.pump.processed,
                "bad_events": link.pump.bad_events,
                "active_calls": len(link.tracker.active_calls),
            }
        return status

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
        browser's); when it answers, the dialplan dials ``number``. On a PBX another instance
        leads, that instance places the call.

        Returns the call id once the manager has answered; raises :class:`OriginateFailed`
        with a clear reason otherwise."""
        pbx = pbx or next(iter(self.servers), "")
        link = self.links.get(pbx)
        if link is None and self._led_elsewhere(pbx):
            args: Message = {
                "extension": extension, "number": number, "caller_id": caller_id, "pbx": pbx,
                "ring_seconds": ring_seconds, "variables": variables, "device": device,
            }  # fmt: skip
            call_id: str = await self._ask("originate", args, ring_seconds + 20)
            return call_id
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

    async def send_action(
        self, pbx: str, action: Mapping[str, str], timeout: float = 10.0
    ) -> ActionResult:
        """An AMI action on a PBX, through its leader wherever it runs."""
        link = self.links.get(pbx)
        if link is None and self._led_elsewhere(pbx):
            answer = await self._ask("ami", {"pbx": pbx, "action": dict(action)}, timeout + 2)
            return ActionResult(bool(answer["success"]), str(answer["message"]))
        if link is None or not link.client.connected:
            raise PbxUnavailable(f"PBX {pbx} is not connected")
        response = await link.client.send_action(action, timeout=timeout)
        return ActionResult(bool(response.success), str(response.get("Message") or ""))

    # --- the cluster: what another instance asks of this PBX's leader ------------------------

    def _led_elsewhere(self, pbx: str | None = None) -> bool:
        if self.cluster is None:
            return False
        return any(name not in self.links for name in ([pbx] if pbx else self.servers))

    async def _ask(self, op: str, args: Message, timeout: float) -> Any:
        """A request to the leader; its errors as this side's own exceptions."""
        assert self.cluster is not None
        try:
            return await self.cluster.bus.request(op, args, timeout)
        except TimeoutError:
            raise PbxUnavailable(
                "the PBX is not connected: no instance leads it right now"
            ) from None
        except RemoteError as exc:
            if exc.kind == "OriginateFailed":
                raise OriginateFailed(exc.message, exc.data) from None
            if exc.kind in ("PbxUnavailable", "AmiNotConnected"):
                raise PbxUnavailable(exc.message) from None
            raise

    async def _serve_originate(self, args: Message) -> str:
        if args.get("pbx") not in self.links:
            raise NotMine
        return await self.originate(**args)

    async def _serve_action(self, args: Message) -> dict[str, object]:
        if args.get("pbx") not in self.links:
            raise NotMine
        result = await self.send_action(args["pbx"], args["action"])
        return {"success": result.success, "message": result.message}

    async def _serve_live_call(self, args: Message) -> dict[str, object]:
        found = self.live_call(str(args.get("call_id")))
        if found is None:
            raise NotMine
        return {"pbx": found.pbx, "answered_by": found.answered_by, "leg": found.leg}

    async def _share_ringing(self, pbx: str, _changes: Sequence[Change]) -> None:
        """Tell the other instances which phones ring, when that changed."""
        link = self.links.get(pbx)
        if link is None or self.cluster is None:
            return
        ringing = frozenset(link.tracker.ringing_extensions())
        if ringing != self._shared_ringing.get(pbx, frozenset()):
            self._shared_ringing[pbx] = ringing
            self.cluster.bus.publish("ringing", pbx=pbx, extensions=sorted(ringing))

    def _heard_ringing(self, message: Message) -> None:
        pbx = str(message.get("pbx"))
        if pbx in self.servers and pbx not in self.links:
            self.remote_ringing[pbx] = frozenset(message.get("extensions") or ())
