"""Working a dial list: calling hours in the customer's own time zone, and what an outcome does
to an entry (retry, callback, done). Pure: the clock is always passed in."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_TIMEZONE = "Europe/Moscow"


class Outcome(enum.StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"
    CALLBACK = "callback"
    NOT_INTERESTED = "not_interested"
    DO_NOT_CALL = "do_not_call"
    ORDERED = "ordered"


RETRIED = frozenset({Outcome.NO_ANSWER, Outcome.BUSY})


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def resolve_zone(name: str | None, default: str = DEFAULT_TIMEZONE) -> str:
    """The customer's zone when it is a real IANA zone, else the default."""
    return name if name and _zone(name) is not None else default


def local_now(zone: str, now_utc: dt.datetime) -> dt.datetime:
    """``now_utc`` (naive UTC, as stored) as wall-clock time in ``zone``."""
    tz = _zone(zone) or _zone(DEFAULT_TIMEZONE)
    return now_utc.replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None)


def within_hours(local: dt.time, start: dt.time, end: dt.time) -> bool:
    """``start <= local < end``; a window past midnight (22:00-02:00) wraps."""
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def open_zones(
    zones: Iterable[str], now_utc: dt.datetime, start: dt.time, end: dt.time
) -> list[str]:
    """The zones in which it is calling time now."""
    return sorted(z for z in set(zones) if within_hours(local_now(z, now_utc).time(), start, end))


def next_opening(zones: Iterable[str], now_utc: dt.datetime, start: dt.time) -> dt.datetime | None:
    """When calling hours next begin in the first of ``zones`` to open (naive UTC)."""
    best: dt.datetime | None = None
    for zone in set(zones):
        tz = _zone(zone) or _zone(DEFAULT_TIMEZONE)
        local = now_utc.replace(tzinfo=dt.UTC).astimezone(tz)
        opening = local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
        if opening <= local:
            opening += dt.timedelta(days=1)  # wall-clock arithmetic: 09:00 the next day
        at = opening.astimezone(dt.UTC).replace(tzinfo=None)
        best = at if best is None or at < best else best
    return best


@dataclass(frozen=True)
class Transition:
    done: bool
    attempts: int
    next_attempt_at: dt.datetime | None
    callback_at: dt.datetime | None


def after_outcome(
    outcome: Outcome,
    attempts: int,
    *,
    max_attempts: int,
    retry_delay: dt.timedelta,
    now: dt.datetime,
    callback_at: dt.datetime | None = None,
) -> Transition:
    """What an entry becomes once the manager records ``outcome``.

    Every outcome is one attempt. No answer and busy come back after ``retry_delay`` until
    ``max_attempts`` attempts were made; a callback comes back at the agreed time, first in
    the queue; everything else is done."""
    made = attempts + 1
    if outcome in RETRIED and made < max_attempts:
        return Transition(False, made, now + retry_delay, None)
    if outcome is Outcome.CALLBACK:
        if callback_at is None:
            raise ValueError("a callback needs a time")
        return Transition(False, made, callback_at, callback_at)
    return Transition(True, made, None, None)
