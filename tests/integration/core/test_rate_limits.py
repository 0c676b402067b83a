"""The rate limits counted in the database, on SQLite and PostgreSQL: the sliding window, two
instances (two engines) sharing one limit, hits at the same moment never passing the last
slot, expiry and the sweep, forget, and keys kept only as hashes. The clock is injected."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.core.db import make_engine, make_sessionmaker
from callcenter.core.models import RateHit
from callcenter.core.rate_limits import LoginRateLimiter, RateLimit

Maker = async_sessionmaker[AsyncSession]
START = dt.datetime(2026, 6, 15, 9, 0)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, seconds: float) -> None:
        self.now = START + dt.timedelta(seconds=seconds)


@pytest.fixture
async def instances(db_url: str) -> AsyncIterator[tuple[Maker, Maker]]:
    """Two instances of the service: an engine and a pool each, on one database."""
    engines = [make_engine(db_url, pool_size=12, max_overflow=0) for _ in range(2)]
    try:
        yield make_sessionmaker(engines[0]), make_sessionmaker(engines[1])
    finally:
        for engine in engines:
            await engine.dispose()


async def rows(maker: Maker) -> list[RateHit]:
    async with maker() as session:
        return list(await session.scalars(select(RateHit).order_by(RateHit.id)))


async def test_a_window_counts_per_key_and_says_how_long_to_wait(
    instances: tuple[Maker, Maker],
) -> None:
    clock = Clock()
    limit = RateLimit(instances[0], "test", 3, 600, clock)
    for second in (0, 100, 200):
        clock.at(second)
        assert await limit.hit("a") == 0
    clock.at(300)
    assert await limit.hit("b") == 0  # another key has its own count
    assert await limit.hit("a") == 300  # the first hit leaves the window at 600
    assert await limit.hit("a") == 300  # a refused hit is not counted
    assert await limit.wait("a") == 300.0
    clock.at(599.5)
    assert await limit.hit("a") == 1  # at least a second, rounded up
    clock.at(600)
    assert await limit.hit("a") == 0
    assert await limit.hit("a") == 100  # the window slides: the hit at 100 leaves it at 700
    assert await RateLimit(instances[0], "other", 3, 600, clock).wait("a") == 0  # another limit


async def test_two_instances_share_one_limit(instances: tuple[Maker, Maker]) -> None:
    clock = Clock()
    first, second = (RateLimit(maker, "test", 3, 60, clock) for maker in instances)
    assert await first.hit("10.0.0.1") == 0
    assert await second.hit("10.0.0.1") == 0
    await first.add("10.0.0.1")
    assert await second.hit("10.0.0.1") == 60
    assert await first.wait("10.0.0.1") == 60.0
    await second.forget("10.0.0.1")
    assert await first.hit("10.0.0.1") == 0


@pytest.mark.parametrize("limit", [1, 5])
async def test_hits_at_the_same_moment_never_pass_the_last_slot(
    instances: tuple[Maker, Maker], limit: int
) -> None:
    """20 requests at once, half on each instance, each in a connection of its own."""
    limits = [RateLimit(maker, "test", limit, 60) for maker in instances]
    start = asyncio.Event()

    async def one(i: int) -> int:
        await start.wait()
        return await limits[i % 2].hit("+79031112233")

    tasks = [asyncio.create_task(one(i)) for i in range(20)]
    await asyncio.sleep(0.05)
    start.set()
    waits = await asyncio.gather(*tasks)
    assert waits.count(0) == limit
    assert all(1 <= wait <= 60 for wait in waits if wait)
    assert len(await rows(instances[0])) == limit


async def test_a_keys_expired_hits_go_when_it_is_added_to(instances: tuple[Maker, Maker]) -> None:
    clock = Clock()
    limit = RateLimit(instances[0], "test", 2, 60, clock)
    await limit.add("a")
    await limit.add("b")
    clock.at(30)
    await limit.add("a")
    clock.at(60)  # the first two are out of the window now
    assert await limit.wait("a") == 0
    await limit.add("a")
    a, b = (hashlib.sha256(key).hexdigest() for key in (b"a", b"b"))
    left = [(r.key_hash, r.at) for r in await rows(instances[0])]
    second = dt.timedelta(seconds=1)
    # a's hit at 0 went with its hit at 60; b's stays until a sweep (b had no hit since).
    assert left == [(b, START), (a, START + 30 * second), (a, START + 60 * second)]


async def test_the_sweep_clears_expired_hits_of_any_key_a_bounded_number_at_a_time(
    instances: tuple[Maker, Maker],
) -> None:
    clock = Clock()
    limit = RateLimit(instances[0], "test", 1, 10, clock)
    limit.SWEEP_EVERY, limit.SWEEP_ROWS = 10, 4
    other = RateLimit(instances[0], "other", 1, 10, clock)
    await other.add("quiet")
    for i in range(9):
        assert await limit.hit(f"address-{i}") == 0
    clock.at(10)
    assert await limit.hit("fresh") == 0  # the tenth hit: four expired rows of the bucket go
    left = await rows(instances[0])
    assert sum(r.bucket == "test" for r in left) == 9 - 4 + 1
    assert [r.bucket for r in left].count("other") == 1  # another limit's rows are its own
    for i in range(10):
        await limit.hit(f"later-{i}")
    # The next sweep: four of the five address rows left; "fresh" and "later" are in the window.
    assert sum(r.bucket == "test" for r in await rows(instances[0])) == 1 + 1 + 10


async def test_forget_drops_the_key_only(instances: tuple[Maker, Maker]) -> None:
    limit = RateLimit(instances[0], "test", 1, 60)
    await limit.add("a")
    await limit.add("b")
    await RateLimit(instances[0], "other", 1, 60).add("a")
    await limit.forget("a")
    assert await limit.wait("a") == 0
    assert await limit.wait("b") > 0
    assert await RateLimit(instances[0], "other", 1, 60).wait("a") > 0


async def test_keys_are_stored_as_hashes_only(instances: tuple[Maker, Maker]) -> None:
    login = LoginRateLimiter(instances[0], max_failures=3)
    await login.failed("203.0.113.7", "Anna.Petrova")
    await RateLimit(instances[0], "callback.phone", 3, 60).hit("phone:+79031112233")
    stored = await rows(instances[0])
    assert {r.key_hash for r in stored} == {
        hashlib.sha256(key.encode()).hexdigest()
        for key in ("ip:203.0.113.7", "login:anna.petrova", "phone:+79031112233")
    }
    text = repr([(r.bucket, r.key_hash, r.at) for r in stored]).lower()
    for raw in ("203.0.113.7", "anna", "79031112233"):
        assert raw not in text
    async with instances[0]() as session:
        assert await session.scalar(select(func.max(func.length(RateHit.key_hash)))) == 64


async def test_failed_logins_are_limited_per_login_and_per_address(
    instances: tuple[Maker, Maker],
) -> None:
    clock = Clock()
    first, second = (LoginRateLimiter(maker, 3, 60, clock) for maker in instances)
    for _ in range(3):
        assert await first.retry_after("10.0.0.1", "anna") == 0
        await first.failed("10.0.0.1", "anna")
    assert await first.retry_after("10.0.0.1", "anna") == 61
    # Another instance, the same login from elsewhere, this address for another login.
    assert await second.retry_after("10.0.0.2", "ANNA") > 0
    assert await second.retry_after("10.0.0.1", "boris") > 0
    assert await second.retry_after("10.0.0.2", "boris") == 0
    clock.at(0.25)
    assert await second.retry_after("10.0.0.1", "anna") == 60
    clock.at(60)
    assert await first.retry_after("10.0.0.1", "anna") == 0


async def test_a_success_clears_the_login_counter(instances: tuple[Maker, Maker]) -> None:
    first, second = (LoginRateLimiter(maker, 2) for maker in instances)
    await first.failed("a", "vera")
    await second.succeeded("a", "vera")
    await first.failed("b", "vera")
    assert await second.retry_after("c", "vera") == 0
    await first.failed("c", "vera")
    assert await second.retry_after("d", "vera") > 0
