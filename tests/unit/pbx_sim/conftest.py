"""The simulator against the real bridge code: pbx_bridge's AmiClient over TCP, its CallTracker,
and its FastAGI server answering the simulator's AGI requests."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pbx_bridge import events as ev
from pbx_bridge.agi import AgiRequest, FastAgiServer
from pbx_bridge.ami import AmiClient, AmiConfig
from pbx_bridge.tracker import CallEnded, CallTracker, Change, OriginateRequested
from pbx_sim import Pace, PbxSimulator, SimConfig
from tests.fakes.traces import parse_messages

SECRET = "sim-test-secret"


@dataclass
class Bridge:
    """A real AmiClient logged in to the simulator, its events run through a CallTracker."""

    client: AmiClient
    raw: io.BytesIO
    tracker: CallTracker = field(default_factory=CallTracker)
    changes: list[Change] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def pump(self) -> None:
        while True:
            received, item = await self.client.queue.get()
            try:
                event = item if not isinstance(item, dict) else ev.parse_event(item, received)
            except ev.MalformedEvent as exc:
                self.bad.append(str(exc))
                continue
            if event is not None:
                self.changes.extend(self.tracker.apply(event))

    def messages(self) -> list[dict[str, Any]]:
        """Every message the simulator sent, as raw AMI (``save_stream``)."""
        text = self.raw.getvalue().decode("utf-8").partition("\r\n")[2]
        return parse_messages(text)

    def ended(self) -> list[CallEnded]:
        return [c for c in self.changes if isinstance(c, CallEnded)]

    def of(self, kind: type[Any]) -> list[Any]:
        return [c for c in self.changes if isinstance(c, kind)]

    async def originate(self, extension: str, number: str, channel_id: str) -> Any:
        action_id = f"originate-{channel_id}"
        self.client.queue.put_nowait(
            (time.time(), OriginateRequested(time.time(), channel_id, extension, number, action_id))
        )
        return await self.client.originate(
            channel=f"PJSIP/{extension}",
            context="from-managers",
            exten=number,
            caller_id=f'"Иван Петров" <{number}>',
            channel_id=channel_id,
            action_id=action_id,
            timeout_ms=5000,
        )


async def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@dataclass
class Routes:
    """What the FastAGI server answers, and the requests it got."""

    variables: Mapping[str, str] = field(
        default_factory=lambda: {
            "CRM_DIAL": "PJSIP/102",
            "CRM_ROUTE": "personal_manager",
            "CRM_CUSTOMER_ID": "7",
            "CRM_MANAGER_ID": "3",
        }
    )
    requests: list[AgiRequest] = field(default_factory=list)

    async def route(self, request: AgiRequest) -> Mapping[str, str]:
        self.requests.append(request)
        return self.variables


@pytest.fixture
async def routes() -> AsyncIterator[tuple[Routes, FastAgiServer]]:
    routes = Routes()
    server = FastAgiServer(
        {"route": routes.route},
        fallback=lambda _r: {"CRM_DIAL": "", "CRM_ROUTE": "fallback"},
        budget=1.0,
    )
    await server.start("127.0.0.1", 0)
    yield routes, server
    await server.stop()


@pytest.fixture
async def sim(tmp_path: Path, routes: tuple[Routes, FastAgiServer]) -> AsyncIterator[PbxSimulator]:
    simulator = PbxSimulator(
        SimConfig(
            ami_username="crm",
            ami_secret=SECRET,
            agi_url=f"agi://127.0.0.1:{routes[1].port}/route",
            extensions=("101", "102", "103"),
            inbox=tmp_path / "monitor",
            calls_per_minute=0,
            ring_timeout=0.5,
            pace=Pace(answer_after=0.1, talk_seconds=0.3),
            seed=5,
        )
    )
    await simulator.start()
    yield simulator
    await simulator.stop()


async def connect(sim: PbxSimulator, secret: str = SECRET) -> Bridge:
    raw = io.BytesIO()
    client = AmiClient(
        AmiConfig("127.0.0.1", sim.ami_port, "crm", secret, backoff_initial=0.05), save_stream=raw
    )
    bridge = Bridge(client, raw)
    client.start()
    bridge.task = asyncio.create_task(bridge.pump())
    return bridge


@pytest.fixture
async def bridge(sim: PbxSimulator) -> AsyncIterator[Bridge]:
    bridge = await connect(sim)
    await wait_for(lambda: bridge.client.connected)
    yield bridge
    await close(bridge)


async def close(bridge: Bridge) -> None:
    await bridge.client.stop()
    if bridge.task is not None:
        bridge.task.cancel()
        try:
            await bridge.task
        except asyncio.CancelledError:
            pass
