"""Webhooks under load: from a call's DialBegin leaving the fake PBX's socket to its
``call.ringing`` reaching each of three shop endpoints (real HTTP servers on loopback), at 50
new calls/s; and the screen-pop's latency with those three endpoints against none, in the
same run on the same database: the difference is the outbox's cost on the pop.

The service runs as in production (uvicorn, its own process), bridged over TCP to the fake AMI
server of bench_screenpop.py, whose calls and WebSocket listeners this bench reuses. Every
call rings, is answered and hangs up: three events per call for each endpoint (ringing,
answered, ended), 450 deliveries a second at 50 calls/s.

    .venv/bin/python bench/bench_webhooks.py                        # SQLite, 100,000 customers
    .venv/bin/python bench/bench_webhooks.py --db sqlite,postgres --calls 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx2  # noqa: E402
import screenpop_data  # noqa: E402
from aiohttp import web  # noqa: E402
from bench_screenpop import (  # noqa: E402
    bench_users,
    listening,
    percentile,
    prepare,
    run_calls,
    start_service,
    wait_connected,
)

from callcenter.core.db import make_engine, make_sessionmaker  # noqa: E402
from callcenter.core.models import Role  # noqa: E402
from callcenter.managers import service as manager_service  # noqa: E402
from callcenter.managers.schemas import ManagerIn  # noqa: E402
from callcenter.webhooks.signing import verify  # noqa: E402
from tests.fakes.ami_server import FakeAmiServer  # noqa: E402

SECRET = "whsec_bench-secret-for-three-endpoints"


class Receivers:
    """Three shops' endpoints, each a real HTTP server in a process of its own (so that their
    work never delays this process, which times the pops): each writes what it took, with
    the moment, into a JSON file when told to stop."""

    def __init__(self, count: int, workdir: Path) -> None:
        self.stop = multiprocessing.Event()
        self.files = [workdir / f"receiver-{i}.json" for i in range(count)]
        urls: multiprocessing.Queue[str] = multiprocessing.Queue()
        self.processes = [
            multiprocessing.Process(target=_receive, args=(urls, self.stop, f), daemon=True)
            for f in self.files
        ]
        for process in self.processes:
            process.start()
        self.urls = [urls.get(timeout=10) for _ in self.processes]

    def collect(self) -> list[dict[str, float]]:
        """Each endpoint's arrival of each call's ringing (perf_counter's clock)."""
        self.stop.set()
        for process in self.processes:
            process.join(20)
        shift = time.perf_counter() - time.time()
        arrivals = []
        for path in self.files:
            got: dict[str, float] = {}
            for type_, call_id, at in json.loads(path.read_text()):
                if type_ == "call.ringing":
                    got.setdefault(call_id, at + shift)
            arrivals.append(got)
        return arrivals


def _receive(urls: Any, stop: Any, path: Path) -> None:
    asyncio.run(_serve(urls, stop, path))


async def _serve(urls: Any, stop: Any, path: Path) -> None:
    """A shop's endpoint as a lean one would be (aiohttp, keep-alive): it checks the
    signature, keeps (type, call, moment) and answers 200."""
    taken: list[tuple[str, str, float]] = []

    async def hook(request: web.Request) -> web.Response:
        raw = await request.read()
        verify(SECRET, raw, request.headers["X-Callcenter-Signature"])
        body = json.loads(raw)
        taken.append((body["type"], str(body["data"]["call_id"]), time.time()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    urls.put(f"http://127.0.0.1:{port}/hook")
    while not stop.is_set():
        await asyncio.sleep(0.2)
    path.write_text(json.dumps(taken))
    await runner.cleanup()


async def admin_token(url: str) -> str:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            login = f"benchadmin{int(time.time())}"
            body = ManagerIn(login=login, password="bench-password", role=Role.ADMIN)
            manager = await manager_service.create(session, body)
            _, token = await manager_service.create_token(session, manager, "bench")
            await session.commit()
            return token
    finally:
        await engine.dispose()


def add_endpoints(address: str, token: str, urls: list[str]) -> list[int]:
    ids = []
    with httpx2.Client(base_url=f"http://{address}", timeout=10) as api:
        for i, url in enumerate(urls):
            response = api.post(
                "/api/v1/webhooks/endpoints",
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "name": f"bench {i}",
                    "url": url,
                    "events": ["call.ringing", "call.answered", "call.ended"],
                    "secret": SECRET,
                },
            )
            response.raise_for_status()
            ids.append(int(response.json()["id"]))
    return ids


def remove_endpoints(address: str, token: str, ids: list[int]) -> None:
    with httpx2.Client(base_url=f"http://{address}", timeout=10) as api:
        for endpoint_id in ids:
            api.delete(
                f"/api/v1/webhooks/endpoints/{endpoint_id}",
                headers={"Authorization": f"Bearer {token}"},
            ).raise_for_status()


async def one_run(
    url: str, numbers: list[str], rate: float, warmup: int, receivers: Receivers | None
) -> dict[str, Any]:
    """Pops (ms by call) and, with receivers, each ringing's delivery (ms by call and
    endpoint), with the DialBegin's send time as the start of both."""
    tokens = await bench_users(url)
    admin = await admin_token(url)
    server = await FakeAmiServer().start()
    with tempfile.TemporaryDirectory() as tmp:
        process, address = start_service(
            url, server.port, Path(tmp), CALLCENTER_WEBHOOK_ALLOW="127.0.0.1"
        )
        try:
            await wait_connected(address)
            ids = add_endpoints(address, admin, receivers.urls) if receivers else []
            sent: dict[str, float] = {}
            pops: dict[str, float] = {}
            async with listening(address, tokens, pops):
                first = int(time.time()) % 100_000 * 10_000 + (5_000 if receivers else 0)
                await run_calls(server, numbers[:warmup], rate, first, {})
                await run_calls(server, numbers[warmup:], rate, first + warmup, sent)
                await _drain(address, admin, bool(receivers), timeout=120)
            if ids:
                remove_endpoints(address, admin, ids)
        finally:
            process.terminate()
            process.wait(20)
            await server.stop()
    deliveries = receivers.collect() if receivers else []
    return {"sent": sent, "pops": pops, "deliveries": deliveries}


async def _drain(address: str, token: str, hooked: bool, timeout: float) -> None:
    """Until the outbox is empty (every call's events delivered), or the time-out."""
    await asyncio.sleep(2)  # the last calls' hang-ups, and their pops
    deadline = time.monotonic() + timeout
    async with httpx2.AsyncClient(base_url=f"http://{address}", timeout=10) as api:
        while hooked and time.monotonic() < deadline:
            answer = await api.get(
                "/api/v1/webhooks/endpoints", headers={"Authorization": f"Bearer {token}"}
            )
            if not any(e["pending"] for e in answer.json()["items"]):
                return
            await asyncio.sleep(0.5)


def latencies(sent: dict[str, float], arrived: dict[str, float]) -> list[float]:
    return [(arrived[c] - t) * 1000 for c, t in sent.items() if c in arrived]


def report(kind: str, rate: float, plain: dict[str, Any], hooked: dict[str, Any]) -> None:
    base = latencies(plain["sent"], plain["pops"])
    with_hooks = latencies(hooked["sent"], hooked["pops"])
    deliveries = [ms for got in hooked["deliveries"] for ms in latencies(hooked["sent"], got)]
    expected = len(hooked["sent"]) * len(hooked["deliveries"])
    print(f"--- {kind}: {len(hooked['sent'])} calls at {rate:g}/s, 3 endpoints")
    d50 = statistics.median(deliveries)
    print(
        f"event -> delivery (call.ringing at each endpoint): p50 {d50:7.1f}"
        f" ms   p99 {percentile(deliveries, 99):7.1f} ms   max {max(deliveries):7.1f} ms"
        f"   ({len(deliveries)} of {expected} delivered)"
    )
    b99, h99 = percentile(base, 99), percentile(with_hooks, 99)
    print(
        f"pop p50 / p99 without endpoints: {statistics.median(base):6.2f} / {b99:6.2f} ms;"
        f" with 3: {statistics.median(with_hooks):6.2f} / {h99:6.2f} ms (p99 ratio {h99 / b99:.2f})"
    )
    print(f"pops lost: {len(plain['sent']) - len(base)} / {len(hooked['sent']) - len(with_hooks)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite", help="sqlite, postgres or both")
    parser.add_argument("--calls", type=int, default=1000, help="measured calls")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--rate", type=float, default=50.0, help="new calls per second")
    args = parser.parse_args()
    rng = random.Random(7)
    numbers = [
        screenpop_data.phone_of(rng.randint(1, args.customers))
        for _ in range(args.warmup + args.calls)
    ]
    for kind in args.db.split(","):
        url = prepare(kind, args.customers, 5)
        plain = asyncio.run(one_run(url, numbers, args.rate, args.warmup, None))
        with tempfile.TemporaryDirectory() as tmp:
            receivers = Receivers(3, Path(tmp))
            hooked = asyncio.run(one_run(url, numbers, args.rate, args.warmup, receivers))
        report(kind, args.rate, plain, hooked)


if __name__ == "__main__":
    main()
