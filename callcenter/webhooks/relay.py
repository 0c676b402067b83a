"""``WebhookRelay``: the service's side of webhooks.

- It keeps the map of endpoints that ``outbox.emit`` reads on the hot paths fresh: every few
  seconds, and at once after an admin's change.
- While any endpoint is on, it runs the sender in a process of its own
  (``callcenter.webhooks.worker``), restarts it if it dies, and wakes it after every commit
  that emitted an event (a line on its standard input). A shop without webhooks runs no
  extra process. Posting hundreds of deliveries a second in the service's own event loop
  would slow the pops: the bench (bench/bench_webhooks.py) measured it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.core.db import make_sessionmaker
from callcenter.core.settings import Settings
from callcenter.webhooks import outbox

log = logging.getLogger(__name__)


class WebhookRelay:
    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self.settings = settings
        self.sessionmaker = make_sessionmaker(engine)
        self.endpoints = outbox.endpoint_map(engine.sync_engine)
        self.process: asyncio.subprocess.Process | None = None
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unhook: Callable[[], None] = lambda: None
        self._restarts = 0

    async def start(self) -> None:
        self._unhook = outbox.on_commit(self.wake)
        self._task = asyncio.create_task(self._watch(), name="webhook-relay")

    async def stop(self) -> None:
        self._unhook()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._stop_worker()

    def wake(self) -> None:
        """Tell the sender there is something to send (many wakes in a row cost one read)."""
        process = self.process
        if process is None or process.stdin is None or process.returncode is not None:
            return
        transport = process.stdin.transport
        if transport.get_write_buffer_size() < 64:  # the sender has not read the last one yet
            with contextlib.suppress(ConnectionError, RuntimeError):
                process.stdin.write(b"w\n")

    def endpoints_changed(self) -> None:
        """An admin changed the endpoints: ``emit`` asks the database until they are read
        again, which is now."""
        self.endpoints.loaded_at = -1e9
        self._changed.set()

    async def _watch(self) -> None:
        while True:
            try:
                async with self.sessionmaker() as session:
                    await self.endpoints.load(session)
                await self._keep_worker(any(self.endpoints.by_type.values()))
            except Exception:
                log.exception("webhooks: reading the endpoints failed")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), self.endpoints.max_age)

    async def _keep_worker(self, wanted: bool) -> None:
        running = self.process is not None and self.process.returncode is None
        if running:
            self._restarts = 0
        if running and not wanted:
            await self._stop_worker()
        elif wanted and not running:
            if self.process is not None:
                self._restarts += 1
                log.warning(
                    "webhooks: the sender exited with %s; starting it again",
                    self.process.returncode,
                )
                await asyncio.sleep(min(30.0, 0.5 * 2 ** min(self._restarts, 6)))
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "callcenter.webhooks.worker",
                stdin=asyncio.subprocess.PIPE,
                env=self._worker_env(),
            )
            self.wake()

    def _worker_env(self) -> dict[str, str]:
        """The environment, with this service's own values of what the sender reads (they
        may have come from a .env file or from code, not from the environment)."""
        s = self.settings
        return {
            **os.environ,
            "CALLCENTER_DATABASE_URL": s.database_url,
            "CALLCENTER_WEBHOOK_ALLOW": s.webhook_allow,
            "CALLCENTER_WEBHOOK_TIMEOUT_SECONDS": str(s.webhook_timeout_seconds),
            "CALLCENTER_WEBHOOK_RETRY_SECONDS": str(s.webhook_retry_seconds),
            "CALLCENTER_WEBHOOK_GIVE_UP_HOURS": str(s.webhook_give_up_hours),
            "CALLCENTER_TIMEZONE": s.timezone,
        }

    async def _stop_worker(self) -> None:
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the sender stops at the end of its input
        started = time.monotonic()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
        log.debug("webhooks: sender stopped in %.1f s", time.monotonic() - started)
