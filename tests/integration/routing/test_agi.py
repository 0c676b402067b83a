"""The FastAGI server on a real TCP port, spoken to the way Asterisk does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping

import pytest

from pbx_bridge.agi import AgiProtocolError, AgiRequest, FastAgiServer, parse_headers, quote

FALLBACK = {"CRM_DIAL": "", "CRM_ROUTE": "fallback"}


def headers(script: str = "route", caller: str = "79161234567") -> bytes:
    lines = [
        f"agi_request: agi://127.0.0.1:4573/{script}",
        "agi_channel: PJSIP/anonymous-00000001",
        "agi_uniqueid: 1790000000.1",
        f"agi_callerid: {caller}",
        "agi_dnid: 74951234567",
        "agi_extension: 74951234567",
    ]
    return ("\n".join(lines) + "\n\n").encode()


async def session(port: int, raw: bytes, answer: bool = True) -> dict[str, str]:
    """Play Asterisk: send the headers, answer every command with 200, collect variables."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    got: dict[str, str] = {}
    while True:
        line = await asyncio.wait_for(reader.readline(), 3)
        if not line:
            break
        command = line.decode().strip()
        assert command.startswith("SET VARIABLE "), command
        _, _, name, value = command.split(" ", 3)
        got[name] = value.strip('"')
        if answer:
            writer.write(b"200 result=1\n")
            await writer.drain()
    writer.close()
    return got


async def decide(request: AgiRequest) -> Mapping[str, str]:
    if request.caller_id == "slow":
        await asyncio.sleep(1)
    if request.caller_id == "boom":
        raise RuntimeError("routing broke")
    return {
        "CRM_DIAL": "PJSIP/101",
        "CRM_ROUTE": "personal_manager",
        "CRM_CALLER": request.caller_id,
    }


@pytest.fixture
async def server() -> AsyncIterator[FastAgiServer]:
    agi = FastAgiServer(
        {"route": decide}, fallback=lambda _r: FALLBACK, budget=0.05, reply_timeout=0.3
    )
    await agi.start("127.0.0.1", 0)
    yield agi
    await agi.stop()


async def test_sets_the_decided_variables(server: FastAgiServer) -> None:
    got = await session(server.port, headers())
    assert got == {
        "CRM_DIAL": "PJSIP/101",
        "CRM_ROUTE": "personal_manager",
        "CRM_CALLER": "79161234567",
    }


@pytest.mark.parametrize("caller", ["slow", "boom"])
async def test_slow_or_failing_decision_answers_fallback_in_budget(
    server: FastAgiServer, caller: str
) -> None:
    started = time.perf_counter()
    got = await session(server.port, headers(caller=caller))
    assert got == FALLBACK
    assert time.perf_counter() - started < 0.5
    assert server.fallbacks == 1


async def test_unknown_script_and_garbage_headers_get_fallback(server: FastAgiServer) -> None:
    assert await session(server.port, headers(script="nothing")) == FALLBACK
    assert await session(server.port, b"hello there\nwho are you\n\n") == FALLBACK
    assert server.errors == 1


async def test_connect_and_close_does_not_freeze_the_loop(server: FastAgiServer) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    for _ in range(20):  # health checks and port scans
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.close()
    await asyncio.sleep(0.2)
    got = await session(server.port, headers())
    task.cancel()
    assert got["CRM_DIAL"] == "PJSIP/101"
    assert ticks >= 10
    assert server.sessions == 1


async def test_a_peer_that_never_answers_is_dropped(server: FastAgiServer) -> None:
    started = time.perf_counter()
    got = await session(server.port, headers(), answer=False)
    assert list(got) == ["CRM_DIAL"]  # it waited for the 200, gave up, and hung up
    assert time.perf_counter() - started < 1.0


def test_header_parsing_and_quoting() -> None:
    parsed = parse_headers(headers())
    assert parsed["agi_callerid"] == "79161234567"
    with pytest.raises(AgiProtocolError):
        parse_headers(b"agi_channel: x\n\n")
    assert quote("PJSIP/101&PJSIP/102") == '"PJSIP/101&PJSIP/102"'
    assert quote('evil"\nEXEC Dial') == '"evil EXEC Dial"'
