"""Compile a validated rule tree (routing.rules) into a SQLAlchemy condition over customers.

Never SQL text: every value is a bound parameter. Portable across SQLite and PostgreSQL: date
math is done in Python (cut-off datetimes to compare with), birthdays by month and day with
the year wrap, tags through EXISTS on customer_tags, order and call aggregates as correlated
subqueries that use the (customer_id, ...) indexes.

"Days ago" is whole 24-hour days: ``days_since_last_order >= 90`` is ``last_order_at <= now -
90 days``. A customer without a value (never ordered, never called, no birthday) matches
``= null`` and ``!= x`` and no comparison: ``!=`` is always the exact negation of ``=``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    SQLColumnExpression,
    and_,
    exists,
    extract,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)

from callcenter.core.models import Call, Customer, CustomerTag, Order, OrderStatus
from routing.dialing import DEFAULT_TIMEZONE, local_now
from routing.rules import AllOf, AnyOf, Condition, Node, Scalar, Value

Expr = ColumnElement[bool]
DAY = dt.timedelta(days=1)


def compile_rule(node: Node, now: dt.datetime) -> Expr:
    """``now`` is naive UTC (as stored); the birthday date is taken in Moscow time."""
    return _Compiler(now).node(node)


class _Compiler:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.today = local_now(DEFAULT_TIMEZONE, now).date()

    def node(self, node: Node) -> Expr:
        if isinstance(node, AllOf):
            return and_(true(), *(self.node(n) for n in node.items))
        if isinstance(node, AnyOf):
            return or_(false(), *(self.node(n) for n in node.items))
        return self.condition(node)

    def condition(self, c: Condition) -> Expr:
        handler: Callable[[Condition], Expr] = getattr(self, f"_{c.field}")
        return handler(c)

    # --- plain columns and aggregates ----------------------------------------------------

    def _orders_count(self, c: Condition) -> Expr:
        return _compare(Customer.orders_count, c, nullable=False)

    def _total_spent(self, c: Condition) -> Expr:
        return _compare(Customer.total_spent, c, nullable=False)

    def _average_check(self, c: Condition) -> Expr:
        return _compare(Customer.average_check, c, nullable=False)

    def _city(self, c: Condition) -> Expr:
        return _compare(Customer.city, c, nullable=True)

    def _manager_id(self, c: Condition) -> Expr:
        return _compare(Customer.manager_id, c, nullable=True)

    def _last_order_status(self, c: Condition) -> Expr:
        latest = (
            select(Order.status)
            .where(Order.customer_id == Customer.id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        value = c.value
        if isinstance(value, tuple):
            value = tuple(OrderStatus(str(v)) for v in value)
        elif value is not None:
            value = OrderStatus(str(value))
        return _compare(latest, Condition(c.field, c.op, value), nullable=True)

    def _cancelled_orders_in_last_days(self, c: Condition) -> Expr:
        assert c.days is not None
        cancelled = select(Order.customer_id).where(
            Order.status == OrderStatus.CANCELLED, Order.updated_at >= self.now - c.days * DAY
        )
        count = func.count()
        return _per_customer(
            cancelled,
            Order.customer_id,
            _compare(count, c, nullable=False),
            _holds(c.op, c.value, 0),
        )

    # --- days ago ------------------------------------------------------------------------

    def _days_since_last_order(self, c: Condition) -> Expr:
        return self._days_ago(Customer.last_order_at, c, nullable=True)

    def _created_days_ago(self, c: Condition) -> Expr:
        return self._days_ago(Customer.created_at, c, nullable=False)

    def _last_call_days_ago(self, c: Condition) -> Expr:
        calls = select(Call.customer_id).where(Call.customer_id.is_not(None))
        if c.value is None:  # never called / called at all: no aggregate needed
            called = exists().where(Call.customer_id == Customer.id)
            return not_(called) if c.op == "=" else called
        last = func.max(Call.started_at)
        return _per_customer(
            calls, Call.customer_id, self._days_ago(last, c, nullable=False), c.op == "!="
        )

    def _days_ago(
        self, column: SQLColumnExpression[dt.datetime | None], c: Condition, nullable: bool
    ) -> Expr:
        """Whole days since ``column``: ``days >= n`` is ``column <= now - n days``."""

        def at(n: int) -> dt.datetime:
            return self.now - n * DAY

        def equal(n: int) -> Expr:
            return and_(column <= at(n), column > at(n + 1))

        if c.value is None:
            return column.is_(None) if c.op == "=" else column.is_not(None)
        if isinstance(c.value, tuple):
            return or_(*(equal(_whole(v)) for v in c.value))
        n = _whole(c.value)
        ops: dict[str, Callable[[], Expr]] = {
            "=": lambda: equal(n),
            ">=": lambda: column <= at(n),
            ">": lambda: column <= at(n + 1),
            "<": lambda: column > at(n),
            "<=": lambda: column > at(n + 1),
        }
        if c.op == "!=":
            return _negate(equal(n), column if nullable else None)
        return ops[c.op]()

    # --- birthdays -----------------------------------------------------------------------

    def _birthday_in_days(self, c: Condition) -> Expr:
        """Days until the next birthday, 0 = today; a Feb 29 birthday is on Mar 1 in other
        years. The days that qualify become ranges of month * 100 + day."""
        column = Customer.birthday
        if c.value is None:
            return column.is_(None) if c.op == "=" else column.is_not(None)
        wanted = sorted(
            _CALENDAR.index(md)
            for md, days in _days_until(self.today).items()
            if _holds(c.op, c.value, days)
        )
        month_day = extract("month", column) * 100 + extract("day", column)
        matched = or_(
            false(),
            *(month_day.between(_CALENDAR[a], _CALENDAR[b]) for a, b in _runs(wanted)),
        )
        if c.op == "!=":
            return or_(column.is_(None), matched)
        return and_(column.is_not(None), matched)

    # --- tags and reorder ----------------------------------------------------------------

    def _tags(self, c: Condition) -> Expr:
        def has(*tags: Scalar) -> Expr:
            return exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.tag.in_(tags))

        if c.op == "!=":
            return not_(has(c.value))  # type: ignore[arg-type]
        return has(*c.value) if isinstance(c.value, tuple) else has(c.value)

    def _reorder_interval_ratio(self, c: Condition) -> Expr:
        """(now - last) / ((last - first) / (n - 1)) op v, multiplied out so nothing divides:
        (n - 1) * (now - last) op v * (last - first), in epoch seconds."""
        first = extract("epoch", Customer.first_order_at)
        last = extract("epoch", Customer.last_order_at)
        now = literal(self.now.replace(tzinfo=dt.UTC).timestamp(), Float)
        defined = and_(
            Customer.orders_count >= 2,
            Customer.first_order_at.is_not(None),
            Customer.last_order_at > Customer.first_order_at,
        )
        if c.value is None:
            return defined if c.op == "!=" else not_(defined)
        ratio = literal(float(c.value), Float)  # type: ignore[arg-type]
        left = (Customer.orders_count - 1) * (now - last)
        right = ratio * (last - first)
        compared: Expr = {
            "=": lambda: left == right,
            "!=": lambda: left != right,
            ">": lambda: left > right,
            ">=": lambda: left >= right,
            "<": lambda: left < right,
            "<=": lambda: left <= right,
        }[c.op]()
        if c.op == "!=":
            return or_(not_(defined), compared)
        return and_(defined, compared)


def _per_customer(
    rows: Select[Any],
    customer_id: SQLColumnExpression[int | None],
    having: Expr,
    holds_without_rows: bool,
) -> Expr:
    """A condition on an aggregate of a customer's orders or calls, set-based: the customers
    whose group passes ``having`` (a hash semi-join), or, when a customer without any rows
    passes too, everyone except those whose group fails it. Never a probe per customer."""
    grouped = rows.group_by(customer_id)
    if not holds_without_rows:
        return Customer.id.in_(grouped.having(having))
    return Customer.id.in_(select(Customer.id).except_(grouped.having(not_(having))))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# Every month * 100 + day of a leap year, in calendar order.
_CALENDAR = [d.month * 100 + d.day for d in (dt.date(2000, 1, 1) + i * DAY for i in range(366))]


def _days_until(today: dt.date) -> dict[int, int]:
    """For each month*100+day, in how many days it next comes (0 = today)."""
    found: dict[int, int] = {}
    for offset in range(366):
        day = today + offset * DAY
        found.setdefault(day.month * 100 + day.day, offset)
        if day.month == 3 and day.day == 1 and not _leap(day.year):
            found.setdefault(229, offset)
    return found


def _whole(value: Scalar) -> int:
    """A validated rule's number of days or orders (never None where this is called)."""
    assert value is not None, "the rule validator lets no null through here"
    return int(value)


def _holds(op: str, value: Value, days: int) -> bool:
    if isinstance(value, tuple):
        return days in value
    n = _whole(value)
    return {
        "=": days == n,
        "!=": days != n,
        ">": days > n,
        ">=": days >= n,
        "<": days < n,
        "<=": days <= n,
    }[op]


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Sorted indexes as runs of consecutive ones: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for i in indexes:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _negate(condition: Expr, nullable_column: SQLColumnExpression[Any] | None) -> Expr:
    """NOT condition, counting customers without a value as "not equal"."""
    if nullable_column is None:
        return not_(condition)
    return or_(nullable_column.is_(None), not_(condition))


def _compare(column: SQLColumnExpression[Any], c: Condition, *, nullable: bool) -> Expr:
    value = c.value
    if value is None:
        return column.is_(None) if c.op == "=" else column.is_not(None)
    if c.op == "in":
        assert isinstance(value, tuple)
        return column.in_(value)
    if c.op == "!=":
        return _negate(column == value, column if nullable else None)
    return {
        "=": column == value,
        ">": column > value,
        ">=": column >= value,
        "<": column < value,
        "<=": column <= value,
    }[c.op]


SORTS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "total_spent_desc": (Customer.total_spent.desc(),),
    "total_spent_asc": (Customer.total_spent.asc(),),
    "orders_count_desc": (Customer.orders_count.desc(),),
    "average_check_desc": (Customer.average_check.desc(),),
    "last_order_oldest": (Customer.last_order_at.asc().nulls_last(),),
    "last_order_newest": (Customer.last_order_at.desc().nulls_last(),),
    "created_newest": (Customer.created_at.desc(),),
    "created_oldest": (Customer.created_at.asc(),),
}


def sort_order(key: str) -> tuple[ColumnElement[Any], ...]:
    """A list's priority order; ties go to the older customer (lower id)."""
    return (*SORTS[key], Customer.id.asc())
