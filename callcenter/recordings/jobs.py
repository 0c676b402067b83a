"""Recordings inside the running service: the bridge tells of ended calls, the ingest worker
stores their recordings, a daily job applies retention. The ``recordings`` package does the
work; this module keeps its state in the database."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Literal

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.core.db import advisory_key
from callcenter.core.models import Call, CallDirection, Recording, RecordingStatus, utcnow
from callcenter.core.settings import Settings
from callcenter.webhooks.events import recording_ready
from pbx_bridge.tracker import CallEnded, Change
from recordings.audio import MP3, AudioInfo
from recordings.errors import RecordingError
from recordings.inbox import InboxMapper
from recordings.ingest import Claim, IngestJob, IngestWorker
from recordings.retention import Expired, every, purge_older_than
from recordings.storage import FilesystemStorage, make_key

log = logging.getLogger(__name__)

DAY = 24 * 3600.0


def customer_leg(direction: str | None) -> Literal["r", "t"]:
    """MixMonitor runs on the caller's channel: the customer's on inbound calls, the manager's
    on click-to-call (see the sample dialplan). "r" is what that channel says."""
    return "t" if direction == CallDirection.OUT.value else "r"


class DbJobStore:
    """The ingest worker's jobs, one ``recordings`` row each."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], base_url: str = "") -> None:
        self.sessionmaker = sessionmaker
        # Where the shop reaches the service, for the recording's URL in recording.ready.
        self.base_url = base_url

    @staticmethod
    def _claim(recording: Recording, job: IngestJob) -> Claim | None:
        if recording.status is RecordingStatus.INGESTING:
            return Claim(job, recording.public_id, recording.storage_key)
        if recording.status is RecordingStatus.READY and recording.source_removed_at is None:
            return Claim(job, recording.public_id, recording.storage_key, stored=True)
        return None

    async def claim(self, job: IngestJob) -> Claim | None:
        async with self.sessionmaker() as session, session.begin():
            call_id = await session.scalar(
                select(Call.id).where(Call.pbx == job.pbx, Call.linkedid == job.call_id)
            )
            if call_id is None:
                log.warning("recordings: no call %s/%s for %s", job.pbx, job.call_id, job.source)
                return None
            existing = await self._find(session, call_id, job.source)
            if existing is not None:
                return self._claim(existing, job)
            now = utcnow()
            public_id = str(uuid.uuid4())
            recording = Recording(
                public_id=public_id,
                call_id=call_id,
                source_path=job.source,
                status=RecordingStatus.INGESTING,
                storage_key=make_key(now, public_id, MP3.ext),
                format=MP3.name,
                created_at=now,
                peaks=[],
            )
            try:
                async with session.begin_nested():
                    session.add(recording)
            except IntegrityError:  # the same job, claimed at the same moment elsewhere
                existing = await self._find(session, call_id, job.source)
                return None if existing is None else self._claim(existing, job)
            return self._claim(recording, job)

    @staticmethod
    async def _find(session: AsyncSession, call_id: int, source: str) -> Recording | None:
        found: Recording | None = await session.scalar(
            select(Recording).where(Recording.call_id == call_id, Recording.source_path == source)
        )
        return found

    async def pending(self) -> list[Claim]:
        async with self.sessionmaker() as session:
            rows = await session.execute(
                select(Recording, Call)
                .join(Call, Call.id == Recording.call_id)
                .where(
                    or_(
                        Recording.status == RecordingStatus.INGESTING,
                        (Recording.status == RecordingStatus.READY)
                        & Recording.source_removed_at.is_(None),
                    )
                )
                .order_by(Recording.id)
            )
            claims = []
            for recording, call in rows:
                job = IngestJob(
                    pbx=call.pbx,
                    call_id=call.linkedid,
                    source=recording.source_path,
                    answered=call.answered_at is not None,
                    customer_leg=customer_leg(call.direction.value),
                )
                claim = self._claim(recording, job)
                if claim is not None:
                    claims.append(claim)
            return claims

    @contextlib.asynccontextmanager
    async def hold(self, claim: Claim) -> AsyncIterator[Claim | None]:
        """On PostgreSQL a transaction's advisory lock on the recording, the transaction (a
        read, no row locks) left open while the job is worked: it ends, and the lock with it,
        when the job does, is cancelled, or its instance dies. Then the row as it is now.
        SQLite has one instance, hence one worker: the row only."""
        async with self.sessionmaker() as session:
            shared = session.get_bind().dialect.name == "postgresql"
            key = advisory_key(f"recording:{claim.recording_id}")
            if shared and not await session.scalar(select(func.pg_try_advisory_xact_lock(key))):
                held = None  # another instance works on it
            else:
                recording = await session.scalar(
                    select(Recording).where(Recording.public_id == claim.recording_id)
                )
                held = None if recording is None else self._claim(recording, claim.job)
            if shared:
                yield held
                return
        yield held

    async def _update(self, claim: Claim, **values: object) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(Recording).where(Recording.public_id == claim.recording_id).values(**values)
            )

    async def finish(self, claim: Claim, info: AudioInfo) -> None:
        """The recording is stored; the shop hears of it (recording.ready) in the same
        transaction."""
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(Recording)
                .where(Recording.public_id == claim.recording_id)
                .values(
                    status=RecordingStatus.READY,
                    error=None,
                    format=info.format,
                    duration_seconds=info.duration_seconds,
                    peaks=info.peaks,
                    size_bytes=info.size_bytes,
                    channels=info.channels,
                    ready_at=utcnow(),
                )
            )
            await recording_ready(session, claim.recording_id, self.base_url)

    async def fail(self, claim: Claim, error: RecordingError) -> None:
        await self._update(claim, status=RecordingStatus.FAILED, error=error.reason[:500])

    async def discard(self, claim: Claim) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                delete(Recording).where(Recording.public_id == claim.recording_id)
            )

    async def source_removed(self, claim: Claim) -> None:
        await self._update(claim, source_removed_at=utcnow())


class DbRetentionIndex:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def expired(self, cutoff: dt.datetime, limit: int) -> list[Expired]:
        async with self.sessionmaker() as session:
            rows = await session.execute(
                select(Recording.public_id, Recording.storage_key, Recording.created_at)
                .where(
                    Recording.created_at < cutoff,
                    Recording.status != RecordingStatus.INGESTING,
                )
                .order_by(Recording.created_at, Recording.id)
                .limit(limit)
            )
            return [Expired(public_id, key, created) for public_id, key, created in rows]

    async def forget(self, recording_ids: list[str]) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(delete(Recording).where(Recording.public_id.in_(recording_ids)))


class RecordingJobs:
    """Wired by the app's lifespan: a call listener for the bridge and the ingest worker;
    :attr:`chores` (retention, and re-queueing what a stopped instance left) are one
    instance's job among several (``cluster.service.Singletons``).

    With ``shared`` storage (several instances) every worker resumes unfinished jobs at start
    and the chores re-queue them every minute, so the jobs of an instance that was killed
    midway are done without waiting for its restart; :meth:`DbJobStore.hold` makes sure each
    is done once."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        shared: bool = False,
    ) -> None:
        self.storage = FilesystemStorage(settings.recordings_dir)
        self.mapper = InboxMapper(settings.recordings_pbx_prefix, settings.recordings_inbox_path)
        self.worker = IngestWorker(
            DbJobStore(sessionmaker, settings.public_url), self.storage, self.mapper
        )
        self.index = DbRetentionIndex(sessionmaker)
        self.retention_days = settings.recordings_retention_days
        self.shared = shared
        self.chores = RecordingChores(self)

    async def start(self) -> None:
        # Another instance's half-written file is not a leftover: only old ones are.
        await self.worker.start(partials_older_than=3600.0 if self.shared else 0.0)

    async def stop(self) -> None:
        await self.worker.stop()

    async def purge(self, now: dt.datetime | None = None) -> list[Expired]:
        removed = await purge_older_than(
            self.index, self.storage, self.retention_days, now or utcnow()
        )
        await asyncio.to_thread(self.storage.discard_partials, 3600.0)
        return removed

    async def __call__(self, pbx: str, changes: Sequence[Change]) -> None:
        """A call listener: an ended call's recordings become ingest jobs."""
        for change in changes:
            if not isinstance(change, CallEnded) or not change.call.recordings:
                continue
            call = change.call
            for source in call.recordings:
                await self.worker.submit(
                    IngestJob(
                        pbx=pbx,
                        call_id=call.call_id,
                        source=source,
                        answered=call.answered_at is not None,
                        customer_leg=customer_leg(call.direction.value if call.direction else None),
                    )
                )



class RecordingChores:
    """Retention once a day (the first a minute after start) and, with several instances,
    the unfinished jobs queued again every minute."""

    def __init__(self, jobs: RecordingJobs) -> None:
        self.jobs = jobs
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(
                every(DAY, self.jobs.purge, first_delay=60.0), name="recordings-retention"
            )
        ]
        if self.jobs.shared:
            resume = self.jobs.worker.resume
            self._tasks.append(
                asyncio.create_task(every(60.0, resume, first_delay=60.0), name="recordings-resume")
            )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
