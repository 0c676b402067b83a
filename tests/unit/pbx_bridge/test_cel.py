"""CEL records as calls, on traces recorded from the real Asterisk 22 of tests/asterisk
(cel_custom with the sample mapping of docker/asterisk/cel_custom.conf)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pbx_bridge.cel import CelEvent, CelRecordError, group_calls, parse_record
from pbx_bridge.tracker import CallSnapshot, Direction, Status

TRACES = Path(__file__).parents[2] / "fixtures" / "cel"
MONITOR = "/var/spool/asterisk/monitor"


def events(name: str) -> list[CelEvent]:
    with (TRACES / f"{name}.csv").open(newline="") as f:
        return [parse_record(row) for row in csv.reader(f)]


def only_call(name: str) -> CallSnapshot:
    calls = group_calls(events(name))
    assert len(calls) == 1, calls
    (call,) = calls.values()
    assert call.complete
    return call.snapshot("PJSIP", MONITOR)


def test_answered_through_the_fallback_group() -> None:
    snap = only_call("inbound_answered_fallback")
    assert snap.call_id == "1796422682.0"
    assert snap.direction is Direction.IN
    assert snap.number == "79161234567"
    assert snap.line == "74951234567"
    assert snap.rang == ("101", "102")
    assert snap.answered_by == "101"
    assert snap.status is Status.ANSWERED
    # The exact CEL times: CHAN_START of the caller, ANSWER of 101, LINKEDID_END.
    assert snap.started_at == pytest.approx(1796422682.097292)
    assert snap.answered_at == pytest.approx(1796422683.106222)
    assert snap.ended_at == pytest.approx(1796422686.115129)
    assert (snap.wait_seconds, snap.talk_seconds) == (1, 3)
    assert snap.recordings == (f"{MONITOR}/1796422682.0.wav",)


def test_nobody_answers() -> None:
    snap = only_call("inbound_noanswer")
    assert snap.status is Status.MISSED
    assert snap.status_reason == "nobody answered"
    assert snap.answered_by is None and snap.answered_at is None
    assert snap.rang == ("101",)
    assert snap.wait_seconds is not None and snap.wait_seconds >= 19


def test_caller_hangs_up_while_ringing() -> None:
    snap = only_call("inbound_cancel")
    assert snap.status is Status.MISSED
    assert snap.status_reason == "the caller hung up before an answer"
    assert snap.talk_seconds is None


def test_busy() -> None:
    snap = only_call("inbound_busy")
    assert snap.status is Status.BUSY
    assert snap.status_reason == "every phone dialled was busy"


def test_abandoned_in_a_queue() -> None:
    snap = only_call("queue_abandoned")
    assert snap.number == "79161234568"
    assert snap.line == "7003"
    assert snap.status is Status.MISSED
    assert snap.status_reason == "the caller hung up before an answer"
    assert set(snap.rang) == {"101", "102", "103"}


def test_answered_in_a_queue() -> None:
    snap = only_call("queue_answered")
    assert snap.status is Status.ANSWERED
    assert snap.answered_by == "102"
    assert snap.talk_seconds == 3


def test_a_call_in_progress_is_not_complete() -> None:
    rows = [e for e in events("inbound_answered") if e.eventtype in ("CHAN_START", "ANSWER")]
    (call,) = group_calls(rows).values()
    assert not call.complete
    snap = call.snapshot()
    assert snap.status is None and snap.ended_at is None
    assert snap.answered_by == "101" and snap.answered_at is not None


def test_calls_joined_by_a_changed_linkedid() -> None:
    """A transfer rewrites a channel's Linkedid: both groups are one call, named by the newer."""
    a = [e for e in events("inbound_answered")]
    b = [e for e in events("inbound_noanswer")]
    moved = b[0].uniqueid
    # One channel of b shows up later under a's Linkedid.
    late = CelEvent("BRIDGE_ENTER", b[-1].eventtime + 1, moved, a[0].linkedid, b[0].channame)
    calls = group_calls([*a, *b, late])
    assert list(calls) == [a[0].linkedid]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (["ANSWER", "x"] + [""] * 13, "event time 'x' is not a number"),
        (["ANSWER"], "1 fields, expected 15"),
        (["ANSWER", "1796422682.1"] + [""] * 8 + ["1.1", "bad id;", "", "", ""], "linkedid"),
        (["", "1796422682.1"] + [""] * 8 + ["1.1", "1.1", "", "", ""], "no event type"),
    ],
)
def test_a_garbled_record_says_why(row: list[str], reason: str) -> None:
    with pytest.raises(CelRecordError, match=reason):
        parse_record(row)
