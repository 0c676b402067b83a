"""The shop's days as UTC ranges. Pure.

Timestamps are stored as naive UTC; the days a person picks on a page are the shop's
(CALLCENTER_TIMEZONE), so "2 November" in Moscow is 1 November 21:00 to 2 November 21:00 UTC.
The reports count by these days, and the call log, tasks and orders a report's number leads to
filter by the same ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from callcenter.core.errors import Invalid


def day_start(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The naive UTC moment the shop's ``day`` begins."""
    local = dt.datetime.combine(day, dt.time(), zone)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def utc_range(first: dt.date, last: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in naive UTC of the shop's days ``first`` to ``last``."""
    return day_start(first, zone), day_start(last + dt.timedelta(days=1), zone)


def _date(params: Mapping[str, str], name: str) -> dt.date | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        raise Invalid(name, f"{raw[:20]!r} is not a date like 2026-11-02") from None


def picked_days(
    params: Mapping[str, str], zone: dt.tzinfo
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``from`` and ``until`` as a page's query has them (the shop's dates, both days
    included) as a [start, end) range in naive UTC; a missing one is open."""
    first, last = _date(params, "from"), _date(params, "until")
    if first is not None and last is not None and last < first:
        raise Invalid("until", "the last day is before the first")
    return (
        day_start(first, zone) if first else None,
        day_start(last + dt.timedelta(days=1), zone) if last else None,
    )
