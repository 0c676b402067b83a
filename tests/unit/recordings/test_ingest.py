"""The ingest worker with real files, real ffmpeg and a real FilesystemStorage; the job store
is a dict here (the database one is tested in tests/integration)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from recordings import audio
from recordings.errors import RecordingError
from recordings.inbox import InboxMapper
from recordings.ingest import Claim, IngestJob, IngestWorker
from recordings.storage import FilesystemStorage
from tests import wavs

PREFIX = "/var/spool/asterisk/monitor"


@dataclass
class Row:
    claim: Claim
    status: str = "ingesting"
    info: audio.AudioInfo | None = None
    error: str | None = None
    source_removed: bool = False


@dataclass
class MemoryStore:
    rows: dict[tuple[str, str], Row] = field(default_factory=dict)

    def _claim(self, row: Row) -> Claim | None:
        if row.status == "ingesting":
            return row.claim
        if row.status == "ready" and not row.source_removed:
            return replace(row.claim, stored=True)
        return None

    async def claim(self, job: IngestJob) -> Claim | None:
        key = (job.call_id, job.source)
        if key not in self.rows:
            rid = str(uuid.uuid4())
            self.rows[key] = Row(Claim(job, rid, f"2026/11/25/{rid}.mp3"))
        return self._claim(self.rows[key])

    async def pending(self) -> list[Claim]:
        return [c for row in self.rows.values() if (c := self._claim(row)) is not None]

    @contextlib.asynccontextmanager
    async def hold(self, claim: Claim) -> AsyncIterator[Claim | None]:
        row = self.rows.get((claim.job.call_id, claim.job.source))
        yield None if row is None else self._claim(row)

    def row(self, claim: Claim) -> Row:
        return self.rows[(claim.job.call_id, claim.job.source)]

    async def finish(self, claim: Claim, info: audio.AudioInfo) -> None:
        self.row(claim).status, self.row(claim).info = "ready", info

    async def fail(self, claim: Claim, error: RecordingError) -> None:
        self.row(claim).status, self.row(claim).error = "failed", error.reason

    async def discard(self, claim: Claim) -> None:
        del self.rows[(claim.job.call_id, claim.job.source)]

    async def source_removed(self, claim: Claim) -> None:
        self.row(claim).source_removed = True


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    (tmp_path / "inbox").mkdir()
    return tmp_path / "inbox"


@pytest.fixture
def storage(tmp_path: Path) -> FilesystemStorage:
    return FilesystemStorage(tmp_path / "store")


def worker_for(
    store: MemoryStore, storage: FilesystemStorage, inbox: Path, **kw: object
) -> IngestWorker:
    return IngestWorker(
        store,
        storage,
        InboxMapper(PREFIX, inbox),
        settle=0.3,
        poll=0.05,
        appear_within=0.3,
        **kw,  # type: ignore[arg-type]
    )


async def run(worker: IngestWorker, *jobs: IngestJob) -> None:
    await worker.start()
    try:
        for job in jobs:
            await worker.submit(job)
        await asyncio.wait_for(worker.join(), 30)
    finally:
        await worker.stop()


def job(name: str, **kw: object) -> IngestJob:
    return IngestJob(pbx="default", call_id="1790000000.1", source=f"{PREFIX}/{name}", **kw)  # type: ignore[arg-type]


async def test_a_recording_is_stored_checked_and_its_source_removed(
    inbox: Path, storage: FilesystemStorage
) -> None:
    src = wavs.tone(inbox / "a.wav", 2.0)
    store = MemoryStore()
    await run(worker_for(store, storage, inbox), job("a.wav"))
    [row] = store.rows.values()
    assert row.status == "ready" and row.source_removed
    assert row.info is not None and row.info.duration_seconds == pytest.approx(2.0)
    assert list(storage.keys()) == [row.claim.storage_key]
    assert storage.size(row.claim.storage_key) == row.info.size_bytes
    assert not src.exists()
    assert list(storage.scratch.iterdir()) == []


async def test_the_same_job_twice_is_stored_once(inbox: Path, storage: FilesystemStorage) -> None:
    wavs.tone(inbox / "a.wav", 1.0)
    store = MemoryStore()
    worker = worker_for(store, storage, inbox)
    await run(worker, job("a.wav"), job("a.wav"))
    await run(worker, job("a.wav"))  # after it was done: nothing to do
    assert len(store.rows) == 1
    assert len(list(storage.keys())) == 1
    assert worker.stored == 1


async def test_legs_make_a_stereo_file_and_all_three_files_go(
    inbox: Path, storage: FilesystemStorage
) -> None:
    for name in ("b.wav", "b-r.wav", "b-t.wav"):
        wavs.tone(inbox / name, 1.0)
    store = MemoryStore()
    await run(worker_for(store, storage, inbox), job("b.wav", customer_leg="t"))
    [row] = store.rows.values()
    assert row.info is not None and row.info.channels == 2
    assert list(inbox.iterdir()) == []


async def test_an_unanswered_calls_empty_file_is_dropped_quietly(
    inbox: Path, storage: FilesystemStorage
) -> None:
    src = wavs.header_only(inbox / "m.wav")
    store = MemoryStore()
    await run(worker_for(store, storage, inbox), job("m.wav", answered=False))
    assert store.rows == {}
    assert not src.exists()
    assert list(storage.keys()) == []


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (wavs.header_only, "without any audio"),
        (lambda p: wavs.cut(wavs.tone(p, 1.0), 30), "truncated WAV header"),
        (lambda p: p, "does not exist"),
    ],
    ids=["header-only", "cut-header", "missing"],
)
async def test_an_answered_calls_broken_file_fails_with_a_reason_and_stays(
    inbox: Path, storage: FilesystemStorage, make: object, why: str
) -> None:
    src = inbox / "x.wav"
    make(src)  # type: ignore[operator]
    existed = src.exists()
    store = MemoryStore()
    await run(worker_for(store, storage, inbox), job("x.wav", answered=True))
    [row] = store.rows.values()
    assert row.status == "failed"
    assert row.error is not None and why in row.error
    assert src.exists() == existed  # kept for a look
    assert list(storage.keys()) == []


async def test_an_unsafe_path_fails_and_nothing_is_touched(
    inbox: Path, storage: FilesystemStorage, tmp_path: Path
) -> None:
    outside = wavs.tone(tmp_path / "outside.wav", 0.5)
    store = MemoryStore()
    bad = IngestJob("default", "1790000000.1", f"{PREFIX}/../outside.wav")
    await run(worker_for(store, storage, inbox), bad)
    [row] = store.rows.values()
    assert row.status == "failed" and row.error is not None and "'..'" in row.error
    assert outside.exists()


async def test_a_worker_stopped_mid_transcode_leaves_the_source_and_resumes(
    inbox: Path, storage: FilesystemStorage
) -> None:
    src = wavs.tone(inbox / "a.wav", 1.0)
    store = MemoryStore()
    entered, release = threading.Event(), threading.Event()

    def stuck(sources: audio.Sources, out: Path, fmt: audio.OutputFormat) -> audio.AudioInfo:
        entered.set()
        release.wait(10)
        raise RuntimeError("the process died here")

    first = worker_for(store, storage, inbox, transcoder=stuck)
    await first.start()
    await first.submit(job("a.wav"))
    await asyncio.to_thread(entered.wait, 10)
    await first.stop()  # as if killed: the row stays "ingesting"
    release.set()
    assert src.exists()
    [row] = store.rows.values()
    assert row.status == "ingesting"

    second = worker_for(store, storage, inbox)
    await run(second)  # start() finds the unfinished job on its own
    assert row.status == "ready" and row.source_removed
    assert second.stored == 1
    assert len(list(storage.keys())) == 1
    assert not src.exists()


async def test_a_crash_after_storing_only_removes_the_source_on_restart(
    inbox: Path, storage: FilesystemStorage
) -> None:
    src = wavs.tone(inbox / "a.wav", 1.0)
    store = MemoryStore()
    await store.claim(job("a.wav"))
    [row] = store.rows.values()
    row.status = "ready"  # stored and recorded, then the process died before the cleanup
    worker = worker_for(store, storage, inbox, transcoder=pytest.fail)
    await run(worker)
    assert row.source_removed
    assert not src.exists()
