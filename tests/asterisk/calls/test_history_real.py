"""Every call counted: calls placed on the real Asterisk while the service is down reach the
call log from Asterisk's CEL when it starts (callcenter/calls/history.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.asterisk.pbx import AMI_PORT, AMI_SECRET, AMI_USERNAME, ROOT, Pbx, Sipp
from tests.asterisk.service import Service, run_service, wait_until
from tests.serve import Serve

pytestmark = pytest.mark.asterisk

CEL = ROOT / "var" / "log" / "asterisk" / "cel-custom" / "callcenter.csv"


@pytest.fixture
def fresh_cel(pbx: Pbx) -> Path:
    """This test's calls only: the PBX appends to the file, a new database would take in
    every call of earlier tests too."""
    CEL.parent.mkdir(parents=True, exist_ok=True)
    CEL.write_text("")
    return CEL


def start(tmp_path: Path) -> Iterator[Service]:
    return run_service(
        tmp_path,
        existing=True,
        audiosocket_bind="",
        cel_source=str(CEL),
        recordings_pbx_prefix="/var/spool/asterisk/monitor",
        recordings_inbox=str(ROOT / "var/spool/asterisk/monitor"),
        recordings_dir=tmp_path / "recordings",
    )


def test_calls_made_while_the_service_was_down(
    pbx: Pbx, sipp: Sipp, fresh_cel: Path, tmp_path: Path
) -> None:
    # The shop's managers exist; then the service is down (FastAGI is refused: the
    # dialplan's fallback group rings).
    setup = run_service(tmp_path, audiosocket_bind="")
    next(setup)
    setup.close()
    sipp.uas(5071, "uas_answer", calls=1)
    sipp.uas(5072, "uas_noanswer")
    sipp.call("79161110001", "74951234567", duration_ms=3000, expect_ok=False)
    sipp.stop_all()
    sipp.uas(5071, "uas_noanswer")
    sipp.call("79161110002", "7001", scenario="uac_cancel", duration_ms=2000, expect_ok=False)
    sipp.stop_all()
    for port in (5071, 5072, 5073):
        sipp.uas(port, "uas_noanswer")
    sipp.call("79161110003", "7003", scenario="uac_cancel", duration_ms=3000, expect_ok=False)
    sipp.stop_all()
    pbx.wait_idle()

    service_gen = start(tmp_path)
    service = next(service_gen)
    try:
        # Within 10 s of the start, every call is there, with its recording taken in.
        calls = wait_until(lambda: _ended(service, 3), timeout=10)
        by_phone = {c["phone"]: c for c in calls}
        answered = by_phone["+79161110001"]
        assert answered["status"] == "answered"
        assert answered["manager_id"] == service.m101.id
        assert answered["line"] == "+74951234567"
        assert abs(answered["talk_seconds"] - 3) <= 1
        assert answered["recording_id"] is not None  # its recording is taken in
        missed = by_phone["+79161110002"]
        assert (missed["status"], missed["line"]) == ("missed", "7001")
        assert 1 <= missed["wait_seconds"] <= 4
        abandoned = by_phone["+79161110003"]
        assert (abandoned["status"], abandoned["line"]) == ("missed", "7003")
        tasks = service.client.get("/api/v1/tasks", headers=service.sup.auth).json()["items"]
        callbacks = sorted(t["phone"] for t in tasks if t["kind"] == "callback")
        assert callbacks == ["+79161110002", "+79161110003"]
        # Reconciling the same window again changes nothing.
        history: Any = service.client.app.state.services.telephony.links["default"].history  # type: ignore[attr-defined]
        assert service.client.portal is not None
        again = service.client.portal.call(history.reconcile)
        assert (again.stored, again.corrected) == (0, 0)
        assert len(service.calls()) == 3
    finally:
        service_gen.close()


def _ended(service: Service, n: int) -> list[dict[str, Any]] | None:
    calls = [c for c in service.calls() if c["status"]]
    recorded = any(c["recording_id"] for c in calls if c["status"] == "answered")
    return calls if len(calls) >= n and recorded else None


def test_talk_time_is_true_after_the_service_is_killed_mid_call(
    pbx: Pbx, sipp: Sipp, fresh_cel: Path, tmp_path: Path
) -> None:
    serve = Serve(
        tmp_path,
        CALLCENTER_AMI_PORT=str(AMI_PORT),
        CALLCENTER_AMI_USERNAME=AMI_USERNAME,
        CALLCENTER_AMI_SECRET=AMI_SECRET,
        CALLCENTER_CEL_SOURCE=str(CEL),
        CALLCENTER_RECORDINGS_INBOX=str(ROOT / "var/spool/asterisk/monitor"),
    )
    serve.cli("db", "upgrade")
    serve.cli(
        "users",
        "add",
        "m101",
        "--role",
        "operator",
        "--extension",
        "101",
        "--password",
        "m101-password-1",
    )
    serve.cli("users", "add", "sup", "--role", "supervisor", "--password", "sup-password-1")
    token = serve.cli("tokens", "create", "sup").strip().split()[-1]
    serve.start()
    try:
        sipp.uas(5071, "uas_answer", calls=1)
        caller = sipp.start_call("79161110009", "7001", duration_ms=9000)
        wait_until(lambda: serve.get("/api/v1/calls", token)["items"], timeout=10)
        time.sleep(3)
        serve.kill()  # 3 s into a 9 s conversation
        time.sleep(3)
        serve.start()
        caller.wait(30)
        [call] = wait_until(
            lambda: [c for c in serve.get("/api/v1/calls", token)["items"] if c["status"]],
            timeout=20,
        )
        assert call["status"] == "answered"
        assert abs(call["talk_seconds"] - 9) <= 1, call
    finally:
        serve.stop()
