"""Screen-pop latency: from the AMI DialBegin leaving the fake PBX's socket to the call.ringing
JSON frame arriving at a manager's WebSocket, at 50 new calls/s, on a large database.

The service runs as it does in production: `uvicorn callcenter.app:create_app --factory` in a
process of its own, connected over TCP to a fake AMI server that lives in this process next to
the WebSocket clients (one per manager, ``?token=``), so both timestamps come from one clock.
Every call rings one manager's desk (101-104 in turn), is answered and hangs up, so the bridge
carries the whole event stream; 90 % of the callers are customers (card + last order), 10 % are
unknown numbers.

Baseline, in the same run and on the same database: the bare indexed lookup (customer by phone,
one query through the same async driver) for the same numbers. Target: pop p99 < 20 ms.

    .venv/bin/python bench/bench_screenpop.py                       # 1,000,000 customers
    .venv/bin/python bench/bench_screenpop.py --customers 100000    # a quicker run
    .venv/bin/python bench/bench_screenpop.py --db sqlite --calls 500

A generated database is kept (var/bench/, or database callcenter_bench_<N> on PostgreSQL) and
reused by the next run of the same size.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx2  # noqa: E402
import screenpop_data  # noqa: E402
import websockets  # noqa: E402
from sqlalchemy import bindparam, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from callcenter.core.db import make_engine, make_sessionmaker  # noqa: E402
from callcenter.core.models import Customer, CustomerPhone, Manager, Role  # noqa: E402
from callcenter.managers import service as manager_service  # noqa: E402
from callcenter.managers.schemas import ManagerIn  # noqa: E402
from tests.fakes.ami_server import FakeAmiServer, render  # noqa: E402

DESKS = ("101", "102", "103", "104")
PG_ADMIN = os.environ.get(
    "CALLCENTER_BENCH_PG_URL", "postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres"
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the database ---------------------------------------------------------------------------


def database_url(kind: str, customers: int) -> str:
    if kind == "sqlite":
        path = ROOT / "var" / "bench" / f"screenpop-{customers}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{path}"
    name = f"callcenter_bench_{customers}"
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


async def create_pg_database(url: str) -> None:
    import asyncpg

    admin = make_url(PG_ADMIN).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    try:
        name = make_url(url).database
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_pg_database(url: str) -> None:
    import asyncpg

    admin = make_url(PG_ADMIN).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await conn.close()


def prepare(kind: str, customers: int, per: int) -> str:
    url = database_url(kind, customers)
    have = screenpop_data.existing_size(url)
    if have == customers:
        print(f"{kind}: reusing the database with {customers:,} customers")
        return url
    print(f"{kind}: generating {customers:,} customers, ~{customers * per:,} orders …", flush=True)
    if kind == "sqlite":
        Path(make_url(url).database or "").unlink(missing_ok=True)
    else:
        asyncio.run(create_pg_database(url))
    counts = screenpop_data.build(url, customers, per)
    print(
        f"{kind}: built in {counts.pop('seconds')} s: "
        + ", ".join(f"{n:,} {name}" for name, n in counts.items())
    )
    return url


async def bench_users(url: str) -> dict[str, str]:
    """Operators with the desks 101-104, and an API token for each: extension -> token."""
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    tokens: dict[str, str] = {}
    try:
        async with sessionmaker() as session:
            for ext in DESKS:
                manager = (
                    await session.scalars(select(Manager).where(Manager.extension == ext))
                ).first()
                if manager is None:
                    body = ManagerIn(
                        login=f"bench{ext}",
                        password="bench-password",
                        role=Role.OPERATOR,
                        extension=ext,
                    )
                    manager = await manager_service.create(session, body)
                _, tokens[ext] = await manager_service.create_token(session, manager, "bench")
            await session.commit()
    finally:
        await engine.dispose()
    return tokens


# --- the running service --------------------------------------------------------------------


def start_service(
    url: str, ami_port: int, workdir: Path, log: Path | None = None, **extra_env: str
) -> tuple[subprocess.Popen[bytes], str]:
    """The service under uvicorn in a process of its own; what it prints goes to ``log`` when
    given (appended: a restarted instance goes on in the same file), else to this terminal."""
    port = free_port()
    env = {
        **os.environ,
        "CALLCENTER_DATABASE_URL": url,
        "CALLCENTER_AMI_USERNAME": "crm",
        "CALLCENTER_AMI_SECRET": "crm-secret",
        "CALLCENTER_AMI_PORT": str(ami_port),
        "CALLCENTER_AGI_BIND": "127.0.0.1:0",
        "CALLCENTER_SECRET_KEY": "bench-secret",
        "CALLCENTER_VAR_DIR": str(workdir),
        **extra_env,
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "callcenter.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with contextlib.ExitStack() as files:
        out = files.enter_context(log.open("ab")) if log is not None else None
        process = subprocess.Popen(
            command, env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT if out else None
        )
    return process, f"127.0.0.1:{port}"


async def wait_connected(
    address: str, timeout: float = 60, *, standby: bool = False, poll: float = 0.1
) -> None:
    """Until /healthz says the PBX is connected; with ``standby`` (several instances on one
    database), until it says another instance leads it. ``poll``: seconds between asks."""
    deadline = time.monotonic() + timeout
    async with httpx2.AsyncClient(base_url=f"http://{address}") as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                pbx = (await client.get("/healthz")).json()["pbx"]["default"]
                if standby and pbx["leader"] is False and pbx["leader_instance"]:
                    return
                if not standby and pbx["state"] == "connected":
                    return
            await asyncio.sleep(poll)
    what = "stand by for another instance" if standby else "connect to the fake PBX"
    raise RuntimeError(f"the service at {address} did not {what}")


# --- calls ----------------------------------------------------------------------------------


def caller_numbers(customers: int, count: int) -> list[str]:
    """Who calls, the same on every run: 90 % customers, 10 % unknown numbers."""
    rng = random.Random(5)
    return [
        screenpop_data.unknown_phone(n)
        if rng.random() < 0.1
        else screenpop_data.phone_of(rng.randint(1, customers))
        for n in range(count)
    ]


def call_blocks(n: int, number: str, desk: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    lid = f"1790000000.{n * 10}"
    trunk = {"Channel": f"PJSIP/trunk-{n:08x}", "Uniqueid": lid, "Linkedid": lid}
    dest = {
        "Channel": f"PJSIP/{desk}-{n:08x}",
        "Uniqueid": f"1790000000.{n * 10 + 1}",
        "Linkedid": lid,
    }
    ts = {"Timestamp": f"{time.time():.6f}"}
    before = [
        {"Event": "Newchannel", **trunk, "CallerIDNum": number, "ChannelState": "4", **ts},
        {"Event": "Newchannel", **dest, "ChannelState": "0", **ts},
    ]
    dial = {
        "Event": "DialBegin",
        **trunk,
        **{"Dest" + k: v for k, v in dest.items()},
        "DialString": desk,
        **ts,
    }
    return before, dial


def ending_blocks(n: int, desk: str) -> list[dict[str, str]]:
    lid = f"1790000000.{n * 10}"
    trunk = {"Channel": f"PJSIP/trunk-{n:08x}", "Uniqueid": lid, "Linkedid": lid}
    dest = {
        "Channel": f"PJSIP/{desk}-{n:08x}",
        "Uniqueid": f"1790000000.{n * 10 + 1}",
        "Linkedid": lid,
    }
    ts = {"Timestamp": f"{time.time():.6f}"}
    return [
        {
            "Event": "DialEnd",
            **trunk,
            **{"Dest" + k: v for k, v in dest.items()},
            "DialStatus": "ANSWER",
            **ts,
        },
        {"Event": "Hangup", **dest, "Cause": "16", **ts},
        {"Event": "Hangup", **trunk, "Cause": "16", **ts},
    ]


async def run_calls(
    server: FakeAmiServer, numbers: list[str], rate: float, first: int, sent: dict[str, float]
) -> None:
    """One new call every 1/rate s; each is answered 0.3 s and hung up 1 s after it rang."""
    loop = asyncio.get_running_loop()
    writers = list(server._writers)  # the service's one AMI connection
    assert len(writers) == 1, writers
    writer = writers[0]
    start = loop.time()
    pending: list[asyncio.Task[None]] = []

    async def finish(n: int, desk: str) -> None:
        await asyncio.sleep(1.0)
        writer.write(b"".join(render(b) for b in ending_blocks(n, desk)))

    for i, number in enumerate(numbers):
        n = first + i
        desk = DESKS[n % len(DESKS)]
        await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
        before, dial = call_blocks(n, number, desk)
        writer.write(b"".join(render(b) for b in before))
        await asyncio.sleep(0.002)  # Asterisk creates the channels just before it dials
        writer.write(render(dial))  # transport.write sends at once when its buffer is empty
        sent[f"1790000000.{n * 10}"] = time.perf_counter()
        pending.append(asyncio.create_task(finish(n, desk)))
    await asyncio.gather(*pending)


async def listen(
    address: str, token: str, received: dict[str, float], ready: asyncio.Event, stop: asyncio.Event
) -> None:
    async with websockets.connect(f"ws://{address}/ws?token={token}", max_queue=None) as ws:
        ready.set()
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            now = time.perf_counter()
            message = json.loads(frame)
            if message["type"] == "call.ringing":
                received.setdefault(message["call_id"], now)


@contextlib.asynccontextmanager
async def listening(
    address: str, tokens: dict[str, str], received: dict[str, float]
) -> AsyncIterator[None]:
    """Every manager's WebSocket open, noting when each call's pop arrives, until the end."""
    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in tokens]
    listeners = [
        asyncio.create_task(listen(address, token, received, ready, stop))
        for token, ready in zip(tokens.values(), readies, strict=True)
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 10)
        yield
    finally:
        stop.set()
        await asyncio.gather(*listeners, return_exceptions=True)


async def bare_lookups(url: str, numbers: list[str], rate: float) -> list[float]:
    """The indexed query alone: the customer row for a phone, through the same driver."""
    engine = make_engine(url)
    query = (
        select(Customer.__table__)
        .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
        .where(CustomerPhone.phone == bindparam("phone"))
        .order_by(Customer.last_order_at.desc().nulls_last(), Customer.id)
        .limit(1)
    )
    times: list[float] = []
    loop = asyncio.get_running_loop()
    try:
        async with engine.connect() as conn:
            start = loop.time()
            for i, number in enumerate(numbers):
                await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
                began = time.perf_counter()
                (await conn.execute(query, {"phone": number})).first()
                times.append((time.perf_counter() - began) * 1000)
    finally:
        await engine.dispose()
    return times


async def measure(url: str, customers: int, calls: int, rate: float, warmup: int) -> dict[str, Any]:
    tokens = await bench_users(url)
    numbers = caller_numbers(customers, warmup + calls)
    server = await FakeAmiServer().start()
    with tempfile.TemporaryDirectory() as tmp:
        process, address = start_service(url, server.port, Path(tmp))
        try:
            await wait_connected(address)
            sent: dict[str, float] = {}
            received: dict[str, float] = {}
            async with listening(address, tokens, received):
                first = int(time.time()) % 100_000 * 10_000  # fresh Linkedids on every run
                await run_calls(server, numbers[:warmup], rate, first, {})
                await run_calls(server, numbers[warmup:], rate, first + warmup, sent)
                await asyncio.sleep(2)
        finally:
            process.terminate()
            process.wait(20)
            await server.stop()
    pops = [(received[c] - t) * 1000 for c, t in sent.items() if c in received]
    bare = await bare_lookups(url, numbers[warmup:], rate)
    return {"pops": pops, "lost": len(sent) - len(pops), "bare": bare}


def report(kind: str, customers: int, result: dict[str, Any], rate: float) -> bool:
    pops, bare = result["pops"], result["bare"]
    p50, p99 = statistics.median(pops), percentile(pops, 99)
    b50, b99 = statistics.median(bare), percentile(bare, 99)
    met = p99 < 20 and result["lost"] == 0
    print(f"--- {kind}, {customers:,} customers, {len(pops) + result['lost']} calls at {rate:g}/s")
    print(f"pop latency       p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {max(pops):6.2f} ms")
    print(f"bare lookup query p50 {b50:6.2f} ms   p99 {b99:6.2f} ms")
    print(f"overhead ratio (pop / bare lookup): p50 {p50 / b50:.1f}x, p99 {p99 / b99:.1f}x")
    print(f"pops lost: {result['lost']}; target p99 < 20 ms: {'met' if met else 'MISSED'}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders-per-customer", type=int, default=5)
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--calls", type=int, default=1000, help="measured calls")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--rate", type=float, default=50.0, help="new calls per second")
    args = parser.parse_args()
    ok = True
    for kind in args.db.split(","):
        url = prepare(kind, args.customers, args.orders_per_customer)
        result = asyncio.run(measure(url, args.customers, args.calls, args.rate, args.warmup))
        ok = report(kind, args.customers, result, args.rate) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
