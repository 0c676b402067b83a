"""``DialListJobs``: the dial-list work of the running service outside requests.

- builds lists in background tasks (and resumes the ones a restart interrupted);
- listens to the call log: when a call placed from an entry ends, the PBX's status lands on
  the entry, beside the manager's outcome;
- returns entries held too long (a manager who vanished) to the pool, and pools the entries
  of managers who no longer work a list (deactivated, taken off it), once a minute.

``clock`` is the one "now" of dial lists (tests replace it).

Builds and sweeps are one instance's job among several (``cluster.service.Singletons``): an
instance that does not run them hands a new list's build to the one that does (``elsewhere``,
the cluster bus); a build nobody took is resumed by the next instance to run the jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.core.models import Call, DialList, DialListEntry, DialListStatus, utcnow
from callcenter.dial_lists.builder import DialListBuilder
from callcenter.dial_lists.handout import list_settings, sweep_list
from pbx_bridge.tracker import CallEnded, Change

log = logging.getLogger(__name__)


class DialListJobs:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Callable[[], dt.datetime] = utcnow,
        sweep_every: float = 60.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.builder = DialListBuilder(sessionmaker)
        self.clock = clock
        self.sweep_every = sweep_every
        self.builds: dict[int, asyncio.Task[None]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        # Where builds go while this instance does not run the jobs.
        self.elsewhere: Callable[[int], None] | None = None

    @property
    def running(self) -> bool:
        return self._sweeper is not None

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="dial-list-sweeper")
        async with self.sessionmaker() as session:
            building = list(
                await session.scalars(
                    select(DialList.id).where(DialList.status == DialListStatus.BUILDING)
                )
            )
        for list_id in building:
            log.info("dial list %s: resuming its build", list_id)
            self.build(list_id)

    async def stop(self) -> None:
        tasks = [*self.builds.values(), *([self._sweeper] if self._sweeper else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.builds.clear()
        self._sweeper = None

    def build(self, list_id: int) -> asyncio.Task[None] | None:
        """Build the list here, or hand it to the instance that runs the jobs (None)."""
        if not self.running and self.elsewhere is not None:
            self.elsewhere(list_id)
            return None
        if list_id in self.builds:
            return self.builds[list_id]
        task = asyncio.create_task(self.builder.build(list_id), name=f"dial-list-build-{list_id}")
        self.builds[list_id] = task
        task.add_done_callback(lambda _t: self.builds.pop(list_id, None))
        return task

    async def __call__(self, pbx: str, changes: Sequence[Change]) -> None:
        """A call listener (Telephony.add_listener): store the status of ended calls."""
        ended = [c.call.call_id for c in changes if isinstance(c, CallEnded)]
        if not ended:
            return
        async with self.sessionmaker() as session, session.begin():
            calls = await session.execute(
                select(Call.linkedid, Call.status, Call.status_reason).where(
                    Call.pbx == pbx, Call.linkedid.in_(ended), Call.status.is_not(None)
                )
            )
            for linkedid, status, reason in calls:
                await session.execute(
                    update(DialListEntry)
                    .where(DialListEntry.call_linkedid == linkedid)
                    .values(call_status=status.value, call_status_reason=reason)
                )

    async def sweep(self) -> int:
        """Release stale locks and pool stranded entries on every ready list; returns how many
        entries went back."""
        released = 0
        async with self.sessionmaker() as session:
            lists = list(
                await session.scalars(
                    select(DialList).where(DialList.status == DialListStatus.READY)
                )
            )
            now = self.clock()
            for dial_list in lists:
                released += await sweep_list(session, dial_list.id, list_settings(dial_list), now)
        return released

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            try:
                released = await self.sweep()
            except Exception:
                log.exception("dial lists: releasing stale and stranded entries failed")
                continue
            if released:
                log.info(
                    "dial lists: %s entries held too long or left with a manager who does not "
                    "work the list went back",
                    released,
                )
