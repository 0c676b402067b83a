from __future__ import annotations

import datetime as dt

import pytest

from routing.dialing import (
    Outcome,
    Transition,
    after_outcome,
    local_now,
    next_opening,
    open_zones,
    resolve_zone,
    within_hours,
)

H9, H21 = dt.time(9), dt.time(21)
ZONES = ["Europe/Moscow", "Asia/Vladivostok", "Europe/Kaliningrad", "Asia/Yekaterinburg"]


@pytest.mark.parametrize(
    ("utc", "open_"),
    [
        # 05:00 UTC: Moscow 08:00 (closed), Kaliningrad 07:00, Yekaterinburg 10:00, Vladivostok 15:00.
        (dt.datetime(2026, 6, 15, 5, 0), {"Asia/Vladivostok", "Asia/Yekaterinburg"}),
        # 06:00 UTC: Moscow opens at 09:00 sharp.
        (
            dt.datetime(2026, 6, 15, 6, 0),
            {"Asia/Vladivostok", "Asia/Yekaterinburg", "Europe/Moscow"},
        ),
        # 11:00 UTC: Vladivostok is at 21:00, closed; the rest open.
        (
            dt.datetime(2026, 6, 15, 11, 0),
            {"Europe/Moscow", "Europe/Kaliningrad", "Asia/Yekaterinburg"},
        ),
        # 17:59 UTC: Moscow 20:59 still open; Kaliningrad 19:59.
        (dt.datetime(2026, 6, 15, 17, 59), {"Europe/Moscow", "Europe/Kaliningrad"}),
        # 18:00 UTC: Moscow 21:00 closed.
        (dt.datetime(2026, 6, 15, 18, 0), {"Europe/Kaliningrad"}),
        (dt.datetime(2026, 6, 15, 22, 0), set()),  # Vladivostok 08:00, Moscow 01:00
    ],
)
def test_calling_hours_are_the_customers_own(utc: dt.datetime, open_: set[str]) -> None:
    assert set(open_zones(ZONES, utc, H9, H21)) == open_


def test_a_window_past_midnight_wraps() -> None:
    assert within_hours(dt.time(23), dt.time(22), dt.time(2))
    assert within_hours(dt.time(1, 59), dt.time(22), dt.time(2))
    assert not within_hours(dt.time(2), dt.time(22), dt.time(2))


def test_next_opening_is_the_first_zone_to_open() -> None:
    at = dt.datetime(2026, 6, 15, 19, 0)  # Moscow 22:00, Vladivostok 05:00 (next day)
    # Vladivostok opens at 09:00 local = 23:00 UTC; Moscow at 06:00 UTC tomorrow.
    assert next_opening(["Europe/Moscow", "Asia/Vladivostok"], at, H9) == dt.datetime(
        2026, 6, 15, 23, 0
    )
    assert next_opening(["Europe/Moscow"], at, H9) == dt.datetime(2026, 6, 16, 6, 0)
    assert next_opening([], at, H9) is None


def test_unknown_zones_fall_back_to_the_default() -> None:
    assert resolve_zone(None) == "Europe/Moscow"
    assert resolve_zone("Mars/Olympus") == "Europe/Moscow"
    assert resolve_zone("Asia/Omsk", "Europe/Moscow") == "Asia/Omsk"
    assert local_now("Asia/Omsk", dt.datetime(2026, 1, 1, 0, 0)) == dt.datetime(2026, 1, 1, 6, 0)


NOW = dt.datetime(2026, 6, 15, 12, 0)
HOUR = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("outcome", "attempts", "expected"),
    [
        (Outcome.NO_ANSWER, 0, Transition(False, 1, NOW + HOUR, None)),
        (Outcome.BUSY, 1, Transition(False, 2, NOW + HOUR, None)),
        (Outcome.NO_ANSWER, 2, Transition(True, 3, None, None)),  # the third attempt was the last
        (Outcome.ANSWERED, 0, Transition(True, 1, None, None)),
        (Outcome.WRONG_NUMBER, 0, Transition(True, 1, None, None)),
        (Outcome.NOT_INTERESTED, 1, Transition(True, 2, None, None)),
        (Outcome.DO_NOT_CALL, 0, Transition(True, 1, None, None)),
        (Outcome.ORDERED, 2, Transition(True, 3, None, None)),
    ],
)
def test_after_outcome(outcome: Outcome, attempts: int, expected: Transition) -> None:
    got = after_outcome(outcome, attempts, max_attempts=3, retry_delay=HOUR, now=NOW)
    assert got == expected


def test_a_callback_comes_back_at_its_time_whatever_the_attempts() -> None:
    at = NOW + 5 * HOUR
    got = after_outcome(
        Outcome.CALLBACK, 7, max_attempts=3, retry_delay=HOUR, now=NOW, callback_at=at
    )
    assert got == Transition(False, 8, at, at)
    with pytest.raises(ValueError):
        after_outcome(Outcome.CALLBACK, 0, max_attempts=3, retry_delay=HOUR, now=NOW)
