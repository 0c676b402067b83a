"""AmiClient against an in-process AMI server over real TCP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from pbx_bridge.ami import AmiClient, AmiConfig, AmiNotConnected, AmiState
from pbx_bridge.tracker import Resync
from tests.fakes.ami_server import FakeAmiServer, render


@pytest.fixture
async def server() -> AsyncIterator[FakeAmiServer]:
    fake = await FakeAmiServer().start()
    yield fake
    await fake.stop()


def config(server: FakeAmiServer, **overrides: Any) -> AmiConfig:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": server.port,
        "username": "crm",
        "secret": "crm-secret",
        "backoff_initial": 0.05,
        "backoff_max": 0.2,
        "ping_interval": 0.2,
        "ping_timeout": 0.2,
    }
    values.update(overrides)
    return AmiConfig(**values)


async def next_event(client: AmiClient, name: str, timeout: float = 3.0) -> Any:
    async def wait() -> Any:
        while True:
            _, item = await client.queue.get()
            if isinstance(item, dict) and item.get("Event") == name:
                return item
            if name == "Resync" and isinstance(item, Resync):
                return item

    return await asyncio.wait_for(wait(), timeout)


async def wait_for(predicate: Any, timeout: float = 3.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def test_wrong_secret_is_reported_and_not_retried(
    server: FakeAmiServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = AmiClient(config(server, secret="wrong"))
    with caplog.at_level(logging.ERROR):
        await asyncio.wait_for(client.run(), 3)
    assert client.state is AmiState.AUTH_FAILED
    assert server.failed_logins == 1
    await asyncio.sleep(0.3)
    assert server.failed_logins == 1  # not retried
    assert "refused (Authentication failed)" in caplog.text
    assert "wrong" not in caplog.text  # the secret never reaches the log


async def test_events_arrive_and_cyrillic_survives_split_reads(server: FakeAmiServer) -> None:
    client = AmiClient(config(server))
    client.start()
    try:
        assert isinstance(await next_event(client, "Resync"), Resync)
        data = render(
            {
                "Event": "Newchannel",
                "Channel": "PJSIP/anonymous-00000001",
                "Uniqueid": "1.1",
                "Linkedid": "1.1",
                "CallerIDName": "Пётр Ёлкин",
            }
        )
        await server.push_raw(data, chunk=1)  # every byte its own TCP write
        event = await next_event(client, "Newchannel")
        assert event["CallerIDName"] == "Пётр Ёлкин"
    finally:
        await client.stop()


async def test_a_malformed_message_does_not_take_its_neighbours(server: FakeAmiServer) -> None:
    client = AmiClient(config(server))
    client.start()
    try:
        await next_event(client, "Resync")
        chunk = (
            render({"Event": "Newchannel", "Uniqueid": "1.1"})
            + b"garbage without colon\r\n\xff\xfe broken utf8\r\n\r\n"
            + render({"Event": "Hangup", "Uniqueid": "1.1"})
        )
        await server.push_raw(chunk)
        assert (await next_event(client, "Newchannel"))["Uniqueid"] == "1.1"
        assert (await next_event(client, "Hangup"))["Uniqueid"] == "1.1"
        assert client.state is AmiState.CONNECTED
    finally:
        await client.stop()


async def test_reconnects_after_a_drop_and_resyncs(
    server: FakeAmiServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.live_channels = [
        {
            "Channel": "PJSIP/101-00000002",
            "Uniqueid": "9.2",
            "Linkedid": "9.1",
            "ChannelState": "6",
            "Duration": "00:00:42",
            "BridgeId": "b-1",
        }
    ]
    client = AmiClient(config(server))
    client.start()
    try:
        first = await next_event(client, "Resync")
        assert [c.channel.uniqueid for c in first.channels] == ["9.2"]
        assert first.channels[0].duration_seconds == 42
        with caplog.at_level(logging.WARNING):
            await server.restart()
            second = await next_event(client, "Resync")
        assert second.channels[0].bridge_id == "b-1"
        assert server.logins == 2
        assert client.connects == 2
        assert "connection to 127.0.0.1" in caplog.text
    finally:
        await client.stop()


async def test_backoff_while_the_pbx_is_down(caplog: pytest.LogCaptureFixture) -> None:
    fake = await FakeAmiServer().start()
    port = fake.port
    await fake.stop()
    client = AmiClient(config(fake, port=port))
    with caplog.at_level(logging.WARNING):
        client.start()
        await asyncio.sleep(0.6)
        await client.stop()
    attempts = [r.getMessage() for r in caplog.records if "cannot reach" in r.getMessage()]
    assert len(attempts) >= 3
    assert "attempt 1, next in 0.1 s" in attempts[0]
    assert "next in 0.2 s" in attempts[-1]  # capped


async def test_unanswered_ping_forces_a_reconnect(server: FakeAmiServer) -> None:
    client = AmiClient(config(server))
    client.start()
    try:
        await next_event(client, "Resync")
        server.answer_pings = False  # a half-open connection: TCP up, nobody home
        await wait_for(lambda: server.logins >= 2, timeout=3)
        server.answer_pings = True
        await wait_for(lambda: client.state is AmiState.CONNECTED)
    finally:
        await client.stop()


async def test_actions_fail_fast_when_disconnected(server: FakeAmiServer) -> None:
    client = AmiClient(config(server))
    with pytest.raises(AmiNotConnected):
        await client.send_action({"Action": "Ping"})


async def test_burst_of_10000_events_loses_nothing(server: FakeAmiServer) -> None:
    client = AmiClient(config(server))
    client.start()
    try:
        await next_event(client, "Resync")
        data = b"".join(
            render(
                {
                    "Event": "VarSet",
                    "Channel": "PJSIP/101-00000001",
                    "Uniqueid": "1.1",
                    "Linkedid": "1.1",
                    "Variable": "N",
                    "Value": str(i),
                }
            )
            for i in range(10_000)
        )
        await server.push_raw(data, chunk=4096)
        seen = []
        while len(seen) < 10_000:
            _, item = await asyncio.wait_for(client.queue.get(), 5)
            if isinstance(item, dict) and item.get("Event") == "VarSet":
                seen.append(int(item["Value"]))
        assert seen == list(range(10_000))
    finally:
        await client.stop()


async def test_login_refused_during_shutdown_is_retried(server: FakeAmiServer) -> None:
    server.refuse_logins = "Asterisk is shutting down"
    client = AmiClient(config(server))
    client.start()
    try:
        await asyncio.sleep(0.3)
        assert client.state is not AmiState.AUTH_FAILED
        assert "shutting down" in (client.last_error or "")
        server.refuse_logins = None
        await wait_for(lambda: client.state is AmiState.CONNECTED)
    finally:
        await client.stop()
