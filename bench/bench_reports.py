"""The supervisors' reports at real sizes (callcenter/reports/).

A shop of 50 managers with ``--calls`` calls over the last year (70 % inbound, 20 % outbound,
10 % internal; 80 % answered), one ring per inbound call, five orders per call and a customer
per five calls, generated in SQL in the database itself. Measured, on each database and size:

- the full roll-up rebuild (every day stale, as after the migration or a change of time zone);
- each report (managers, lines, load, trend) over the last 365 days and the last 30, the
  roll-ups current: the median of ``--runs``;
- the baseline in the same run: a plain ``GROUP BY`` over the raw tables for the same year
  (calls per manager with their talk, and orders per manager), the query a report would be
  without roll-ups;
- a late change: 100 new calls today, then the managers report over the year (it rebuilds the
  stale day first).

The growth of each report's time from the smallest size to the largest is printed at the end.

    .venv/bin/python bench/bench_reports.py [--sizes 100000,1000000] [--db sqlite,postgres]

Measured on 2026-12-05 (2 shared cores): at 1,000,000 calls and 5,000,000 orders the managers
report over a year took 39 ms on PostgreSQL and 56 ms on SQLite, against 1,200 ms and 5,804 ms
for the raw GROUP BYs; 10x the data made the reports 1.0-1.9x slower, the GROUP BYs 7-12x.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from callcenter.core.auth import Principal  # noqa: E402
from callcenter.core.db import make_engine, make_sessionmaker  # noqa: E402
from callcenter.core.migrate import upgrade  # noqa: E402
from callcenter.core.models import Call, CallDirection, CallStatus, Manager, Role  # noqa: E402
from callcenter.reports import service as reports_service  # noqa: E402
from callcenter.reports.rollups import ReportRollups  # noqa: E402
from callcenter.reports.schemas import ReportQuery  # noqa: E402
from callcenter.reports.service import Reports  # noqa: E402

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/callcenter_bench_reports"
MANAGERS = 50
LINES = ("+74951111111", "+74952222222", "+78005553535", "+74953333333", "+74954444444")
YEAR = 365 * 24 * 3600
ZONE = ZoneInfo("Europe/Moscow")

# One statement per table: ``seq`` counts 1..:n; every value is arithmetic on n, so a run
# is the same shop every time. ``{at}`` is the dialect's "the base moment plus N seconds".
CUSTOMERS = (
    "WITH RECURSIVE seq(n) AS "
    "(SELECT CAST(1 AS BIGINT) UNION ALL SELECT n + 1 FROM seq WHERE n < :n) "
    "INSERT INTO customers (name, search_name, do_not_call, note, created_at, orders_count, "
    "total_spent, average_check, manager_id) SELECT 'Покупатель ' || n, 'покупатель ' || n, "
    "false, '', :base, 0, 0, 0, NULL FROM seq"
)
CALLS = (
    "WITH RECURSIVE seq(n) AS "
    "(SELECT CAST(1 AS BIGINT) UNION ALL SELECT n + 1 FROM seq WHERE n < :n) "
    "INSERT INTO calls (pbx, linkedid, direction, phone, customer_id, manager_id, started_at, "
    "answered_at, ended_at, wait_seconds, talk_seconds, status, line) "
    "SELECT 'default', 'bench.' || n, "
    "CASE WHEN n % 10 < 7 THEN 'in' WHEN n % 10 < 9 THEN 'out' ELSE 'internal' END, "
    "'+7916' || (1000000 + n % 8000000), 1 + (n * 7919) % :customers, "
    "CASE WHEN (n * 13) % 10 < 8 THEN :first_manager + (n * 31) % 50 END, "
    "{at_start}, CASE WHEN (n * 13) % 10 < 8 THEN {at_answer} END, {at_end}, "
    "(n * 7) % 60, CASE WHEN (n * 13) % 10 < 8 THEN 30 + (n * 11) % 600 END, "
    "CASE WHEN (n * 13) % 10 < 8 THEN 'answered' ELSE 'missed' END, "
    "CASE WHEN n % 10 < 7 THEN "
    "CASE n % 5 WHEN 0 THEN :l0 WHEN 1 THEN :l1 WHEN 2 THEN :l2 WHEN 3 THEN :l3 ELSE :l4 END END "
    "FROM seq"
)
RINGS = (
    "INSERT INTO call_rings (call_id, manager_id, rang_at) "
    "SELECT id, COALESCE(manager_id, :first_manager + id % 50), started_at FROM calls "
    "WHERE direction = 'in'"
)
ORDERS = (
    "WITH RECURSIVE seq(n) AS "
    "(SELECT CAST(1 AS BIGINT) UNION ALL SELECT n + 1 FROM seq WHERE n < :n) "
    "INSERT INTO orders (number, customer_id, manager_id, status, total, comment, created_at, "
    "updated_at) SELECT 'B' || n, 1 + (n * 104729) % :customers, "
    "CASE WHEN n % 10 < 8 THEN :first_manager + (n * 17) % 50 END, "
    "CASE n % 6 WHEN 0 THEN 'new' WHEN 1 THEN 'approved' WHEN 2 THEN 'assembling' "
    "WHEN 3 THEN 'delivering' WHEN 4 THEN 'complete' ELSE 'cancelled' END, "
    "1000 + n % 9000, '', {at_order}, {at_order} FROM seq"
)
BASELINE_CALLS = (
    "SELECT manager_id, direction, count(*), sum(talk_seconds) FROM calls "
    "WHERE started_at >= :start AND started_at < :end AND status IS NOT NULL "
    "AND direction <> 'internal' GROUP BY manager_id, direction"
)
BASELINE_ORDERS = (
    "SELECT manager_id, count(*), sum(CASE WHEN status = 'complete' THEN 1 ELSE 0 END) "
    "FROM orders WHERE created_at >= :start AND created_at < :end GROUP BY manager_id"
)


def plus_seconds(dialect: str, seconds: str) -> str:
    if dialect == "sqlite":
        return f"datetime(:base, '+' || ({seconds}) || ' seconds')"
    return f"(CAST(:base AS timestamp) + ({seconds}) * interval '1 second')"


def statements(dialect: str) -> dict[str, str]:
    spread = f"(n * {YEAR} / :n + (n * 37) % 600)"
    at = {
        "at_start": plus_seconds(dialect, spread),
        "at_answer": plus_seconds(dialect, f"{spread} + (n * 7) % 60"),
        "at_end": plus_seconds(dialect, f"{spread} + (n * 7) % 60 + 30 + (n * 11) % 600"),
        "at_order": plus_seconds(dialect, f"n * {YEAR} / :n + 3600"),
    }
    return {
        "customers": CUSTOMERS,
        "calls": CALLS.format(**at),
        "rings": RINGS,
        "orders": ORDERS.format(**at),
    }


async def fresh_db(kind: str, workdir: Path, size: int) -> str:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / f'reports{size}.db'}"
    else:
        from tests.integration.conftest import exec_autocommit

        admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
        await exec_autocommit(admin, "DROP DATABASE IF EXISTS callcenter_bench_reports")
        await exec_autocommit(admin, "CREATE DATABASE callcenter_bench_reports")
        url = PG_URL
    await asyncio.to_thread(upgrade, url)
    return url


async def generate(maker: async_sessionmaker[AsyncSession], calls: int, base: dt.datetime) -> int:
    """The shop; the id of the admin who reads the reports."""
    async with maker() as session, session.begin():
        admin = Manager(login="admin", password_hash="-", role=Role.ADMIN)
        session.add(admin)
        people = [Manager(login=f"m{i}", name=f"Менеджер {i}", password_hash="-",
                          extension=str(200 + i)) for i in range(MANAGERS)]  # fmt: skip
        session.add_all(people)
        await session.flush()
        first = min(p.id for p in people)
        dialect = session.get_bind().dialect.name
        sql = statements(dialect)
        customers = max(1, calls // 5)
        params: dict[str, Any] = {"base": base, "first_manager": first, "customers": customers}
        params.update({f"l{i}": line for i, line in enumerate(LINES)})
        if dialect == "sqlite":
            params["base"] = base.isoformat(" ")
        await session.execute(text(sql["customers"]), {**params, "n": customers})
        await session.execute(text(sql["calls"]), {**params, "n": calls})
        await session.execute(text(sql["rings"]), params)
        await session.execute(text(sql["orders"]), {**params, "n": calls * 5})
        return admin.id


async def timed(run: Callable[[], Awaitable[Any]], runs: int) -> float:
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        await run()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent)


def query_for(days: int, today: dt.date) -> ReportQuery:
    first = today - dt.timedelta(days=days - 1)
    return ReportQuery.model_validate({"period": "custom", "from": first, "until": today})


def _reports(
    reports: Reports, principal: Principal, q: ReportQuery
) -> dict[str, Callable[[AsyncSession], Awaitable[Any]]]:
    def managers(s: AsyncSession) -> Awaitable[Any]:
        return reports_service.managers_report(s, principal, reports, q)

    def lines(s: AsyncSession) -> Awaitable[Any]:
        return reports_service.lines_report(s, reports, q)

    def load(s: AsyncSession) -> Awaitable[Any]:
        return reports_service.load_report(s, reports, q)

    def trend(s: AsyncSession) -> Awaitable[Any]:
        return reports_service.trend_report(s, reports, q)

    return {"managers": managers, "lines": lines, "load": load, "trend": trend}


async def reports_times(
    maker: async_sessionmaker[AsyncSession], reports: Reports, principal: Principal, runs: int
) -> dict[str, float]:
    today = dt.datetime.now(ZONE).date()
    out: dict[str, float] = {}
    for days in (365, 30):
        q = query_for(days, today)
        kinds = _reports(reports, principal, q)
        for name, report in kinds.items():

            async def once(report: Callable[[AsyncSession], Awaitable[Any]] = report) -> None:
                async with maker() as session:
                    await report(session)

            out[f"{name} {days} d"] = await timed(once, runs)
    return out


async def baseline(maker: async_sessionmaker[AsyncSession], runs: int) -> dict[str, float]:
    end = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    window = {"start": end - dt.timedelta(days=365), "end": end}
    out = {}
    for name, sql in (("GROUP BY calls", BASELINE_CALLS), ("GROUP BY orders", BASELINE_ORDERS)):

        async def once(sql: str = sql) -> None:
            async with maker() as session:
                (await session.execute(text(sql), window)).all()

        out[f"{name} 365 d"] = await timed(once, runs)
    return out


async def late_calls(maker: async_sessionmaker[AsyncSession], first_manager: int) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=5)
    async with maker() as session, session.begin():
        for n in range(100):
            session.add(Call(linkedid=f"late.{time.time_ns()}.{n}", direction=CallDirection.IN,
                             manager_id=first_manager + n % MANAGERS, started_at=now,
                             answered_at=now, ended_at=now + dt.timedelta(seconds=60),
                             wait_seconds=5, talk_seconds=60, status=CallStatus.ANSWERED,
                             line=LINES[0]))  # fmt: skip


async def one_size(db: str, size: int, workdir: Path, runs: int) -> dict[str, float]:
    url = await fresh_db(db, workdir, size)
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    base = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) - dt.timedelta(days=366)
    started = time.perf_counter()
    admin_id = await generate(maker, size, base)
    made = time.perf_counter() - started
    rollups = ReportRollups(maker, ZONE, dt.timedelta(hours=24))
    reports = Reports(rollups, sl_seconds=20)
    started = time.perf_counter()
    await rollups.check_settings()
    await rollups.refresh()
    figures = {"data generated": made, "full rebuild": time.perf_counter() - started}
    async with maker() as session:
        admin = await session.get(Manager, admin_id)
        assert admin is not None
        session.expunge(admin)
    principal = Principal(admin, "token")
    figures.update(await reports_times(maker, reports, principal, runs))
    figures.update(await baseline(maker, runs))
    late = []
    for _ in range(runs):
        await late_calls(maker, admin_id + 1)

        async def after() -> None:
            async with maker() as session:
                q = query_for(365, dt.datetime.now(ZONE).date())
                await reports_service.managers_report(session, principal, reports, q)

        late.append(await timed(after, 1))
    figures["managers 365 d after 100 late calls"] = statistics.median(late)
    await engine.dispose()
    return figures


def show(db: str, size: int, figures: dict[str, float]) -> None:
    print(f"\n{db}, {size:,} calls, {size * 5:,} orders, {MANAGERS} managers")
    raw = figures["GROUP BY calls 365 d"] + figures["GROUP BY orders 365 d"]
    for name, seconds in figures.items():
        ratio = f"   {seconds / raw:6.3f} of the raw GROUP BYs" if " d" in name else ""
        print(f"  {name:40} {seconds * 1000:10.1f} ms{ratio}")


async def main_async(sizes: list[int], dbs: list[str], runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for db in dbs:
            seen: dict[int, dict[str, float]] = {}
            for size in sizes:
                seen[size] = await one_size(db, size, Path(tmp), runs)
                show(db, size, seen[size])
            if len(sizes) > 1:
                small, large = seen[min(sizes)], seen[max(sizes)]
                print(f"  growth {max(sizes) // min(sizes)}x the data, {db}:")
                for name in small:
                    if name != "data generated":
                        print(f"    {name:38} x{large[name] / small[name]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    asyncio.run(main_async(sizes, args.db.split(","), args.runs))


if __name__ == "__main__":
    main()
