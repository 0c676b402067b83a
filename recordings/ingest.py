"""The ingest worker: a recording reported by the PBX becomes a stored, checked file.

Jobs are durable: the :class:`JobStore` (the service's database) keeps one row per source,
unique on (call, source path), written before any work starts. A crash anywhere leaves the
source in the inbox and the row unfinished, and :meth:`IngestWorker.start` picks it up again;
the storage key is fixed in the row, so a second run replaces the same object, never makes a
second one. The source is removed only after the stored file was checked and the row says
ready.

Several workers may share a store and a storage (several instances of the service): each job
is worked inside :meth:`JobStore.hold`, which lets one worker at a time have it and hands over
the job as it stands then, so a job queued by two workers is done once, by whichever comes
first, and the other finds nothing left to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from recordings import audio
from recordings.errors import AudioError, RecordingError, StorageError
from recordings.inbox import InboxMapper, remove_sources, wait_until_stable
from recordings.storage import Storage

log = logging.getLogger(__name__)

Transcoder = Callable[[audio.Sources, Path, audio.OutputFormat], audio.AudioInfo]


@dataclass(frozen=True)
class IngestJob:
    pbx: str
    call_id: str  # the PBX's id of the call (Asterisk's Linkedid)
    source: str  # the file as the PBX reports it (MIXMONITOR_FILENAME)
    answered: bool = True
    # Which MixMonitor leg is the customer: "r" when MixMonitor runs on the customer's channel
    # (inbound calls), "t" when it runs on the manager's (click-to-call).
    customer_leg: Literal["r", "t"] = "r"


@dataclass(frozen=True)
class Claim:
    job: IngestJob
    recording_id: str
    storage_key: str
    # Stored and recorded as ready already: only the source is left to remove.
    stored: bool = False


class JobStore(Protocol):
    async def claim(self, job: IngestJob) -> Claim | None:
        """Record the job (idempotent); None when there is nothing left to do for it."""
        ...

    async def pending(self) -> list[Claim]:
        """Jobs a previous run did not finish."""
        ...

    def hold(self, claim: Claim) -> AbstractAsyncContextManager[Claim | None]:
        """The job for this worker alone while inside, as it stands now; None when another
        worker has it or nothing is left to do."""
        ...

    async def finish(self, claim: Claim, info: audio.AudioInfo) -> None: ...

    async def fail(self, claim: Claim, error: RecordingError) -> None: ...

    async def discard(self, claim: Claim) -> None:
        """Forget a job that had nothing to record (an unanswered call's empty file)."""
        ...

    async def source_removed(self, claim: Claim) -> None: ...


class IngestWorker:
    def __init__(
        self,
        store: JobStore,
        storage: Storage,
        mapper: InboxMapper,
        *,
        fmt: audio.OutputFormat = audio.MP3,
        concurrency: int = 1,
        settle: float = 2.0,
        poll: float = 0.25,
        appear_within: float = 5.0,
        transcoder: Transcoder = audio.transcode,
    ) -> None:
        self.store = store
        self.storage = storage
        self.mapper = mapper
        self.fmt = fmt
        self.concurrency = concurrency
        self.settle, self.poll, self.appear_within = settle, poll, appear_within
        self.transcoder = transcoder
        self.queue: asyncio.Queue[Claim] = asyncio.Queue()
        self._queued: set[tuple[str, str, str]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self.stored = 0
        self.failed = 0

    async def start(self, *, partials_older_than: float = 0.0) -> None:
        """Queue the jobs a previous run left and start working. Half-written files of a
        previous run go first; with other workers on the same storage, only old ones."""
        await asyncio.to_thread(self.storage.discard_partials, partials_older_than)
        await self.resume()
        self._tasks = [
            asyncio.create_task(self._run(), name=f"recordings-ingest-{i}")
            for i in range(self.concurrency)
        ]

    async def resume(self) -> int:
        """Queue every unfinished job (another worker's, stopped midway, among them)."""
        pending = await self.store.pending()
        for claim in pending:
            self._enqueue(claim)
        if pending:
            log.info("recordings: %d unfinished ingest job(s) queued again", len(pending))
        return len(pending)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def submit(self, job: IngestJob) -> None:
        claim = await self.store.claim(job)
        if claim is not None:
            self._enqueue(claim)

    async def join(self) -> None:
        """Wait until every queued job is done (tests, benches)."""
        await self.queue.join()

    def _enqueue(self, claim: Claim) -> None:
        key = (claim.job.pbx, claim.job.call_id, claim.job.source)
        if key in self._queued:
            return
        self._queued.add(key)
        self.queue.put_nowait(claim)

    async def _run(self) -> None:
        while True:
            claim = await self.queue.get()
            try:
                async with self.store.hold(claim) as held:
                    if held is not None:
                        await self.process(held)
            except Exception:
                log.exception("recordings: ingest of %s failed unexpectedly", claim.job.source)
            finally:
                self._queued.discard((claim.job.pbx, claim.job.call_id, claim.job.source))
                self.queue.task_done()

    def _sources(self, job: IngestJob) -> audio.Sources:
        mixed = self.mapper.local_path(job.source)
        legs = self.mapper.legs(mixed)
        if legs is None:
            return audio.Sources(mixed=mixed)
        read, sent = legs
        customer, manager = (read, sent) if job.customer_leg == "r" else (sent, read)
        return audio.Sources(mixed=mixed, customer=customer, manager=manager)

    async def process(self, claim: Claim) -> None:
        job = claim.job
        try:
            sources = self._sources(job)
        except RecordingError as exc:  # an unsafe path: never touch it
            log.warning("recordings: rejected %s: %s", job.source, exc.reason)
            await self._fail(claim, exc)
            return
        if claim.stored:
            await asyncio.to_thread(remove_sources, sources.paths)
            await self.store.source_removed(claim)
            return
        try:
            await wait_until_stable(
                sources.paths,
                settle=self.settle,
                poll=self.poll,
                appear_within=self.appear_within,
            )
            info = await asyncio.to_thread(self._transcode_and_store, claim, sources)
        except AudioError as exc:
            if exc.no_audio and not job.answered:
                # An unanswered call leaves a header-only file: nothing to keep.
                await asyncio.to_thread(remove_sources, sources.paths)
                await self.store.discard(claim)
                return
            await self._fail(claim, exc)
            return
        except (StorageError, OSError) as exc:
            await self._fail(claim, StorageError(f"cannot store the recording: {exc}"))
            return
        await self.store.finish(claim, info)
        self.stored += 1
        log.info(
            "recordings: stored %s (%.1f s, %d ch) for call %s",
            claim.recording_id,
            info.duration_seconds,
            info.channels,
            job.call_id,
        )
        await asyncio.to_thread(remove_sources, sources.paths)
        await self.store.source_removed(claim)

    async def _fail(self, claim: Claim, error: RecordingError) -> None:
        self.failed += 1
        log.warning(
            "recordings: %s of call %s failed: %s",
            claim.job.source,
            claim.job.call_id,
            error.reason,
        )
        await self.store.fail(claim, error)

    def _transcode_and_store(self, claim: Claim, sources: audio.Sources) -> audio.AudioInfo:
        """Blocking: runs in a worker thread."""
        scratch = self.storage.scratch_path(self.fmt.ext)
        try:
            info = self.transcoder(sources, scratch, self.fmt)
            size = self.storage.put_file(scratch, claim.storage_key)
        finally:
            scratch.unlink(missing_ok=True)
        if size != info.size_bytes:
            raise StorageError(f"stored {size} bytes of {info.size_bytes}")
        return info
