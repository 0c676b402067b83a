"""Recordings from a real Asterisk 22: a sipp call playing real G.711 audio through
MixMonitor, picked up from the PBX's spool, stored, and served back."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydub import AudioSegment

from tests.asterisk.pbx import Pbx, Sipp
from tests.asterisk.service import Service, run_service, wait_until

pytestmark = pytest.mark.asterisk

CUSTOMER = "79161234567"
PBX_PREFIX = "/var/spool/asterisk/monitor"  # where Asterisk says MixMonitor writes


@pytest.fixture
def service(pbx: Pbx, sipp: Sipp, tmp_path: Path) -> Iterator[Service]:
    yield from run_service(
        tmp_path,
        recordings_pbx_prefix=PBX_PREFIX,
        recordings_inbox=str(pbx.monitor_dir),  # the same directory, seen from the host
        recordings_dir=tmp_path / "recordings",
    )


def recording_of(service: Service, call_id: int) -> dict[str, Any]:
    def settled() -> dict[str, Any] | None:
        call = service.client.get(f"/api/v1/calls/{call_id}", headers=service.sup.auth).json()
        if call["recording_status"] in ("ready", "failed"):
            return call
        return None

    call = wait_until(settled, 40)
    assert call["recording_status"] == "ready", call["recording_error"]
    response = service.client.get(
        f"/api/v1/recordings/{call['recording_id']}", headers=service.sup.auth
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_real_call_is_recorded_stored_and_playable(
    service: Service, sipp: Sipp, pbx: Pbx
) -> None:
    before = pbx.recordings()
    sipp.uas(5071, "uas_answer", calls=1)
    sipp.call(CUSTOMER, "7001", duration_ms=4000)
    call = service.ended_call()
    assert call["status"] == "answered"
    assert call["manager_id"] == service.m101.id

    recording = recording_of(service, call["id"])
    assert recording["call_id"] == call["id"]
    assert recording["linkedid"] == call["linkedid"]
    assert recording["manager_id"] == service.m101.id
    # docker/asterisk/extensions.conf [sub-record] writes both directions beside the mixed
    # file (MixMonitor r()/t()): the stored file is stereo, customer left, manager right.
    assert recording["channels"] == 2
    # MixMonitor starts in the dialplan before Dial(), so before the answer; but the caller's
    # channel is not answered while the phone rings and carries no audio, and MixMonitor
    # writes only the frames it gets: the file covers the conversation, so it is compared with
    # talk_seconds (answer to hangup), which are whole seconds.
    assert recording["duration_seconds"] == pytest.approx(call["talk_seconds"], abs=1.0)
    assert max(recording["peaks"]) > 0.05  # sipp played real speech-like audio, not silence

    # The sources left the PBX's spool once the stored file was checked.
    sources = [pbx.monitor_dir / f"{call['linkedid']}{leg}.wav" for leg in ("", "-r", "-t")]
    wait_until(lambda: not any(source.exists() for source in sources), 10)
    assert not set(sources) & (pbx.recordings() - before)

    # The operator who took the call can play it; the file decodes to the same length.
    audio = service.client.get(recording["audio_url"], headers=service.m101.auth)
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/mpeg"
    decoded = AudioSegment.from_file(io.BytesIO(audio.content), format="mp3")
    assert len(decoded) / 1000 == pytest.approx(recording["duration_seconds"], abs=0.2)
    # Both sipp ends played speech: neither side of the stereo file is silent.
    customer, manager = decoded.split_to_mono()
    assert customer.max > 1000 and manager.max > 1000, (customer.max, manager.max)
    first = service.client.get(
        recording["audio_url"], headers={**service.m101.auth, "Range": "bytes=0-1023"}
    )
    assert first.status_code == 206 and first.content == audio.content[:1024]
    assert service.client.get(recording["audio_url"], headers=service.m102.auth).status_code == 403
