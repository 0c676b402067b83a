"""Two hubs as two instances, the relay carrying each change through JSON as the cluster bus
does: a browser on either instance gets the pops; a re-sync by a new leader pops nothing
twice; calls that ended while nobody led close their pops."""

from __future__ import annotations

import json
from typing import Any

from callcenter.screenpop.hub import ScreenPopHub
from tests.unit.callcenter.screenpop.test_screenpop_hub import (
    ANNA,
    BORIS,
    CALL,
    OTHER,
    frames,
    ringing,
)


def pair() -> tuple[ScreenPopHub, ScreenPopHub, list[tuple[str, list[Any]]]]:
    """Hub ``a`` relays to hub ``b`` (one way, like a leader to a standby); the wire log."""
    a, b = ScreenPopHub(), ScreenPopHub()
    wire: list[tuple[str, list[Any]]] = []

    def relay(change: str, args: list[Any]) -> None:
        sent = json.loads(json.dumps({"change": change, "args": args}, default=str))
        wire.append((change, sent["args"]))
        b.apply(sent["change"], sent["args"])

    a.relay = relay
    return a, b, wire


def test_a_browser_on_the_other_instance_gets_the_pop_and_its_end() -> None:
    a, b, wire = pair()
    anna_on_b = b.subscribe(ANNA)
    assert a.ring(CALL, ANNA, ringing())
    a.answer(CALL, ANNA)
    a.end(CALL, "answered")
    assert frames(anna_on_b) == [
        ringing(),
        {"type": "call.answered", "call_id": CALL[1], "answered_by": ANNA},
        {"type": "call.ended", "call_id": CALL[1], "status": "answered"},
    ]
    assert [change for change, _ in wire] == ["ring", "answer", "end"]


def test_what_a_hub_applies_it_does_not_relay_again() -> None:
    a, b, _ = pair()
    echoed: list[str] = []
    b.relay = lambda change, _args: echoed.append(change)
    a.ring(CALL, ANNA, ringing())
    a.notify([BORIS], {"type": "task.created", "call_id": None})
    assert echoed == []


def test_the_new_leaders_resync_pops_nothing_twice() -> None:
    """A rang Anna; B (which heard it) now leads and its re-sync rings her again."""
    a, b, _ = pair()
    anna_on_b = b.subscribe(ANNA)
    a.ring(CALL, ANNA, ringing())
    assert not b.ring(CALL, ANNA, ringing())
    assert frames(anna_on_b) == [ringing()]
    # A browser that reconnects to B gets the still-ringing pop once.
    assert frames(b.subscribe(ANNA)) == [ringing()]


def test_a_transfer_and_a_task_pop_cross_too() -> None:
    a, b, _ = pair()
    anna_on_b, boris_on_b = b.subscribe(ANNA), b.subscribe(BORIS)
    a.ring(OTHER, ANNA, ringing(OTHER[1]))
    a.merge(OTHER, CALL)
    a.end(CALL, "answered")
    a.notify([BORIS], {"type": "task.assigned", "call_id": None, "task_id": 5})
    assert frames(anna_on_b)[-1] == {"type": "call.ended", "call_id": OTHER[1], "status": "answered"}
    assert frames(boris_on_b) == [{"type": "task.assigned", "call_id": None, "task_id": 5}]


def test_pops_of_calls_that_ended_unseen_close_at_the_resync() -> None:
    a, b, _ = pair()
    anna_on_b = b.subscribe(ANNA)
    a.ring(CALL, ANNA, ringing())
    a.ring(OTHER, BORIS, ringing(OTHER[1]))
    a.answer(OTHER, BORIS)
    frames(anna_on_b)
    b.end_missing("default", live=[OTHER[1]])
    assert frames(anna_on_b) == [{"type": "call.ended", "call_id": CALL[1], "status": "missed"}]
    b.end_missing("other-pbx", live=[])
    assert b.ringing_message(OTHER) is not None  # another PBX's calls are left alone


def test_board_messages_reach_the_other_instances_boards_and_listeners() -> None:
    a, b, _ = pair()
    heard: list[dict[str, Any]] = []
    b.board_listeners.append(heard.append)
    board_on_b = b.subscribe(ANNA, board_snapshot={"type": "board.snapshot", "call_id": None})
    frames(board_on_b)
    message = {"type": "board.call", "call": {"pbx": "default", "call_id": "1", "state": "ringing"}}
    a.publish_board(message)
    a.publish_board({"type": "board.cluster", "cluster": {}}, share=False)
    assert heard == [message]
    assert frames(board_on_b) == [message]


def test_an_instance_that_starts_takes_the_pops_as_another_holds_them() -> None:
    a, _, _ = pair()
    a.ring(CALL, ANNA, ringing())
    a.ring(OTHER, BORIS, ringing(OTHER[1]))
    a.answer(OTHER, BORIS)
    restarted = ScreenPopHub()
    anna, boris = restarted.subscribe(ANNA), restarted.subscribe(BORIS)
    exported = json.loads(json.dumps(a.export(), default=str))
    assert restarted.load(exported) == 2
    assert frames(anna) == [ringing()]  # still ringing: her pop comes
    assert frames(boris) == []  # answered already: nothing to show
    assert restarted.load(exported) == 0  # known calls are not taken twice
    assert not restarted.ring(CALL, ANNA, ringing())
    restarted.end(OTHER, "answered")
    assert frames(boris) == [{"type": "call.ended", "call_id": OTHER[1], "status": "answered"}]
