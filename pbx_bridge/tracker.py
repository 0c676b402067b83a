"""``CallTracker``: AMI events in, call-level changes out. Pure: no I/O, no clock.

Calls are keyed by Asterisk's Linkedid. Channels are kept by Uniqueid, because Linkedid can
change: when channels meet in a bridge (transfers, pickups) Asterisk rewrites them all to the
oldest Linkedid, and the tracker then merges the two calls into one.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections import deque
from dataclasses import dataclass, field

from pbx_bridge import events as ev


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"
    INTERNAL = "internal"


class Status(enum.StrEnum):
    ANSWERED = "answered"
    MISSED = "missed"
    BUSY = "busy"
    FAILED = "failed"


# OriginateResponse's Reason: the AST_CONTROL_* that ended the first leg.
ORIGINATE_REASONS = {
    0: "the manager's phone is unavailable",
    1: "the manager's phone hung up",
    3: "the manager's phone did not answer",
    5: "the manager's phone is busy",
    8: "the manager's phone is unreachable (congestion)",
}
_DIAL_NUMBER = re.compile(r"^(?:[A-Za-z0-9_]+/)?(?P<num>\+?[0-9*#]+)")


def dial_number(dial_string: str) -> str | None:
    """The number in a Dial() target: ``PJSIP/79161234567@trunk`` → ``79161234567``."""
    match = _DIAL_NUMBER.match(dial_string)
    return match["num"] if match else None


# Uniqueid (Originate ChannelId) prefix of channels the service starts for itself, such as the
# ChanSpy of live listening: they are not calls and the tracker ignores them.
SERVICE_CHANNEL_PREFIX = "crm-svc-"


def _service_channel(event: object) -> bool:
    """An event about a service channel: its own, or the Dial* of its Originate."""
    ids = [getattr(event, "uniqueid", None)]
    ids += [getattr(getattr(event, a, None), "uniqueid", None) for a in ("channel", "dest")]
    return any(isinstance(u, str) and u.startswith(SERVICE_CHANNEL_PREFIX) for u in ids)


@dataclass(frozen=True)
class CallSnapshot:
    call_id: str
    direction: Direction | None
    number: str | None  # the external party as it was sent (caller ID in, dialled number out)
    started_at: float
    rang: tuple[str, ...] = ()  # extensions whose phones rang, in order
    answered_by: str | None = None  # the extension talking to the customer now
    answered_at: float | None = None
    ended_at: float | None = None
    status: Status | None = None
    status_reason: str | None = None
    route: str | None = None
    recordings: tuple[str, ...] = ()
    # The number the customer dialled (inbound only), as the PBX has it.
    line: str | None = None

    @property
    def wait_seconds(self) -> int | None:
        end = self.answered_at if self.answered_at is not None else self.ended_at
        return None if end is None else max(0, round(end - self.started_at))

    @property
    def talk_seconds(self) -> int | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return max(0, round(self.ended_at - self.answered_at))


@dataclass(frozen=True)
class CallUpdated:
    call: CallSnapshot


@dataclass(frozen=True)
class DeviceRinging:
    call: CallSnapshot
    extension: str


@dataclass(frozen=True)
class CallAnswered:
    call: CallSnapshot
    extension: str


@dataclass(frozen=True)
class CallEnded:
    call: CallSnapshot


@dataclass(frozen=True)
class CallsMerged:
    absorbed_id: str
    call: CallSnapshot


@dataclass(frozen=True)
class DevicePresence:
    extension: str
    state: str  # Asterisk's device state: NOT_INUSE, INUSE, RINGING, BUSY, UNAVAILABLE, ...
    softphone: bool = False  # the manager's browser (PJSIP/web102), not the desk phone


@dataclass(frozen=True)
class OriginateResult:
    call_id: str | None
    action_id: str
    success: bool
    reason: str | None


@dataclass(frozen=True)
class Resynced:
    """The tracker has re-synced with the PBX after a (re)connect: ``live`` are the calls
    it now holds, whose start and answer it may have missed (see :class:`TrueTimes`)."""

    ts: float
    live: tuple[str, ...]


CallChange = CallUpdated | DeviceRinging | CallAnswered | CallEnded | CallsMerged
Change = CallChange | DevicePresence | OriginateResult | Resynced


@dataclass(frozen=True)
class OriginateRequested:
    """Fed to the tracker by the service when it sends an Originate with ``ChannelId``."""

    ts: float
    channel_id: str
    extension: str
    number: str
    action_id: str = ""


@dataclass(frozen=True)
class Resync:
    """The live channels as ``CoreShowChannels`` listed them after a (re)connect."""

    ts: float
    channels: tuple[ev.CoreShowChannel, ...]


@dataclass(frozen=True)
class TrueTimes:
    """Fed by the service after a re-sync: a live call's start and answer as the PBX's own
    record (CEL) has them, in place of the moment the tracker first saw the call."""

    ts: float
    call_id: str
    started_at: float
    answered_at: float | None = None
    answered_by: str | None = None


@dataclass
class _Leg:
    channel: ev.Channel
    extension: str | None
    up: bool = False
    hung_up: bool = False
    bridge: str | None = None

    @property
    def external(self) -> bool:
        return self.extension is None and not self.channel.is_local


@dataclass
class _Call:
    id: str
    started_at: float
    legs: dict[str, _Leg] = field(default_factory=dict)
    direction: Direction | None = None
    number: str | None = None
    first_extension: str | None = None  # a manager's device that started the call
    rang: list[str] = field(default_factory=list)
    ringing: set[str] = field(default_factory=set)
    answered_by: str | None = None
    answered_at: float | None = None
    dial_statuses: list[str] = field(default_factory=list)
    route: str | None = None
    recordings: list[str] = field(default_factory=list)
    originate_failure: str | None = None
    originated: bool = False
    line: str | None = None

    def snapshot(
        self,
        *,
        ended_at: float | None = None,
        status: Status | None = None,
        status_reason: str | None = None,
    ) -> CallSnapshot:
        return CallSnapshot(
            call_id=self.id,
            direction=self.direction,
            number=self.number,
            started_at=self.started_at,
            rang=tuple(self.rang),
            answered_by=self.answered_by,
            answered_at=self.answered_at,
            route=self.route,
            recordings=tuple(self.recordings),
            line=self.line if self.direction is Direction.IN else None,
            ended_at=ended_at,
            status=status,
            status_reason=status_reason,
        )


class CallTracker:
    def __init__(self, device_tech: str = "PJSIP", forget_after: int = 10_000) -> None:
        self.device_tech = device_tech
        self._calls: dict[str, _Call] = {}
        self._by_uniqueid: dict[str, str] = {}
        self._bridges: dict[str, set[str]] = {}
        self._originates: dict[str, OriginateRequested] = {}
        self._originate_actions: dict[str, str] = {}
        # Originated calls that ended before their OriginateResponse said why.
        self._ended_originates: dict[str, CallSnapshot] = {}
        # Channels already hung up: a re-sync listing them (a race) must not revive them.
        self._gone: deque[str] = deque(maxlen=forget_after)
        self._gone_set: set[str] = set()

    # --- queries ----------------------------------------------------------------------------

    @property
    def active_calls(self) -> list[CallSnapshot]:
        return [c.snapshot() for c in self._calls.values()]

    def ringing_extensions(self) -> set[str]:
        """Extensions whose phones ring for a call right now."""
        return {ext for call in self._calls.values() for ext in call.ringing}

    def live_call(self, call_id: str) -> CallSnapshot | None:
        call = self._calls.get(call_id)
        return None if call is None else call.snapshot()

    def answered_leg(self, call_id: str) -> tuple[str, str] | None:
        """(Uniqueid, channel name) of the live channel of the manager talking on the call,
        preferring the one bridged with the customer; None before an answer."""
        call = self._calls.get(call_id)
        if call is None or call.answered_by is None:
            return None
        legs = [
            leg
            for leg in call.legs.values()
            if leg.extension == call.answered_by and leg.up and not leg.hung_up
        ]
        bridged = [
            leg
            for leg in legs
            if leg.bridge is not None
            and any(
                call.legs[u].external for u in self._bridges.get(leg.bridge, ()) if u in call.legs
            )
        ]
        candidates = bridged or legs
        if not candidates:
            return None
        best = candidates[-1]
        return best.channel.uniqueid, best.channel.name

    # --- input ------------------------------------------------------------------------------

    def apply(self, event: object) -> list[Change]:
        if _service_channel(event):
            return []
        if isinstance(event, Resync):
            event = Resync(
                event.ts,
                tuple(c for c in event.channels if not _service_channel(c)),
            )
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is None:
            return []
        changes: list[Change] = handler(event)
        return changes

    # --- helpers ----------------------------------------------------------------------------

    def _extension(self, channel: ev.Channel) -> str | None:
        return channel.device_extension(self.device_tech)

    def _leg(self, channel: ev.Channel, ts: float, changes: list[Change]) -> tuple[_Call, _Leg]:
        """The call and leg of a channel, creating them, and merging calls on a new Linkedid."""
        call_id = self._by_uniqueid.get(channel.uniqueid)
        if call_id is not None and call_id != channel.linkedid and channel.linkedid:
            self._merge(call_id, channel.linkedid, ts, changes)
            call_id = channel.linkedid
        if call_id is None:
            call_id = channel.linkedid or channel.uniqueid
            if call_id not in self._calls:
                self._calls[call_id] = self._new_call(call_id, channel, ts)
            self._by_uniqueid[channel.uniqueid] = call_id
        call = self._calls[call_id]
        leg = call.legs.get(channel.uniqueid)
        if leg is None:
            leg = _Leg(channel, self._extension(channel))
            call.legs[channel.uniqueid] = leg
        else:
            leg.channel = channel
        self._note_variables(call, channel)
        return call, leg

    def _new_call(self, call_id: str, first: ev.Channel, ts: float) -> _Call:
        call = _Call(id=call_id, started_at=ts)
        requested = self._originates.pop(first.uniqueid, None)
        if requested is not None:
            call.direction = Direction.OUT
            call.number = requested.number
            call.first_extension = requested.extension
            call.started_at = min(ts, requested.ts)
            call.originated = True
            return call
        extension = self._extension(first)
        if extension is not None:
            call.first_extension = extension
        elif not first.is_local:
            call.direction = Direction.IN
            call.number = first.caller_num or None
            if first.exten and first.exten != "s":
                call.line = first.exten
        return call

    def _note_variables(self, call: _Call, channel: ev.Channel) -> None:
        filename = channel.variables.get("MIXMONITOR_FILENAME")
        if filename and filename not in call.recordings:
            call.recordings.append(filename)
        route = channel.variables.get("CRM_ROUTE")
        if route:
            call.route = route
        line = channel.variables.get("CRM_LINE")
        if line:
            call.line = line

    def _merge(self, old_id: str, new_id: str, ts: float, changes: list[Change]) -> None:
        old = self._calls.pop(old_id, None)
        if old is None:
            return
        new = self._calls.get(new_id)
        if new is None:
            old.id = new_id
            self._calls[new_id] = old
            for uid in old.legs:
                self._by_uniqueid[uid] = new_id
            changes.append(CallsMerged(old_id, old.snapshot()))
            return
        for uid, leg in old.legs.items():
            new.legs.setdefault(uid, leg)
            self._by_uniqueid[uid] = new_id
        new.started_at = min(new.started_at, old.started_at)
        if new.direction in (None, Direction.INTERNAL) and old.direction in (
            Direction.IN,
            Direction.OUT,
        ):
            new.direction, new.number = old.direction, old.number
        for ext in old.rang:
            if ext not in new.rang:
                new.rang.append(ext)
        new.ringing |= old.ringing
        if new.answered_at is None:
            new.answered_at, new.answered_by = old.answered_at, old.answered_by
        new.dial_statuses += old.dial_statuses
        new.recordings += [r for r in old.recordings if r not in new.recordings]
        new.route = new.route or old.route
        new.line = new.line or old.line
        changes.append(CallsMerged(old_id, new.snapshot()))

    def _answer(self, call: _Call, extension: str | None, ts: float, changes: list[Change]) -> None:
        first = call.answered_at is None
        if first:
            call.answered_at = ts
        if extension is not None and extension != call.answered_by:
            call.answered_by = extension
            changes.append(CallAnswered(call.snapshot(), extension))
        elif first:
            changes.append(CallUpdated(call.snapshot()))

    def _end_if_done(self, call: _Call, ts: float, changes: list[Change]) -> None:
        if any(not leg.hung_up for leg in call.legs.values()):
            return
        self._finish(call, ts, changes)

    def _finish(
        self, call: _Call, ts: float, changes: list[Change], reason: str | None = None
    ) -> None:
        status, why = self._final_status(call)
        for uid in call.legs:
            self._by_uniqueid.pop(uid, None)
            self._forget(uid)
        self._calls.pop(call.id, None)
        if call.direction is None:
            call.direction = Direction.INTERNAL
        final = call.snapshot(ended_at=ts, status=status, status_reason=reason or why)
        if call.originated:
            self._ended_originates[call.id] = final
            while len(self._ended_originates) > 1000:
                del self._ended_originates[next(iter(self._ended_originates))]
        changes.append(CallEnded(final))

    def _forget(self, uniqueid: str) -> None:
        if len(self._gone) == self._gone.maxlen:
            self._gone_set.discard(self._gone[0])
        self._gone.append(uniqueid)
        self._gone_set.add(uniqueid)

    @staticmethod
    def _final_status(call: _Call) -> tuple[Status, str | None]:
        if call.originate_failure is not None:
            return Status.FAILED, call.originate_failure
        if call.answered_at is not None:
            return Status.ANSWERED, None
        statuses = set(call.dial_statuses)
        if call.direction is Direction.OUT:
            if "BUSY" in statuses:
                return Status.BUSY, "the customer's line is busy"
            if statuses & {"CHANUNAVAIL", "CONGESTION"}:
                return Status.FAILED, "the customer's number is unreachable"
            if statuses:
                return Status.MISSED, "the customer did not answer"
            manager_up = any(leg.up for leg in call.legs.values() if leg.extension)
            if call.originated and not manager_up:
                return Status.FAILED, "the manager's phone did not answer"
            return Status.FAILED, "the customer was never dialled"
        if statuses and statuses <= {"BUSY"}:
            return Status.BUSY, "every phone dialled was busy"
        if "CANCEL" in statuses or not statuses:
            return Status.MISSED, "the caller hung up before an answer"
        return Status.MISSED, "nobody answered"

    # --- handlers ---------------------------------------------------------------------------

    def _on_Newchannel(self, e: ev.Newchannel) -> list[Change]:
        if e.channel.uniqueid in self._gone_set:
            return []
        changes: list[Change] = []
        known = e.channel.linkedid in self._calls
        call, _ = self._leg(e.channel, e.ts, changes)
        if not known:
            changes.append(CallUpdated(call.snapshot()))
        return changes

    def _on_Newstate(self, e: ev.Newstate) -> list[Change]:
        if e.channel.uniqueid not in self._by_uniqueid and e.channel.uniqueid in self._gone_set:
            return []
        changes: list[Change] = []
        call, leg = self._leg(e.channel, e.ts, changes)
        if e.channel.state == 6:  # Up
            leg.up = True
            # An originated call: the manager's own phone answered first (no DialEnd for it).
            if (
                call.direction is Direction.OUT
                and leg.extension is not None
                and leg.extension == call.first_extension
                and leg.extension not in call.rang
            ):
                call.rang.append(leg.extension)
        return changes

    _on_NewCallerid = _on_Newstate

    def _on_VarSet(self, e: ev.VarSet) -> list[Change]:
        if e.channel.uniqueid not in self._by_uniqueid:
            return []
        changes: list[Change] = []
        call, _ = self._leg(e.channel, e.ts, changes)
        before = (tuple(call.recordings), call.route, call.line)
        if e.variable == "MIXMONITOR_FILENAME" and e.value and e.value not in call.recordings:
            call.recordings.append(e.value)
        elif e.variable == "CRM_ROUTE" and e.value:
            call.route = e.value
        elif e.variable == "CRM_LINE" and e.value:
            call.line = e.value
        if (tuple(call.recordings), call.route, call.line) != before:
            changes.append(CallUpdated(call.snapshot()))
        return changes

    def _on_MixMonitorStart(self, e: ev.MixMonitorStart) -> list[Change]:
        if e.channel.uniqueid not in self._by_uniqueid:
            return []
        changes: list[Change] = []
        call, _ = self._leg(e.channel, e.ts, changes)
        changes.append(CallUpdated(call.snapshot()))
        return changes

    _on_MixMonitorStop = _on_MixMonitorStart

    def _on_DialBegin(self, e: ev.DialBegin) -> list[Change]:
        changes: list[Change] = []
        if e.caller is not None:
            call, caller_leg = self._leg(e.caller, e.ts, changes)
        else:
            call, caller_leg = self._leg(e.dest, e.ts, changes)
        _, dest_leg = self._leg(e.dest, e.ts, changes)
        call = self._calls[self._by_uniqueid[e.dest.uniqueid]]
        if dest_leg.extension is not None:
            if call.direction is None and call.first_extension is not None:
                if call.first_extension != dest_leg.extension:
                    call.direction = Direction.INTERNAL
            if dest_leg.extension not in call.rang:
                call.rang.append(dest_leg.extension)
            call.ringing.add(dest_leg.extension)
            changes.append(DeviceRinging(call.snapshot(), dest_leg.extension))
        elif dest_leg.external and call.direction in (None, Direction.INTERNAL, Direction.OUT):
            call.direction = Direction.OUT
            number = dial_number(e.dial_string) or e.dest.exten or e.dest.caller_num
            call.number = call.number or number or None
            changes.append(CallUpdated(call.snapshot()))
        return changes

    def _on_DialEnd(self, e: ev.DialEnd) -> list[Change]:
        if e.dest.uniqueid not in self._by_uniqueid:
            return []
        changes: list[Change] = []
        call, dest_leg = self._leg(e.dest, e.ts, changes)
        if e.caller is None and call.originated and dest_leg.extension == call.first_extension:
            # Click-to-call: the manager picking up their own phone; the call is answered when
            # the customer does.
            call.ringing.discard(dest_leg.extension)
            dest_leg.up = dest_leg.up or e.status == "ANSWER"
            changes.append(CallUpdated(call.snapshot()))
            return changes
        call.dial_statuses.append(e.status)
        if dest_leg.extension is not None:
            call.ringing.discard(dest_leg.extension)
            if e.status == "ANSWER":
                self._answer(call, dest_leg.extension, e.ts, changes)
            else:
                changes.append(CallUpdated(call.snapshot()))
        elif dest_leg.external and e.status == "ANSWER":
            self._answer(call, call.answered_by or call.first_extension, e.ts, changes)
        else:
            changes.append(CallUpdated(call.snapshot()))
        return changes

    def _on_BridgeEnter(self, e: ev.BridgeEnter) -> list[Change]:
        if e.channel.uniqueid in self._gone_set:
            return []
        changes: list[Change] = []
        call, leg = self._leg(e.channel, e.ts, changes)
        leg.up = True
        self._join_bridge(leg, e.bridge_id)
        # After a transfer the answering manager is whoever shares a bridge with the customer;
        # the one who just entered wins over one on the way out.
        members = [call.legs[u] for u in self._bridges[e.bridge_id] if u in call.legs]
        if call.answered_at is not None and any(m.external for m in members):
            if leg.extension is not None:
                candidate: str | None = leg.extension
            else:
                present = [m.extension for m in members if m.extension and not m.hung_up]
                candidate = (
                    call.answered_by if call.answered_by in present else next(iter(present), None)
                )
            if candidate is not None and candidate != call.answered_by:
                self._answer(call, candidate, e.ts, changes)
        return changes

    def _join_bridge(self, leg: _Leg, bridge_id: str) -> None:
        if leg.bridge is not None and leg.bridge != bridge_id:
            self._leave_bridge(leg)
        leg.bridge = bridge_id
        self._bridges.setdefault(bridge_id, set()).add(leg.channel.uniqueid)

    def _leave_bridge(self, leg: _Leg) -> None:
        if leg.bridge is None:
            return
        members = self._bridges.get(leg.bridge)
        if members is not None:
            members.discard(leg.channel.uniqueid)
            if not members:
                del self._bridges[leg.bridge]
        leg.bridge = None

    def _on_BridgeLeave(self, e: ev.BridgeLeave) -> list[Change]:
        call_id = self._by_uniqueid.get(e.channel.uniqueid)
        leg = self._calls[call_id].legs.get(e.channel.uniqueid) if call_id else None
        if leg is not None and leg.bridge == e.bridge_id:
            self._leave_bridge(leg)
        return []

    def _on_Hangup(self, e: ev.Hangup) -> list[Change]:
        call_id = self._by_uniqueid.get(e.channel.uniqueid)
        if call_id is None:
            return []
        changes: list[Change] = []
        call, leg = self._leg(e.channel, e.ts, changes)
        leg.hung_up = True
        if leg.extension is not None:
            call.ringing.discard(leg.extension)
        self._leave_bridge(leg)
        self._end_if_done(call, e.ts, changes)
        return changes

    def _on_OriginateRequested(self, e: OriginateRequested) -> list[Change]:
        self._originates[e.channel_id] = e
        if e.action_id:
            self._originate_actions[e.action_id] = e.channel_id
        return []

    def _on_OriginateResponse(self, e: ev.OriginateResponse) -> list[Change]:
        changes: list[Change] = []
        reason = (
            None if e.success else ORIGINATE_REASONS.get(e.reason, f"failed (reason {e.reason})")
        )
        channel_id = self._originate_actions.pop(e.action_id, None) or e.uniqueid
        call_id = self._by_uniqueid.get(channel_id) or (e.linkedid or None)
        pending = self._originates.pop(channel_id, None)
        if not e.success:
            call = self._calls.get(call_id) if call_id else None
            late = self._ended_originates.pop(channel_id, None)
            if call is not None:
                call.originate_failure = reason
            elif late is not None:
                fixed = dataclasses.replace(late, status=Status.FAILED, status_reason=reason)
                changes.append(CallUpdated(fixed))
                call_id = late.call_id
            elif pending is not None:
                # The manager's channel never came up: the call ends before it began.
                failed = _Call(
                    id=pending.channel_id,
                    started_at=pending.ts,
                    direction=Direction.OUT,
                    number=pending.number,
                    first_extension=pending.extension,
                    originate_failure=reason,
                )
                self._calls[failed.id] = failed
                self._finish(failed, e.ts, changes)
                call_id = failed.id
        changes.append(
            OriginateResult(
                call_id or (pending.channel_id if pending else None), e.action_id, e.success, reason
            )
        )
        return changes

    def _on_DeviceStateChange(self, e: ev.DeviceStateChange) -> list[Change]:
        tech, _, name = e.device.partition("/")
        extension = ev.extension_of(name)
        if tech.upper() != self.device_tech.upper() or extension is None:
            return []
        return [DevicePresence(extension, e.state, softphone=extension != name)]

    def _on_Resync(self, e: Resync) -> list[Change]:
        """Reconcile with the PBX after a (re)connect: end calls whose end we missed, and
        pick up calls that began while we were away."""
        changes: list[Change] = []
        live = {c.channel.uniqueid: c for c in e.channels}
        for call in list(self._calls.values()):
            for uid, leg in call.legs.items():
                if uid not in live:
                    leg.hung_up = True
            if all(leg.hung_up for leg in call.legs.values()):
                self._finish(call, e.ts, changes, reason=None)
        for uid, item in live.items():
            if uid in self._by_uniqueid or uid in self._gone_set:
                continue
            known = item.channel.linkedid in self._calls
            call, leg = self._leg(item.channel, e.ts - item.duration_seconds, changes)
            call.started_at = min(call.started_at, e.ts - item.duration_seconds)
            if item.channel.state == 6:
                leg.up = True
            if item.bridge_id:
                self._join_bridge(leg, item.bridge_id)
            if not known:
                changes.append(CallUpdated(call.snapshot()))
        # Calls found live and bridged with a manager were answered while we were away.
        for call in self._calls.values():
            if call.answered_at is not None:
                continue
            for members in self._bridges.values():
                legs = [call.legs[u] for u in members if u in call.legs]
                managers = [leg.extension for leg in legs if leg.extension]
                if managers and any(leg.external for leg in legs):
                    call.answered_at = e.ts
                    self._answer(call, managers[0], e.ts, changes)
                    break
        changes.append(Resynced(e.ts, tuple(self._calls)))
        return changes

    def _on_TrueTimes(self, e: TrueTimes) -> list[Change]:
        call = self._calls.get(e.call_id)
        if call is None:
            return []
        call.started_at = e.started_at
        if e.answered_at is not None:
            call.answered_at = e.answered_at
            call.answered_by = call.answered_by or e.answered_by
        return [CallUpdated(call.snapshot())]
