"""What a screen-pop shows: the caller's customer card and last order, found by phone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, bindparam, cast, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.models import (
    Customer,
    CustomerPhone,
    CustomerTag,
    Manager,
    Order,
    OrderItem,
    table_of,
)
from callcenter.customers.schemas import CustomerOut
from callcenter.customers.service import segment_of
from callcenter.orders.schemas import OrderItemOut, OrderOut

# Folds a customer's phones and tags into one column each; neither E.164 numbers nor tags
# can hold it.
_SEP = "\x1f"


def _card_query(customer_id: ColumnElement[Any]) -> Select[Any]:
    """One round trip: the customer, their phones and tags folded into strings, and their
    last order joined with its items, a row per item. Each step is an index hit: the
    customer's primary key, phones and tags by customer, ``ix_orders_customer_created``, and
    items by order."""
    phones = (
        select(
            func.aggregate_strings(
                cast(CustomerPhone.position, String) + ":" + CustomerPhone.phone, _SEP
            )
        )
        .where(CustomerPhone.customer_id == Customer.id)
        .scalar_subquery()
    )
    tags = (
        select(func.aggregate_strings(CustomerTag.tag, _SEP))
        .where(CustomerTag.customer_id == Customer.id)
        .scalar_subquery()
    )
    last_order_id = (
        select(Order.id)
        .where(Order.customer_id == Customer.id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    customer = (
        select(
            *table_of(Customer).c,
            phones.label("phone_list"),
            tags.label("tag_list"),
            last_order_id.label("last_order_id"),
        )
        .where(Customer.id == customer_id)
        .subquery("c")
    )
    return (
        select(
            customer,
            Order.number.label("o_number"),
            Order.status.label("o_status"),
            Order.total.label("o_total"),
            Order.manager_id.label("o_manager_id"),
            Order.comment.label("o_comment"),
            Order.created_at.label("o_created_at"),
            Order.updated_at.label("o_updated_at"),
            OrderItem.product.label("i_product"),
            OrderItem.quantity.label("i_quantity"),
            OrderItem.price.label("i_price"),
        )
        .select_from(customer)
        .outerjoin(Order, Order.id == customer.c.last_order_id)
        .outerjoin(OrderItem, OrderItem.order_id == Order.id)
        .order_by(OrderItem.id)
    )


# The caller's card: the customer with ``:phone`` (with several, the one who bought most
# recently), found through the phone index.
CARD_BY_PHONE = _card_query(
    select(CustomerPhone.customer_id)
    .join(Customer, Customer.id == CustomerPhone.customer_id)
    .where(CustomerPhone.phone == bindparam("phone"))
    .order_by(Customer.last_order_at.desc().nulls_last(), Customer.id)
    .limit(1)
    .scalar_subquery()
)
CARD_BY_ID = _card_query(bindparam("customer_id", type_=Integer))


def _split(folded: str | None) -> list[str]:
    return folded.split(_SEP) if folded else []


def _customer(row: Row[Any]) -> CustomerOut:
    numbered = sorted(
        (int(position), phone)
        for position, _, phone in (p.partition(":") for p in _split(row.phone_list))
    )
    tags = sorted(_split(row.tag_list))
    return CustomerOut(
        id=row.id,
        name=row.name,
        phones=[phone for _, phone in numbered],
        email=row.email,
        city=row.city,
        timezone=row.timezone,
        birthday=row.birthday,
        tags=tags,
        manager_id=row.manager_id,
        do_not_call=row.do_not_call,
        note=row.note,
        created_at=row.created_at,
        orders_count=row.orders_count,
        total_spent=row.total_spent,
        average_check=row.average_check,
        first_order_at=row.first_order_at,
        last_order_at=row.last_order_at,
        segment=segment_of(tags, row.orders_count, row.last_order_at),
    )


def _order(rows: Sequence[Row[Any]]) -> OrderOut | None:
    first = rows[0]
    if first.last_order_id is None:
        return None
    return OrderOut(
        id=first.last_order_id,
        number=first.o_number,
        customer_id=first.id,
        status=first.o_status,
        total=first.o_total,
        manager_id=first.o_manager_id,
        comment=first.o_comment,
        created_at=first.o_created_at,
        updated_at=first.o_updated_at,
        items=[
            OrderItemOut(product=r.i_product, quantity=r.i_quantity, price=r.i_price)
            for r in rows
            if r.i_product is not None
        ],
    )


async def customer_card(
    session: AsyncSession, customer_id: int
) -> tuple[CustomerOut | None, OrderOut | None]:
    """A customer and their last order in the REST API's shapes; ``(None, None)`` when gone."""
    rows = (await session.execute(CARD_BY_ID, {"customer_id": customer_id})).all()
    return (_customer(rows[0]), _order(rows)) if rows else (None, None)


async def pop_card(
    session: AsyncSession, phone_e164: str | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``(customer, last_order)`` as JSON-ready dicts; ``(None, None)`` for an unknown number.

    A pop waits for this while the phone rings, so it is one query, not the ORM's four
    (customer, phones, tags, order with items)."""
    if not phone_e164:
        return None, None
    rows = (await session.execute(CARD_BY_PHONE, {"phone": phone_e164})).all()
    if not rows:
        return None, None
    order = _order(rows)
    return (
        _customer(rows[0]).model_dump(mode="json"),
        order.model_dump(mode="json") if order is not None else None,
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
