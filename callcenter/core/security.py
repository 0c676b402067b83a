"""Passwords, API tokens, CSRF tokens and the website's request limits (the login limit is in
``rate_limits``)."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections import deque
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the login is unknown, so both paths cost one argon2 check.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

TOKEN_PREFIX = "cct"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_api_token() -> tuple[str, str]:
    """Return ``(token, sha256 hex)``; only the hash is stored."""
    token = f"{TOKEN_PREFIX}_{secrets.token_urlsafe(32)}"
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


class SlidingWindow:
    """At most ``limit`` hits per key (a client address, a login, a phone number) in any
    ``window`` seconds, in memory. One process serves the shop next to its PBX; several
    instances would each count their own share."""

    # Keys whose hits have all expired are dropped every this many hits: a flood of addresses
    # does not grow the map for ever.
    SWEEP_EVERY = 1000

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] | None = None
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock or (lambda: time.monotonic())
        self._hits: dict[str, deque[float]] = {}
        self._since_sweep = 0

    def _recent(self, stamps: deque[float], now: float) -> deque[float]:
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        return stamps

    def wait(self, key: str) -> float:
        """Seconds until the key may have another hit; 0 when it may now."""
        now = self.clock()
        stamps = self._recent(self._hits.get(key, deque()), now)
        return stamps[0] + self.window - now if len(stamps) >= self.limit else 0.0

    def add(self, key: str) -> None:
        now = self.clock()
        self._sweep(now)
        self._recent(self._hits.setdefault(key, deque()), now).append(now)

    def forget(self, key: str) -> None:
        self._hits.pop(key, None)

    def hit(self, key: str) -> int:
        """Count one hit and return 0, or, when the key has had its ``limit`` already, count
        nothing and return the seconds until the next one is allowed (at least 1)."""
        wait = self.wait(key)
        if wait:
            return max(1, math.ceil(wait))
        self.add(key)
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

