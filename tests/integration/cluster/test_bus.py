"""The cluster bus on a real PostgreSQL: every other instance hears each message, in the
order sent; long messages arrive whole; requests reach the one instance able to answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from callcenter.cluster.bus import ClusterBus, Message, NotMine, RemoteError
from callcenter.cluster.leadership import asyncpg_dsn
from tests.integration.cluster.test_leadership import until


@pytest.fixture
async def buses(pg: str) -> AsyncIterator[tuple[ClusterBus, ClusterBus, ClusterBus]]:
    trio = tuple(ClusterBus(asyncpg_dsn(pg), name) for name in ("a", "b", "c"))
    for bus in trio:
        await bus.start()
        assert bus.listening
    yield trio  # type: ignore[misc]
    for bus in trio:
        await bus.stop()


async def test_messages_reach_every_other_instance_in_order(
    buses: tuple[ClusterBus, ClusterBus, ClusterBus],
) -> None:
    a, b, c = buses
    heard: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    for bus in buses:
        bus.on("tick", lambda m, name=bus.instance: heard[name].append(int(m["n"])))
    for n in range(500):
        a.publish("tick", n=n)
    await until(lambda: len(heard["b"]) == 500 and len(heard["c"]) == 500)
    assert heard["b"] == heard["c"] == list(range(500))
    assert heard["a"] == []  # its own messages it has applied already


async def test_a_long_message_arrives_whole(
    buses: tuple[ClusterBus, ClusterBus, ClusterBus],
) -> None:
    a, b, _ = buses
    got: list[Message] = []
    b.on("card", got.append)
    items = [{"name": f"Чайник электрический № {i}", "qty": i} for i in range(400)]
    a.publish("card", items=items)
    a.publish("card", items=[])
    await until(lambda: len(got) == 2)
    assert got[0]["items"] == items
    assert got[1]["items"] == []


async def test_a_request_is_answered_by_the_instance_that_can(
    buses: tuple[ClusterBus, ClusterBus, ClusterBus],
) -> None:
    a, b, c = buses

    async def not_here(_args: Message) -> Any:
        raise NotMine

    async def here(args: Message) -> Any:
        return {"doubled": args["n"] * 2}

    b.serve("double", not_here)
    c.serve("double", here)
    assert await a.request("double", {"n": 21}, timeout=5) == {"doubled": 42}


async def test_a_requests_error_and_silence(
    buses: tuple[ClusterBus, ClusterBus, ClusterBus],
) -> None:
    a, b, _ = buses

    async def refuses(_args: Message) -> Any:
        raise ValueError("the manager's phone is off")

    b.serve("ring", refuses)
    with pytest.raises(RemoteError) as error:
        await a.request("ring", {}, timeout=5)
    assert (error.value.kind, error.value.message) == ("ValueError", "the manager's phone is off")
    with pytest.raises(TimeoutError):
        await a.request("nobody-serves-this", {}, timeout=0.5)
    await asyncio.sleep(0)


async def test_an_instance_that_starts_listening_runs_its_catch_up(pg: str) -> None:
    bus = ClusterBus(asyncpg_dsn(pg), "late")
    ran: list[bool] = []

    async def catch_up() -> None:
        ran.append(bus.listening)

    bus.on_listening.append(catch_up)
    await bus.start()
    try:
        await until(lambda: ran == [True])
    finally:
        await bus.stop()
