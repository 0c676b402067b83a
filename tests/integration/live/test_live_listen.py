"""Live listening through the running service: fake AMI (scripted Originate) → a fake AudioSocket
sender pushing a 1 kHz tone → the relay → an aiortc client peer, signalled over the real API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.fakes.audiosocket_sender import FakeAudioSocket, ListeningPeer, ToneTrack, dominant_hz
from tests.fakes.threaded_ami import ThreadedAmi, chan, event, wait_until
from tests.integration.calls.test_bridge_end_to_end import DESK, TRUNK, calls, ringing_events
from tests.integration.conftest import Team, User

CALL_ID = TRUNK[2]
URL = f"/api/v1/live/calls/{CALL_ID}/listen"
ANSWER = [
    event("DialEnd", 6, **chan("", *TRUNK), **chan("Dest", *DESK), DialStatus="ANSWER"),
    event("BridgeEnter", 6, **chan("", *TRUNK), BridgeUniqueid="br-1"),
    event("BridgeEnter", 6, **chan("", *DESK), BridgeUniqueid="br-1"),
]
HANGUP = [
    event("Hangup", 66, **chan("", *DESK), Cause="16"),
    event("Hangup", 66, **chan("", *TRUNK), Cause="16"),
]


@dataclass
class Spy:
    """Plays Asterisk: on the ChanSpy Originate, an AudioSocket channel connects and streams."""

    ami: ThreadedAmi
    hangup_after: float | None = None
    originates: list[dict[str, str]] = field(default_factory=list)
    senders: list[FakeAudioSocket] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def on_action(self, action: dict[str, str]) -> list[dict[str, str]] | None:
        if action.get("Action") == "Originate" and action.get("Application") == "ChanSpy":
            self.originates.append(action)
            sender = FakeAudioSocket.for_dial(action["Channel"])
            self.senders.append(sender)
            loop = asyncio.get_running_loop()
            self.tasks.append(loop.create_task(sender.run(30, self.hangup_after)))
        return None

    def hangups(self) -> list[str]:
        return [
            a.get("Channel", "")
            for a in self.ami.server.actions
            if a.get("Action", "").lower() == "hangup"
        ]


_PEERS: list[ListeningPeer] = []


@pytest.fixture(autouse=True)
def _close_peers(ami: ThreadedAmi) -> Iterator[None]:
    yield

    async def close_all() -> None:
        while _PEERS:
            await _PEERS.pop().close()
        await asyncio.sleep(0.05)

    ami.call(close_all())


@pytest.fixture
def spy(ami: ThreadedAmi) -> Iterator[Spy]:
    fake = Spy(ami)
    ami.server.on_action = fake.on_action
    yield fake

    async def finish() -> None:
        for task in fake.tasks:
            task.cancel()
        await asyncio.gather(*fake.tasks, return_exceptions=True)

    ami.call(finish())


def live_call(bridged: TestClient, ami: ThreadedAmi, team: Team, answered: bool = True) -> None:
    ami.push(*ringing_events(), *(ANSWER if answered else []))
    wait_until(lambda: calls(bridged, team))
    if answered:
        wait_until(lambda: calls(bridged, team)[0]["manager_id"] == team.op1.id)


def start_listening(
    bridged: TestClient, ami: ThreadedAmi, user: User
) -> tuple[ListeningPeer, dict[str, Any]]:
    async def make() -> tuple[ListeningPeer, dict[str, str]]:
        peer = ListeningPeer()
        _PEERS.append(peer)
        return peer, await peer.offer()

    peer, offer = ami.call(make())
    response = bridged.post(URL, json=offer, headers=user.auth)
    if response.status_code == 200:
        body = response.json()
        ami.call(peer.answer(body["sdp"], body["type"]))
    return peer, {"status": response.status_code, **response.json()}


def sessions(bridged: TestClient, user: User) -> list[dict[str, Any]]:
    response = bridged.get("/api/v1/live/sessions", headers=user.auth)
    assert response.status_code == 200, response.text
    return list(response.json())


def audit(bridged: TestClient, team: Team, action: str) -> list[dict[str, Any]]:
    response = bridged.get("/api/v1/audit", params={"action": action}, headers=team.admin.auth)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_supervisor_hears_a_1khz_tone(
    bridged: TestClient, ami: ThreadedAmi, team: Team, spy: Spy
) -> None:
    live_call(bridged, ami, team)
    peer, body = start_listening(bridged, ami, team.supervisor)
    assert body["status"] == 200, body
    assert peer.codec == "PCMU"  # 8 kHz narrowband: no Opus, no resampling
    [originate] = spy.originates
    assert originate["Data"] == f"{DESK[1]},quE"
    assert originate["Async"] == "true"
    assert originate["ChannelId"].startswith("crm-svc-listen-")
    assert originate["Channel"].endswith("/c(slin)")
    wait_until(lambda: len(peer.pcm) >= 2 * 8000 * 1.2, timeout=10)
    assert peer.rate == 8000
    assert abs(dominant_hz(peer.last_seconds(1.0), peer.rate) - 1000) < 20
    [session] = sessions(bridged, team.supervisor)
    assert session["session_id"] == body["session_id"]
    assert (session["call_id"], session["extension"]) == (CALL_ID, "101")
    assert session["state"] == "connected"
    [entry] = audit(bridged, team, "call.listen")
    assert (entry["actor_id"], entry["target_id"]) == (team.supervisor.id, CALL_ID)
    assert entry["details"]["session_id"] == body["session_id"]
    # The spy channel is the service's own: it never shows up as a call.
    spy_channel = ("AudioSocket/127.0.0.1:9092-1", originate["ChannelId"], originate["ChannelId"])
    ami.push(
        event("Newchannel", 7, **chan("", *spy_channel, CallerIDNum="1")),
        event("DialBegin", 7, **chan("Dest", *spy_channel), DialString="127.0.0.1:9092/x"),
        event("Newstate", 7, **chan("", *spy_channel, ChannelState="6")),
        event("DialEnd", 7, **chan("Dest", *spy_channel), DialStatus="ANSWER"),
    )
    time.sleep(0.3)  # the pump has stored whatever it would
    assert len(calls(bridged, team)) == 1

    # The supervisor stops: the AudioSocket gets a hangup frame and AMI Hangup is sent.
    response = bridged.delete(
        f"/api/v1/live/sessions/{body['session_id']}", headers=team.supervisor.auth
    )
    assert response.status_code == 204, response.text
    sender = spy.senders[0]
    wait_until(lambda: sender.closed_by_peer.is_set())
    assert sender.received[-1].name == "HANGUP"
    wait_until(lambda: spy.hangups() == [originate["ChannelId"]])
    wait_until(lambda: peer.ended.is_set())  # RTCP BYE ends the browser's track
    assert sessions(bridged, team.supervisor) == []
    [stop] = audit(bridged, team, "call.listen_stop")
    assert stop["details"]["session_id"] == body["session_id"]


def test_browser_vanishing_removes_the_spy(
    bridged: TestClient, ami: ThreadedAmi, team: Team, spy: Spy
) -> None:
    live_call(bridged, ami, team)
    peer, body = start_listening(bridged, ami, team.admin)
    assert body["status"] == 200, body
    wait_until(lambda: peer.frames > 5)
    ami.call(peer.close())  # the tab is closed: DTLS close_notify, the server's PC closes
    wait_until(lambda: spy.senders[0].closed_by_peer.is_set())
    wait_until(lambda: spy.hangups() == [spy.originates[0]["ChannelId"]])
    assert sessions(bridged, team.admin) == []


def test_audiosocket_hangup_ends_the_browser_track(
    bridged: TestClient, ami: ThreadedAmi, team: Team, spy: Spy
) -> None:
    spy.hangup_after = 0.5
    live_call(bridged, ami, team)
    peer, body = start_listening(bridged, ami, team.supervisor)
    assert body["status"] == 200, body
    wait_until(lambda: peer.ended.is_set())
    assert peer.frames > 0
    assert sessions(bridged, team.supervisor) == []
    wait_until(lambda: len(spy.hangups()) == 1)


def test_the_call_ending_stops_listening(
    bridged: TestClient, ami: ThreadedAmi, team: Team, spy: Spy
) -> None:
    live_call(bridged, ami, team)
    peer, body = start_listening(bridged, ami, team.supervisor)
    assert body["status"] == 200, body
    wait_until(lambda: peer.frames > 5)
    ami.push(*HANGUP)
    wait_until(lambda: peer.ended.is_set())
    wait_until(lambda: spy.senders[0].closed_by_peer.is_set())
    assert sessions(bridged, team.supervisor) == []


def test_operators_may_not_listen(
    bridged: TestClient, ami: ThreadedAmi, team: Team, spy: Spy
) -> None:
    live_call(bridged, ami, team)
    for user in (team.op1, team.op2):
        _, body = start_listening(bridged, ami, user)
        assert body["status"] == 403, body
        assert bridged.get("/api/v1/live/sessions", headers=user.auth).status_code == 403
        assert bridged.delete("/api/v1/live/sessions/x", headers=user.auth).status_code == 403
    assert spy.originates == []
    assert audit(bridged, team, "call.listen") == []


def test_not_live_and_not_answered(
    bridged: TestClient, ami: ThreadedAmi, team: Team, spy: Spy
) -> None:
    _, body = start_listening(bridged, ami, team.supervisor)
    assert body["status"] == 404, body
    assert body["error"]["code"] == "call_not_live"
    live_call(bridged, ami, team, answered=False)
    _, body = start_listening(bridged, ami, team.supervisor)
    assert body["status"] == 409, body
    assert body["error"]["code"] == "call_not_answered"
    assert spy.originates == []
    assert [e["details"]["failed"] for e in audit(bridged, team, "call.listen")] == [
        "call_not_answered",
        "call_not_live",
    ]


def test_a_spy_that_never_connects_is_hung_up(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    live_call(bridged, ami, team)
    bridged.app.state.services.live_listen.connect_timeout = 0.5  # type: ignore[attr-defined]
    _, body = start_listening(bridged, ami, team.supervisor)
    assert body["status"] == 503, body
    assert "did not connect" in body["error"]["message"]
    [originate] = [a for a in ami.server.actions if a.get("Action") == "Originate"]
    wait_until(
        lambda: (
            [a for a in ami.server.actions if a.get("Action") == "Hangup"][0]["Channel"]
            == originate["ChannelId"]
        )
    )
    assert sessions(bridged, team.supervisor) == []


def test_bad_offer_is_422(bridged: TestClient, ami: ThreadedAmi, team: Team, spy: Spy) -> None:
    live_call(bridged, ami, team)
    response = bridged.post(
        URL, json={"sdp": "v=0\r\nnonsense", "type": "offer"}, headers=team.supervisor.auth
    )
    assert response.status_code == 422, response.text
    response = bridged.post(URL, json={"sdp": "x", "type": "answer"}, headers=team.supervisor.auth)
    assert response.status_code == 422, response.text
    assert spy.originates == []


def test_whisper_then_barge_without_dropping_the_call(
    bridged: TestClient, ami: ThreadedAmi, team: Team, spy: Spy
) -> None:
    live_call(bridged, ami, team)

    async def make() -> tuple[ListeningPeer, dict[str, str]]:
        peer = ListeningPeer(voice=ToneTrack(600.0))  # the supervisor's microphone
        _PEERS.append(peer)
        return peer, await peer.offer()

    peer, offer = ami.call(make())
    response = bridged.post(URL, json=offer, headers=team.supervisor.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    ami.call(peer.answer(body["sdp"], body["type"]))
    session_url = f"/api/v1/live/sessions/{body['session_id']}"
    wait_until(lambda: len(peer.pcm) >= 2 * 8000)
    # Listening: the voice already reaches the spy channel, and ChanSpy (q) keeps it there.
    listen_sender = spy.senders[0]
    wait_until(lambda: len(listen_sender.heard) >= 2 * 8000 * 0.5, timeout=10)
    assert abs(dominant_hz(bytes(listen_sender.heard[-8000:]), 8000) - 600) < 20

    # Whisper: a new spy with w; the old one goes; the supervisor still hears the call.
    switched = bridged.put(session_url, json={"mode": "whisper"}, headers=team.supervisor.auth)
    assert switched.status_code == 200, switched.text
    assert switched.json()["mode"] == "whisper"
    assert [o["Data"] for o in spy.originates] == [f"{DESK[1]},quE", f"{DESK[1]},quEw"]
    wait_until(lambda: listen_sender.closed_by_peer.is_set())
    wait_until(lambda: spy.hangups() == [spy.originates[0]["ChannelId"]])
    whisper_sender = spy.senders[1]
    wait_until(lambda: len(whisper_sender.heard) >= 2 * 8000 * 0.5, timeout=10)
    assert abs(dominant_hz(bytes(whisper_sender.heard[-8000:]), 8000) - 600) < 20
    before = len(peer.pcm)
    wait_until(lambda: len(peer.pcm) >= before + 2 * 8000 * 0.5)
    assert abs(dominant_hz(peer.last_seconds(0.5), peer.rate) - 1000) < 20

    barge = bridged.put(session_url, json={"mode": "barge"}, headers=team.supervisor.auth)
    assert barge.status_code == 200 and barge.json()["mode"] == "barge"
    assert spy.originates[-1]["Data"] == f"{DESK[1]},quEB"
    # The call never ended: it is still live, with its manager.
    assert calls(bridged, team)[0]["ended_at"] is None
    modes = [
        (e["details"]["previous"], e["details"]["mode"])
        for e in audit(bridged, team, "call.listen_mode")
    ]
    assert sorted(modes) == sorted([("listen", "whisper"), ("whisper", "barge")])

    # An operator may not; a mode that does not exist is named.
    assert (
        bridged.put(session_url, json={"mode": "barge"}, headers=team.op1.auth).status_code == 403
    )
    bad = bridged.put(session_url, json={"mode": "shout"}, headers=team.supervisor.auth)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["fields"][0]["field"] == "mode"
    gone = bridged.put(
        "/api/v1/live/sessions/nope", json={"mode": "whisper"}, headers=team.supervisor.auth
    )
    assert gone.status_code == 404
