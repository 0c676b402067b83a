"""Passwords, API tokens, CSRF tokens and login rate limiting."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import defaultdict, deque

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


class LoginRateLimiter:
    """Failed logins per client address and per login name, in a sliding window.

    In-process memory is enough: the service runs as one process next to its PBX.
    """

    def __init__(self, max_failures: int, window_seconds: float = 60.0) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _keys(self, client: str, login: str) -> tuple[str, str]:
        return f"ip:{client}", f"login:{login.strip().lower()}"

    def _recent(self, key: str, now: float) -> deque[float]:
        stamps = self._failures[key]
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        return stamps

    def retry_after(self, client: str, login: str) -> int:
        """Seconds until another attempt is allowed; 0 when allowed now."""
        now = time.monotonic()
        wait = 0.0
        for key in self._keys(client, login):
            stamps = self._recent(key, now)
            if len(stamps) >= self.max_failures:
                wait = max(wait, stamps[0] + self.window - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, client: str, login: str) -> None:
        now = time.monotonic()
        for key in self._keys(client, login):
            self._recent(key, now).append(now)

    def succeeded(self, client: str, login: str) -> None:
        self._failures.pop(self._keys(client, login)[1], None)
