"""Retention over a real FilesystemStorage and an in-memory index."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

import pytest

from recordings.retention import Expired, every, purge_older_than
from recordings.storage import FilesystemStorage, make_key

NOW = dt.datetime(2026, 11, 25, 12, 0)


class MemoryIndex:
    def __init__(self, rows: list[Expired]) -> None:
        self.rows = {r.recording_id: r for r in rows}

    async def expired(self, cutoff: dt.datetime, limit: int) -> list[Expired]:
        old = sorted(
            (r for r in self.rows.values() if r.created_at < cutoff), key=lambda r: r.created_at
        )
        return old[:limit]

    async def forget(self, recording_ids: list[str]) -> None:
        for rid in recording_ids:
            del self.rows[rid]


def stored(storage: FilesystemStorage, rid: str, days_ago: float) -> Expired:
    created = NOW - dt.timedelta(days=days_ago)
    key = make_key(created, rid, "mp3")
    storage.put_bytes(key, b"x" * 10)
    return Expired(rid, key, created)


@pytest.fixture
def storage(tmp_path: Path) -> FilesystemStorage:
    return FilesystemStorage(tmp_path)


async def test_only_recordings_older_than_the_limit_go(
    storage: FilesystemStorage, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [stored(storage, f"r{n}", days) for n, days in enumerate([400, 366, 364, 1])]
    failed_without_file = Expired("failed", make_key(NOW, "failed", "mp3"), NOW - dt.timedelta(500))
    index = MemoryIndex([*rows, failed_without_file])
    with caplog.at_level(logging.INFO, logger="recordings.retention"):
        removed = await purge_older_than(index, storage, 365, NOW, batch=2)
    assert [r.recording_id for r in removed] == ["failed", "r0", "r1"]
    assert sorted(index.rows) == ["r2", "r3"]
    assert sorted(storage.keys()) == sorted(str(r.storage_key) for r in rows[2:])
    assert "removed 3 recording(s) older than 365 days" in caplog.text
    assert "r0" in caplog.text


async def test_zero_days_keeps_everything(storage: FilesystemStorage) -> None:
    index = MemoryIndex([stored(storage, "old", 5000)])
    assert await purge_older_than(index, storage, 0, NOW) == []
    assert list(index.rows) == ["old"]


async def test_a_file_that_cannot_be_deleted_keeps_its_row(
    storage: FilesystemStorage, tmp_path: Path
) -> None:
    row = stored(storage, "stuck", 400)
    path = storage.path(str(row.storage_key))
    path.unlink()
    path.mkdir()  # a directory where the file was: unlink fails with an OSError
    (path / "keep").write_text("x")
    index = MemoryIndex([row])
    assert await purge_older_than(index, storage, 30, NOW) == []
    assert list(index.rows) == ["stuck"]


async def test_every_runs_the_job_again_after_a_failure() -> None:
    runs: list[int] = []

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("first run fails")

    task = asyncio.create_task(every(0.01, job))
    while len(runs) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
