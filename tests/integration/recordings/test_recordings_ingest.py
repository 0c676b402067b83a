"""Ingest inside the running service, on SQLite and PostgreSQL: inbox → storage → a ready
Recording → source removed; restarts mid-way; broken files; retention."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from callcenter.app import create_app
from callcenter.core.models import Recording, utcnow
from callcenter.core.settings import Settings
from recordings import audio
from tests import wavs
from tests.integration.conftest import Team, db_call
from tests.integration.recordings.recording_support import (
    add_call,
    inbox,
    ingest,
    job,
    recordings,
    stored_keys,
    with_inbox,
)


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return with_inbox(settings, tmp_path)


def test_a_file_in_the_inbox_becomes_a_ready_recording(client: TestClient, team: Team) -> None:
    call_id = add_call(client, "1790000000.1", manager_id=team.op1.id)
    src = wavs.tone(inbox(client) / "1790000000.1.wav", 3.0, amplitude=0.5)
    ingest(client, job("1790000000.1", "1790000000.1.wav"))

    [rec] = recordings(client)
    assert rec.status.value == "ready" and rec.error is None
    assert rec.call_id == call_id
    assert rec.duration_seconds == pytest.approx(3.0)
    assert (rec.channels, rec.format) == (1, "mp3")
    assert len(rec.peaks) == audio.PEAK_BUCKETS
    assert rec.source_removed_at is not None and rec.ready_at is not None
    assert not src.exists()
    assert stored_keys(client) == [rec.storage_key]
    assert rec.storage_key.startswith(rec.created_at.strftime("%Y/%m/%d/"))
    assert rec.public_id in rec.storage_key and str(rec.id) != rec.public_id

    body = client.get(f"/api/v1/calls/{call_id}", headers=team.op1.auth).json()
    assert body["has_recording"] is True
    assert body["recording_id"] == rec.public_id
    assert body["recording_status"] == "ready"
    meta = client.get(f"/api/v1/recordings/{rec.public_id}", headers=team.op1.auth).json()
    assert meta["duration_seconds"] == pytest.approx(3.0)
    assert max(meta["peaks"]) == pytest.approx(0.5, abs=0.01)
    assert meta["audio_url"] == f"/api/v1/recordings/{rec.public_id}/audio"


def test_the_same_job_twice_makes_one_recording(client: TestClient, team: Team) -> None:
    add_call(client, "1790000000.2", manager_id=team.op1.id)
    wavs.tone(inbox(client) / "b.wav", 1.0)
    ingest(client, job("1790000000.2", "b.wav"), job("1790000000.2", "b.wav"))
    ingest(client, job("1790000000.2", "b.wav"))
    assert len(recordings(client)) == 1
    assert len(stored_keys(client)) == 1


def test_a_corrupt_file_shows_why_in_the_api(client: TestClient, team: Team) -> None:
    call_id = add_call(client, "1790000000.3", manager_id=team.op1.id)
    src = wavs.cut(wavs.tone(inbox(client) / "c.wav", 1.0), 30)
    ingest(client, job("1790000000.3", "c.wav"))
    [rec] = recordings(client)
    assert rec.status.value == "failed"
    assert rec.error == "c.wav: truncated WAV header (the format chunk is cut short)"
    assert src.exists()  # kept for whoever looks into it
    call = client.get(f"/api/v1/calls/{call_id}", headers=team.supervisor.auth).json()
    assert (call["has_recording"], call["recording_status"]) == (False, "failed")
    assert call["recording_error"] == rec.error
    audio_response = client.get(
        f"/api/v1/recordings/{rec.public_id}/audio", headers=team.supervisor.auth
    )
    assert audio_response.status_code == 409
    assert audio_response.json()["error"]["code"] == "recording_failed"
    assert "truncated WAV header" in audio_response.json()["error"]["message"]


def test_a_missing_file_of_an_answered_call_fails_clearly(client: TestClient, team: Team) -> None:
    add_call(client, "1790000000.4", manager_id=team.op1.id)
    app: Any = client.app
    app.state.services.recordings.worker.appear_within = 0.2
    ingest(client, job("1790000000.4", "never-written.wav"))
    [rec] = recordings(client)
    assert rec.status.value == "failed"
    assert rec.error == "never-written.wav: the file does not exist"


def test_an_unanswered_calls_header_only_file_is_dropped(client: TestClient, team: Team) -> None:
    add_call(client, "1790000000.5", manager_id=None, answered=False)
    src = wavs.header_only(inbox(client) / "m.wav")
    ingest(client, job("1790000000.5", "m.wav", answered=False))
    assert recordings(client) == []
    assert not src.exists()


@pytest.mark.parametrize("dies", ["while transcoding", "after storing the file"])
def test_restart_during_ingest_completes_once(
    settings: Settings, client: TestClient, team: Team, dies: str
) -> None:
    add_call(client, "1790000000.6", manager_id=team.op1.id)
    src = wavs.tone(inbox(client) / "r.wav", 2.0)
    app: Any = client.app
    worker = app.state.services.recordings.worker
    entered, release = threading.Event(), threading.Event()

    def dying(sources: audio.Sources, out: Path, fmt: audio.OutputFormat) -> audio.AudioInfo:
        entered.set()
        release.wait(10)
        if dies == "while transcoding":
            raise RuntimeError("killed")
        return audio.transcode(sources, out, fmt)  # the thread goes on and stores the file

    worker.transcoder = dying
    assert client.portal is not None
    client.portal.call(worker.submit, job("1790000000.6", "r.wav"))
    assert entered.wait(10)
    client.portal.call(worker.stop)  # the service goes down mid-job
    release.set()
    [rec] = recordings(client)
    assert rec.status.value == "ingesting"
    assert src.exists()
    expected_files = 1 if dies == "after storing the file" else 0
    deadline = time.monotonic() + 10
    while len(stored_keys(client)) != expected_files and time.monotonic() < deadline:
        time.sleep(0.05)

    with TestClient(create_app(settings)) as again:  # a new process: start() re-queues the job
        deadline = time.monotonic() + 20
        while recordings(again)[0].status.value != "ready" and time.monotonic() < deadline:
            time.sleep(0.1)
        [rec] = recordings(again)
        assert rec.status.value == "ready"
        assert rec.duration_seconds == pytest.approx(2.0)
        while recordings(again)[0].source_removed_at is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not src.exists()
        assert stored_keys(again) == [rec.storage_key]
        again_app: Any = again.app
        assert again_app.state.services.recordings.worker.stored == 1


def test_retention_purges_old_recordings_files_and_rows(client: TestClient, team: Team) -> None:
    for n in (7, 8):
        add_call(client, f"1790000000.{n}", manager_id=team.op1.id)
        wavs.tone(inbox(client) / f"{n}.wav", 0.5)
        ingest(client, job(f"1790000000.{n}", f"{n}.wav"))
    old, new = recordings(client)

    def backdate(recording: Recording) -> None:
        async def run(session: AsyncSession) -> None:
            await session.execute(
                update(Recording)
                .where(Recording.id == recording.id)
                .values(created_at=utcnow() - dt.timedelta(days=400))
            )

        db_call(client, run)

    backdate(old)
    app: Any = client.app
    assert client.portal is not None
    removed = client.portal.call(app.state.services.recordings.purge)
    assert [r.recording_id for r in removed] == [old.public_id]
    assert [r.public_id for r in recordings(client)] == [new.public_id]
    assert stored_keys(client) == [new.storage_key]
    gone = client.get(f"/api/v1/recordings/{old.public_id}", headers=team.supervisor.auth)
    assert gone.status_code == 404

    app.state.services.recordings.retention_days = 0  # keep forever
    backdate(new)
    assert client.portal.call(app.state.services.recordings.purge) == []
    assert [r.public_id for r in recordings(client)] == [new.public_id]
