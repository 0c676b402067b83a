"""Figures from counts: shares, averages and percentiles of a histogram. Pure.

A percentile is the nearest-rank one: the smallest value with at least p % of the
observations at or below it (the 90th of 1..10 is 9, of 1..20 is 18). A median of an even
count is the mean of the two middle values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


def pct(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in per cent, to 0.1; None when there is nothing to share."""
    if whole <= 0:
        return None
    return round(100.0 * part / whole, 1)


def mean(total: int | float, count: int) -> float | None:
    if count <= 0:
        return None
    return round(total / count, 1)


def percentile(histogram: Mapping[int, int], p: float) -> int | None:
    """The nearest-rank ``p``-th percentile of ``value -> count``."""
    n = sum(histogram.values())
    if n <= 0:
        return None
    rank = max(1, math.ceil(p / 100.0 * n))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def median(histogram: Mapping[int, int]) -> float | None:
    n = sum(histogram.values())
    if n <= 0:
        return None
    low = _nth(histogram, (n + 1) // 2)
    high = _nth(histogram, n // 2 + 1)
    return (low + high) / 2


def _nth(histogram: Mapping[int, int], rank: int) -> int:
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def within(histogram: Mapping[int, int], limit: int) -> int:
    """How many observations are at most ``limit``."""
    return sum(count for value, count in histogram.items() if value <= limit)
