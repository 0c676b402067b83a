"""Dial lists at scale, on PostgreSQL and SQLite: rule preview, list build, and ``next`` under
50 concurrent managers.

    .venv/bin/python bench/bench_dial_lists.py [--customers 1000000] [--db both|postgres|sqlite]

The base: ``--customers`` customers (default 1,000,000) with ~5 orders each (5,000,000), calls
for 10 %, bulk-loaded (bench/dial_bench_data.py). Then, through the service's own code:

- preview: ``services.dial_rules.preview`` (the count and a first page of 20 customers with
  their phones and tags) for the ready-made rules and the contract's example; median of 3.
- build: ``DialListBuilder.build`` of a list capped at ``--entries`` (100,000) from a rule that
  matches more, spread over 50 managers; median of 2.
- next: over HTTP against the service under uvicorn, managers with API tokens
  (bench/dial_bench_load.py): "alone", one manager, 200 times; "paced", 50 managers each
  working the list (next, 0.5-1.5 s "talk", outcome, 0-1 s, next...) for ``--seconds``, about
  33 next/s, far above a real floor; "burst", all 50 at the same instant, ``--rounds`` times.
  Each mode also reports the service process's CPU per request (next or outcome, all its
  threads): latencies move with whatever else the machine runs, that figure hardly does.

Targets (issue #7): preview < 2 s; build of 100k entries < 10 s on PostgreSQL; next p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from bench.dial_bench_data import (  # noqa: E402
    MANAGERS,
    NOW,
    load_postgres_sync,
    load_sqlite,
)
from bench.dial_bench_load import make_tokens, run_load, start_server  # noqa: E402
from callcenter.core.db import make_engine, make_sessionmaker
from callcenter.core.migrate import upgrade
from callcenter.core.models import DialList, DialListManager
from callcenter.dial_lists.builder import DialListBuilder
from callcenter.dial_lists.rules import preview
from callcenter.dial_lists.schemas import DialListSettings
from routing.rule_templates import TEMPLATES  # noqa: E402
from routing.rules import parse_rule  # noqa: E402

PG_URL = os.environ.get(
    "CALLCENTER_TEST_PG_URL", "postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres"
)
CONTRACT_EXAMPLE = {
    "all": [
        {"field": "days_since_last_order", "op": ">=", "value": 90},
        {
            "any": [
                {"field": "total_spent", "op": ">", "value": 10000},
                {"field": "tags", "op": "contains", "value": "vip"},
            ]
        },
    ]
}
BUILD_RULE = {"all": [{"field": "orders_count", "op": ">=", "value": 1}]}


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def bench_preview(maker: async_sessionmaker[AsyncSession]) -> list[tuple[str, int, float]]:
    rules = [(t.key, t.tree) for t in TEMPLATES] + [("contract_example", CONTRACT_EXAMPLE)]
    results = []
    for name, tree in rules:
        node = parse_rule(tree)
        times, count = [], 0
        for _ in range(3):
            async with maker() as session:
                started = time.perf_counter()
                out = await preview(session, node, NOW, 20, 0, "total_spent_desc")
                times.append(time.perf_counter() - started)
                count = out.count
        results.append((name, count, statistics.median(times)))
    return results


async def new_list(maker: async_sessionmaker[AsyncSession], entries: int) -> int:
    async with maker() as session:
        # Calling hours all day long: the load test then runs at any time of day.
        settings = DialListSettings(
            max_entries=entries, call_from=dt.time(0), call_until=dt.time(23, 59, 59)
        )
        dial_list = DialList(
            name="bench",
            rule_tree=BUILD_RULE,
            settings=settings.model_dump(mode="json"),
            created_at=NOW,
        )
        session.add(dial_list)
        await session.flush()
        await session.execute(
            insert(DialListManager),
            [{"list_id": dial_list.id, "manager_id": m} for m in range(1, MANAGERS + 1)],
        )
        await session.commit()
        return dial_list.id


async def bench_build(
    maker: async_sessionmaker[AsyncSession], entries: int
) -> tuple[list[float], DialList]:
    times = []
    list_id = 0
    for _ in range(2):
        list_id = await new_list(maker, entries)
        started = time.perf_counter()
        await DialListBuilder(maker).build(list_id)
        times.append(time.perf_counter() - started)
    async with maker() as session:
        return times, await session.get_one(DialList, list_id)


def report(db: str, args: argparse.Namespace, url: str, load_s: float, orders: int) -> list[str]:
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    verdicts = []
    print(f"\n=== {db}: {args.customers:,} customers, {orders:,} orders (loaded in {load_s:.0f} s)")
    print(f"load average: {', '.join(f'{v:.1f}' for v in os.getloadavg())}, {os.cpu_count()} CPUs")

    async def run_previews() -> list[tuple[str, int, float]]:
        try:
            return await bench_preview(maker)
        finally:
            await engine.dispose()

    for name, count, seconds in asyncio.run(run_previews()):
        ok = seconds < 2
        verdicts.append(f"{db} preview {name}: {'met' if ok else 'MISSED'}")
        print(f"preview {name:<20} {count:>9,} customers  median {seconds * 1000:8.1f} ms")

    async def run_build() -> tuple[list[float], DialList]:
        engine2 = make_engine(url)
        try:
            return await bench_build(make_sessionmaker(engine2), args.entries)
        finally:
            await engine2.dispose()

    times, built = asyncio.run(run_build())
    median = statistics.median(times)
    print(
        f"build: {built.entries_count:,} entries of {built.matched:,} matched "
        f"(status {built.status.value}); runs {', '.join(f'{t:.2f}' for t in times)} s, "
        f"median {median:.2f} s"
    )
    if db == "postgres":
        verdicts.append(
            f"{db} build {built.entries_count:,} < 10 s: {'met' if median < 10 else 'MISSED'}"
        )
    else:
        verdicts.append(
            f"{db} build {built.entries_count:,}: {median:.1f} s (target is for PostgreSQL)"
        )
    tokens = asyncio.run(make_tokens(url, list(range(1, MANAGERS + 1))))
    server, base = start_server(url)
    try:
        load = asyncio.run(
            run_load(base, built.id, tokens, args.seconds, args.rounds, server.pid or 0)
        )
    finally:
        server.terminate()
        server.join(10)
    for mode, values in load.latencies.items():
        ms = [v * 1000 for v in values]
        p50, p99 = pct(ms, 50), pct(ms, 99)
        who = "1 manager" if mode == "alone" else f"{MANAGERS} managers"
        print(f"next over HTTP ({mode}, {who}): {len(ms):,} calls, ", end="")
        print(f"p50 {p50:.1f} ms, p99 {p99:.1f} ms", end="")
        if load.requests.get(mode):
            cost = load.cpu[mode] / load.requests[mode] * 1000
            print(f"; the service's CPU {cost:.2f} ms a request (next or outcome)", end="")
        print()
        verdict = "met" if p99 < 20 else "MISSED"
        verdicts.append(f"{db} next p99 {mode} < 20 ms: {verdict} ({p99:.1f} ms)")
    return verdicts


def run_sqlite(args: argparse.Namespace, tmp: Path) -> list[str]:
    path = Path(args.keep_sqlite) if args.keep_sqlite else tmp / "dial.db"
    url = f"sqlite+aiosqlite:///{path}"
    if path.exists() and args.keep_sqlite:
        upgrade(url)
        conn = sqlite3.connect(path)
        for table in ("dial_list_entries", "dial_list_managers", "dial_lists"):
            conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
        conn.commit()
        orders = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        conn.close()
        return report("sqlite", args, url, 0.0, orders)
    upgrade(url)
    started = time.perf_counter()
    orders = load_sqlite(str(path), args.customers, args.orders_per_customer)
    return report("sqlite", args, url, time.perf_counter() - started, orders)


def run_postgres(args: argparse.Namespace) -> list[str]:
    admin = make_url(args.pg_url)
    name = args.keep_db or f"callcenter_bench_dial_{os.getpid()}"
    url = admin.set(database=name).render_as_string(hide_password=False)

    async def admin_sql(sql: str) -> None:
        engine = make_engine(
            admin.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
        )
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    if args.keep_db and asyncio.run(_orders_in(dsn)) is not None:
        asyncio.run(_vacuum(dsn))
        return report("postgres", args, url, 0.0, asyncio.run(_orders_in(dsn)) or 0)
    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        upgrade(url)
        started = time.perf_counter()
        orders = load_postgres_sync(dsn, args.customers, args.orders_per_customer)
        return report("postgres", args, url, time.perf_counter() - started, orders)
    finally:
        if not args.keep_db:
            asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _vacuum(dsn: str) -> None:
    """A kept database: drop earlier runs' lists; VACUUM, as autovacuum may be off."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DELETE FROM dial_lists")
        await conn.execute("VACUUM ANALYZE dial_list_entries")
        print("autovacuum on this server:", await conn.fetchval("SHOW autovacuum"))
    finally:
        await conn.close()


async def _orders_in(dsn: str) -> int | None:
    """How many orders a kept database holds; None when it does not exist yet."""
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        return int(await conn.fetchval("SELECT count(*) FROM orders"))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders-per-customer", type=float, default=5.0)
    parser.add_argument("--entries", type=int, default=100_000, help="list size to build")
    parser.add_argument("--db", choices=["both", "postgres", "sqlite"], default="both")
    parser.add_argument("--pg-url", default=PG_URL, help="a server where databases may be made")
    parser.add_argument("--rounds", type=int, default=20, help="bursts of 50 next at once")
    parser.add_argument("--seconds", type=float, default=30.0, help="paced load duration")
    parser.add_argument(
        "--keep-db", metavar="NAME", help="PostgreSQL: load into NAME once, keep it, reuse it"
    )
    parser.add_argument("--keep-sqlite", metavar="PATH", help="SQLite: the same, in PATH")
    args = parser.parse_args()
    verdicts: list[str] = []
    if args.db in ("both", "postgres"):
        verdicts += run_postgres(args)
    if args.db in ("both", "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            verdicts += run_sqlite(args, Path(tmp))
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"\nload average at the end (other work on this machine skews latencies): {load}")
    print("targets: preview < 2 s, build 100k < 10 s (PostgreSQL), next p99 < 20 ms")
    for verdict in verdicts:
        print("  " + verdict)


if __name__ == "__main__":
    main()
