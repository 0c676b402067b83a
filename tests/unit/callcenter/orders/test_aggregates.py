import datetime as dt
from decimal import Decimal

import pytest

from callcenter.core.models import Customer, CustomerTag
from callcenter.customers.service import search_key, segment
from callcenter.orders.aggregates import average

NOW = dt.datetime(2026, 11, 25, 12, 0)


@pytest.mark.parametrize(
    ("total", "count", "expected"),
    [
        (Decimal("0"), 0, Decimal("0.00")),
        (Decimal("301"), 3, Decimal("100.33")),
        (Decimal("200.01"), 2, Decimal("100.01")),  # 100.005 rounds half up
        (Decimal("10"), 4, Decimal("2.50")),
    ],
)
def test_average_check_is_rounded_to_cents(total: Decimal, count: int, expected: Decimal) -> None:
    assert average(total, count) == expected


def _customer(orders: int, last_days_ago: int | None, tags: list[str] = []) -> Customer:  # noqa: B006
    customer = Customer(name="x", orders_count=orders)
    customer.tags = [CustomerTag(tag=t) for t in tags]
    customer.last_order_at = (
        None if last_days_ago is None else NOW - dt.timedelta(days=last_days_ago)
    )
    return customer


@pytest.mark.parametrize(
    ("orders", "last", "tags", "expected"),
    [
        (0, None, [], "prospect"),
        (1, 10, [], "new"),
        (2, 10, [], "regular"),
        (5, 181, [], "lapsed"),
        (0, None, ["vip"], "vip"),
        (9, 400, ["vip", "bad"], "vip"),
    ],
)
def test_segment(orders: int, last: int | None, tags: list[str], expected: str) -> None:
    assert segment(_customer(orders, last, tags), NOW) == expected


def test_search_key_folds_case_and_spaces() -> None:
    assert search_key("  Пётр   ИВАНОВ ") == "пётр иванов"
    assert search_key("STRASSE") == search_key("straße")
