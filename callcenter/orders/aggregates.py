"""Customer aggregates over orders, recomputed in the transaction that writes the orders.

A cancelled order is not a purchase: it counts nowhere in these figures (it still shows as the
customer's last order on the card).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.models import Customer, Order, OrderStatus

CENT = Decimal("0.01")
_CHUNK = 500


def average(total: Decimal, count: int) -> Decimal:
    if count == 0:
        return Decimal("0.00")
    return (Decimal(total) / count).quantize(CENT, rounding=ROUND_HALF_UP)


async def refresh_customer_aggregates(session: AsyncSession, customer_ids: Iterable[int]) -> None:
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = await session.execute(
            select(
                Order.customer_id,
                func.count(Order.id),
                func.coalesce(func.sum(Order.total), 0),
                func.min(Order.created_at),
                func.max(Order.created_at),
            )
            .where(Order.customer_id.in_(chunk), Order.status != OrderStatus.CANCELLED)
            .group_by(Order.customer_id)
        )
        found = {row[0]: row[1:] for row in rows}
        values: list[dict[str, Any]] = []
        for cid in chunk:
            count, total, first, last = found.get(cid, (0, Decimal("0"), None, None))
            total = Decimal(str(total)).quantize(CENT)
            values.append(
                {
                    "id": cid,
                    "orders_count": count,
                    "total_spent": total,
                    "average_check": average(total, count),
                    "first_order_at": first,
                    "last_order_at": last,
                }
            )
        await session.execute(update(Customer), values)
    # Bulk UPDATE by primary key leaves loaded objects stale: reload the ones in this session.
    wanted = set(ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Customer) and obj.id in wanted:
            await session.refresh(obj)
