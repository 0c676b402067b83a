"""The simulator's FastAGI client: against pbx_bridge's real FastAGI server, and against
servers that misbehave."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from pbx_bridge.agi import FastAgiServer
from pbx_sim.agi_client import environment, parse_set_variable, run_agi
from tests.unit.pbx_sim.conftest import Routes

URL = "agi://127.0.0.1:{port}/route"


def env(url: str, caller: str = "89161234567") -> list[tuple[str, str]]:
    return environment(
        url,
        channel="PJSIP/trunk-00000001",
        uniqueid="1790000000.1",
        caller_num=caller,
        caller_name=caller,
        dialled="74951234567",
        context="from-trunk",
        priority=4,
    )


def test_the_environment_block_is_asterisks() -> None:
    block = dict(env("agi://10.0.0.5:4573/route"))
    assert list(block)[:3] == ["agi_network", "agi_network_script", "agi_request"]
    assert block["agi_network_script"] == "route"
    assert block["agi_type"] == "PJSIP"
    assert (block["agi_dnid"], block["agi_extension"]) == ("74951234567", "74951234567")
    assert block["agi_callerid"] == "89161234567"


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        ('CRM_DIAL "PJSIP/101&PJSIP/103"', ("CRM_DIAL", "PJSIP/101&PJSIP/103")),
        ('CRM_CUSTOMER_ID ""', ("CRM_CUSTOMER_ID", "")),
        ("CRM_ROUTE vip", ("CRM_ROUTE", "vip")),
        ('X "unterminated', None),
        ("", None),
    ],
)
def test_set_variable_arguments(args: str, parsed: tuple[str, str] | None) -> None:
    assert parse_set_variable(args) == parsed


async def test_a_session_with_our_server(routes: tuple[Routes, FastAgiServer]) -> None:
    url = URL.format(port=routes[1].port)
    result = await run_agi(url, env(url))
    assert result.status == "SUCCESS"
    assert dict(result.variables) == dict(routes[0].variables)
    [request] = routes[0].requests
    assert request.caller_id == "89161234567" and request.uniqueid == "1790000000.1"


async def test_a_refused_connection_is_a_failure() -> None:
    url = "agi://127.0.0.1:9/route"
    result = await run_agi(url, env(url))
    assert (result.status, dict(result.variables)) == ("FAILURE", {})


Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Script], Awaitable[str]]]:
    servers: list[asyncio.Server] = []

    async def start(script: Script) -> str:
        server = await asyncio.start_server(script, "127.0.0.1", 0)
        servers.append(server)
        return URL.format(port=server.sockets[0].getsockname()[1])

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_hangup_and_unknown_commands(serve: Callable[[Script], Awaitable[str]]) -> None:
    replies: list[bytes] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\n\n")
        for command in (b"SET VARIABLE CRM_ROUTE group\n", b"DANCE\n", b"HANGUP\n"):
            writer.write(command)
            replies.append(await reader.readline())
        writer.close()

    url = await serve(script)
    result = await run_agi(url, env(url))
    assert result.status == "HANGUP"
    assert replies == [b"200 result=1\n", b"510 Invalid or unknown command\n", b"200 result=1\n"]
    assert dict(result.variables) == {"CRM_ROUTE": "group"}


async def test_a_stalled_server_is_given_up(serve: Callable[[Script], Awaitable[str]]) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # says nothing, until the client gives up and closes
        writer.close()

    url = await serve(script)
    result = await run_agi(url, env(url), session_timeout=0.2)
    assert result.status == "FAILURE"
