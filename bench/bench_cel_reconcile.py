"""Reconciling 10,000 calls after an outage, from Asterisk's CEL (callcenter/calls/history.py).

The CEL file is made of the real traces in tests/fixtures/cel (an answered call, a missed one,
a call abandoned in a queue), repeated with fresh ids, callers and times. Measured: the full
reconciliation into an empty call log (group by Linkedid, build each call, store it, callbacks
for the missed ones) against a bare read of the same file in the same run (CSV parsing and
record checks only). A second pass over the same window must store nothing.

    .venv/bin/python bench/bench_cel_reconcile.py [--calls 10000] [--runs 3] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from callcenter.calls.call_log import CallRecorder  # noqa: E402
from callcenter.calls.history import CallHistory, csv_source, read_cel_csv  # noqa: E402
from callcenter.core.db import make_engine, make_sessionmaker  # noqa: E402
from callcenter.core.migrate import upgrade  # noqa: E402
from callcenter.core.models import Call  # noqa: E402
from callcenter.tasks.callbacks import CallbackTasks  # noqa: E402

TRACES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "cel"
KINDS = ("inbound_answered_fallback", "inbound_noanswer", "queue_abandoned")
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/callcenter_bench_cel"


def make_cel(path: Path, calls: int) -> None:
    """``calls`` calls, one every 2 s of PBX time, each a copy of a real trace."""
    traces = [list(csv.reader((TRACES / f"{k}.csv").read_text().splitlines())) for k in KINDS]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    t0 = time.time() - calls * 2 - 3600
    for n in range(calls):
        rows = traces[n % len(traces)]
        base = float(rows[0][1])
        ids: dict[str, str] = {}
        for row in rows:
            new = list(row)
            new[1] = f"{t0 + n * 2 + float(row[1]) - base:.6f}"
            for col in (10, 11):
                new[col] = ids.setdefault(row[col], f"{int(t0)}.{n * 10 + len(ids)}")
            if new[3]:
                new[2] = new[3] = f"7916{n:07d}"
            writer.writerow(new)
    path.write_text(out.getvalue())


async def reconcile_once(url: str, source: Path) -> tuple[float, int, int]:
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    recorder = CallRecorder(maker)
    recorder.listeners.append(CallbackTasks(maker))
    history = CallHistory(maker, recorder, csv_source(source), lookback_hours=24 * 30)
    started = time.perf_counter()
    first = await history.reconcile()
    elapsed = time.perf_counter() - started
    second = await history.reconcile()
    async with maker() as session:
        stored = await session.scalar(select(func.count()).select_from(Call)) or 0
    await engine.dispose()
    assert second.stored == 0 and second.corrected == 0, second
    return elapsed, first.stored, stored


async def fresh_db(kind: str, workdir: Path, run: int) -> str:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / f'bench{run}.db'}"
    else:
        from tests.integration.conftest import exec_autocommit

        admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
        await exec_autocommit(admin, "DROP DATABASE IF EXISTS callcenter_bench_cel")
        await exec_autocommit(admin, "CREATE DATABASE callcenter_bench_cel")
        url = PG_URL
    await asyncio.to_thread(upgrade, url)
    return url


async def main_async(calls: int, runs: int, db: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        source = workdir / "callcenter.csv"
        make_cel(source, calls)
        size = source.stat().st_size
        bare, full = [], []
        for run in range(runs):
            started = time.perf_counter()
            read = read_cel_csv(source, 0.0)
            bare.append(time.perf_counter() - started)
            assert not read.errors, read.errors[:3]
            url = await fresh_db(db, workdir, run)
            elapsed, stored, in_db = await reconcile_once(url, source)
            assert stored == calls == in_db, (stored, in_db)
            full.append(elapsed)
        b, f = statistics.median(bare), statistics.median(full)
        print(f"{calls:,} calls, {len(read.events):,} CEL records, {size / 2**20:.1f} MiB, {db}")
        print(f"bare read      {b:7.2f} s  ({len(read.events) / b:,.0f} records/s)")
        print(f"reconciliation {f:7.2f} s  ({calls / f:,.0f} calls/s); second pass stores nothing")
        print(f"ratio reconciliation / bare read: {f / b:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    asyncio.run(main_async(args.calls, args.runs, args.db))


if __name__ == "__main__":
    main()
