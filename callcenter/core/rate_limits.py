"""Rate limits counted in the database, so that every instance of the service shares them:
failed logins (per client address and per login name) and the website's callback requests
(per address and per number).

Each counted hit is a row of ``rate_hits``: the limit's bucket, the SHA-256 of the key (never
the address, login or number itself) and when. Counting and adding hold a lock on the key
for their transaction: on PostgreSQL a transaction-scoped advisory lock, on SQLite (one
instance) the database's write lock. So two instances that hit at the same moment never both
take a limit's last slot. A key's expired rows go when it is next added to, and every
``SWEEP_EVERY`` hits a bounded delete clears the limit's expired rows of any key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable

from sqlalchemy import ColumnElement, and_, delete, false, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.core.db import lock_for_transaction
from callcenter.core.models import RateHit

Clock = Callable[[], dt.datetime]


def now_utc() -> dt.datetime:
    """Naive UTC to the microsecond: ``models.utcnow`` drops them, and whole-second stamps
    would make a wait told in seconds (rounded up) up to a second longer than the window."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def key_hash(key: str) -> str:
    """What the table keeps of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


class RateLimit:
    """At most ``limit`` hits per key (a client address, a login, a phone number) in any
    ``window`` seconds, for all instances together. Each call is a short transaction of its
    own: a hit counts whatever becomes of the request that made it."""

    # Every this many hits of this process, up to SWEEP_ROWS expired rows of the bucket go:
    # keys that are never seen again (a flood of addresses) do not stay for ever.
    SWEEP_EVERY = 1000
    SWEEP_ROWS = 1000

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        bucket: str,
        limit: int,
        window: float,
        clock: Clock | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.bucket = bucket
        self.limit = limit
        self.window = dt.timedelta(seconds=window)
        # Naive UTC; the instances' clocks are assumed in step (NTP).
        self.clock = clock or now_utc
        self._since_sweep = 0

    async def wait(self, key: str) -> float:
        """Seconds until the key may have another hit; 0 when it may now."""
        async with self.sessionmaker() as session:
            return await self._wait(session, key_hash(key), self.clock())

    async def add(self, key: str) -> None:
        """Count a hit, whatever the count so far."""
        digest = key_hash(key)
        async with self.sessionmaker() as session:
            await self._lock(session, digest)
            now = self.clock()
            await self._insert(session, digest, now)
            await session.commit()
        await self._sweep(now)

    async def forget(self, key: str) -> None:
        async with self.sessionmaker() as session:
            await session.execute(delete(RateHit).where(self._of(key_hash(key))))
            await session.commit()

    async def hit(self, key: str) -> int:
        """Count one hit and return 0, or, when the key has had its ``limit`` already, count
        nothing and return the seconds until the next one is allowed (at least 1)."""
        digest = key_hash(key)
        async with self.sessionmaker() as session:
            await self._lock(session, digest)
            now = self.clock()  # once the lock is held: no hit before is stamped later
            wait = await self._wait(session, digest, now)
            if not wait:
                await self._insert(session, digest, now)
            await session.commit()
        if wait:
            return max(1, math.ceil(wait))
        await self._sweep(now)
        return 0

    def _of(self, digest: str) -> ColumnElement[bool]:
        return and_(RateHit.bucket == self.bucket, RateHit.key_hash == digest)

    async def _lock(self, session: AsyncSession, digest: str) -> None:
        """Hold the key until the transaction ends: whoever counts next sees this one's hit."""
        if session.get_bind().dialect.name == "postgresql":
            await lock_for_transaction(session, f"rate:{self.bucket}:{digest}")
            return
        # SQLite has one writer at a time: take the write lock before counting, so the
        # count cannot move before the insert.
        await session.execute(update(RateHit).where(false()).values(id=RateHit.id))

    async def _wait(self, session: AsyncSession, digest: str, now: dt.datetime) -> float:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(RateHit.at)).where(
                    self._of(digest), RateHit.at > now - self.window
                )
            )
        ).one()
        if count < self.limit or oldest is None:
            return 0.0
        return float((oldest + self.window - now).total_seconds())

    async def _insert(self, session: AsyncSession, digest: str, now: dt.datetime) -> None:
        """The hit, and the key's rows that have left the window go."""
        await session.execute(
            delete(RateHit).where(self._of(digest), RateHit.at <= now - self.window)
        )
        await session.execute(insert(RateHit).values(bucket=self.bucket, key_hash=digest, at=now))

    async def _sweep(self, now: dt.datetime) -> None:
        self._since_sweep += 1
        if self._since_sweep < self.SWEEP_EVERY:
            return
        self._since_sweep = 0
        # Rows another transaction holds are left for the next sweep: never wait on them.
        expired = (
            select(RateHit.id)
            .where(RateHit.bucket == self.bucket, RateHit.at <= now - self.window)
            .limit(self.SWEEP_ROWS)
            .with_for_update(skip_locked=True)
        )
        async with self.sessionmaker() as session:
            await session.execute(delete(RateHit).where(RateHit.id.in_(expired)))
            await session.commit()


class LoginRateLimiter:
    """Failed logins per client address and per login name, in a sliding window."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        max_failures: int,
        window_seconds: float = 60.0,
        clock: Clock | None = None,
    ) -> None:
        self._failures = RateLimit(sessionmaker, "login", max_failures, window_seconds, clock)

    def _keys(self, client: str, login: str) -> tuple[str, str]:
        return f"ip:{client}", f"login:{login.strip().lower()}"

    async def retry_after(self, client: str, login: str) -> int:
        """Seconds until another attempt is allowed; 0 when allowed now."""
        wait = max([await self._failures.wait(key) for key in self._keys(client, login)])
        return int(wait) + 1 if wait > 0 else 0

    async def failed(self, client: str, login: str) -> None:
        for key in self._keys(client, login):
            await self._failures.add(key)

    async def succeeded(self, client: str, login: str) -> None:
        await self._failures.forget(self._keys(client, login)[1])
