"""The periods a report covers and the shop's calendar around them. Pure.

Timestamps are stored as naive UTC; a report's days are the shop's (CALLCENTER_TIMEZONE), so
a call at 23:30 in Moscow counts on that day, not on the next UTC one. A call that runs
across midnight counts on the day it started.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

MAX_DAYS = 366


class PeriodName(enum.StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    THIS_WEEK = "this_week"
    THIS_MONTH = "this_month"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    """Local days ``first`` to ``last``, both included."""

    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """As many days, just before: what the trend compares with."""
        last = self.first - dt.timedelta(days=1)
        return Period(last - dt.timedelta(days=self.days - 1), last)

    def each_day(self) -> Iterator[dt.date]:
        for n in range(self.days):
            yield self.first + dt.timedelta(days=n)


def named_period(name: PeriodName, today: dt.date) -> Period:
    """Today, yesterday, this week (from Monday) or this month (from the 1st), to today."""
    if name is PeriodName.YESTERDAY:
        day = today - dt.timedelta(days=1)
        return Period(day, day)
    if name is PeriodName.THIS_WEEK:
        return Period(today - dt.timedelta(days=today.weekday()), today)
    if name is PeriodName.THIS_MONTH:
        return Period(today.replace(day=1), today)
    return Period(today, today)


def local_today(zone: ZoneInfo, now: dt.datetime) -> dt.date:
    """The shop's date at ``now`` (naive UTC)."""
    return now.replace(tzinfo=dt.UTC).astimezone(zone).date()


def local_slot(moment: dt.datetime, zone: ZoneInfo) -> tuple[dt.date, int]:
    """The shop's day and hour of a naive UTC moment."""
    local = moment.replace(tzinfo=dt.UTC).astimezone(zone)
    return local.date(), local.hour


def local_days_of(utc_days: Iterable[dt.date], zone: ZoneInfo) -> set[dt.date]:
    """The shop's days that overlap these UTC days (at most two per UTC day)."""
    found: set[dt.date] = set()
    for day in utc_days:
        start = dt.datetime.combine(day, dt.time())
        found.add(local_slot(start, zone)[0])
        found.add(local_slot(start + dt.timedelta(hours=23, minutes=59, seconds=59), zone)[0])
    return found


def runs(days: Iterable[dt.date], longest: int = 31) -> list[tuple[dt.date, dt.date]]:
    """Sorted days as runs of consecutive days, each at most ``longest`` long."""
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if out and (day - out[-1][1]).days == 1 and (day - out[-1][0]).days < longest:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out
