"""CallTracker fed with AMI traces recorded from a real Asterisk 22 (tests/fixtures/ami)."""

from __future__ import annotations

from typing import Any

import pytest

from pbx_bridge import events as ev
from pbx_bridge.tracker import (
    CallAnswered,
    CallEnded,
    CallSnapshot,
    CallTracker,
    Change,
    DevicePresence,
    DeviceRinging,
    Direction,
    OriginateRequested,
    OriginateResult,
    Resync,
    Status,
)
from tests.fakes.traces import load_trace

CUSTOMER = "79161234567"


def replay(name: str, originate: tuple[str, str] | None = None) -> tuple[CallTracker, list[Change]]:
    """Feed a trace; ``originate=(extension, number)`` first tells the tracker of the
    Originate the recorder sent (ChannelId = the first channel's Uniqueid)."""
    messages = [m for m in load_trace(name) if "Event" in m]
    tracker = CallTracker()
    changes: list[Change] = []
    if originate is not None:
        first = next((m["Uniqueid"] for m in messages if m["Event"] == "Newchannel"), "none")
        action = next(m["ActionID"] for m in messages if m["Event"] == "OriginateResponse")
        changes += tracker.apply(OriginateRequested(0.0, first, *originate, action))
    for message in messages:
        event = ev.parse_event(message)
        if event is not None:
            changes += tracker.apply(event)
    return tracker, changes


def final(changes: list[Change]) -> list[CallSnapshot]:
    return [c.call for c in changes if isinstance(c, CallEnded)]


def one_call(name: str, **kwargs: Any) -> tuple[CallSnapshot, list[Change]]:
    tracker, changes = replay(name, **kwargs)
    calls = final(changes)
    assert len(calls) == 1, calls
    assert tracker.active_calls == []
    return calls[0], changes


def test_inbound_answered() -> None:
    call, changes = one_call("inbound_answered")
    assert call.direction is Direction.IN
    assert call.number == CUSTOMER
    assert (call.status, call.answered_by, call.rang) == (Status.ANSWERED, "101", ("101",))
    assert call.talk_seconds is not None and call.talk_seconds >= 2
    assert call.wait_seconds is not None and call.wait_seconds <= 3
    assert call.recordings == (f"/var/spool/asterisk/monitor/{call.call_id}.wav",)
    assert [c.extension for c in changes if isinstance(c, DeviceRinging)] == ["101"]
    assert [c.extension for c in changes if isinstance(c, CallAnswered)] == ["101"]
    assert DevicePresence("101", "INUSE") in changes


@pytest.mark.parametrize(
    ("trace", "status", "reason", "rang"),
    [
        ("inbound_noanswer", Status.MISSED, "nobody answered", ("101",)),
        ("inbound_busy", Status.BUSY, "every phone dialled was busy", ("103",)),
        ("caller_hangup_ringing", Status.MISSED, "the caller hung up before an answer", ("101",)),
    ],
)
def test_inbound_not_answered(trace: str, status: Status, reason: str, rang: tuple[str]) -> None:
    call, _ = one_call(trace)
    assert call.direction is Direction.IN
    assert (call.status, call.status_reason, call.rang) == (status, reason, rang)
    assert call.answered_by is None and call.talk_seconds is None


def test_ring_group_second_answers() -> None:
    call, changes = one_call("ring_group_second_answers")
    assert call.rang == ("101", "102")
    assert (call.status, call.answered_by) == (Status.ANSWERED, "102")
    ringing = [c.extension for c in changes if isinstance(c, DeviceRinging)]
    assert sorted(ringing) == ["101", "102"]


def test_click_to_call() -> None:
    call, changes = one_call("originate_click_to_call", originate=("101", "79031112233"))
    assert call.direction is Direction.OUT
    assert call.number == "79031112233"
    assert (call.status, call.answered_by) == (Status.ANSWERED, "101")
    results = [c for c in changes if isinstance(c, OriginateResult)]
    assert [(r.success, r.call_id) for r in results] == [(True, call.call_id)]
    # Answered when the customer picked up, not when the manager did.
    assert call.answered_at is not None and call.answered_at > call.started_at


def test_click_to_call_manager_does_not_answer() -> None:
    call, changes = one_call("originate_manager_noanswer", originate=("101", "79031112233"))
    assert call.status is Status.FAILED
    results = [c for c in changes if isinstance(c, OriginateResult)]
    assert results[0].reason == "the manager's phone did not answer"


def test_click_to_call_manager_phone_unavailable() -> None:
    call, changes = one_call("originate_manager_unavailable", originate=("104", "79031112233"))
    assert (call.status, call.status_reason) == (
        Status.FAILED,
        "the manager's phone is unavailable",
    )


@pytest.mark.parametrize("trace", ["blind_transfer", "attended_transfer"])
def test_transfers_follow_the_answering_manager(trace: str) -> None:
    tracker, changes = replay(trace)
    calls = [c for c in final(changes) if c.direction is Direction.IN]
    assert len(calls) == 1, final(changes)
    call = calls[0]
    assert call.status is Status.ANSWERED
    assert call.answered_by == "102"
    assert "101" in call.rang and "102" in call.rang
    assert [
        c.extension
        for c in changes
        if isinstance(c, CallAnswered) and c.call.call_id == call.call_id
    ][-1] == "102"
    assert tracker.active_calls == []


def test_restart_mid_call_ends_the_call() -> None:
    call, _ = one_call("restart_midcall")
    assert call.status is Status.ANSWERED
    assert call.answered_by == "101"


@pytest.mark.parametrize("trace", ["inbound_agi_routed", "inbound_agi_down"])
def test_agi_traces_are_tracked(trace: str) -> None:
    tracker, changes = replay(trace)
    calls = final(changes)
    assert [c.direction for c in calls] == [Direction.IN]
    assert calls[0].status is Status.ANSWERED
    assert tracker.active_calls == []


def test_coreshowchannels_reply_resyncs() -> None:
    messages = load_trace("coreshowchannels_midcall")
    listed = [ev.parse_event(m) for m in messages if m.get("Event") == "CoreShowChannel"]
    channels = tuple(c for c in listed if isinstance(c, ev.CoreShowChannel))
    assert len(channels) >= 2
    tracker = CallTracker()
    tracker.apply(Resync(2_000_000_000.0, channels))
    [live] = tracker.active_calls
    assert live.direction is Direction.IN
    assert live.answered_by is not None
