"""Retention: recordings older than N days go, files first, then their rows."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from recordings.storage import Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Expired:
    recording_id: str
    storage_key: str | None  # None for a recording that failed and has no file
    created_at: dt.datetime


class RetentionIndex(Protocol):
    async def expired(self, cutoff: dt.datetime, limit: int) -> list[Expired]:
        """Finished recordings created before ``cutoff``, oldest first."""
        ...

    async def forget(self, recording_ids: list[str]) -> None: ...


async def purge_older_than(
    index: RetentionIndex,
    storage: Storage,
    days: int,
    now: dt.datetime,
    batch: int = 500,
) -> list[Expired]:
    """Remove recordings older than ``days`` (0 keeps everything); returns what went.

    A file that cannot be deleted keeps its row, so nothing points at a file that is gone
    without saying so, and the next run tries again."""
    if days <= 0:
        return []
    cutoff = now - dt.timedelta(days=days)
    removed: list[Expired] = []
    while True:
        rows = await index.expired(cutoff, batch)
        gone = []
        for row in rows:
            if row.storage_key is not None:
                try:
                    await asyncio.to_thread(storage.delete, row.storage_key)
                except OSError as exc:
                    log.error("retention: cannot delete %s: %s", row.storage_key, exc)
                    continue
            gone.append(row)
        if gone:
            await index.forget([row.recording_id for row in gone])
            removed += gone
        if len(rows) < batch or not gone:
            break
    if removed:
        log.info(
            "retention: removed %d recording(s) older than %d days (before %s): %s",
            len(removed),
            days,
            cutoff.isoformat(),
            ", ".join(r.recording_id for r in removed[:20]) + (" ..." if len(removed) > 20 else ""),
        )
    return removed


async def every(
    interval: float, job: Callable[[], Awaitable[object]], *, first_delay: float = 0.0
) -> None:
    """Run ``job`` now (after ``first_delay``) and then every ``interval`` seconds; a failing
    run is logged and the schedule goes on. Cancel the task to stop."""
    await asyncio.sleep(first_delay)
    while True:
        try:
            await job()
        except Exception:
            log.exception("a periodic recordings job failed")
        await asyncio.sleep(interval)
