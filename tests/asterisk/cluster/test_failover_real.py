"""Two instances on one PostgreSQL and the real Asterisk: SIP calls from sipp, the leader
SIGKILLed in the middle of one. The other instance takes the AMI within 5 s, the call is
logged once with its true talk time (CEL fills the gap), its recording is taken in once,
the operator's browser (connected to the survivor) got one pop; the dialplan's FastAGI
falls over to the survivor; the killed instance comes back as a standby and nothing
doubles."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from callcenter.core.migrate import upgrade
from tests.asterisk.pbx import AMI_PORT, AMI_SECRET, AMI_USERNAME, ROOT, Pbx, Sipp
from tests.asterisk.service import wait_until
from tests.integration.conftest import scratch_pg_database
from tests.serve import Serve, ws_frames

pytestmark = pytest.mark.asterisk

CEL = ROOT / "var" / "log" / "asterisk" / "cel-custom" / "callcenter.csv"


@pytest.fixture
def pg() -> Iterator[str]:
    with scratch_pg_database("cluster") as url:
        upgrade(url)
        yield url


def instance(tmp_path: Path, name: str, pg: str, agi_port: int) -> Serve:
    (tmp_path / name).mkdir()
    return Serve(
        tmp_path / name,
        CALLCENTER_DATABASE_URL=pg,
        CALLCENTER_INSTANCE_NAME=name,
        CALLCENTER_AMI_PORT=str(AMI_PORT),
        CALLCENTER_AMI_USERNAME=AMI_USERNAME,
        CALLCENTER_AMI_SECRET=AMI_SECRET,
        CALLCENTER_AGI_BIND=f"127.0.0.1:{agi_port}",
        CALLCENTER_CEL_SOURCE=str(CEL),
        CALLCENTER_RECORDINGS_INBOX=str(ROOT / "var/spool/asterisk/monitor"),
        CALLCENTER_RECORDINGS_DIR=str(tmp_path / "recordings"),  # one store for both
    )


def test_the_leader_killed_mid_call(pbx: Pbx, sipp: Sipp, pg: str, tmp_path: Path) -> None:
    CEL.parent.mkdir(parents=True, exist_ok=True)
    CEL.write_text("")
    a, b = instance(tmp_path, "a", pg, 4573), instance(tmp_path, "b", pg, 4574)
    operator = a.token("m101", "operator", extension="101")
    supervisor = a.token("sup", "supervisor")
    a.start()
    b.start(standby=True)
    try:
        with connect(f"ws://127.0.0.1:{b.port}/ws?token={operator}") as ws:
            sipp.uas(5071, "uas_answer", calls=1)
            caller = sipp.start_call("79161110009", "7001", duration_ms=9000)
            wait_until(lambda: a.get("/api/v1/calls", supervisor)["items"], timeout=10)
            time.sleep(3)
            a.kill()  # 3 s into a 9 s conversation
            killed = time.monotonic()
            wait_until(b.connected, timeout=10)
            took = time.monotonic() - killed
            caller.wait(30)
            frames = ws_frames(ws, 5)
        assert took < 5, f"the standby took {took:.1f} s to lead"
        [call] = wait_until(
            lambda: [c for c in b.get("/api/v1/calls", supervisor)["items"] if c["status"]],
            timeout=20,
        )
        assert call["status"] == "answered"
        assert abs(call["talk_seconds"] - 9) <= 1, call
        ringing = [f for f in frames if f["type"] == "call.ringing"]
        assert [f["call_id"] for f in ringing] == [call["linkedid"]], frames
        recordings = wait_until(lambda: b.get("/api/v1/recordings", supervisor)["items"], 20)
        assert len(recordings) == 1

        # With A down, the dialplan's FastAGI asks B.
        sipp.stop_all()
        sipp.uas(5071, "uas_answer", calls=1)
        agi_before = b.health()["agi"]["sessions"]  # type: ignore[index]
        sipp.call("79161110010", "74951234567", duration_ms=1000)
        assert b.health()["agi"]["sessions"] == agi_before + 1  # type: ignore[index]

        a.start(standby=True)
        assert a.health()["pbx"]["default"]["leader_instance"] == "b"  # type: ignore[index]
        time.sleep(3)
        calls = b.get("/api/v1/calls", supervisor)["items"]
        assert len(calls) == 2
        assert len(b.get("/api/v1/recordings", supervisor)["items"]) == 2
    finally:
        a.stop()
        b.stop()
