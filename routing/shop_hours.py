"""The shop's working hours: is it open now, and when does it next open.

Pure: the clock and the shop's time zone are passed in. A week is seven days, Monday first;
each is closed (None) or one window of wall-clock minutes on the shop's clock, opening before
it closes, the latest close being midnight (1440). Hours past midnight are two windows:
Friday 20:00-24:00 and Saturday 00:00-02:00 are one stretch of opening.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

DAY_MINUTES = 24 * 60
_CLOCK = re.compile(r"^(\d\d):(\d\d)$")


@dataclass(frozen=True)
class Window:
    """Open from ``opens`` to ``closes``, minutes after the day's midnight."""

    opens: int
    closes: int

    def __post_init__(self) -> None:
        if not 0 <= self.opens < self.closes <= DAY_MINUTES:
            raise ValueError(f"a day's hours must open before they close: {self}")


Week = Sequence[Window | None]


def clock_minutes(text: str, *, closing: bool = False) -> int:
    """``"09:30"`` as 570 minutes. A closing time of ``"24:00"`` or ``"00:00"`` is midnight at
    the day's end (1440); an opening time of ``"24:00"`` is no time of that day."""
    found = _CLOCK.match(text)
    if found is None:
        raise ValueError(f"not a time of day (HH:MM): {text!r}")
    hours, minutes = int(found.group(1)), int(found.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not closing)):
        raise ValueError(f"not a time of day (HH:MM): {text!r}")
    total = hours * 60 + minutes
    return DAY_MINUTES if closing and total in (0, DAY_MINUTES) else total


@dataclass(frozen=True)
class Opening:
    """``open_now``: the shop works at this moment. ``at``: when it will (``now`` itself when
    open, aware UTC), or None for a week that is closed every day."""

    open_now: bool
    at: dt.datetime | None


def _moment(day: dt.date, minutes: int, zone: dt.tzinfo) -> dt.datetime:
    """``minutes`` after ``day``'s midnight on the shop's wall clock, as UTC. A wall-clock time
    that a DST change skips (02:30 the night clocks go forward) is read with the offset before
    the change: the shop opens at 03:30."""
    wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
    return wall.replace(tzinfo=zone).astimezone(dt.UTC)


def opening(week: Week, now: dt.datetime, zone: dt.tzinfo) -> Opening:
    """Whether the shop is open at ``now`` (aware) and, if not, when it next opens."""
    if len(week) != 7:
        raise ValueError("a week has seven days, Monday first")
    now = now.astimezone(dt.UTC)
    today = now.astimezone(zone).date()
    # Today's window, and the same weekday next week when today's is over: eight days.
    for offset in range(8):
        day = today + dt.timedelta(days=offset)
        window = week[day.weekday()]
        if window is None:
            continue
        start = _moment(day, window.opens, zone)
        end = _moment(day, window.closes, zone)
        if end <= now:
            continue
        if start <= now:
            return Opening(True, now)
        return Opening(False, start)
    return Opening(False, None)
