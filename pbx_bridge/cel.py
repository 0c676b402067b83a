"""Asterisk's Channel Event Logging (CEL) as calls. Pure: no I/O, no clock.

CEL is Asterisk's own record of every channel's life, written by the PBX whether or not the
service is listening. After any gap in the AMI view (the service's restart or crash, an AMI
disconnect) it is how the calls of that gap reach the call log, with their true times.

Events are grouped into calls by Linkedid. Linkedid can change when channels meet in a bridge
(transfers, pickups): a channel seen under two Linkedids joins them into one call, named by
the Linkedid of its last event, as the AMI tracker does.

A call is complete once its ``LINKEDID_END`` is in; an incomplete group is a call still in
progress (or cut short in the record), which only lends its true start and answer times to
a live call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pbx_bridge.events import Channel
from pbx_bridge.tracker import CallSnapshot, Direction, Status, dial_number

# The columns of a CEL record, in the order of the sample cel_custom.conf mapping.
COLUMNS = (
    "eventtype",
    "eventtime",
    "cid_name",
    "cid_num",
    "cid_dnid",
    "exten",
    "context",
    "channame",
    "appname",
    "appdata",
    "uniqueid",
    "linkedid",
    "peer",
    "userdeftype",
    "extra",
)
LINE_EVENT = "CRM_LINE"
_UNIQUEID = re.compile(r"^[A-Za-z0-9_.:-]{1,150}$")


class CelRecordError(ValueError):
    """A CEL record that cannot be read; the message says why."""


@dataclass(frozen=True)
class CelEvent:
    eventtype: str
    eventtime: float
    uniqueid: str
    linkedid: str
    channame: str
    cid_name: str = ""
    cid_num: str = ""
    cid_dnid: str = ""
    exten: str = ""
    context: str = ""
    appname: str = ""
    appdata: str = ""
    peer: str = ""
    userdeftype: str = ""
    extra: str = ""

    @property
    def extra_fields(self) -> dict[str, object]:
        """The JSON of ``extra`` (hangup cause and dial status, a user event's text)."""
        try:
            value = json.loads(self.extra) if self.extra else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


def parse_record(values: Sequence[str]) -> CelEvent:
    """One CEL record, as the columns of :data:`COLUMNS` (a CSV row or a table row)."""
    if len(values) != len(COLUMNS):
        raise CelRecordError(f"{len(values)} fields, expected {len(COLUMNS)}")
    row = dict(zip(COLUMNS, (v.strip() for v in values), strict=True))
    try:
        eventtime = float(row["eventtime"])
    except ValueError:
        raise CelRecordError(f"event time {row['eventtime']!r} is not a number") from None
    if not 0 < eventtime < 1e11:
        raise CelRecordError(f"event time {row['eventtime']!r} is out of range")
    for key in ("uniqueid", "linkedid"):
        if not _UNIQUEID.match(row[key]):
            raise CelRecordError(f"{key} {row[key][:40]!r} is not an Asterisk id")
    if not row["eventtype"] or not row["channame"]:
        raise CelRecordError("no event type or channel")
    return CelEvent(**{**row, "eventtime": eventtime})  # type: ignore[arg-type]


@dataclass
class _Leg:
    uniqueid: str
    name: str
    extension: str | None
    started_at: float
    cid_num: str = ""
    exten: str = ""
    dnid: str = ""
    answered_at: float | None = None
    bridged_at: float | None = None
    dial_status: str = ""

    @property
    def external(self) -> bool:
        return self.extension is None and not self.name.startswith("Local/")


@dataclass
class CelCall:
    """One call as CEL tells it. ``snapshot`` is what the call log stores."""

    call_id: str
    events: list[CelEvent] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return any(
            e.eventtype == "LINKEDID_END" and e.linkedid == self.call_id for e in self.events
        )

    def snapshot(self, device_tech: str = "PJSIP", monitor_dir: str = "") -> CallSnapshot:
        events = sorted(self.events, key=lambda e: e.eventtime)
        legs = _legs(events, device_tech)
        first = min(legs.values(), key=lambda leg: leg.started_at)
        direction, number = _direction(first, legs.values(), events)
        answered_by, answered_at = _answer(first, legs.values(), direction)
        ended = [e.eventtime for e in events if e.eventtype == "LINKEDID_END"]
        ended_at = max(ended) if ended and self.complete else None
        status, reason = (None, None)
        if ended_at is not None:
            status, reason = _status(direction, answered_at, first, legs.values())
        return CallSnapshot(
            call_id=self.call_id,
            direction=direction,
            number=number,
            started_at=first.started_at,
            rang=tuple(
                leg.extension
                for leg in sorted(legs.values(), key=lambda leg: leg.started_at)
                if leg.extension and leg is not first
            ),
            answered_by=answered_by,
            answered_at=answered_at,
            ended_at=ended_at,
            status=status,
            status_reason=reason,
            recordings=_recordings(events, monitor_dir),
            line=_line(first, events) if direction is Direction.IN else None,
        )


def group_calls(events: Iterable[CelEvent]) -> dict[str, CelCall]:
    """CEL events by call: Linkedids that share a channel are one call, named by the
    Linkedid of the newest event among them."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    newest: dict[str, CelEvent] = {}
    by_linkedid: dict[str, list[CelEvent]] = {}
    channel_linkedid: dict[str, str] = {}
    for event in events:
        by_linkedid.setdefault(event.linkedid, []).append(event)
        seen = channel_linkedid.setdefault(event.uniqueid, event.linkedid)
        if seen != event.linkedid:
            parent[find(seen)] = find(event.linkedid)
            channel_linkedid[event.uniqueid] = event.linkedid
        root = find(event.linkedid)
        if root not in newest or event.eventtime >= newest[root].eventtime:
            newest[root] = event
    calls: dict[str, CelCall] = {}
    for linkedid, group in by_linkedid.items():
        root = find(linkedid)
        name = newest[root].linkedid
        calls.setdefault(name, CelCall(name)).events.extend(group)
    return calls


def _legs(events: Sequence[CelEvent], device_tech: str) -> dict[str, _Leg]:
    legs: dict[str, _Leg] = {}
    for e in events:
        leg = legs.get(e.uniqueid)
        if leg is None:
            extension = Channel(e.channame, e.uniqueid, e.linkedid).device_extension(device_tech)
            leg = legs[e.uniqueid] = _Leg(e.uniqueid, e.channame, extension, e.eventtime)
            leg.cid_num, leg.exten = e.cid_num, e.exten
        if e.eventtype == "CHAN_START":
            leg.started_at = min(leg.started_at, e.eventtime)
        elif e.eventtype == "ANSWER" and leg.answered_at is None:
            leg.answered_at = e.eventtime
        elif e.eventtype == "BRIDGE_ENTER":
            leg.bridged_at = e.eventtime
        elif e.eventtype == "HANGUP":
            leg.dial_status = str(e.extra_fields.get("dialstatus") or "")
        leg.dnid = leg.dnid or e.cid_dnid
    return legs


def _direction(
    first: _Leg, legs: Iterable[_Leg], events: Sequence[CelEvent]
) -> tuple[Direction, str | None]:
    if first.external:
        return Direction.IN, first.cid_num or None
    if first.extension is None:
        return Direction.INTERNAL, None
    if not any(leg.external for leg in legs):
        return Direction.INTERNAL, None
    dials = [
        e
        for e in events
        if e.uniqueid == first.uniqueid and e.eventtype == "APP_START" and e.appname == "Dial"
    ]
    number = next((n for e in dials if (n := dial_number(e.appdata.split(",")[0]))), None)
    return Direction.OUT, number or (dials[0].exten if dials else None)


def _answer(
    first: _Leg, legs: Iterable[_Leg], direction: Direction
) -> tuple[str | None, float | None]:
    """Who is talking to the customer at the end, and when the call was first answered."""
    others = [leg for leg in legs if leg is not first]
    if direction is Direction.OUT:
        answered = [leg.answered_at for leg in others if leg.external and leg.answered_at]
        return first.extension, min(answered) if answered else None
    managers = [leg for leg in others if leg.extension and leg.answered_at is not None]
    if not managers:
        return None, None
    talking = max(managers, key=lambda leg: leg.bridged_at or leg.answered_at or 0.0)
    return talking.extension, min(leg.answered_at or 0.0 for leg in managers)


def _status(
    direction: Direction, answered_at: float | None, first: _Leg, legs: Iterable[_Leg]
) -> tuple[Status, str | None]:
    """The call log's status, in the words the AMI tracker uses for the same outcomes."""
    if answered_at is not None:
        return Status.ANSWERED, None
    statuses = {leg.dial_status for leg in legs if leg.dial_status}
    if direction is Direction.OUT:
        if "BUSY" in statuses:
            return Status.BUSY, "the customer's line is busy"
        if statuses & {"CHANUNAVAIL", "CONGESTION"}:
            return Status.FAILED, "the customer's number is unreachable"
        if first.answered_at is None:
            return Status.FAILED, "the manager's phone did not answer"
        return Status.MISSED, "the customer did not answer"
    if statuses == {"BUSY"}:
        return Status.BUSY, "every phone dialled was busy"
    if not statuses or "CANCEL" in statuses:
        return Status.MISSED, "the caller hung up before an answer"
    return Status.MISSED, "nobody answered"


def _recordings(events: Sequence[CelEvent], monitor_dir: str) -> tuple[str, ...]:
    """MixMonitor's files, as Asterisk names them (relative names land in its monitor dir)."""
    files: list[str] = []
    for e in events:
        if e.eventtype == "APP_START" and e.appname.lower() == "mixmonitor":
            name = e.appdata.split(",")[0].strip()
            if name and not name.startswith("/") and monitor_dir:
                name = f"{monitor_dir.rstrip('/')}/{name}"
            if name and name not in files:
                files.append(name)
    return tuple(files)


def _line(first: _Leg, events: Sequence[CelEvent]) -> str | None:
    """The number the caller dialled: the dialplan's CRM_LINE event, else the inbound
    channel's first extension, else its DNID."""
    for e in events:
        if e.uniqueid == first.uniqueid and (e.userdeftype or e.eventtype) == LINE_EVENT:
            text = e.extra_fields.get("extra")
            if isinstance(text, str) and text.strip():
                return text.strip()
    if first.exten and first.exten != "s":
        return first.exten
    return first.dnid or None
