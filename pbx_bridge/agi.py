"""A FastAGI server of our own (panoramisk's spins on EOF and freezes the loop).

Asterisk connects, sends ``agi_*: value`` lines ending with an empty line, then reads our
commands (``SET VARIABLE name "value"``) and answers each with ``200 result=...``. The handler
gets an :class:`AgiRequest` and returns the variables to set; whatever happens the session
answers within its budget, and a handler that fails or is slow gets ``fallback`` variables.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 16 * 1024


@dataclass(frozen=True)
class AgiRequest:
    script: str  # "route" for agi://host:4573/route
    headers: Mapping[str, str]
    peer: str

    @property
    def caller_id(self) -> str:
        return self.headers.get("agi_callerid", "")

    @property
    def dialled(self) -> str:
        return self.headers.get("agi_dnid") or self.headers.get("agi_extension", "")

    @property
    def uniqueid(self) -> str:
        return self.headers.get("agi_uniqueid", "")

    @property
    def line(self) -> str:
        """The number the caller dialled: the dialplan's argument (``AGI(...,${CRM_LINE})``),
        else the extension the call came in on, else the DNID; empty when none is known."""
        for value in (
            self.headers.get("agi_arg_1", ""),
            self.headers.get("agi_extension", ""),
            self.headers.get("agi_dnid", ""),
        ):
            if value and value not in ("s", "unknown"):
                return value
        return ""


Handler = Callable[[AgiRequest], Awaitable[Mapping[str, str]]]


class AgiProtocolError(ValueError):
    pass


def parse_headers(raw: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in raw.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.startswith("agi_"):
            raise AgiProtocolError(f"not an AGI header line: {line[:80]!r}")
        headers[key.strip()] = value.strip()
    if "agi_request" not in headers:
        raise AgiProtocolError("no agi_request header")
    return headers


def script_of(request_url: str) -> str:
    """``agi://10.0.0.5:4573/route?x=1`` → ``route``."""
    return urlsplit(request_url).path.strip("/")


def quote(value: str) -> str:
    """A value for ``SET VARIABLE``: quoted, without characters that end the command."""
    clean = value.replace("\\", "").replace('"', "").replace("\n", " ").replace("\r", " ")
    return f'"{clean}"'


class FastAgiServer:
    def __init__(
        self,
        routes: Mapping[str, Handler],
        *,
        fallback: Callable[[AgiRequest | None], Mapping[str, str]],
        budget: float = 0.05,
        header_timeout: float = 2.0,
        reply_timeout: float = 2.0,
    ) -> None:
        self.routes = dict(routes)
        self.fallback = fallback
        self.budget = budget
        self.header_timeout = header_timeout
        self.reply_timeout = reply_timeout
        self.server: asyncio.Server | None = None
        self.sessions = 0
        self.fallbacks = 0
        self.errors = 0

    async def start(self, host: str, port: int) -> None:
        self.server = await asyncio.start_server(self._session, host, port, limit=MAX_HEADER_BYTES)
        bound = self.server.sockets[0].getsockname() if self.server.sockets else (host, port)
        log.info("FastAGI listening on %s:%s", bound[0], bound[1])

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = str(writer.get_extra_info("peername"))
        try:
            raw = await asyncio.wait_for(reader.readuntil(b"\n\n"), self.header_timeout)
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            # A health check or port scan: connect and close. Nothing to answer.
            await _close(writer)
            return
        except asyncio.LimitOverrunError:
            log.warning("FastAGI %s: headers over %d bytes; closed", peer, MAX_HEADER_BYTES)
            await _close(writer)
            return
        self.sessions += 1
        request: AgiRequest | None = None
        try:
            headers = parse_headers(raw)
            request = AgiRequest(script_of(headers["agi_request"]), headers, peer)
            variables = await self._decide(request)
        except AgiProtocolError as exc:
            self.errors += 1
            log.warning("FastAGI %s: %s", peer, exc)
            variables = dict(self.fallback(None))
        try:
            for name, value in variables.items():
                writer.write(f"SET VARIABLE {name} {quote(value)}\n".encode())
                await writer.drain()
                reply = await asyncio.wait_for(reader.readline(), self.reply_timeout)
                if not reply.startswith(b"200"):
                    log.warning("FastAGI %s: SET VARIABLE %s answered %r", peer, name, reply[:80])
                    break
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError) as exc:
            log.warning("FastAGI %s: channel went away mid-session (%s)", peer, type(exc).__name__)
        finally:
            await _close(writer)

    async def _decide(self, request: AgiRequest) -> dict[str, str]:
        handler = self.routes.get(request.script)
        if handler is None:
            self.fallbacks += 1
            log.warning("FastAGI: no script %r; answering fallback", request.script)
            return dict(self.fallback(request))
        try:
            return dict(await asyncio.wait_for(handler(request), self.budget))
        except TimeoutError:
            self.fallbacks += 1
            log.warning(
                "FastAGI %s: no decision within %.0f ms; fallback",
                request.script,
                self.budget * 1000,
            )
        except Exception:
            self.fallbacks += 1
            log.exception("FastAGI %s failed; fallback", request.script)
        return dict(self.fallback(request))


async def _close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.close()
        await writer.wait_closed()
