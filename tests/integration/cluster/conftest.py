"""Cluster fixtures: a clean real PostgreSQL (the cluster lives only there), and a TCP proxy
that can cut a connection the way a network does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import run_async
from tests.integration.conftest import _clean


@pytest.fixture
def pg(postgres_url: str) -> str:
    run_async(_clean(postgres_url))
    return postgres_url


class FreezableProxy:
    """Forwards TCP to PostgreSQL. ``freeze`` stops carrying bytes both ways but keeps the
    sockets open (a partition: neither side hears of anything); ``cut`` then closes the
    server's side, as the server's keepalive would."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.frozen = False
        self.port = 0
        self._upstreams: list[asyncio.StreamWriter] = []
        self._clients: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.frozen = False
        self.cut()
        for writer in self._clients:
            writer.close()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def freeze(self) -> None:
        self.frozen = True

    def cut(self) -> None:
        for writer in self._upstreams:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._upstreams.append(up_writer)
        self._clients.append(writer)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            while data := await reader.read(65536):
                while self.frozen and not writer.is_closing():
                    await asyncio.sleep(0.05)
                writer.write(data)
                await writer.drain()
        writer.close()


@pytest.fixture
async def proxy(pg: str) -> AsyncIterator[FreezableProxy]:
    url = make_url(pg)
    forwarder = FreezableProxy(url.host or "127.0.0.1", url.port or 5432)
    await forwarder.start()
    yield forwarder
    await forwarder.stop()
