"""The real service under real uvicorn, on a free port, in a thread of its own: what a browser
(or a benchmark's WebSocket client) talks to over TCP."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette

from callcenter.app import create_app
from callcenter.core.settings import Settings


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        self.app: Starlette = create_app(settings)
        # log_config=None: uvicorn must not reconfigure the test process's logging (its own
        # config stops uvicorn.* records from reaching the root logger and so caplog).
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", log_config=None
        )
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="live-server", daemon=True)
        self.port = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    def start(self, timeout: float = 20.0) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, coro: Any, timeout: float = 30.0) -> Any:
        """Run a coroutine on the server's event loop (database set-up with its engine)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        if not self.loop.is_closed() and not self.thread.is_alive():
            self.loop.close()
