"""The simulated PBX's state: live channels, phones (devices) and their states, the legs that
ring and can be answered, and the primitives every call flow is made of. Each primitive emits
the AMI events Asterisk 22 emits for the same step, in its order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypedDict, Unpack

from pbx_sim.channels import (
    RING,
    RINGING,
    UNKNOWN,
    UP,
    Chan,
    Ids,
    bridge_fields,
    channel_fields,
    event,
    hangup_fields,
)
from pbx_sim.wire import Headers

log = logging.getLogger(__name__)

TRUNK = "PJSIP/trunk"


class ChanText(TypedDict, total=False):
    """The text fields of a :class:`Chan` that ``Pbx.new_channel`` takes as keywords."""

    caller_num: str
    caller_name: str
    connected_num: str
    connected_name: str
    context: str
    exten: str
    application: str
    app_data: str


@dataclass(eq=False)
class Call:
    """One call's task and the Linkedid its channels share."""

    linkedid: str = ""
    task: asyncio.Task[None] | None = None
    hangup_cause: int = 16
    started_at: float = field(default_factory=time.time)
    answered_at: float | None = None


@dataclass(eq=False)
class Ring:
    chan: Chan
    answered: asyncio.Future[str]  # resolves with who answered: "auto" or "user"


class Pbx:
    def __init__(
        self,
        emit: Callable[[Headers], None],
        extensions: tuple[str, ...],
        channelvars: tuple[str, ...] = ("MIXMONITOR_FILENAME", "CRM_ROUTE"),
    ) -> None:
        self._emit = emit
        self.extensions = set(extensions)
        self.channelvars = channelvars
        self.ids = Ids()
        self.channels: dict[str, Chan] = {}
        self.calls: dict[str, Call] = {}
        self.rings: dict[str, Ring] = {}
        self._device_states: dict[str, str] = {}

    # --- queries ----------------------------------------------------------------------------

    def live_channels(self) -> list[Chan]:
        return [c for c in self.channels.values() if not c.hung_up]

    def in_use(self, extension: str) -> bool:
        """A phone already talking: it answers another call with 486 Busy (no call waiting)."""
        return any(c.state == UP and c.extension == extension for c in self.live_channels())

    def ringing(self) -> list[tuple[str, str]]:
        """(extension, call id) of every manager's leg that rings now."""
        return [
            (ring.chan.extension, ring.chan.linkedid)
            for ring in self.rings.values()
            if ring.chan.extension and not ring.answered.done()
        ]

    # --- channels ---------------------------------------------------------------------------

    def new_channel(
        self,
        device: str,
        call: Call,
        *,
        uniqueid: str | None = None,
        state: int = 0,
        **attrs: Unpack[ChanText],
    ) -> Chan:
        uid = uniqueid or self.ids.uniqueid()
        if not call.linkedid:
            call.linkedid = uid
            self.calls[uid] = call
        chan = Chan(
            name=self.ids.channel_name(device),
            uniqueid=uid,
            linkedid=call.linkedid,
            device=device,
            state=state,
            variables=dict.fromkeys(self.channelvars, ""),
            **attrs,
        )
        self.channels[uid] = chan
        self.emit("Newchannel", chan)
        return chan

    def emit_event(self, headers: Headers) -> None:
        """An event that is not about one channel (OriginateResponse, Cdr)."""
        self._emit(headers)

    def emit(self, name: str, chan: Chan, *extra: tuple[str, str]) -> None:
        self._emit(event(name, channel_fields(chan), extra))

    def emit_dial(
        self, name: str, caller: Chan | None, dest: Chan, *extra: tuple[str, str]
    ) -> None:
        """DialBegin, DialState, DialEnd: the caller's fields (none for an Originate's first
        leg), then the destination's with the ``Dest`` prefix."""
        parts = [channel_fields(caller)] if caller is not None else []
        self._emit(event(name, *parts, channel_fields(dest, "Dest"), extra))

    def set_caller(self, chan: Chan, num: str, name: str, connected: tuple[str, str]) -> None:
        chan.caller_num, chan.caller_name = num or UNKNOWN, name or UNKNOWN
        chan.connected_num, chan.connected_name = connected
        self.emit(
            "NewCallerid", chan, ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")
        )
        self.emit("NewConnectedLine", chan)

    def set_state(self, chan: Chan, state: int) -> None:
        chan.state = state
        self.emit("Newstate", chan)
        self.device_update(chan.device)

    def hangup(self, chan: Chan, cause: int = 16, tech_cause: int | None = None) -> None:
        if chan.hung_up:
            return
        chan.hung_up = True
        self.rings.pop(chan.uniqueid, None)
        self.emit("Hangup", chan, *hangup_fields(cause, tech_cause))
        self.channels.pop(chan.uniqueid, None)
        self.device_update(chan.device)

    def hangup_request(self, chan: Chan, cause: int, tech_cause: int | None = None) -> None:
        extra: list[tuple[str, str]] = [("Cause", str(cause))]
        if tech_cause is not None:
            extra.append(("TechCause", str(tech_cause)))
        self.emit("HangupRequest", chan, *extra)

    # --- devices ----------------------------------------------------------------------------

    def _state_of(self, device: str) -> str:
        legs = [c for c in self.live_channels() if c.device == device]
        busy = any(c.state in (RING, UP) for c in legs)
        rings = any(c.state == RINGING for c in legs)
        if busy and rings:
            return "RINGINUSE"
        if busy:
            return "INUSE"
        return "RINGING" if rings else "NOT_INUSE"

    def device_update(self, device: str) -> None:
        state = self._state_of(device)
        if self._device_states.get(device, "NOT_INUSE") == state:
            return
        self._device_states[device] = state
        self._emit(event("DeviceStateChange", [("Device", device), ("State", state)]))

    # --- ringing legs -----------------------------------------------------------------------

    def start_ringing(self, chan: Chan) -> Ring:
        ring = Ring(chan, asyncio.get_running_loop().create_future())
        self.rings[chan.uniqueid] = ring
        return ring

    def auto_answer(self, ring: Ring, after: float) -> None:
        """The simulated manager picks up after ``after`` seconds, unless someone was faster."""
        asyncio.get_running_loop().call_later(after, self._pick_up, ring)

    @staticmethod
    def _pick_up(ring: Ring) -> None:
        if not ring.answered.done() and not ring.chan.hung_up:
            ring.answered.set_result("auto")

    def answer(self, extension: str, call_id: str | None = None) -> bool:
        """Pick up the ringing phone of ``extension`` (for the call ``call_id``, or the one that
        rang first): the browser's "Answer" in the demo. False when nothing rings there."""
        for ring in self.rings.values():
            chan = ring.chan
            if chan.extension != extension or ring.answered.done() or chan.hung_up:
                continue
            if call_id is not None and chan.linkedid != call_id:
                continue
            ring.answered.set_result("user")
            return True
        return False

    # --- bridges ----------------------------------------------------------------------------

    def bridge(self, first: Chan, second: Chan) -> str:
        bridge_id = str(uuid.uuid4())
        self._emit(event("BridgeCreate", bridge_fields(bridge_id, 0)))
        for count, chan in enumerate((first, second), start=1):
            chan.bridge = bridge_id
            self._emit(event("BridgeEnter", bridge_fields(bridge_id, count), channel_fields(chan)))
        return bridge_id

    def end_bridged(self, first: Chan, second: Chan, cdr: Callable[[], None]) -> None:
        """``first`` hangs up a bridged call; the other side follows."""
        bridge_id = first.bridge or ""
        self.hangup_request(first, 16)
        self._emit(event("BridgeLeave", bridge_fields(bridge_id, 1), channel_fields(first)))
        first.bridge = None
        self.emit("SoftHangupRequest", first, ("Cause", "16"))
        self.hangup(first, 16)
        self._emit(event("BridgeLeave", bridge_fields(bridge_id, 0), channel_fields(second)))
        second.bridge = None
        self._emit(event("BridgeDestroy", bridge_fields(bridge_id, 0)))
        cdr()
        self.hangup(second, 16)

    # --- calls ------------------------------------------------------------------------------

    def spawn(
        self, call: Call, flow: Callable[[Call], Awaitable[object]], name: str
    ) -> asyncio.Task[None]:
        async def guarded() -> None:
            try:
                await flow(call)
            except asyncio.CancelledError:
                self.teardown(call)
            except Exception:
                log.exception("PBX simulator: call %s failed; hanging it up", call.linkedid)
                self.teardown(call)
            finally:
                self.calls.pop(call.linkedid, None)

        call.task = asyncio.create_task(guarded(), name=name)
        return call.task

    def teardown(self, call: Call) -> None:
        """Hang up whatever is left of a call (a Hangup action, the simulator stopping)."""
        for chan in [c for c in self.live_channels() if c.linkedid == call.linkedid]:
            self.hangup(chan, call.hangup_cause)

    def hangup_channel(self, name: str, cause: int = 16) -> bool:
        """The AMI Hangup action: by channel name or Uniqueid."""
        for chan in self.live_channels():
            if name in (chan.name, chan.uniqueid):
                call = self.calls.get(chan.linkedid)
                if call is not None and call.task is not None and not call.task.done():
                    call.hangup_cause = cause
                    call.task.cancel()
                else:
                    self.hangup(chan, cause)
                return True
        return False

    async def stop(self) -> None:
        tasks = [c.task for c in self.calls.values() if c.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
