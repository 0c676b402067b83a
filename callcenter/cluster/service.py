"""``Cluster``: this instance's part among several on one PostgreSQL; ``Singletons``: the jobs
that one instance runs for all.

On PostgreSQL every instance joins the cluster: no setting turns it on. It has the bus
(``bus.py``) and a leadership (``leadership.py``) per role: one per PBX (``pbx:<name>``, held
by ``calls.telephony``) and one for the cluster-wide jobs (``jobs``). On SQLite there is no
cluster: one instance (``core.instance``) leads everything.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Protocol

from callcenter.cluster.bus import ClusterBus
from callcenter.cluster.leadership import Hook, Leadership, asyncpg_dsn
from callcenter.core.db import is_sqlite
from callcenter.core.settings import Settings

log = logging.getLogger(__name__)


class Cluster:
    def __init__(self, settings: Settings) -> None:
        self.dsn = asyncpg_dsn(settings.database_url)
        self.instance = settings.instance_name or f"{socket.gethostname()}:{os.getpid()}"
        self.grace = settings.leader_grace_seconds
        self.bus = ClusterBus(self.dsn, self.instance)

    @classmethod
    def of(cls, settings: Settings) -> Cluster | None:
        return None if is_sqlite(settings.database_url) else cls(settings)

    def leadership(self, role: str, on_elected: Hook, on_deposed: Hook) -> Leadership:
        """A role's leadership with this cluster's timings: the grace as set, the lease at
        three quarters of it, a confirmation and a standby's try every quarter."""
        quarter = self.grace / 4
        return Leadership(
            self.dsn,
            role,
            self.instance,
            on_elected,
            on_deposed,
            beat=quarter,
            lease=3 * quarter,
            grace=self.grace,
            retry=quarter,
        )


class Job(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Singletons:
    """Jobs that must run once for all instances: recording retention, dial-list builds and
    sweeps, report roll-ups. Without a cluster they run from ``add`` to ``remove``; in one,
    while this instance holds the ``jobs`` leadership."""

    def __init__(self, cluster: Cluster | None) -> None:
        self.jobs: list[Job] = []
        self._running: list[Job] = []
        self.leadership = (
            None if cluster is None else cluster.leadership("jobs", self._elected, self._deposed)
        )

    @property
    def leader(self) -> bool:
        return self.leadership is None or self.leadership.leader

    @property
    def holder(self) -> str | None:
        return None if self.leadership is None else self.leadership.holder

    def start(self) -> None:
        if self.leadership is not None:
            self.leadership.start()

    async def stop(self) -> None:
        if self.leadership is not None:
            await self.leadership.stop()

    async def add(self, job: Job) -> None:
        self.jobs.append(job)
        if self.leader:
            await self._start(job)

    async def remove(self, job: Job) -> None:
        if job in self.jobs:
            self.jobs.remove(job)
        if job in self._running:
            self._running.remove(job)
            await job.stop()

    async def _start(self, job: Job) -> None:
        await job.start()
        self._running.append(job)

    async def _elected(self) -> None:
        for job in list(self.jobs):
            if job not in self._running:
                try:
                    await self._start(job)
                except Exception:
                    log.exception("jobs: %s did not start", type(job).__name__)

    async def _deposed(self) -> None:
        for job in reversed(list(self._running)):
            self._running.remove(job)
            try:
                await job.stop()
            except Exception:
                log.exception("jobs: %s did not stop", type(job).__name__)
