"""``next`` as managers see it: the service under uvicorn in a child process (as ``callcenter
serve`` runs it, one process), 50 managers as HTTP clients with API tokens in this process.

- alone: one manager, next → outcome, 200 times (no contention);
- paced: each manager works the list: next → "talk" 0.5-1.5 s → outcome → 0-1 s → next ...
  (about 33 next/s from 50 managers: a call centre at a pace no real one reaches);
- burst: all 50 ask at the same instant, 20 times (the worst case: one process serves them
  one after another).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import random
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import uvicorn
from sqlalchemy import select

from callcenter.app import create_app
from callcenter.core.db import make_engine, make_sessionmaker
from callcenter.core.models import Manager
from callcenter.core.settings import Settings
from callcenter.managers.service import create_token


async def make_tokens(url: str, manager_ids: list[int]) -> list[str]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            managers = await session.scalars(select(Manager).where(Manager.id.in_(manager_ids)))
            tokens = [(await create_token(session, m, "bench"))[1] for m in managers]
            await session.commit()
            return tokens
    finally:
        await engine.dispose()


def _serve(url: str, sock: socket.socket, log: Path | None) -> None:
    if log is not None:  # what the service prints (warnings, errors) goes to the file
        with log.open("ab") as out:
            os.dup2(out.fileno(), 1)
            os.dup2(out.fileno(), 2)
    settings = Settings(
        _env_file=None,
        database_url=url,
        var_dir=Path(tempfile.mkdtemp(prefix="bench-dial-")),
        secret_key="bench",
        agi_bind="",
        audiosocket_bind="",  # two of these servers (bench_cluster.py) would both want 9092
    )
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def start_server(url: str, log: Path | None = None) -> tuple[multiprocessing.Process, str]:
    """The service (no PBX) forked off this process, once its /healthz answers; what it prints
    goes to ``log`` when given, else to this terminal."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    process = multiprocessing.get_context("fork").Process(
        target=_serve, args=(url, sock, log), daemon=True
    )
    process.start()
    sock.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx2.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the service did not start")


async def _next(client: httpx2.AsyncClient, list_id: int, token: str) -> tuple[float, int | None]:
    started = time.perf_counter()
    response = await client.post(
        f"/api/v1/dial-lists/{list_id}/next", headers={"Authorization": f"Bearer {token}"}
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    card = response.json()["card"]
    return elapsed, card["entry"]["id"] if card else None


async def _outcome(client: httpx2.AsyncClient, list_id: int, token: str, entry_id: int) -> None:
    response = await client.post(
        f"/api/v1/dial-lists/{list_id}/entries/{entry_id}/outcome",
        json={"outcome": "answered"},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()


def process_cpu(pid: int) -> float | None:
    """CPU seconds a process has used (user + system, all threads); None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Load:
    """``next`` latencies (seconds) by mode, and what each mode cost the service: its CPU
    seconds and the HTTP requests (next and outcome) it served, a figure other work on the
    machine hardly moves."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)


async def run_load(
    base: str, list_id: int, tokens: list[str], seconds: float, rounds: int, server_pid: int = 0
) -> Load:
    limits = httpx2.Limits(max_connections=len(tokens) * 2, max_keepalive_connections=len(tokens))
    sent = 0

    async def count(_request: httpx2.Request) -> None:
        nonlocal sent
        sent += 1

    load = Load()

    @contextlib.contextmanager
    def mode(name: str) -> Iterator[list[float]]:
        cpu, before = process_cpu(server_pid) if server_pid else None, sent
        load.latencies[name] = []
        yield load.latencies[name]
        after = process_cpu(server_pid) if server_pid else None
        if cpu is not None and after is not None:
            load.cpu[name], load.requests[name] = after - cpu, sent - before

    hooks = {"request": [count]}
    async with httpx2.AsyncClient(
        base_url=base, limits=limits, timeout=60, event_hooks=hooks
    ) as client:
        for token in tokens[:5]:  # warm-up: connections, prepared statements
            _, entry = await _next(client, list_id, token)
            if entry is not None:
                await _outcome(client, list_id, token, entry)
        with mode("alone") as alone:
            for _ in range(200):
                elapsed, entry = await _next(client, list_id, tokens[0])
                alone.append(elapsed)
                if entry is not None:
                    await _outcome(client, list_id, tokens[0], entry)
        deadline = time.perf_counter() + seconds

        async def manager(token: str, rng: random.Random, paced: list[float]) -> None:
            await asyncio.sleep(rng.uniform(0, 1.5))
            while time.perf_counter() < deadline:
                elapsed, entry = await _next(client, list_id, token)
                paced.append(elapsed)
                if entry is None:
                    return
                await asyncio.sleep(rng.uniform(0.5, 1.5))
                await _outcome(client, list_id, token, entry)
                await asyncio.sleep(rng.uniform(0, 1))

        with mode("paced") as paced:
            await asyncio.gather(
                *(manager(t, random.Random(i), paced) for i, t in enumerate(tokens))
            )
        with mode("burst") as burst:
            burst.extend(await bursts([(client, t) for t in tokens], list_id, rounds))
        return load


async def bursts(
    seats: list[tuple[httpx2.AsyncClient, str]], list_id: int, rounds: int
) -> list[float]:
    """Every manager (a client of the instance they work on, and their token) asks ``next`` at
    the same instant, ``rounds`` times; each round's entries get their outcome before the next
    round. The latencies (seconds) of every ``next``."""
    latencies: list[float] = []
    for _ in range(rounds):
        got = await asyncio.gather(*(_next(client, list_id, t) for client, t in seats))
        latencies.extend(elapsed for elapsed, _ in got)
        await asyncio.gather(
            *(
                _outcome(client, list_id, t, e)
                for (client, t), (_, e) in zip(seats, got, strict=True)
                if e
            )
        )
    return latencies
