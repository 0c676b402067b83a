"""Leadership on a real PostgreSQL: one leader at a time, a takeover after the leader goes,
and no moment with two leaders when the leader's database connection dies, whether the
server ends it (the backend is terminated) or the network goes silent (a partition)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg
from sqlalchemy.engine import make_url

from callcenter.cluster.leadership import Leadership, asyncpg_dsn
from tests.integration.cluster.conftest import FreezableProxy

FAST = {"beat": 0.1, "lease": 0.3, "grace": 0.5, "retry": 0.1}


class Terms:
    """When each instance took and left office, on one clock."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, float]] = []

    def leadership(self, dsn: str, name: str, role: str = "pbx:test") -> Leadership:
        async def elected() -> None:
            self.log.append(("elected", name, time.monotonic()))

        async def deposed() -> None:
            self.log.append(("deposed", name, time.monotonic()))

        return Leadership(dsn, role, name, elected, deposed, **FAST)

    def at(self, what: str, name: str) -> float:
        return next(t for w, n, t in self.log if (w, n) == (what, name))

    def leaders_at_any_moment(self) -> int:
        """The most instances in office at once, from the log."""
        most = current = 0
        for what, _name, _t in sorted(self.log, key=lambda e: e[2]):
            current += 1 if what == "elected" else -1
            most = max(most, current)
        return most


async def leader_and_standby(a: Leadership, b: Leadership) -> None:
    """``a`` leads, and ``b`` has seen it does."""
    a.start()
    await until(lambda: a.leader)
    b.start()
    await until(lambda: b.holder == a.instance)


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> float:
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < timeout, "condition not met in time"
        await asyncio.sleep(0.01)
    return time.monotonic()


async def test_one_leader_and_the_standby_takes_over_when_it_goes(pg: str) -> None:
    terms, dsn = Terms(), asyncpg_dsn(pg)
    a, b = terms.leadership(dsn, "a"), terms.leadership(dsn, "b")
    await leader_and_standby(a, b)
    await asyncio.sleep(1.0)
    assert (a.leader, b.leader) == (True, False)
    gone = time.monotonic()
    await a.stop()
    took = await until(lambda: b.leader)
    assert FAST["grace"] <= took - gone < FAST["grace"] + 1.0
    await b.stop()
    assert terms.at("deposed", "a") < terms.at("elected", "b")
    assert terms.leaders_at_any_moment() == 1


async def test_roles_are_independent(pg: str) -> None:
    terms, dsn = Terms(), asyncpg_dsn(pg)
    pbx, jobs = terms.leadership(dsn, "a", "pbx:one"), terms.leadership(dsn, "b", "jobs")
    pbx.start()
    jobs.start()
    await until(lambda: pbx.leader and jobs.leader)
    await pbx.stop()
    await jobs.stop()


async def test_a_terminated_backend_deposes_the_leader_before_another_acts(pg: str) -> None:
    terms, dsn = Terms(), asyncpg_dsn(pg)
    a, b = terms.leadership(dsn, "a"), terms.leadership(dsn, "b")
    await leader_and_standby(a, b)
    admin = await asyncpg.connect(dsn)
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'callcenter a pbx:test'"
        )
    finally:
        await admin.close()
    assert killed == 1
    await until(lambda: b.leader)
    assert terms.at("deposed", "a") < terms.at("elected", "b")
    assert terms.leaders_at_any_moment() == 1
    await until(lambda: a.holder == "b")  # a contends again, as a standby
    assert not a.leader
    await a.stop()
    await b.stop()


async def test_a_silent_network_deposes_the_leader_by_its_lease(
    pg: str, proxy: FreezableProxy
) -> None:
    """The leader's packets stop both ways: PostgreSQL still sees its session (and keeps the
    lock) until its keepalive gives up, here ``cut``; the leader steps down when its lease
    runs out, long before; the standby acts only a grace after the lock is free."""
    terms, dsn = Terms(), asyncpg_dsn(pg)
    through_proxy = asyncpg_dsn(
        make_url(pg).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    )
    a, b = terms.leadership(through_proxy, "a"), terms.leadership(dsn, "b")
    await leader_and_standby(a, b)
    frozen = time.monotonic()
    proxy.freeze()
    stepped_down = await until(lambda: not a.leader)
    assert stepped_down - frozen < FAST["lease"] + FAST["beat"] + 0.3
    await asyncio.sleep(1.0)
    assert not b.leader  # the server still holds a's session, and with it the lock
    cut = time.monotonic()
    proxy.cut()
    took = await until(lambda: b.leader)
    assert took - cut >= FAST["grace"]
    assert terms.at("deposed", "a") < terms.at("elected", "b")
    assert terms.leaders_at_any_moment() == 1
    await a.stop()
    await b.stop()
