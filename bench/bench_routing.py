"""Routing decision latency over FastAGI with a large customer base.

The service's FastAGI server (CallRouting + FastAgiServer, as `callcenter serve` runs them) in a
child process; 200 concurrent AGI sessions from this process, each a real TCP session as
Asterisk opens it, with callers drawn from the base (and 10 % unknown numbers). Latency =
connect → last SET VARIABLE received. Baseline in the same run: the same decision as a classic
AGI script started once per call (bench/agi_route_script.py). Target: p99 under 10 ms.

    .venv/bin/python bench/bench_routing.py [--customers 1000000] [--sessions 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from callcenter.core.db import make_engine, make_sessionmaker
from callcenter.core.migrate import upgrade
from callcenter.core.models import Customer, CustomerPhone, Manager, Presence, Role
from callcenter.demo.seed import MOBILE_PREFIXES
from callcenter.routing.service import CallRouting
from pbx_bridge.agi import FastAgiServer  # noqa: E402

BATCH = 20_000


def phone_of(n: int) -> str:
    return f"+7{MOBILE_PREFIXES[n % len(MOBILE_PREFIXES)]}{n // len(MOBILE_PREFIXES):07d}"


async def build(url: str, customers: int) -> None:
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        managers = [
            {
                "id": i,
                "login": f"m{i}",
                "name": f"m{i}",
                "password_hash": "-",
                "role": Role.OPERATOR,
                "extension": str(100 + i),
                "status": Presence.AVAILABLE,
                "is_active": True,
            }
            for i in range(1, 11)
        ]
        await session.execute(insert(Manager.__table__), managers)
        for start in range(0, customers, BATCH):
            ids = range(start + 1, min(start + BATCH, customers) + 1)
            await session.execute(
                insert(Customer.__table__),
                [
                    {
                        "id": i,
                        "name": f"Клиент {i}",
                        "search_name": f"клиент {i}",
                        "manager_id": i % 11 or None,
                        "do_not_call": False,
                        "note": "",
                        "orders_count": 0,
                        "total_spent": 0,
                        "average_check": 0,
                    }
                    for i in ids
                ],
            )
            await session.execute(
                insert(CustomerPhone.__table__),
                [{"customer_id": i, "phone": phone_of(i), "position": 0} for i in ids],
            )
            await session.commit()
    await engine.dispose()


def serve(url: str, port_out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    async def main() -> None:
        engine = make_engine(url)

        class NoPbx:
            def ringing_extensions(self) -> set[str]:
                return set()

        router = CallRouting(make_sessionmaker(engine), NoPbx(), "RU", "PJSIP")  # type: ignore[arg-type]
        server = FastAgiServer({"route": router.route}, fallback=CallRouting.fallback_variables)
        await server.start("127.0.0.1", 0)
        port_out.put(server.port)
        await asyncio.Event().wait()

    asyncio.run(main())


def agi_headers(caller: str) -> bytes:
    return (
        "agi_request: agi://127.0.0.1/route\nagi_channel: PJSIP/trunk-00000001\n"
        f"agi_uniqueid: 1.1\nagi_callerid: {caller}\nagi_dnid: 74951234567\n\n"
    ).encode()


async def one_session(port: int, caller: str) -> float:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(agi_headers(caller))
    variables = 0
    while variables < 4:
        line = await reader.readline()
        if not line:
            raise RuntimeError("session closed early")
        variables += 1
        writer.write(b"200 result=1\n")
    elapsed = time.perf_counter() - started
    writer.close()
    return elapsed


def callers(customers: int, count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [
        phone_of(rng.randrange(1, customers + 1))
        if rng.random() < 0.9
        else f"+7903{rng.randrange(10**7):07d}"
        for _ in range(count)
    ]


async def open_loop(port: int, numbers: list[str], rate: float) -> tuple[list[float], int]:
    """Sessions start at ``rate`` per second whatever the server's pace (as calls arrive);
    returns the latencies and the most sessions that were in flight at once."""
    latencies: list[float] = []
    in_flight = peak = 0

    async def one(caller: str) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            latencies.append(await one_session(port, caller))
        finally:
            in_flight -= 1

    tasks = []
    started = time.perf_counter()
    for i, caller in enumerate(numbers):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(caller)))
    await asyncio.gather(*tasks)
    return latencies, peak


async def load(port: int, numbers: list[str], concurrency: int) -> list[float]:
    queue = list(reversed(numbers))
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            latencies.append(await one_session(port, queue.pop()))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def baseline(db_path: Path, numbers: list[str]) -> list[float]:
    script = Path(__file__).with_name("agi_route_script.py")
    latencies = []
    for caller in numbers:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(script), str(db_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdin and proc.stdout
        proc.stdin.write(agi_headers(caller).decode())
        proc.stdin.flush()
        for _ in range(4):
            proc.stdout.readline()
            proc.stdin.write("200 result=1\n")
            proc.stdin.flush()
        latencies.append(time.perf_counter() - started)
        proc.wait()
    return latencies


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100)[int(q) - 1] * 1000
        if len(values) > 1
        else values[0] * 1000
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--baseline-calls", type=int, default=100)
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop calls per second")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "routing.db"
        url = f"sqlite+aiosqlite:///{db_path}"
        upgrade(url)
        started = time.perf_counter()
        asyncio.run(build(url, args.customers))
        print(f"built {args.customers:,} customers in {time.perf_counter() - started:.0f} s")
        ports: multiprocessing.Queue[int] = multiprocessing.Queue()
        server = multiprocessing.Process(target=serve, args=(url, ports), daemon=True)
        server.start()
        port = ports.get(timeout=30)
        asyncio.run(load(port, callers(args.customers, 500, seed=2), args.concurrency))  # warm-up
        t = time.perf_counter()
        ours = asyncio.run(load(port, callers(args.customers, args.sessions), args.concurrency))
        wall = time.perf_counter() - t
        arrivals = callers(args.customers, int(args.rate * 20), seed=4)
        paced, peak = asyncio.run(open_loop(port, arrivals, args.rate))
        server.terminate()
        base = baseline(db_path, callers(args.customers, args.baseline_calls, seed=3))
    p50, p99 = pct(ours, 50), pct(ours, 99)
    b50, b99 = pct(base, 50), pct(base, 99)
    print(
        f"closed loop, {args.concurrency} sessions always in flight: {len(ours):,} sessions, "
        f"{len(ours) / wall:,.0f} decisions/s (saturation)"
    )
    print(f"  latency p50 {p50:.2f} ms, p99 {p99:.2f} ms (= concurrency / throughput)")
    o50, o99 = pct(paced, 50), pct(paced, 99)
    print(
        f"open loop, {args.rate:.0f} new calls/s for 20 s (peak {peak} in flight): "
        f"p50 {o50:.2f} ms, p99 {o99:.2f} ms"
    )
    print(f"process-per-call AGI script ({len(base)} calls): p50 {b50:.1f} ms, p99 {b99:.1f} ms")
    print(f"ratio p50 script / FastAGI open loop: {b50 / o50:.1f}x")
    print(
        f"target p99 < 10 ms: open loop {'met' if o99 < 10 else 'MISSED'}, "
        f"closed loop at {args.concurrency} {'met' if p99 < 10 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
