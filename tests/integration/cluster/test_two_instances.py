"""Two ``callcenter serve`` processes on one PostgreSQL, bridged to the fake AMI server: the
operator's browser is connected to B while A leads the PBX; A is SIGKILLed in the middle of
the call and B takes over; A comes back as a standby. (tests/asterisk/cluster/ does the same
with a real Asterisk and SIP calls.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.fakes.threaded_ami import ThreadedAmi, chan, event, wait_until
from tests.integration.conftest import scratch_pg_database
from tests.integration.webhooks.test_webhook_delivery import DESK, TRUNK, ring, talk_and_hang_up
from tests.serve import Serve, fake_pbx, ws_frames


def instance(tmp_path: Path, name: str, pg: str, ami: ThreadedAmi) -> Serve:
    (tmp_path / name).mkdir()
    return Serve(
        tmp_path / name,
        CALLCENTER_DATABASE_URL=pg,
        CALLCENTER_INSTANCE_NAME=name,
        CALLCENTER_RECORDINGS_DIR=str(tmp_path / "recordings"),  # one store for both
        **fake_pbx(ami.server.port),
    )


@pytest.fixture
def ami() -> Iterator[ThreadedAmi]:
    server = ThreadedAmi()
    yield server
    server.close()


def ringing_channels() -> list[dict[str, str]]:
    """What CoreShowChannels lists while the call of ``ring()`` rings."""
    return [
        {"Channel": TRUNK[0], "Uniqueid": TRUNK[1], "Linkedid": TRUNK[2], "ChannelState": "4",
         "CallerIDNum": "89161234567", "Exten": "74951234567", "Duration": "00:00:03"},
        {"Channel": DESK[0], "Uniqueid": DESK[1], "Linkedid": TRUNK[2], "ChannelState": "5",
         "Duration": "00:00:02"},
    ]  # fmt: skip


def test_the_pop_reaches_the_other_instance_and_survives_the_leaders_death(
    pg: str, tmp_path: Path, ami: ThreadedAmi
) -> None:
    a, b = instance(tmp_path, "a", pg, ami), instance(tmp_path, "b", pg, ami)
    operator = a.token("op1", "operator", extension="101")
    supervisor = a.token("boss", "supervisor")
    a.start()
    b.start(standby=True)
    try:
        assert b.health()["pbx"]["default"]["leader_instance"] == "a"  # type: ignore[index]
        with connect(f"ws://127.0.0.1:{b.port}/ws?token={operator}") as ws:
            ami.server.live_channels = ringing_channels()
            ami.push(*ring())
            [pop] = [f for f in ws_frames(ws, 3) if f["type"] == "call.ringing"]
            assert (pop["call_id"], pop["phone"]) == (TRUNK[2], "+79161234567")

            a.kill()
            killed = time.monotonic()
            wait_until(b.connected, timeout=10)
            took = time.monotonic() - killed
            assert took < 5, f"B took {took:.1f} s to lead"
            # B has re-synced: it knows the ringing call from CoreShowChannels (the fake PBX
            # sends what a test pushes at once, unlike Asterisk, which never sends a call's
            # events before the list of live channels it answers a new connection with).
            wait_until(lambda: b.health()["pbx"]["default"]["active_calls"] == 1)  # type: ignore[index]
            ami.push(*talk_and_hang_up())
            after = ws_frames(ws, 3)
        assert [f["type"] for f in after] == ["call.answered", "call.ended"], after
        assert after[1]["status"] == "answered"

        a.start(standby=True)
        health = a.health()
        assert health is not None and health["pbx"]["default"]["leader_instance"] == "b"
        assert (health["jobs_leader"], b.health()["jobs_leader"]) == (False, True)  # type: ignore[index]
        calls = wait_until(lambda: b.get("/api/v1/calls?status=answered", supervisor)["items"])
        assert len(b.get("/api/v1/calls", supervisor)["items"]) == 1
        [call] = calls
        assert (call["linkedid"], call["talk_seconds"]) == (TRUNK[2], 60)
    finally:
        a.stop()
        b.stop()


def test_click_to_call_on_the_standby_is_placed_by_the_leader(
    pg: str, tmp_path: Path, ami: ThreadedAmi
) -> None:
    a, b = instance(tmp_path, "a", pg, ami), instance(tmp_path, "b", pg, ami)
    operator = a.token("op1", "operator", extension="101")
    placed: list[dict[str, str]] = []

    def on_action(action: dict[str, str]) -> list[dict[str, str]] | None:
        if action.get("Action") != "Originate":
            return None
        placed.append(action)
        uid = action["ChannelId"]
        manager = ("PJSIP/101-0000000a", uid, uid)
        return [
            event("Newchannel", 0, **chan("", *manager, ChannelState="5")),
            event("Newstate", 3, **chan("", *manager, ChannelState="6")),
            event("OriginateResponse", 3, ActionID=action["ActionID"], Response="Success",
                  Reason="4", Channel=manager[0], Uniqueid=uid, Linkedid=uid),
        ]  # fmt: skip

    ami.server.on_action = on_action
    a.start()
    b.start(standby=True)
    try:
        me = b.get("/api/v1/me", operator)["manager"]
        answer = b.request(
            "POST",
            "/api/v1/calls/originate",
            operator,
            json={"manager_id": me["id"], "phone": "+7 916 123-45-67"},
        )
        assert answer["call_id"].startswith("crm-")
        [action] = placed
        assert action["Channel"] == "PJSIP/101" and action["Exten"] == "79161234567"
    finally:
        a.stop()
        b.stop()


def test_two_instances_started_at_once_on_an_empty_database(
    tmp_path: Path, ami: ThreadedAmi
) -> None:
    """Both migrate at start: one does, the other waits for it and finds the database done;
    then one leads and the other stands by."""
    with scratch_pg_database("together") as empty:
        a, b = instance(tmp_path, "a", empty, ami), instance(tmp_path, "b", empty, ami)
        for serve in (a, b):
            serve.launch()
        try:
            wait_until(lambda: a.connected() != b.connected() and a.health() and b.health(), 30)
            standby = b if a.connected() else a
            wait_until(standby.standing_by, 10)
        finally:
            a.stop()
            b.stop()


def test_an_instance_started_during_a_call_shows_its_ringing_pop(
    pg: str, tmp_path: Path, ami: ThreadedAmi
) -> None:
    """B was not running when the phone began to ring: it asks A for the pops at start, so
    the operator whose browser lands on B sees the call."""
    a, b = instance(tmp_path, "a", pg, ami), instance(tmp_path, "b", pg, ami)
    operator = a.token("op1", "operator", extension="101")
    a.start()
    try:
        with connect(f"ws://127.0.0.1:{a.port}/ws?token={operator}") as on_a:
            ami.push(*ring())
            assert [f["type"] for f in ws_frames(on_a, 2)] == ["call.ringing"]
        b.start(standby=True)
        with connect(f"ws://127.0.0.1:{b.port}/ws?token={operator}") as on_b:
            [pop] = ws_frames(on_b, 2)
        assert (pop["type"], pop["call_id"]) == ("call.ringing", TRUNK[2])
    finally:
        a.stop()
        b.stop()
