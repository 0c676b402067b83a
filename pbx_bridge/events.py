"""The AMI events the bridge uses, as frozen dataclasses, and one pure ``parse_event``.

``parse_event`` takes the headers of one AMI message (a mapping, as panoramisk's ``Message``
or a plain dict) and returns a typed event, ``None`` for events we do not use, or raises
:class:`MalformedEvent` naming what is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from routing.decide import SOFTPHONE_PREFIX

_DEVICE = re.compile(r"^(?P<tech>[A-Za-z0-9_]+)/(?P<name>[^-;/@]+)-[0-9a-fA-F]+$")
MAX_EXTENSION_DIGITS = 6


def extension_of(device: str) -> str | None:
    """The manager's extension of an endpoint's name: ``102``, or ``web102`` (the browser)."""
    name = device.removeprefix(SOFTPHONE_PREFIX)
    if name.isdigit() and len(name) <= MAX_EXTENSION_DIGITS:
        return name
    return None


class MalformedEvent(ValueError):
    pass


@dataclass(frozen=True)
class Channel:
    name: str
    uniqueid: str
    linkedid: str
    state: int = 0
    caller_num: str = ""
    caller_name: str = ""
    connected_num: str = ""
    context: str = ""
    exten: str = ""
    variables: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        return self.name.startswith("Local/")

    def device_extension(self, tech: str = "PJSIP") -> str | None:
        """``PJSIP/102-0000002a`` → ``102`` when the channel is a manager's device; the
        manager's browser softphone, ``PJSIP/web102-0000002b``, is 102's too."""
        match = _DEVICE.match(self.name)
        if not match or match["tech"].upper() != tech.upper():
            return None
        return extension_of(match["name"])


@dataclass(frozen=True)
class Event:
    ts: float


@dataclass(frozen=True)
class ChannelEvent(Event):
    channel: Channel


@dataclass(frozen=True)
class Newchannel(ChannelEvent):
    pass


@dataclass(frozen=True)
class Newstate(ChannelEvent):
    pass


@dataclass(frozen=True)
class NewCallerid(ChannelEvent):
    pass


@dataclass(frozen=True)
class DialBegin(Event):
    caller: Channel | None  # None when Asterisk dials an originated channel
    dest: Channel
    dial_string: str


@dataclass(frozen=True)
class DialEnd(Event):
    caller: Channel | None
    dest: Channel
    status: str  # ANSWER, BUSY, NOANSWER, CANCEL, CHANUNAVAIL, CONGESTION


@dataclass(frozen=True)
class BridgeEnter(ChannelEvent):
    bridge_id: str


@dataclass(frozen=True)
class BridgeLeave(ChannelEvent):
    bridge_id: str


@dataclass(frozen=True)
class Hangup(ChannelEvent):
    cause: int
    cause_text: str


@dataclass(frozen=True)
class VarSet(ChannelEvent):
    variable: str
    value: str


@dataclass(frozen=True)
class MixMonitorStart(ChannelEvent):
    pass


@dataclass(frozen=True)
class MixMonitorStop(ChannelEvent):
    pass


@dataclass(frozen=True)
class BlindTransfer(Event):
    result: str
    transferer: Channel
    transferee: Channel | None
    exten: str


@dataclass(frozen=True)
class AttendedTransfer(Event):
    result: str
    orig_transferer: Channel
    second_transferer: Channel | None
    transferee: Channel | None
    transfer_target: Channel | None


@dataclass(frozen=True)
class DeviceStateChange(Event):
    device: str
    state: str  # NOT_INUSE, INUSE, BUSY, RINGING, UNAVAILABLE, ...


@dataclass(frozen=True)
class ExtensionStatus(Event):
    exten: str
    context: str
    status: int
    status_text: str


@dataclass(frozen=True)
class OriginateResponse(Event):
    action_id: str
    success: bool
    reason: int
    channel: str
    uniqueid: str
    linkedid: str


@dataclass(frozen=True)
class CoreShowChannel(ChannelEvent):
    """One live channel in the answer to ``CoreShowChannels`` (re-sync after a reconnect)."""

    bridge_id: str
    application: str
    duration_seconds: int


@dataclass(frozen=True)
class FullyBooted(Event):
    pass


@dataclass(frozen=True)
class Shutdown(Event):
    restart: bool


def _first(value: Any) -> str:
    if isinstance(value, list):
        return str(value[-1]) if value else ""
    return "" if value is None else str(value)


def _variables(value: Any) -> dict[str, str]:
    items = value if isinstance(value, list) else ([value] if value else [])
    result: dict[str, str] = {}
    for item in items:
        name, sep, val = str(item).partition("=")
        if sep:
            result[name] = val
    return result


def _int(value: str, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class _Headers:
    """Case-insensitive access to one message's headers."""

    def __init__(self, message: Mapping[str, Any]) -> None:
        self._h = {str(k).lower(): v for k, v in message.items()}

    def get(self, key: str) -> str:
        return _first(self._h.get(key.lower()))

    def raw(self, key: str) -> Any:
        return self._h.get(key.lower())

    def require(self, key: str, event: str) -> str:
        value = self.get(key)
        if not value:
            raise MalformedEvent(f"{event} without {key}")
        return value

    def has(self, key: str) -> bool:
        return bool(self.get(key))

    def channel(self, event: str, prefix: str = "") -> Channel:
        return Channel(
            name=self.require(prefix + "Channel", event),
            uniqueid=self.require(prefix + "Uniqueid", event),
            linkedid=self.get(prefix + "Linkedid") or self.get(prefix + "Uniqueid"),
            state=_int(self.get(prefix + "ChannelState")),
            caller_num=self.get(prefix + "CallerIDNum"),
            caller_name=self.get(prefix + "CallerIDName"),
            connected_num=self.get(prefix + "ConnectedLineNum"),
            context=self.get(prefix + "Context"),
            exten=self.get(prefix + "Exten"),
            variables=_variables(self.raw(prefix + "ChanVariable")),
        )

    def optional_channel(self, event: str, prefix: str) -> Channel | None:
        if not self.has(prefix + "Channel"):
            return None
        return self.channel(event, prefix)


def parse_event(message: Mapping[str, Any], received_at: float = 0.0) -> Event | None:
    h = _Headers(message)
    name = h.get("Event")
    if not name:
        raise MalformedEvent("message without an Event header")
    stamp = h.get("Timestamp")
    ts = float(stamp) if stamp and stamp.replace(".", "", 1).isdigit() else received_at
    parser = _PARSERS.get(name.lower())
    return None if parser is None else parser(h, name, ts)


# A parser gets the headers, the event's name as sent (for error messages) and its time.
_Parser = Callable[[_Headers, str, float], Event]


def _channel_only(cls: type[ChannelEvent]) -> _Parser:
    """The parser of an event that carries nothing but its channel."""

    def parse(h: _Headers, name: str, ts: float) -> Event:
        return cls(ts, h.channel(name))

    return parse


def _dial_begin(h: _Headers, name: str, ts: float) -> Event:
    return DialBegin(ts, h.optional_channel(name, ""), h.channel(name, "Dest"), h.get("DialString"))


def _dial_end(h: _Headers, name: str, ts: float) -> Event:
    return DialEnd(
        ts,
        h.optional_channel(name, ""),
        h.channel(name, "Dest"),
        h.require("DialStatus", name).upper(),
    )


def _bridge_enter(h: _Headers, name: str, ts: float) -> Event:
    return BridgeEnter(ts, h.channel(name), h.require("BridgeUniqueid", name))


def _bridge_leave(h: _Headers, name: str, ts: float) -> Event:
    return BridgeLeave(ts, h.channel(name), h.require("BridgeUniqueid", name))


def _hangup(h: _Headers, name: str, ts: float) -> Event:
    return Hangup(ts, h.channel(name), _int(h.get("Cause")), h.get("Cause-txt"))


def _var_set(h: _Headers, name: str, ts: float) -> Event:
    return VarSet(ts, h.channel(name), h.require("Variable", name), h.get("Value"))


def _blind_transfer(h: _Headers, name: str, ts: float) -> Event:
    return BlindTransfer(
        ts,
        h.get("Result"),
        h.channel(name, "Transferer"),
        h.optional_channel(name, "Transferee"),
        h.get("Extension"),
    )


def _attended_transfer(h: _Headers, name: str, ts: float) -> Event:
    return AttendedTransfer(
        ts,
        h.get("Result"),
        h.channel(name, "OrigTransferer"),
        h.optional_channel(name, "SecondTransferer"),
        h.optional_channel(name, "Transferee"),
        h.optional_channel(name, "TransferTarget"),
    )


def _device_state_change(h: _Headers, name: str, ts: float) -> Event:
    return DeviceStateChange(ts, h.require("Device", name), h.require("State", name))


def _extension_status(h: _Headers, name: str, ts: float) -> Event:
    return ExtensionStatus(
        ts,
        h.require("Exten", name),
        h.get("Context"),
        _int(h.require("Status", name), -1),
        h.get("StatusText"),
    )


def _originate_response(h: _Headers, name: str, ts: float) -> Event:
    return OriginateResponse(
        ts,
        h.get("ActionID"),
        h.get("Response").lower() == "success",
        _int(h.get("Reason")),
        h.get("Channel"),
        h.get("Uniqueid"),
        h.get("Linkedid"),
    )


def _core_show_channel(h: _Headers, name: str, ts: float) -> Event:
    return CoreShowChannel(
        ts,
        h.channel(name),
        h.get("BridgeId"),
        h.get("Application"),
        _duration(h.get("Duration")),
    )


def _fully_booted(h: _Headers, name: str, ts: float) -> Event:
    return FullyBooted(ts)


def _shutdown(h: _Headers, name: str, ts: float) -> Event:
    return Shutdown(ts, h.get("Restart").lower() in ("true", "yes", "1"))


# Lower-cased AMI event name -> its parser; events not listed here are not used (None).
_PARSERS: dict[str, _Parser] = {
    "newchannel": _channel_only(Newchannel),
    "newstate": _channel_only(Newstate),
    "newcallerid": _channel_only(NewCallerid),
    "dialbegin": _dial_begin,
    "dialend": _dial_end,
    "bridgeenter": _bridge_enter,
    "bridgeleave": _bridge_leave,
    "hangup": _hangup,
    "varset": _var_set,
    "mixmonitorstart": _channel_only(MixMonitorStart),
    "mixmonitorstop": _channel_only(MixMonitorStop),
    "blindtransfer": _blind_transfer,
    "attendedtransfer": _attended_transfer,
    "devicestatechange": _device_state_change,
    "extensionstatus": _extension_status,
    "originateresponse": _originate_response,
    "coreshowchannel": _core_show_channel,
    "fullybooted": _fully_booted,
    "shutdown": _shutdown,
}
# The events the bridge reads (lower case); docker/asterisk/manager.conf lets only these through.
EVENT_NAMES = frozenset(_PARSERS)


def _duration(value: str) -> int:
    """CoreShowChannel's ``Duration: 00:01:05``."""
    parts = value.split(":")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2])
    return _int(value)
