"""A customer becomes a regular: after N completed orders (a routing setting) the manager of
their last completed order, or of their last answered call, becomes their personal manager.
Only a manager who takes calls (active, with an extension) counts: an order or a call of
anyone else is passed over, as one without a manager is."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.models import Call, CallStatus, Customer, Manager, Order, OrderStatus
from callcenter.routing.settings import load_routing_settings
from routing.decide import choose_personal_manager


async def assign_if_regular(session: AsyncSession, customer_id: int) -> int | None:
    """Returns the manager id assigned, or None when nothing changed."""
    customer = await session.get(Customer, customer_id)
    if customer is None or customer.manager_id is not None:
        return None
    settings = await load_routing_settings(session)
    completed = await session.scalar(
        select(func.count(Order.id)).where(
            Order.customer_id == customer_id, Order.status == OrderStatus.COMPLETE
        )
    )
    if not completed or completed < settings.regular_after_orders:
        return None
    last_order_manager = await session.scalar(
        select(Order.manager_id)
        .join(Manager, Manager.id == Order.manager_id)
        .where(
            Order.customer_id == customer_id,
            Order.status == OrderStatus.COMPLETE,
            Manager.takes_calls,
        )
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    )
    last_call_manager = await session.scalar(
        select(Call.manager_id)
        .join(Manager, Manager.id == Call.manager_id)
        .where(
            Call.customer_id == customer_id,
            Call.status == CallStatus.ANSWERED,
            Manager.takes_calls,
        )
        .order_by(Call.started_at.desc())
        .limit(1)
    )
    chosen = choose_personal_manager(
        completed, settings.regular_after_orders, last_order_manager, last_call_manager
    )
    if chosen is not None:
        customer.manager_id = chosen
        await session.flush()
    return chosen
