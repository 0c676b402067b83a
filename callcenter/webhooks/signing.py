"""The signature every delivery carries (CONTRACT.md):

    X-Callcenter-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">

keyed with the endpoint's secret. ``t`` is the moment of sending, so a receiver can refuse an
old replay (``verify``'s ``tolerance``); the body's own ``id`` is the event's, for
idempotency. ``verify`` is what a receiver does, in Python; the README shows it in PHP too.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Callcenter-Signature"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header's value for ``body`` sent now (or at ``timestamp``)."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class BadSignature(ValueError):
    pass


def verify(secret: str, body: bytes, header: str, tolerance: float = 300.0) -> int:
    """Check a delivery's header; returns its timestamp, or raises ``BadSignature``."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        raise BadSignature("no timestamp") from None
    if abs(time.time() - t) > tolerance:
        raise BadSignature("the timestamp is too old or in the future")
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise BadSignature("the signature does not match")
    return t
