"""A supervisor's listen request reaching the standby: the standby answers the browser's
offer and takes the audio on its own AudioSocket, the leader (which holds the AMI) places the
spy and hangs it up. Two real service processes, the fake AMI plays Asterisk (scripted
ChanSpy Originate → a fake AudioSocket channel streaming a 1 kHz tone), an aiortc peer plays
the browser."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx2

from tests.fakes.audiosocket_sender import ListeningPeer, dominant_hz
from tests.fakes.threaded_ami import ThreadedAmi, wait_until
from tests.integration.calls.test_bridge_end_to_end import DESK, ringing_events
from tests.integration.cluster.test_two_instances import instance
from tests.integration.live.test_live_listen import ANSWER, URL, Spy


def test_listening_through_the_standby(pg: str, tmp_path: Path, ami: ThreadedAmi) -> None:
    spy = Spy(ami)
    ami.server.on_action = spy.on_action
    a, b = instance(tmp_path, "a", pg, ami), instance(tmp_path, "b", pg, ami)
    for serve in (a, b):
        serve.env["CALLCENTER_AUDIOSOCKET_BIND"] = "127.0.0.1:0"
    a.token("op1", "operator", extension="101")
    supervisor = a.token("boss", "supervisor")
    auth = {"Authorization": f"Bearer {supervisor}"}
    a.start()
    b.start(standby=True)
    peer = ListeningPeer()
    try:
        ami.push(*ringing_events(), *ANSWER)
        wait_until(lambda: b.get("/api/v1/calls", supervisor)["items"][0]["manager_id"], 10)
        offer = ami.call(peer.offer())
        response = httpx2.post(f"{b.url}{URL}", json=offer, headers=auth, timeout=20)
        assert response.status_code == 200, response.text
        body = response.json()
        ami.call(peer.answer(body["sdp"], body["type"]))
        [originate] = spy.originates  # placed on A's AMI connection, the only one
        assert originate["Data"] == f"{DESK[1]},quE"
        b_socket = originate["Channel"].split("/")[1]
        assert b_socket != "127.0.0.1:9092"  # B's own AudioSocket (a port of its own)
        wait_until(lambda: len(peer.pcm) >= 2 * 8000 * 1.2, timeout=10)
        assert abs(dominant_hz(peer.last_seconds(1.0), peer.rate) - 1000) < 20

        stopped = httpx2.delete(f"{b.url}/api/v1/live/sessions/{body['session_id']}", headers=auth)
        assert stopped.status_code == 204, stopped.text
        wait_until(lambda: spy.hangups() == [originate["ChannelId"]], 10)
    finally:
        ami.call(peer.close())
        for task in spy.tasks:
            ami.loop.call_soon_threadsafe(task.cancel)
        ami.call(asyncio.sleep(0.05))
        a.stop()
        b.stop()
