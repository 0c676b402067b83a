"""Channels and the events about them, field for field as Asterisk 22 writes them (compare
tests/fixtures/ami/*.txt, recorded from a real Asterisk 22 with ``timestampevents = yes`` and
``channelvars = MIXMONITOR_FILENAME,CRM_ROUTE``)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from pbx_sim.wire import Headers

DOWN, RING, RINGING, UP = 0, 4, 5, 6
STATE_DESC = {DOWN: "Down", RING: "Ring", RINGING: "Ringing", UP: "Up"}
UNKNOWN = "<unknown>"
CAUSES = {
    0: "Unknown",
    16: "Normal Clearing",
    17: "User busy",
    19: "User alerting, no answer",
    26: "Answered elsewhere",
    127: "Interworking, unspecified",
}


@dataclass
class Chan:
    name: str
    uniqueid: str
    linkedid: str
    device: str  # "PJSIP/102" for a manager's phone, "PJSIP/trunk" for the provider
    state: int = DOWN
    caller_num: str = UNKNOWN
    caller_name: str = UNKNOWN
    connected_num: str = UNKNOWN
    connected_name: str = UNKNOWN
    context: str = ""
    exten: str = "s"
    priority: int = 1
    variables: dict[str, str] = field(default_factory=dict)
    application: str = ""
    app_data: str = ""
    bridge: str | None = None
    hung_up: bool = False
    created: float = field(default_factory=time.monotonic)

    @property
    def extension(self) -> str | None:
        """The manager's extension for ``PJSIP/102``; None for the trunk."""
        name = self.device.partition("/")[2]
        return name if name.isdigit() else None


class Ids:
    """Uniqueids (``<epoch>.<n>``) and channel name suffixes (``-0000002a``), as Asterisk makes
    them: one counter for the life of the process."""

    def __init__(self) -> None:
        self._seq = itertools.count(1)
        self._chan = itertools.count(1)

    def uniqueid(self) -> str:
        return f"{int(time.time())}.{next(self._seq)}"

    def channel_name(self, device: str) -> str:
        return f"{device}-{next(self._chan):08x}"


def channel_fields(chan: Chan, prefix: str = "") -> Headers:
    fields: Headers = [
        ("Channel", chan.name),
        ("ChannelState", str(chan.state)),
        ("ChannelStateDesc", STATE_DESC.get(chan.state, "Unknown")),
        ("CallerIDNum", chan.caller_num),
        ("CallerIDName", chan.caller_name),
        ("ConnectedLineNum", chan.connected_num),
        ("ConnectedLineName", chan.connected_name),
        ("Language", "en"),
        ("AccountCode", ""),
        ("Context", chan.context),
        ("Exten", chan.exten),
        ("Priority", str(chan.priority)),
        ("Uniqueid", chan.uniqueid),
        ("Linkedid", chan.linkedid),
    ]
    fields += [("ChanVariable", f"{k}={v}") for k, v in chan.variables.items()]
    return [(prefix + key, value) for key, value in fields]


def event(name: str, *parts: Iterable[tuple[str, str]], privilege: str = "call,all") -> Headers:
    headers: Headers = [
        ("Event", name),
        ("Privilege", privilege),
        ("Timestamp", f"{time.time():.6f}"),
    ]
    for part in parts:
        headers.extend(part)
    return headers


def hangup_fields(cause: int, tech_cause: int | None = None) -> Headers:
    fields: Headers = [("Cause", str(cause)), ("Cause-txt", CAUSES.get(cause, "Unknown"))]
    if tech_cause is not None:
        fields.append(("TechCause", str(tech_cause)))
    return fields


def bridge_fields(bridge_id: str, members: int) -> Headers:
    return [
        ("BridgeUniqueid", bridge_id),
        ("BridgeType", "basic"),
        ("BridgeTechnology", "simple_bridge"),
        ("BridgeCreator", UNKNOWN),
        ("BridgeName", UNKNOWN),
        ("BridgeNumChannels", str(members)),
        ("BridgeVideoSourceMode", "none"),
    ]


def core_show_channel(chan: Chan, action_id: str) -> Headers:
    """One item of the CoreShowChannels list (no Privilege or Timestamp, as Asterisk sends)."""
    seconds = int(time.monotonic() - chan.created)
    duration = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return [
        ("Event", "CoreShowChannel"),
        ("ActionID", action_id),
        *channel_fields(chan),
        ("Application", chan.application),
        ("ApplicationData", chan.app_data),
        ("Duration", duration),
        ("BridgeId", chan.bridge or ""),
    ]
