"""Live listening against a real Asterisk 22: a sipp call playing g711a.pcap, answered by
manager 101's phone; the supervisor listens through the real ChanSpy → AudioSocket path."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.asterisk.pbx import Pbx, Sipp
from tests.asterisk.service import Service, run_service, wait_until
from tests.fakes.audiosocket_sender import ListeningPeer

pytestmark = pytest.mark.asterisk
CUSTOMER = "79161234567"


class PeerLoop:
    """The browser's peer on an event loop of its own thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(20)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def service(pbx: Pbx, sipp: Sipp, tmp_path: Path) -> Iterator[Service]:
    yield from run_service(tmp_path, audiosocket_bind="127.0.0.1:0")


def rms(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(float)
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0


def spy_channels(pbx: Pbx) -> list[str]:
    return [line for line in pbx.rx("core show channels").splitlines() if "AudioSocket/" in line]


def test_supervisor_listens_to_a_real_call(service: Service, pbx: Pbx, sipp: Sipp) -> None:
    sipp.uas(5071, "uas_answer", calls=1)
    caller = sipp.start_call(CUSTOMER, "7001", duration_ms=12_000)
    client = service.client

    def live_answered() -> str | None:
        items = client.get("/api/v1/calls", headers=service.sup.auth).json()["items"]
        answered = [c for c in items if c["manager_id"] == service.m101.id and not c["status"]]
        return answered[0]["linkedid"] if answered else None

    call_id = wait_until(live_answered, 20)
    peers = PeerLoop()
    peer = ListeningPeer()

    async def offer() -> dict[str, str]:
        return await peer.offer()

    try:
        body = peers.call(offer())
        response = client.post(
            f"/api/v1/live/calls/{call_id}/listen", json=body, headers=service.sup.auth
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        started = time.monotonic()
        peers.call(peer.answer(answer["sdp"], answer["type"]))

        # Non-silent audio within 2 s of the answer.
        def heard() -> bool:
            return peer.rate > 0 and rms(peer.last_seconds(0.2)) > 100

        deadline = started + 2.0
        while not heard() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert heard(), (
            f"no audio within 2 s: {peer.frames} frames, rms {rms(bytes(peer.pcm))}"
            f"\n{pbx.rx('core show channels')}"
        )
        assert spy_channels(pbx), "the spy's AudioSocket channel should be up"
        [session] = client.get("/api/v1/live/sessions", headers=service.sup.auth).json()
        assert session["call_id"] == call_id

        # The supervisor stops; the spy channel goes while the call itself goes on.
        stop = client.delete(
            f"/api/v1/live/sessions/{answer['session_id']}", headers=service.sup.auth
        )
        assert stop.status_code == 204, stop.text
        wait_until(lambda: not spy_channels(pbx), 5)
        assert caller.running, "the customer's call must not be affected"

        # Listen again; this time the call ends under the listener.
        peer2 = ListeningPeer()
        body = peers.call(peer2.offer())
        response = client.post(
            f"/api/v1/live/calls/{call_id}/listen", json=body, headers=service.sup.auth
        )
        assert response.status_code == 200, response.text
        peers.call(peer2.answer(response.json()["sdp"], "answer"))
        wait_until(lambda: rms(peer2.last_seconds(0.2)) > 100, 5)
        caller.wait(30)
        wait_until(lambda: peer2.ended.is_set(), 10)
        wait_until(lambda: not spy_channels(pbx), 10)
        assert client.get("/api/v1/live/sessions", headers=service.sup.auth).json() == []
        audit = client.get(
            "/api/v1/audit", params={"action": "call.listen"}, headers=service.sup.auth
        ).json()["items"]
        assert len(audit) == 2
        # The spy never entered the call log.
        items = client.get("/api/v1/calls", headers=service.sup.auth).json()["items"]
        assert [c["linkedid"] for c in items] == [call_id]
    finally:
        for p in (peer, locals().get("peer2")):
            if p is not None:
                peers.call(p.close())
        peers.close()
