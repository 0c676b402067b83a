"""The shop's working hours: open now, and the next opening, on the shop's own clock."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from routing.shop_hours import DAY_MINUTES, Opening, Window, clock_minutes, opening

MSK = zoneinfo.ZoneInfo("Europe/Moscow")  # UTC+3, no DST
BERLIN = zoneinfo.ZoneInfo(
    "Europe/Berlin"
)  # DST: 29.03.2026 02:00 → 03:00, 25.10.2026 03:00 → 02:00

NINE_TO_SIX = Window(9 * 60, 18 * 60)
WEEKDAYS = (NINE_TO_SIX,) * 5 + (None, None)  # Monday to Friday, 09:00-18:00
MONDAYS = (NINE_TO_SIX,) + (None,) * 6
ROUND_THE_CLOCK = (Window(0, DAY_MINUTES),) * 7
# Friday night runs past midnight: 20:00-24:00 and Saturday 00:00-02:00.
LATE_FRIDAY = (None, None, None, None, Window(20 * 60, DAY_MINUTES), Window(0, 120), None)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


# 15.06.2026 is a Monday. Moscow is UTC+3: 09:00 MSK is 06:00 UTC.
@pytest.mark.parametrize(
    ("week", "now", "expected"),
    [
        # Monday 08:59 MSK: opens at 09:00 the same day.
        (WEEKDAYS, utc(2026, 6, 15, 5, 59), Opening(False, utc(2026, 6, 15, 6, 0))),
        # 09:00 sharp is open; 17:59:59 too; 18:00 is closed.
        (WEEKDAYS, utc(2026, 6, 15, 6, 0), Opening(True, utc(2026, 6, 15, 6, 0))),
        (WEEKDAYS, utc(2026, 6, 15, 14, 59, 59), Opening(True, utc(2026, 6, 15, 14, 59, 59))),
        (WEEKDAYS, utc(2026, 6, 15, 15, 0), Opening(False, utc(2026, 6, 16, 6, 0))),
        # Monday 23:30 MSK: Tuesday 09:00.
        (WEEKDAYS, utc(2026, 6, 15, 20, 30), Opening(False, utc(2026, 6, 16, 6, 0))),
        # Monday 01:00 MSK is still Sunday 22:00 UTC: the shop's day counts, not UTC's.
        (WEEKDAYS, utc(2026, 6, 14, 22, 0), Opening(False, utc(2026, 6, 15, 6, 0))),
        # Friday 18:00 MSK: the weekend is closed, Monday 09:00.
        (WEEKDAYS, utc(2026, 6, 19, 15, 0), Opening(False, utc(2026, 6, 22, 6, 0))),
        (WEEKDAYS, utc(2026, 6, 20, 12, 0), Opening(False, utc(2026, 6, 22, 6, 0))),
        # Round the clock: always open, midnight too.
        (ROUND_THE_CLOCK, utc(2026, 6, 14, 21, 0), Opening(True, utc(2026, 6, 14, 21, 0))),
        # Past midnight: Friday 23:00 and Saturday 01:59 are open, Saturday 02:00 is not; the
        # next opening is the next Friday 20:00.
        (LATE_FRIDAY, utc(2026, 6, 19, 20, 0), Opening(True, utc(2026, 6, 19, 20, 0))),
        (LATE_FRIDAY, utc(2026, 6, 19, 22, 59), Opening(True, utc(2026, 6, 19, 22, 59))),
        (LATE_FRIDAY, utc(2026, 6, 19, 23, 0), Opening(False, utc(2026, 6, 26, 17, 0))),
        # Saturday 02:30 MSK, after the night's hours: Friday 20:00.
        (LATE_FRIDAY, utc(2026, 6, 12, 23, 30), Opening(False, utc(2026, 6, 19, 17, 0))),
        # Open on Mondays only, Monday evening: a week ahead on the same weekday.
        (MONDAYS, utc(2026, 6, 15, 16, 0), Opening(False, utc(2026, 6, 22, 6, 0))),
        # Closed every day: never.
        ((None,) * 7, utc(2026, 6, 15, 12, 0), Opening(False, None)),
    ],
)
def test_opening_in_moscow(
    week: tuple[Window | None, ...], now: dt.datetime, expected: Opening
) -> None:
    assert opening(week, now, MSK) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Friday 27.03.2026 18:00 CET (UTC+1): Monday 30.03 09:00 CEST is 07:00 UTC.
        (utc(2026, 3, 27, 17, 0), Opening(False, utc(2026, 3, 30, 7, 0))),
        # Friday 23.10.2026 18:00 CEST (UTC+2): Monday 26.10 09:00 CET is 08:00 UTC.
        (utc(2026, 10, 23, 16, 0), Opening(False, utc(2026, 10, 26, 8, 0))),
        # 09:00 on the shop's clock on both sides of the change.
        (utc(2026, 3, 30, 7, 0), Opening(True, utc(2026, 3, 30, 7, 0))),
        (utc(2026, 3, 30, 6, 59), Opening(False, utc(2026, 3, 30, 7, 0))),
    ],
)
def test_opening_keeps_the_wall_clock_across_daylight_saving(
    now: dt.datetime, expected: Opening
) -> None:
    assert opening(WEEKDAYS, now, BERLIN) == expected


def test_an_opening_in_the_skipped_hour_is_after_it() -> None:
    # Sunday 29.03.2026 in Berlin has no 02:30: the shop opens at 03:30 CEST (01:30 UTC).
    week = (None,) * 6 + (Window(150, 600),)
    assert opening(week, utc(2026, 3, 29, 0, 0), BERLIN) == Opening(False, utc(2026, 3, 29, 1, 30))


def test_a_naive_or_other_zone_now_is_the_same_moment() -> None:
    moment = dt.datetime(2026, 6, 15, 12, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Vladivostok"))
    # 12:00 in Vladivostok is 05:00 MSK: closed, opens at 09:00 MSK.
    assert opening(WEEKDAYS, moment, MSK) == Opening(False, utc(2026, 6, 15, 6, 0))


@pytest.mark.parametrize(
    ("text", "closing", "minutes"),
    [
        ("00:00", False, 0),
        ("09:30", False, 570),
        ("23:59", True, 1439),
        ("24:00", True, DAY_MINUTES),
        ("00:00", True, DAY_MINUTES),  # closing at 00:00 is at the day's end
    ],
)
def test_clock_minutes(text: str, closing: bool, minutes: int) -> None:
    assert clock_minutes(text, closing=closing) == minutes


@pytest.mark.parametrize("text", ["9:00", "24:00", "25:00", "12:60", "noon", "", "09:00:00"])
def test_clock_minutes_refuses_what_is_not_an_opening_time(text: str) -> None:
    with pytest.raises(ValueError):
        clock_minutes(text)


@pytest.mark.parametrize(("opens", "closes"), [(600, 600), (600, 540), (-1, 60), (0, 1441)])
def test_a_window_opens_before_it_closes(opens: int, closes: int) -> None:
    with pytest.raises(ValueError):
        Window(opens, closes)


def test_a_week_has_seven_days() -> None:
    with pytest.raises(ValueError):
        opening(WEEKDAYS[:5], utc(2026, 6, 15, 12, 0), MSK)
