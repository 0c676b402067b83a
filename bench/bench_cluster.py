"""Several instances on one PostgreSQL (issue 17): what a pop pays to cross to another
instance, how long a failover leaves the PBX unconnected, and what a second instance gives 50
managers who press ``next`` at the same instant.

1. Pops across instances. A and B, two service processes (uvicorn, as bench_screenpop.py runs
   one) on one database of ``--customers`` customers; A leads the fake PBX, B stands by. The
   managers' WebSockets are open on both, so each call's pop is timed on B (A's bridge →
   NOTIFY → B's hub) and, as the baseline in the same run, on A (the leader's own path, which
   a single instance takes): DialBegin sent → call.ringing received, ``--calls`` calls at
   ``--rate``/s after a warm-up, as bench_screenpop.py places them.
2. Failover. The leader is SIGKILLed; timed from the kill until the other's /healthz says its
   PBX is "connected" (asked every 20 ms); the killed one is started again and waits as the
   standby; ``--kills`` times, A and B leading in turn, each kill after a pause of 1-2 s
   (random: a standby tries the lock every 0.5 s, and a kill may fall anywhere in that).
   Baseline in the same run: one instance alone on the database, SIGKILLed and started again
   at once (what a supervisor such as systemd does at best), timed the same way from the
   kill; ``--restarts`` times.
3. ``next`` in bursts. A scratch database of ``--dial-customers`` (dial_bench_data.py), a
   list of ``--entries`` built by DialListBuilder, two instances without a PBX (the jobs
   leadership only). Each round all 50 managers ask at the same instant ("burst" of
   dial_bench_load.py): spread over the two instances (25 on each) and, as the baseline, all
   50 on one; the two ways take turns round by round, so the machine's other load falls on
   both. With them: the services' CPU per request (next or outcome, both processes) and how
   busy the whole machine was during the rounds.

    .venv/bin/python bench/bench_cluster.py
    .venv/bin/python bench/bench_cluster.py --customers 1000000 --calls 1000 --kills 20

Every process it starts is stopped at the end, and the databases it made are dropped unless
``--keep`` (which also keeps the services' logs). A pop database of the same size that was
there already (bench_screenpop.py keeps its own) is reused and left.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx2  # noqa: E402
import screenpop_data  # noqa: E402
from bench_screenpop import (  # noqa: E402
    PG_ADMIN,
    bench_users,
    caller_numbers,
    create_pg_database,
    database_url,
    drop_pg_database,
    listening,
    percentile,
    prepare,
    run_calls,
    start_service,
    wait_connected,
)
from sqlalchemy.engine import make_url  # noqa: E402

from bench.bench_dial_lists import new_list  # noqa: E402
from bench.dial_bench_data import MANAGERS, load_postgres_sync  # noqa: E402
from bench.dial_bench_load import bursts, make_tokens, process_cpu, start_server  # noqa: E402
from callcenter.core.db import make_engine, make_sessionmaker  # noqa: E402
from callcenter.core.migrate import upgrade  # noqa: E402
from callcenter.dial_lists.builder import DialListBuilder  # noqa: E402
from tests.fakes.ami_server import FakeAmiServer  # noqa: E402

POLL = 0.02  # seconds between two asks of /healthz while a failover is timed


def ms(values: list[float]) -> list[float]:
    return [v * 1000 for v in values]


def figures(values: list[float]) -> str:
    """p50, p99 and max of milliseconds, as the other benches print them."""
    p50, p99 = statistics.median(values), percentile(values, 99)
    return f"p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {max(values):6.2f} ms"


def load_average() -> str:
    return ", ".join(f"{v:.1f}" for v in os.getloadavg())


def machine_cpu() -> tuple[int, int]:
    """The whole machine's busy and total CPU time since boot, in clock ticks (/proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return sum(ticks) - idle, sum(ticks)


async def settle(pids: list[int], timeout: float = 120) -> float:
    """Until the services have been idle for a second (under 10 % of a core together): the
    first jobs leader rebuilds the report roll-ups of a fresh database, which would weigh on
    whatever is measured. The seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = sum(process_cpu(p) or 0.0 for p in pids)
        await asyncio.sleep(1)
        if sum(process_cpu(p) or 0.0 for p in pids) - before < 0.1:
            break
    return time.monotonic() - started


# --- service processes on the fake PBX ------------------------------------------------------


@dataclass
class Instance:
    """One ``callcenter`` service process with its name (CALLCENTER_INSTANCE_NAME); started
    again under the same name, it writes on in the same log."""

    name: str
    url: str
    ami_port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    address: str = ""

    @property
    def log(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def start(self) -> None:
        home = self.workdir / self.name
        home.mkdir(parents=True, exist_ok=True)
        self.process, self.address = start_service(
            self.url,
            self.ami_port,
            home,
            self.log,
            CALLCENTER_INSTANCE_NAME=self.name,
            CALLCENTER_AUDIOSOCKET_BIND="",  # two instances cannot both listen on 9092
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Pops:
    sent: dict[str, float]
    on_a: dict[str, float]
    on_b: dict[str, float]


@dataclass
class Failovers:
    took: list[float] = field(default_factory=list)  # seconds, kill → the other connected
    leaders: list[str] = field(default_factory=list)  # who took over, each time
    alone: list[float] = field(default_factory=list)  # seconds, kill → the restarted connected
    settled: float = 0.0
    anomalies: list[str] = field(default_factory=list)


async def measure_pops(
    server: FakeAmiServer, a: Instance, b: Instance, numbers: list[str], args: argparse.Namespace
) -> Pops:
    tokens = await bench_users(a.url)
    pops = Pops({}, {}, {})
    async with listening(a.address, tokens, pops.on_a), listening(b.address, tokens, pops.on_b):
        first = int(time.time()) % 100_000 * 10_000  # fresh Linkedids on every run
        await run_calls(server, numbers[: args.warmup], args.rate, first, {})
        await run_calls(server, numbers[args.warmup :], args.rate, first + args.warmup, pops.sent)
        await asyncio.sleep(2)
    return pops


async def failover(
    server: FakeAmiServer, leader: Instance, standby: Instance, result: Failovers
) -> float:
    """SIGKILL the leader; the seconds until the standby's /healthz says "connected"."""
    killed = time.perf_counter()
    leader.kill()
    await wait_connected(standby.address, timeout=30, poll=POLL)
    took = time.perf_counter() - killed
    if server.clients != 1:
        result.anomalies.append(f"{server.clients} AMI connections after a failover")
    return took


async def measure_failovers(
    server: FakeAmiServer, a: Instance, b: Instance, kills: int, restarts: int
) -> Failovers:
    result = Failovers()
    leader, standby = a, b
    rng = random.Random(17)
    for _ in range(kills):
        # A standby tries the lock every 0.5 s, and a restarted one has just tried it when it
        # first says "standby": a pause of random length puts the kill anywhere in that cycle,
        # as a crash falls.
        await asyncio.sleep(rng.uniform(1, 2))
        result.took.append(await failover(server, leader, standby, result))
        result.leaders.append(standby.name)
        leader.start()
        await wait_connected(leader.address, standby=True)
        leader, standby = standby, leader
    standby.stop()  # the baseline: the leader alone on the database
    for _ in range(restarts):
        killed = time.perf_counter()
        leader.kill()
        leader.start()
        await wait_connected(leader.address, timeout=60, poll=POLL)
        result.alone.append(time.perf_counter() - killed)
    return result


async def pops_and_failovers(
    url: str, args: argparse.Namespace, workdir: Path
) -> tuple[Pops, Failovers]:
    server = await FakeAmiServer().start()
    a, b = (Instance(name, url, server.port, workdir) for name in ("a", "b"))
    try:
        a.start()
        await wait_connected(a.address)
        b.start()
        await wait_connected(b.address, standby=True)
        assert a.process is not None and b.process is not None
        settled = await settle([a.process.pid, b.process.pid])
        numbers = caller_numbers(args.customers, args.warmup + args.calls)
        pops = await measure_pops(server, a, b, numbers, args)
        failovers = await measure_failovers(server, a, b, args.kills, args.restarts)
        failovers.settled = settled
        return pops, failovers
    finally:
        a.stop()
        b.stop()
        await server.stop()
        await asyncio.sleep(0.2)  # the fake PBX's handlers see their sockets closed and end


# --- next in bursts, two instances against one ----------------------------------------------


@dataclass
class Bursts:
    latencies: dict[str, list[float]]  # seconds, by way: "one" (50 on one), "two" (25 + 25)
    cpu: dict[str, float]  # the services' CPU seconds, both processes, by way
    requests: dict[str, int]  # next and outcome requests, by way
    busy: dict[str, list[int]]  # the machine's busy and total CPU ticks, by way
    settled: float = 0.0


async def build_list(url: str, entries: int) -> tuple[int, int]:
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    try:
        list_id = await new_list(maker, entries)
        await DialListBuilder(maker).build(list_id)
        return list_id, entries
    finally:
        await engine.dispose()


async def measure_bursts(
    bases: list[str], pids: list[int], list_id: int, tokens: list[str], rounds: int
) -> Bursts:
    settled = await settle(pids)
    limits = httpx2.Limits(max_connections=2 * MANAGERS, max_keepalive_connections=MANAGERS)
    async with contextlib.AsyncExitStack() as stack:
        x, y = [
            await stack.enter_async_context(
                httpx2.AsyncClient(base_url=base, limits=limits, timeout=60)
            )
            for base in bases
        ]
        ways = {
            "one": [(x, t) for t in tokens],
            "two": [(x if i % 2 == 0 else y, t) for i, t in enumerate(tokens)],
        }
        for seats in ways.values():  # warm-up: connections, pools, prepared statements
            await bursts(seats, list_id, 2)
        result = Bursts(
            {w: [] for w in ways},
            dict.fromkeys(ways, 0.0),
            dict.fromkeys(ways, 0),
            {w: [0, 0] for w in ways},
        )
        for n in range(rounds):
            for way in ("one", "two") if n % 2 == 0 else ("two", "one"):
                before, (busy, total) = sum(process_cpu(p) or 0.0 for p in pids), machine_cpu()
                got = await bursts(ways[way], list_id, 1)
                result.cpu[way] += sum(process_cpu(p) or 0.0 for p in pids) - before
                busy_after, total_after = machine_cpu()
                result.busy[way][0] += busy_after - busy
                result.busy[way][1] += total_after - total
                result.latencies[way].extend(got)
                result.requests[way] += 2 * len(got)
        result.settled = settled
        return result


def next_bursts(args: argparse.Namespace, workdir: Path) -> Bursts:
    """Its own database, loaded, with the list built; two instances forked off this process
    (so not from inside an event loop)."""
    url = make_url(PG_ADMIN).set(database=f"callcenter_bench_cluster_dial_{os.getpid()}")
    url_text = url.render_as_string(hide_password=False)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    asyncio.run(create_pg_database(url_text))
    try:
        upgrade(url_text)
        started = time.perf_counter()
        orders = load_postgres_sync(dsn, args.dial_customers, 5)
        list_id, _ = asyncio.run(build_list(url_text, args.entries))
        print(
            f"dial lists: {args.dial_customers:,} customers, {orders:,} orders and a list of "
            f"{args.entries:,} entries ready in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        tokens = asyncio.run(make_tokens(url_text, list(range(1, MANAGERS + 1))))
        servers = []
        try:
            for name in ("x", "y"):
                sys.stdout.flush()
                servers.append(start_server(url_text, workdir / f"{name}.log"))
            pids = [process.pid or 0 for process, _ in servers]
            bases = [base for _, base in servers]
            return asyncio.run(measure_bursts(bases, pids, list_id, tokens, args.rounds))
        finally:
            for process, _ in servers:
                process.terminate()
                process.join(10)
                if process.is_alive():
                    process.kill()
    finally:
        if not args.keep:
            asyncio.run(drop_pg_database(url_text))


# --- the report -----------------------------------------------------------------------------


def report_pops(pops: Pops, args: argparse.Namespace) -> None:
    on_b = [(pops.on_b[c] - t) * 1000 for c, t in pops.sent.items() if c in pops.on_b]
    on_a = [(pops.on_a[c] - t) * 1000 for c, t in pops.sent.items() if c in pops.on_a]
    hop = [
        (pops.on_b[c] - pops.on_a[c]) * 1000 for c in pops.sent if c in pops.on_a and c in pops.on_b
    ]
    print(
        f"\n=== 1. pops across instances: {args.customers:,} customers, "
        f"{len(pops.sent)} calls at {args.rate:g}/s; A leads the PBX, B stands by"
    )
    print(f"pop on B (A's bridge → B's socket)  {figures(on_b)}")
    print(f"pop on A (baseline, the leader's)   {figures(on_a)}")
    b50, b99 = statistics.median(on_b), percentile(on_b, 99)
    a50, a99 = statistics.median(on_a), percentile(on_a, 99)
    print(f"ratio B / A: p50 {b50 / a50:.1f}x, p99 {b99 / a99:.1f}x")
    print(f"the hop (B − A, each call)          {figures(hop)}")
    print(f"pops lost: on B {len(pops.sent) - len(on_b)}, on A {len(pops.sent) - len(on_a)}")


def report_failovers(result: Failovers) -> None:
    took, alone = result.took, result.alone
    print(f"\n=== 2. failover: the leader SIGKILLed {len(took)} times, /healthz asked every "
          f"{POLL * 1000:.0f} ms")  # fmt: skip
    for n, (seconds, who) in enumerate(zip(took, result.leaders, strict=True), 1):
        print(f"kill {n:2}: {who} connected after {seconds:.2f} s")
    print(f"failover          median {statistics.median(took):.2f} s   max {max(took):.2f} s")
    print(
        f"baseline: one instance alone, SIGKILLed and started again at once ({len(alone)} times): "
        f"{', '.join(f'{s:.2f}' for s in alone)} s"
    )
    print(f"restart alone     median {statistics.median(alone):.2f} s   max {max(alone):.2f} s")
    ratio = statistics.median(took) / statistics.median(alone)
    print(f"ratio failover / restart alone: median {ratio:.2f}x")
    if result.anomalies:
        print("ANOMALIES: " + "; ".join(result.anomalies))


def report_bursts(result: Bursts, args: argparse.Namespace) -> None:
    print(
        f"\n=== 3. next, all {MANAGERS} managers at the same instant, {args.rounds} rounds each "
        f"way, taking turns ({args.dial_customers:,} customers, a list of {args.entries:,})"
    )
    one, two = ms(result.latencies["one"]), ms(result.latencies["two"])
    for way, values, who in (("two", two, "25 + 25 on 2 instances"), ("one", one, "50 on one")):
        cost = result.cpu[way] / result.requests[way] * 1000
        busy, total = result.busy[way]
        print(
            f"{who:<23} {figures(values)}   the services' CPU {cost:.2f} ms a request; "
            f"the machine {busy / max(total, 1):.0%} busy"
        )
    print(
        "ratio 2 instances / 1: "
        f"p50 {statistics.median(two) / statistics.median(one):.2f}x, "
        f"p99 {percentile(two, 99) / percentile(one, 99):.2f}x, max {max(two) / max(one):.2f}x"
    )


def log_lines(workdir: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(workdir.glob("*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if line.strip():
                yield path.stem, line.strip()


def report_logs(workdir: Path) -> None:
    """What the services printed: warnings and errors only (uvicorn at --log-level warning)."""
    lines = Counter(log_lines(workdir))
    print(f"\nservice logs: {sum(lines.values())} lines")
    for (who, line), count in sorted(lines.items()):
        print(f"  [{who}] {count:3}x {line[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000, help="pops' database")
    parser.add_argument("--orders-per-customer", type=int, default=5)
    parser.add_argument("--calls", type=int, default=500, help="measured calls")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--rate", type=float, default=50.0, help="new calls per second")
    parser.add_argument("--kills", type=int, default=10, help="failovers")
    parser.add_argument("--restarts", type=int, default=5, help="baseline: lone restarts")
    parser.add_argument("--dial-customers", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=10_000, help="dial list size")
    parser.add_argument("--rounds", type=int, default=20, help="bursts each way")
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    args = parser.parse_args()
    if args.entries < MANAGERS * 2 * (args.rounds + 2):
        parser.error("--entries: too few for the rounds (each way takes 50 a round)")
    workdir = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    print(f"load average: {load_average()}, {os.cpu_count()} CPUs")
    pop_url = database_url("postgres", args.customers)
    found = screenpop_data.existing_size(pop_url) == args.customers
    try:
        url = prepare("postgres", args.customers, args.orders_per_customer)
        try:
            pops, failovers = asyncio.run(pops_and_failovers(url, args, workdir))
        finally:
            if not (args.keep or found):
                asyncio.run(drop_pg_database(url))
        print(f"(the services were left {failovers.settled:.0f} s to settle before the calls)")
        report_pops(pops, args)
        report_failovers(failovers)
        burst = next_bursts(args, workdir)
        print(f"(the services were left {burst.settled:.0f} s to settle before the bursts)")
        report_bursts(burst, args)
        report_logs(workdir)
        print(f"\nload average at the end (other work on this machine skews latencies): "
              f"{load_average()}")  # fmt: skip
    finally:
        if args.keep:
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
