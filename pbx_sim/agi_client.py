"""The FastAGI client side of ``AGI(agi://host:port/script)``, as Asterisk runs it: connect,
send the ``agi_*`` environment and a blank line, then answer each command the server sends
(``SET VARIABLE``, ``HANGUP``…) with ``200 result=…`` until the server closes the connection.

``AGISTATUS`` is ``SUCCESS`` when the session ran, ``FAILURE`` when the server cannot be reached
(refused at once, unreachable after the connect timeout), ``HANGUP`` when the script hung the
channel up. Unlike Asterisk, which waits forever for a server that stalls, the simulator gives
up after ``session_timeout`` and reports ``FAILURE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

AGI_VERSION = "22.5.2"


@dataclass(frozen=True)
class AgiResult:
    status: str  # SUCCESS, FAILURE, HANGUP
    variables: Mapping[str, str] = field(default_factory=dict)
    commands: tuple[str, ...] = ()


def environment(
    url: str,
    *,
    channel: str,
    uniqueid: str,
    caller_num: str,
    caller_name: str,
    dialled: str,
    context: str,
    priority: int,
) -> list[tuple[str, str]]:
    """The ``agi_*`` block Asterisk sends first, in its order."""
    script = url.split("://", 1)[-1].partition("/")[2]
    return [
        ("agi_network", "yes"),
        ("agi_network_script", script),
        ("agi_request", url),
        ("agi_channel", channel),
        ("agi_language", "en"),
        ("agi_type", channel.partition("/")[0]),
        ("agi_uniqueid", uniqueid),
        ("agi_version", AGI_VERSION),
        ("agi_callerid", caller_num or "unknown"),
        ("agi_calleridname", caller_name or "unknown"),
        ("agi_callingpres", "0"),
        ("agi_callingani2", "0"),
        ("agi_callington", "0"),
        ("agi_callingtns", "0"),
        ("agi_dnid", dialled or "unknown"),
        ("agi_rdnis", "unknown"),
        ("agi_context", context),
        ("agi_extension", dialled),
        ("agi_priority", str(priority)),
        ("agi_enhanced", "0.0"),
        ("agi_accountcode", ""),
        ("agi_threadid", str(random.randrange(10**14, 10**15))),
    ]


def parse_set_variable(args: str) -> tuple[str, str] | None:
    """``SET VARIABLE CRM_DIAL "PJSIP/101&PJSIP/103"`` → (name, value)."""
    try:
        parts = shlex.split(args)
    except ValueError:
        return None
    if not parts:
        return None
    return parts[0], " ".join(parts[1:])


async def run_agi(
    url: str,
    env: list[tuple[str, str]],
    *,
    connect_timeout: float = 2.0,
    session_timeout: float = 5.0,
) -> AgiResult:
    """One FastAGI session against ``agi://host:port/script``."""
    host, port_text = _host_and_port(url)
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, int(port_text)), connect_timeout
        )
    except (OSError, TimeoutError, ValueError) as exc:
        log.warning("FastAGI %s: cannot connect (%s); AGISTATUS=FAILURE", url, exc)
        return AgiResult("FAILURE")
    session = _Session()
    try:
        writer.write(("".join(f"{k}: {v}\n" for k, v in env) + "\n").encode("utf-8"))
        await writer.drain()
        async with asyncio.timeout(session_timeout):
            await _answer_commands(session, reader, writer)
    except TimeoutError:
        log.warning(
            "FastAGI %s: no end of session in %.0f s; AGISTATUS=FAILURE", url, session_timeout
        )
        session.status = "FAILURE"
    except (ConnectionError, OSError) as exc:
        log.warning("FastAGI %s: connection broke (%s)", url, exc)
        session.status = "FAILURE" if not session.commands else session.status
    finally:
        with contextlib.suppress(Exception):
            writer.close()
            await writer.wait_closed()
    return AgiResult(session.status, session.variables, tuple(session.commands))


def _host_and_port(url: str) -> tuple[str, str]:
    """``agi://[::1]:4573/route`` → ("::1", "4573"); the port is 4573 when none is given."""
    hostport = url.split("://", 1)[-1].partition("/")[0]
    host, _, port_text = hostport.rpartition(":")
    if not host:
        host, port_text = hostport, "4573"
    return host.strip("[]"), port_text


@dataclass
class _Session:
    """What one FastAGI session did so far."""

    variables: dict[str, str] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    status: str = "SUCCESS"

    def reply(self, command: str) -> bytes:
        """Asterisk's answer to one AGI command, noting what the command did."""
        self.commands.append(command)
        verb = command.upper()
        if verb.startswith("SET VARIABLE "):
            parsed = parse_set_variable(command[len("SET VARIABLE ") :])
            if parsed is None:
                return b"520 Invalid command syntax.\n"
            self.variables[parsed[0]] = parsed[1]
            return b"200 result=1\n"
        if verb.startswith("HANGUP"):
            self.status = "HANGUP"
            return b"200 result=1\n"
        if verb.startswith(("ANSWER", "NOOP", "VERBOSE")):
            return b"200 result=0\n"
        return b"510 Invalid or unknown command\n"


async def _answer_commands(
    session: _Session, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Answer the server's commands until it closes the connection (the script is done)."""
    while True:
        line = await reader.readline()
        if not line:
            return
        command = line.decode("utf-8", errors="replace").strip()
        if command:
            writer.write(session.reply(command))
            await writer.drain()
