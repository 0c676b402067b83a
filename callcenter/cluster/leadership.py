"""``Leadership``: one role (a PBX's AMI connection, the cluster's jobs) held by one instance
at a time, through a PostgreSQL session advisory lock.

Each role has a connection of its own, outside the pool: a session lock lives as long as the
session that took it, and PostgreSQL releases it the moment that session ends (the process
was killed, the host went away and the server's TCP keepalive noticed, an admin terminated
the backend). A standby tries the lock every ``retry`` seconds.

Never two leaders at once. The lock alone does not give that: when the leader's connection
dies, the server frees the lock at once but the leader may not notice for a while. So:

- the leader confirms its session every ``beat`` seconds and counts itself leader only until
  ``lease`` seconds after the last confirmation; a confirmation that fails, or has not come
  back by then, deposes it (``on_deposed``: the AMI connection is closed, the jobs stop);
- a new holder of the lock waits ``grace`` (> ``lease``) seconds, confirming its own session
  meanwhile, before it acts (``on_elected``). By then the old leader has either confirmed a
  session that still holds the lock (impossible: the new one holds it) or deposed itself.

With the defaults a standby takes over 2.5 to 3 s after the leader's death (the next try,
then the grace). A frozen event loop (a leader that cannot run its own timers) is the one
case this cannot cover; the service does no blocking work on its loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from callcenter.core.db import advisory_key

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]

# Who holds a lock, as pg_locks shows a bigint advisory key (its high and low 32 bits) of
# this database (advisory locks are per database; pg_locks lists every database's).
_HOLDER = """
SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1
  AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
APP_PREFIX = "callcenter "


def _halves(key: int) -> tuple[int, int]:
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return unsigned >> 32, unsigned & 0xFFFFFFFF


def asyncpg_dsn(database_url: str) -> str:
    """``postgresql+asyncpg://…`` (SQLAlchemy's form) as asyncpg takes it."""
    scheme, sep, rest = database_url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


async def connect(dsn: str, name: str) -> asyncpg.Connection:
    """A connection of its own, named in pg_stat_activity, whose death the server notices
    within seconds even when the host vanishes without closing it (TCP keepalive)."""
    conn: asyncpg.Connection = await asyncpg.connect(
        dsn,
        timeout=5,
        server_settings={
            "application_name": f"{APP_PREFIX}{name}"[:63],
            "tcp_keepalives_idle": "5",
            "tcp_keepalives_interval": "1",
            "tcp_keepalives_count": "3",
        },
    )
    return conn


async def close(conn: asyncpg.Connection) -> None:
    """Close politely when the server answers at once, else drop the socket."""
    try:
        await asyncio.wait_for(conn.close(), 1)
    except Exception:
        conn.terminate()
        await asyncio.sleep(0)  # the transport closes its socket on the next turn


class Leadership:
    def __init__(
        self,
        dsn: str,
        role: str,
        instance: str,
        on_elected: Hook,
        on_deposed: Hook,
        *,
        beat: float = 0.5,
        lease: float = 1.5,
        grace: float = 2.0,
        retry: float = 0.5,
    ) -> None:
        if grace <= lease or lease <= beat:
            raise ValueError("leadership needs beat < lease < grace")
        self.dsn, self.role, self.instance = dsn, role, instance
        self.key = advisory_key(role)
        self.on_elected, self.on_deposed = on_elected, on_deposed
        self.beat, self.lease, self.grace, self.retry = beat, lease, grace, retry
        self.leader = False
        self.holder: str | None = None  # the leading instance's name, as last seen
        self._task: asyncio.Task[None] | None = None
        self._office: asyncio.Task[None] | None = None  # on_elected, beside the beats
        self._conn: asyncpg.Connection | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"leadership-{self.role}")

    async def stop(self) -> None:
        """Give the role up: deposed first, then the lock goes with the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                self._conn = await connect(self.dsn, f"{self.instance} {self.role}")
                await self._contend(self._conn)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("leadership %s: the database connection failed: %r", self.role, exc)
            except Exception:  # contending goes on, whatever happened
                log.exception("leadership %s: unexpected failure", self.role)
            finally:
                await self._step_down()
            await asyncio.sleep(self.retry)

    async def _contend(self, conn: asyncpg.Connection) -> None:
        """Try the lock until it is ours, then hold it while the session lives."""
        classid, objid = _halves(self.key)
        while True:
            got = await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key, timeout=5)
            if got:
                break
            holder = await conn.fetchval(_HOLDER, classid, objid, timeout=5)
            self.holder = _instance_of(holder)
            await asyncio.sleep(self.retry)
        log.info("leadership %s: lock taken; acting in %.1f s", self.role, self.grace)
        deadline = time.monotonic() + self.grace
        last_ok = time.monotonic()
        while time.monotonic() < deadline:
            last_ok = await self._confirm(conn, last_ok)
            await asyncio.sleep(min(self.beat, max(0.0, deadline - time.monotonic())))
        last_ok = await self._confirm(conn, last_ok)
        await self._take_office()
        while True:
            await asyncio.sleep(self.beat)
            last_ok = await self._confirm(conn, last_ok)

    async def _confirm(self, conn: asyncpg.Connection, last_ok: float) -> float:
        """The session (and with it the lock: a session lock goes only with its session) is
        still there; TimeoutError once ``lease`` has passed since the last confirmation.

        When the event loop itself could not run for longer than the lease (a stall), a
        quick confirmation is still asked before stepping down: one that succeeds proves the
        session, hence the lock, never went. Had the session died during the stall, what
        other tasks do before this confirmation fails (within ``beat``) is the one window
        left; a loop that stalls for seconds has worse troubles."""
        left = last_ok + self.lease - time.monotonic()
        if left <= 0:
            log.warning(
                "leadership %s: the event loop stalled for %.1f s; confirming the lock",
                self.role,
                time.monotonic() - last_ok,
            )
            left = self.beat
        await conn.fetchval("SELECT 1", timeout=left)
        return time.monotonic()

    async def _take_office(self) -> None:
        self.leader, self.holder = True, self.instance
        log.info("leadership %s: this instance (%s) leads", self.role, self.instance)
        # Taking office (connecting to the PBX, resuming jobs) may take longer than a lease:
        # the beats go on beside it.
        self._office = asyncio.create_task(self._serve(), name=f"elected-{self.role}")

    async def _serve(self) -> None:
        try:
            await self.on_elected()
        except Exception:
            log.exception("leadership %s: taking office failed", self.role)

    async def _step_down(self) -> None:
        conn, self._conn = self._conn, None
        if self.leader:
            self.leader, self.holder = False, None
            log.warning("leadership %s: this instance no longer leads", self.role)
            office, self._office = self._office, None
            if office is not None:
                office.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await office
            try:
                await self.on_deposed()
            except Exception:
                log.exception("leadership %s: stepping down failed", self.role)
        if conn is not None:
            await close(conn)


def _instance_of(application_name: Any) -> str | None:
    """The instance's name from the lock connection's application name."""
    if not isinstance(application_name, str) or not application_name.startswith(APP_PREFIX):
        return None
    return application_name[len(APP_PREFIX) :].rsplit(" ", 1)[0] or None
