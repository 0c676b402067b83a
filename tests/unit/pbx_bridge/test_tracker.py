"""CallTracker on hand-built event sequences; tests on recorded traces live beside it."""

from __future__ import annotations

from collections.abc import Iterable

from pbx_bridge import events as ev
from pbx_bridge.tracker import (
    CallAnswered,
    CallEnded,
    CallsMerged,
    CallSnapshot,
    CallTracker,
    Change,
    DevicePresence,
    DeviceRinging,
    Direction,
    OriginateRequested,
    OriginateResult,
    Resync,
    Resynced,
    Status,
    TrueTimes,
)

CUSTOMER = "79161234567"


def ch(name: str, uid: str, lid: str, num: str = "", state: int = 0) -> ev.Channel:
    return ev.Channel(name=name, uniqueid=uid, linkedid=lid, caller_num=num, state=state)


A = ch("PJSIP/anonymous-00000001", "a", "a", CUSTOMER)
M101 = ch("PJSIP/101-00000002", "b1", "a")
M102 = ch("PJSIP/102-00000003", "b2", "a")


def run(events: Iterable[object], tracker: CallTracker | None = None) -> list[Change]:
    tracker = tracker or CallTracker()
    changes: list[Change] = []
    for event in events:
        changes.extend(tracker.apply(event))
    return changes


def ended(changes: list[Change]) -> CallSnapshot:
    finals = [c.call for c in changes if isinstance(c, CallEnded)]
    assert len(finals) == 1, changes
    return finals[0]


def ringing_then(status: str, *dests: ev.Channel, answer_at: float = 5.0) -> list[object]:
    events: list[object] = [ev.Newchannel(0.0, A)]
    for dest in dests:
        events += [ev.Newchannel(1.0, dest), ev.DialBegin(1.0, A, dest, dest.name[6:9])]
    return events


def test_inbound_answered() -> None:
    changes = run(
        [
            *ringing_then("", M101),
            ev.DialEnd(5.0, A, M101, "ANSWER"),
            ev.BridgeEnter(5.0, A, "br1"),
            ev.BridgeEnter(5.0, M101, "br1"),
            ev.BridgeLeave(65.0, M101, "br1"),
            ev.Hangup(65.0, M101, 16, "Normal Clearing"),
            ev.Hangup(65.2, A, 16, "Normal Clearing"),
        ]
    )
    assert [c.extension for c in changes if isinstance(c, DeviceRinging)] == ["101"]
    assert [c.extension for c in changes if isinstance(c, CallAnswered)] == ["101"]
    call = ended(changes)
    assert call.call_id == "a"
    assert call.direction is Direction.IN
    assert call.number == CUSTOMER
    assert call.status is Status.ANSWERED
    assert call.answered_by == "101"
    assert call.rang == ("101",)
    assert (call.wait_seconds, call.talk_seconds) == (5, 60)


def test_ring_group_second_phone_answers() -> None:
    changes = run(
        [
            *ringing_then("", M101, M102),
            ev.DialEnd(4.0, A, M102, "ANSWER"),
            ev.DialEnd(4.0, A, M101, "CANCEL"),
            ev.Hangup(4.0, M101, 26, "Answered elsewhere"),
            ev.Hangup(30.0, M102, 16, ""),
            ev.Hangup(30.0, A, 16, ""),
        ]
    )
    assert [c.extension for c in changes if isinstance(c, DeviceRinging)] == ["101", "102"]
    call = ended(changes)
    assert call.rang == ("101", "102")
    assert call.answered_by == "102"
    assert call.status is Status.ANSWERED


def test_no_answer_busy_and_caller_hangup() -> None:
    def outcome(status: str) -> CallSnapshot:
        return ended(
            run(
                [
                    *ringing_then("", M101),
                    ev.DialEnd(20.0, A, M101, status),
                    ev.Hangup(20.0, M101, 19, ""),
                    ev.Hangup(20.5, A, 16, ""),
                ]
            )
        )

    missed = outcome("NOANSWER")
    assert (missed.status, missed.status_reason) == (Status.MISSED, "nobody answered")
    assert missed.wait_seconds == 20 and missed.talk_seconds is None
    assert outcome("BUSY").status is Status.BUSY
    cancelled = outcome("CANCEL")
    assert cancelled.status is Status.MISSED
    assert cancelled.status_reason == "the caller hung up before an answer"


def test_blind_transfer_moves_the_call_to_the_new_manager() -> None:
    changes = run(
        [
            *ringing_then("", M101),
            ev.DialEnd(5.0, A, M101, "ANSWER"),
            ev.BridgeEnter(5.0, A, "br1"),
            ev.BridgeEnter(5.0, M101, "br1"),
            ev.BlindTransfer(30.0, "Success", M101, A, "102"),
            ev.BridgeLeave(30.0, A, "br1"),
            ev.Hangup(30.0, M101, 16, ""),
            ev.Newchannel(30.0, M102),
            ev.DialBegin(30.0, A, M102, "102"),
            ev.DialEnd(33.0, A, M102, "ANSWER"),
            ev.BridgeEnter(33.0, A, "br2"),
            ev.BridgeEnter(33.0, M102, "br2"),
            ev.Hangup(93.0, M102, 16, ""),
            ev.Hangup(93.0, A, 16, ""),
        ]
    )
    assert [c.extension for c in changes if isinstance(c, CallAnswered)] == ["101", "102"]
    call = ended(changes)
    assert call.answered_by == "102"
    assert call.rang == ("101", "102")
    assert (call.wait_seconds, call.talk_seconds) == (5, 88)


def test_attended_transfer_merges_the_consultation_call() -> None:
    consult_101 = ch("PJSIP/101-00000004", "c1", "c1")
    consult_102 = ch("PJSIP/102-00000005", "c2", "c1")
    tracker = CallTracker()
    changes = run(
        [
            *ringing_then("", M101),
            ev.DialEnd(5.0, A, M101, "ANSWER"),
            ev.BridgeEnter(5.0, A, "br1"),
            ev.BridgeEnter(5.0, M101, "br1"),
            # 101 puts the customer on hold and calls 102: a call of its own.
            ev.Newchannel(20.0, consult_101),
            ev.Newchannel(20.0, consult_102),
            ev.DialBegin(20.0, consult_101, consult_102, "102"),
            ev.DialEnd(23.0, consult_101, consult_102, "ANSWER"),
            ev.BridgeEnter(23.0, consult_101, "br2"),
            ev.BridgeEnter(23.0, consult_102, "br2"),
            # The transfer: 102 joins the customer's bridge and takes the oldest Linkedid.
            ev.AttendedTransfer(40.0, "Success", M101, consult_101, A, consult_102),
            ev.BridgeEnter(40.0, ch("PJSIP/102-00000005", "c2", "a"), "br1"),
            ev.Hangup(40.0, ch("PJSIP/101-00000004", "c1", "a"), 16, ""),
            ev.Hangup(40.0, M101, 16, ""),
            ev.Hangup(100.0, ch("PJSIP/102-00000005", "c2", "a"), 16, ""),
            ev.Hangup(100.0, A, 16, ""),
        ],
        tracker,
    )
    merged = [c for c in changes if isinstance(c, CallsMerged)]
    assert [(m.absorbed_id, m.call.call_id) for m in merged] == [("c1", "a")]
    call = ended(changes)
    assert call.call_id == "a"
    assert call.direction is Direction.IN
    assert call.answered_by == "102"
    assert call.talk_seconds == 95
    assert tracker.active_calls == []


def test_internal_call() -> None:
    caller = ch("PJSIP/101-00000001", "i1", "i1")
    callee = ch("PJSIP/103-00000002", "i2", "i1")
    call = ended(
        run(
            [
                ev.Newchannel(0.0, caller),
                ev.Newchannel(0.1, callee),
                ev.DialBegin(0.1, caller, callee, "103"),
                ev.DialEnd(2.0, caller, callee, "ANSWER"),
                ev.Hangup(9.0, callee, 16, ""),
                ev.Hangup(9.0, caller, 16, ""),
            ]
        )
    )
    assert call.direction is Direction.INTERNAL
    assert call.number is None
    assert call.answered_by == "103"


def originate_events(customer_answers: str) -> list[object]:
    manager = ch("PJSIP/101-00000001", "crm-1", "crm-1")
    customer = ch("PJSIP/customer-00000002", "o2", "crm-1")
    return [
        OriginateRequested(0.0, "crm-1", "101", "79031112233", "act-1"),
        ev.Newchannel(0.1, manager),
        ev.Newstate(3.0, ch("PJSIP/101-00000001", "crm-1", "crm-1", state=6)),
        ev.OriginateResponse(3.0, "act-1", True, 4, "PJSIP/101-00000001", "crm-1", "crm-1"),
        ev.Newchannel(3.1, customer),
        ev.DialBegin(3.1, manager, customer, "79031112233@customer"),
        ev.DialEnd(8.0, manager, customer, customer_answers),
        ev.Hangup(48.0, customer, 16, ""),
        ev.Hangup(48.0, manager, 16, ""),
    ]


def test_click_to_call_answered() -> None:
    changes = run(originate_events("ANSWER"))
    results = [c for c in changes if isinstance(c, OriginateResult)]
    assert [(r.call_id, r.success) for r in results] == [("crm-1", True)]
    call = ended(changes)
    assert call.direction is Direction.OUT
    assert call.number == "79031112233"
    assert call.answered_by == "101"
    assert call.rang == ("101",)
    assert call.status is Status.ANSWERED
    assert (call.wait_seconds, call.talk_seconds) == (8, 40)


def test_click_to_call_customer_busy() -> None:
    call = ended(run(originate_events("BUSY")))
    assert (call.status, call.status_reason) == (Status.BUSY, "the customer's line is busy")


def test_click_to_call_manager_phone_unavailable() -> None:
    changes = run(
        [
            OriginateRequested(0.0, "crm-2", "104", "79031112233", "act-2"),
            ev.OriginateResponse(0.5, "act-2", False, 0, "PJSIP/104", "", ""),
        ]
    )
    results = [c for c in changes if isinstance(c, OriginateResult)]
    assert [(r.call_id, r.success) for r in results] == [("crm-2", False)]
    assert results[0].reason == "the manager's phone is unavailable"
    call = ended(changes)
    assert call.call_id == "crm-2"
    assert call.status is Status.FAILED
    assert call.direction is Direction.OUT
    assert call.status_reason == "the manager's phone is unavailable"


def test_resync_closes_calls_that_ended_while_away_and_adopts_new_ones() -> None:
    tracker = CallTracker()
    run(ringing_then("", M101), tracker)
    assert [c.call_id for c in tracker.active_calls] == ["a"]
    live = (
        ev.CoreShowChannel(
            0.0, ch("PJSIP/anonymous-0000000a", "n1", "n1", CUSTOMER, 6), "br9", "", 30
        ),
        ev.CoreShowChannel(0.0, ch("PJSIP/102-0000000b", "n2", "n1", state=6), "br9", "", 28),
    )
    changes = run([Resync(100.0, live)], tracker)
    gone = ended(changes)
    assert gone.call_id == "a"
    assert gone.status is Status.MISSED  # no phantom "ringing" call is left
    assert gone.ended_at == 100.0
    [adopted] = tracker.active_calls
    assert adopted.call_id == "n1"
    assert adopted.direction is Direction.IN
    assert adopted.started_at == 70.0
    assert adopted.answered_by == "102"
    assert changes[-1] == Resynced(100.0, live=("n1",))


def test_true_times_replace_the_moment_of_the_resync() -> None:
    """After a crash the tracker first knows an answered call at the re-sync; the PBX's own
    record (CEL) then gives its real start and answer, and the talk time comes out true."""
    tracker = CallTracker()
    live = (
        ev.CoreShowChannel(0.0, ch("PJSIP/trunk-0000000a", "n1", "n1", CUSTOMER, 6), "b", "", 4),
        ev.CoreShowChannel(0.0, ch("PJSIP/101-0000000b", "n2", "n1", state=6), "b", "", 3),
    )
    run([Resync(100.0, live)], tracker)
    [updated] = run([TrueTimes(100.5, "n1", 95.2, 96.4, "101")], tracker)
    assert updated.call.started_at == 95.2 and updated.call.answered_at == 96.4
    done = run(
        [ev.Hangup(105.0, live[1].channel, 16, ""), ev.Hangup(105.0, live[0].channel, 16, "")],
        tracker,
    )
    final = ended(done)
    assert (final.talk_seconds, final.wait_seconds) == (9, 1)
    assert run([TrueTimes(106.0, "gone", 1.0)], tracker) == []


def test_the_line_is_the_number_the_caller_dialled() -> None:
    inbound = ev.Channel(
        "PJSIP/trunk-00000001", "l1", "l1", caller_num=CUSTOMER, exten="74951234567"
    )
    [new] = run([ev.Newchannel(0.0, inbound)])
    assert new.call.line == "74951234567"
    # The dialplan's CRM_LINE (the To header, say) wins over the request's number.
    tracker = CallTracker()
    run([ev.Newchannel(0.0, inbound)], tracker)
    [changed] = run([ev.VarSet(0.1, inbound, "CRM_LINE", "74957654321")], tracker)
    assert changed.call.line == "74957654321"
    # An outbound call has no line.
    assert run([ev.Newchannel(0.0, ch("PJSIP/101-00000009", "o1", "o1"))])[0].call.line is None


def test_resync_does_not_revive_a_channel_that_hung_up() -> None:
    tracker = CallTracker()
    run([*ringing_then("", M101), ev.Hangup(3.0, M101, 16, ""), ev.Hangup(3.0, A, 16, "")], tracker)
    changes = run([Resync(3.5, (ev.CoreShowChannel(3.5, A, "", "", 3),))], tracker)
    assert changes == [Resynced(3.5, live=())]
    assert tracker.active_calls == []


def test_events_of_unknown_channels_change_nothing() -> None:
    tracker = CallTracker()
    stray = ch("PJSIP/101-000000ff", "zz", "zz")
    assert (
        run([ev.Hangup(1.0, stray, 16, ""), ev.DialEnd(1.0, None, stray, "ANSWER")], tracker) == []
    )
    assert tracker.active_calls == []


def test_device_presence() -> None:
    changes = run(
        [
            ev.DeviceStateChange(1.0, "PJSIP/101", "INUSE"),
            ev.DeviceStateChange(1.0, "Queue:sales", "INUSE"),
            ev.DeviceStateChange(1.0, "PJSIP/trunk", "NOT_INUSE"),
            ev.DeviceStateChange(1.0, "PJSIP/web101", "NOT_INUSE"),
            ev.DeviceStateChange(1.0, "PJSIP/webrtc", "NOT_INUSE"),
        ]
    )
    # The browser softphone (web101) is 101's too, told apart from the desk phone.
    assert changes == [
        DevicePresence("101", "INUSE"),
        DevicePresence("101", "NOT_INUSE", softphone=True),
    ]


def test_recording_file_and_route_ride_on_channel_variables() -> None:
    recorded = ev.Channel(
        "PJSIP/anonymous-00000001",
        "a",
        "a",
        caller_num=CUSTOMER,
        variables={"MIXMONITOR_FILENAME": "/var/spool/asterisk/monitor/a.wav", "CRM_ROUTE": "vip"},
    )
    call = run(
        [ev.Newchannel(0.0, A), ev.Newstate(0.5, recorded), ev.Hangup(1.0, recorded, 16, "")]
    )
    final = ended(call)
    assert final.recordings == ("/var/spool/asterisk/monitor/a.wav",)
    assert final.route == "vip"


def test_a_late_originate_failure_refines_the_reason() -> None:
    manager = ch("PJSIP/101-0000000a", "crm-3", "crm-3")
    changes = run(
        [
            OriginateRequested(0.0, "crm-3", "101", "79031112233", "act-3"),
            ev.Newchannel(0.1, manager),
            ev.Hangup(2.0, manager, 17, "User busy"),
            ev.OriginateResponse(2.0, "act-3", False, 5, "PJSIP/101", "crm-3", "crm-3"),
        ]
    )
    first = ended(changes)
    assert first.status_reason == "the manager's phone did not answer"
    [refined] = [c.call for c in changes if type(c).__name__ == "CallUpdated" and c.call.ended_at]
    assert (refined.status, refined.status_reason) == (Status.FAILED, "the manager's phone is busy")
