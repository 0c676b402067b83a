"""Who an order is credited to: the manager of the customer's last answered call, inbound or
outbound, in the window before the order (``CALLCENTER_REPORT_ORDER_WINDOW_HOURS``).

It is the reports' rule (callcenter/reports/rollups.py counts "orders after a call" by it in
Python while it rolls the days up); here it is one SQL expression, so the orders list can
filter by it and show the orders behind that number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select

from callcenter.core.models import Call, CallDirection, CallStatus, Order

T = TypeVar("T", bound=tuple[Any, ...])


def _before(moment: Any, window: dt.timedelta, dialect: str) -> ColumnElement[Any]:
    """``moment - window`` in the database: SQLite keeps times as text and has no interval
    type, so it takes ``datetime(moment, '-N seconds')``."""
    seconds = int(window.total_seconds())
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d %H:%M:%f", moment, f"-{seconds} seconds")
    return moment - window  # type: ignore[no-any-return]


def _crediting(query: Select[T], customer_id: Any, created: Any, since: Any) -> Select[T]:
    """The rule: the customer's last answered call with a manager, either way, from ``since``
    to the order's ``created`` moment."""
    return (
        query.where(
            Call.customer_id == customer_id,
            Call.status == CallStatus.ANSWERED,
            Call.direction.in_((CallDirection.IN, CallDirection.OUT)),
            Call.manager_id.is_not(None),
            Call.started_at <= created,
            Call.started_at >= since,
        )
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(1)
    )


def credited_manager(window: dt.timedelta, dialect: str) -> ColumnElement[int | None]:
    """The id of the manager an order is credited to, or NULL: correlated to ``Order``."""
    since = _before(Order.created_at, window, dialect)
    query = _crediting(select(Call.manager_id), Order.customer_id, Order.created_at, since)
    return query.scalar_subquery()


def crediting_call(order: Order, window: dt.timedelta) -> Select[tuple[Call]]:
    """The call a stored order is credited to (the same rule, for one order)."""
    since = order.created_at - window
    return _crediting(select(Call), order.customer_id, order.created_at, since)
