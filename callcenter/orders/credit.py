"""Who an order is credited to: the manager of the customer's last answered call, inbound or
outbound, in the window before the order (``CALLCENTER_REPORT_ORDER_WINDOW_HOURS``).

It is the reports' rule (callcenter/reports/rollups.py counts "orders after a call" by it in
Python while it rolls the days up); here it is one SQL expression, so the orders list can
filter by it and show the orders behind that number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, func, select

from callcenter.core.models import Call, CallDirection, CallStatus, Order


def _before(moment: Any, window: dt.timedelta, dialect: str) -> ColumnElement[Any]:
    """``moment - window`` in the database: SQLite keeps times as text and has no interval
    type, so it takes ``datetime(moment, '-N seconds')``."""
    seconds = int(window.total_seconds())
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d %H:%M:%f", moment, f"-{seconds} seconds")
    return moment - window  # type: ignore[no-any-return]


def credited_manager(window: dt.timedelta, dialect: str) -> ColumnElement[int | None]:
    """The id of the manager an order is credited to, or NULL: correlated to ``Order``."""
    return (
        select(Call.manager_id)
        .where(
            Call.customer_id == Order.customer_id,
            Call.status == CallStatus.ANSWERED,
            Call.direction.in_((CallDirection.IN, CallDirection.OUT)),
            Call.manager_id.is_not(None),
            Call.started_at <= Order.created_at,
            Call.started_at >= _before(Order.created_at, window, dialect),
        )
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(1)
        .scalar_subquery()
    )
