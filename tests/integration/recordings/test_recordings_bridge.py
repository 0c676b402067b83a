"""A recorded call through the whole service: fake AMI over TCP whose events carry
MIXMONITOR_FILENAME, a WAV in the inbox → after the Hangup the call has a ready recording."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from callcenter.core.settings import Settings
from tests import wavs
from tests.fakes.threaded_ami import ThreadedAmi, chan, event, wait_until
from tests.integration.conftest import Team
from tests.integration.recordings.recording_support import PREFIX, with_inbox

CALLER = ("PJSIP/anonymous-00000001", "1790000000.1", "1790000000.1")
DESK = ("PJSIP/101-00000002", "1790000000.2", "1790000000.1")


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return with_inbox(settings, tmp_path)


@pytest.fixture
def bridged(bridged: TestClient) -> TestClient:
    worker = bridged.app.state.services.recordings.worker  # type: ignore[attr-defined]
    worker.settle, worker.poll = 0.3, 0.05
    return bridged


def recorded_call(ami: ThreadedAmi, filename: str, answered: bool = True) -> None:
    var = {"ChanVariable": f"MIXMONITOR_FILENAME={filename}"}
    ami.push(
        event("Newchannel", 0, **chan("", *CALLER, CallerIDNum="89161234567", ChannelState="4")),
        event("Newchannel", 1, **chan("", *DESK, ChannelState="0")),
        event("DialBegin", 1, **chan("", *CALLER, **var), **chan("Dest", *DESK), DialString="101"),
    )
    if answered:
        ami.push(
            event(
                "DialEnd", 3, **chan("", *CALLER, **var), **chan("Dest", *DESK), DialStatus="ANSWER"
            ),
            event("BridgeEnter", 3, **chan("", *CALLER, **var), BridgeUniqueid="br-1"),
            event("BridgeEnter", 3, **chan("", *DESK), BridgeUniqueid="br-1"),
            event("Hangup", 9, **chan("", *DESK), Cause="16"),
            event("Hangup", 9, **chan("", *CALLER, **var), Cause="16"),
        )
    else:
        ami.push(
            event(
                "DialEnd",
                20,
                **chan("", *CALLER, **var),
                **chan("Dest", *DESK),
                DialStatus="NOANSWER",
            ),
            event("Hangup", 20, **chan("", *DESK), Cause="19"),
            event("Hangup", 20, **chan("", *CALLER, **var), Cause="16"),
        )


def the_call(client: TestClient, team: Team) -> dict[str, Any]:
    response = client.get("/api/v1/calls", headers=team.supervisor.auth)
    calls = [c for c in response.json()["items"] if c["status"]]
    return calls[0] if calls else {}


def test_a_recorded_call_gets_a_ready_recording(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    inbox = Path(bridged.app.state.services.settings.recordings_inbox)  # type: ignore[attr-defined]
    src = wavs.tone(inbox / "1790000000.1.wav", 6.0)
    recorded_call(ami, f"{PREFIX}/1790000000.1.wav")
    call = wait_until(lambda: (c := the_call(bridged, team)).get("has_recording") and c, 15)
    assert call["status"] == "answered"
    assert call["manager_id"] == team.op1.id
    recording = bridged.get(
        f"/api/v1/recordings/{call['recording_id']}", headers=team.op1.auth
    ).json()
    assert recording["status"] == "ready"
    assert recording["call_id"] == call["id"]
    assert recording["duration_seconds"] == pytest.approx(call["talk_seconds"], abs=1)
    audio = bridged.get(recording["audio_url"], headers={**team.op1.auth, "Range": "bytes=0-3"})
    assert audio.status_code == 206
    wait_until(lambda: not src.exists())


def test_an_unanswered_calls_empty_file_leaves_no_recording(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    inbox = Path(bridged.app.state.services.settings.recordings_inbox)  # type: ignore[attr-defined]
    src = wavs.header_only(inbox / "1790000000.1.wav")
    recorded_call(ami, f"{PREFIX}/1790000000.1.wav", answered=False)
    wait_until(lambda: not src.exists(), 15)
    call = the_call(bridged, team)
    assert call["status"] == "missed"
    assert (call["has_recording"], call["recording_id"]) == (False, None)
    assert bridged.get("/api/v1/recordings", headers=team.admin.auth).json()["total"] == 0


def test_a_path_outside_the_prefix_is_refused_and_shown(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    recorded_call(ami, "/etc/passwd")
    # Wait for a final status: "ingesting" comes first.
    call = wait_until(
        lambda: (c := the_call(bridged, team)).get("recording_status") in ("failed", "ready") and c,
        15,
    )
    assert call["recording_status"] == "failed"
    assert "not under the PBX prefix" in call["recording_error"]
    assert Path("/etc/passwd").exists()
