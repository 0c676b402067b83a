"""Requests per key (a client address, a phone number) in a sliding window, in memory.

One process serves the shop (next to its PBX), so memory is enough, as for the login limiter
(``core.security.LoginRateLimiter``). Several instances behind one address would each count
their own share; sharing the counts (the database, or Redis) is for the multi-instance work.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most ``limit`` hits per key in any ``window`` seconds."""

    # Keys whose hits have all expired are dropped every this many hits: a flood of addresses
    # does not grow the map for ever.
    SWEEP_EVERY = 1000

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._since_sweep = 0

    def _recent(self, key: str, now: float) -> deque[float]:
        stamps = self._hits.setdefault(key, deque())
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        return stamps

    def hit(self, key: str) -> int:
        """Count one hit and return 0, or, when the key has had its ``limit`` already, count
        nothing and return the seconds until the next one is allowed (at least 1)."""
        now = self.clock()
        self._sweep(now)
        stamps = self._recent(key, now)
        if len(stamps) >= self.limit:
            return max(1, math.ceil(stamps[0] + self.window - now))
        stamps.append(now)
        return 0

    def _sweep(self, now: float) -> None:
        self._since_sweep += 1
        if self._since_sweep < self.SWEEP_EVERY:
            return
        self._since_sweep = 0
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]

    def __len__(self) -> int:
        return len(self._hits)
