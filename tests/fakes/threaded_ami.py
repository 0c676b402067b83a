"""The fake AMI server on an event loop of its own, as a PBX is a separate peer; and builders
of AMI events for tests that drive the whole service."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.ami_server import FakeAmiServer

T0 = 1_790_000_000.0


class ThreadedAmi:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = self.call(FakeAmiServer().start())

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def push(self, *blocks: dict[str, str]) -> None:
        self.call(self.server.push(*blocks))

    def close(self) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def chan(prefix: str, name: str, uid: str, lid: str, **extra: str) -> dict[str, str]:
    """Channel headers, e.g. ``chan("Dest", "PJSIP/101-1", "u2", "u1")`` for DestChannel..."""
    values = {"Channel": name, "Uniqueid": uid, "Linkedid": lid, **extra}
    return {prefix + k: v for k, v in values.items()}


def event(name: str, ts: float, **headers: str) -> dict[str, str]:
    """An AMI event stamped ``ts`` seconds after T0 (timestampevents = yes)."""
    return {"Event": name, "Timestamp": f"{T0 + ts:.6f}", **headers}
