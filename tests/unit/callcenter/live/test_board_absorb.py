"""The live board of a standby keeps what the PBX's leader tells its boards, so a board
opened on the standby starts from the same snapshot."""

from __future__ import annotations

from typing import Any

from callcenter.live.board import LiveBoard
from callcenter.screenpop.hub import ScreenPopHub


def board() -> LiveBoard:
    return LiveBoard(ScreenPopHub(), sessionmaker=None)  # type: ignore[arg-type]


def call(state: str) -> dict[str, Any]:
    return {"pbx": "default", "call_id": "1790000000.1", "state": state, "phone": "+7916"}


def test_calls_and_managers_from_the_leader_are_in_the_snapshot() -> None:
    standby = board()
    standby.absorb({"type": "board.call", "call": call("ringing")})
    standby.absorb({"type": "board.call", "call": call("talking")})
    manager = {"id": 3, "name": "Анна", "device_state": "INUSE"}
    standby.absorb({"type": "board.manager", "manager": manager})
    snapshot = standby.snapshot()
    assert snapshot["calls"] == [call("talking")]
    assert snapshot["managers"] == [manager]
    assert snapshot["cluster"] is None  # one instance: nothing to say of leaders
    standby.absorb({"type": "board.call", "call": call("ended")})
    standby.absorb({"type": "board.stats", "stats": {"calls": 9}})  # its own, from the db
    assert standby.snapshot()["calls"] == []
    assert standby.stats == {}
