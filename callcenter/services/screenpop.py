"""What a screen-pop shows: the caller's customer card and last order, found by phone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from callcenter.models import Manager, Order
from callcenter.schemas import OrderOut
from callcenter.services.customers import customer_out, find_by_phone


async def pop_card(
    session: AsyncSession, phone_e164: str | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``(customer, last_order)`` as JSON-ready dicts; ``(None, None)`` for an unknown number.

    Index hits only: the phone index (then the customer's phones and tags by key), and the
    last order with its items through ``ix_orders_customer_created``, in one query."""
    if not phone_e164:
        return None, None
    customer = await find_by_phone(session, phone_e164)
    if customer is None:
        return None, None
    order = (
        (
            await session.scalars(
                select(Order)
                .options(joinedload(Order.items))
                .where(Order.customer_id == customer.id)
                .order_by(Order.created_at.desc(), Order.id.desc())
                .limit(1)
            )
        )
        .unique()
        .first()
    )
    return (
        customer_out(customer).model_dump(mode="json"),
        OrderOut.model_validate(order).model_dump(mode="json") if order is not None else None,
    )


async def managers_by_extension(session: AsyncSession, extensions: set[str]) -> dict[str, int]:
    """Active managers' ids by the extension of their phone."""
    if not extensions:
        return {}
    rows = await session.execute(
        select(Manager.extension, Manager.id).where(
            Manager.extension.in_(extensions), Manager.is_active.is_(True)
        )
    )
    return {str(extension): manager_id for extension, manager_id in rows}
