"""Orders: every write keeps the customer's aggregates correct in the same transaction."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.auth import Principal
from callcenter.core.errors import Conflict, Forbidden, Invalid, NotFound
from callcenter.core.models import (
    Customer,
    CustomerPhone,
    Manager,
    Order,
    OrderItem,
    to_utc_naive,
    utcnow,
)
from callcenter.core.paging import paginate, within
from callcenter.core.phones import InvalidPhone, normalize_phone
from callcenter.core.schemas import Page
from callcenter.customers import service as customer_service
from callcenter.managers.service import not_taking_calls
from callcenter.orders.aggregates import refresh_customer_aggregates
from callcenter.orders.credit import credited_manager
from callcenter.orders.schemas import OrderIn, OrderItemIn, OrderOut, OrderPatch, OrderQuery

# The largest value a Numeric(12, 2) column holds.
MAX_TOTAL = Decimal("9999999999.99")


def order_total(items: list[OrderItemIn]) -> Decimal:
    total = sum((item.price * item.quantity for item in items), Decimal("0.00"))
    if total > MAX_TOTAL:
        raise Invalid("items", f"the order total {total} exceeds the maximum of {MAX_TOTAL}")
    return total


def _items(items: list[OrderItemIn]) -> list[OrderItem]:
    return [OrderItem(product=i.product, quantity=i.quantity, price=i.price) for i in items]


async def _number_taken(session: AsyncSession, number: str) -> bool:
    return bool(await session.scalar(select(exists().where(Order.number == number))))


async def _new_number(session: AsyncSession) -> str:
    while True:
        number = f"{utcnow():%y%m%d}-{secrets.randbelow(10**6):06d}"
        if not await _number_taken(session, number):
            return number


async def _resolve_customer(
    session: AsyncSession, body: OrderIn, region: str
) -> tuple[Customer, bool]:
    if body.customer_id is not None:
        customer = await session.get(Customer, body.customer_id)
        if customer is None:
            raise Invalid("customer_id", f"no customer with id {body.customer_id}")
        return customer, False
    assert body.phone is not None
    try:
        phone = normalize_phone(body.phone, region)
    except InvalidPhone as exc:
        raise Invalid("phone", str(exc)) from None
    customer = await customer_service.find_by_phone(session, phone)
    if customer is not None:
        return customer, False
    name = body.customer_name or f"Покупатель {phone}"
    customer = Customer(
        name=name,
        search_name=customer_service.search_key(name),
        phones=[CustomerPhone(phone=phone, position=0)],
        tags=[],
    )
    session.add(customer)
    await session.flush()
    return customer, True


async def _check_manager(session: AsyncSession, principal: Principal, manager_id: int) -> None:
    """An order's manager is someone who takes calls: active, with an extension."""
    if not principal.sees_everything and manager_id != principal.id:
        raise Forbidden("operators can only take orders on themselves")
    manager = await session.get(Manager, manager_id)
    if manager is None:
        raise Invalid("manager_id", f"no manager with id {manager_id}")
    refused = not_taking_calls(manager)
    if refused:
        raise Invalid("manager_id", f"{refused}; an order's manager must take calls")


def default_manager(principal: Principal) -> int | None:
    """Whose an order is when the body names nobody: the operator or supervisor who keys it in
    (a session), if they take calls. A shop pushing orders with an API token is nobody's
    manager, and neither is an admin without a phone."""
    if principal.via == "session" and principal.manager.takes_calls:
        return principal.id
    return None


async def create(
    session: AsyncSession, principal: Principal, body: OrderIn, region: str
) -> tuple[Order, bool]:
    """Returns the order and whether its customer was created for it."""
    manager_id = body.manager_id if body.manager_id is not None else default_manager(principal)
    if body.manager_id is not None:
        await _check_manager(session, principal, body.manager_id)
    if body.number is not None and await _number_taken(session, body.number):
        raise Conflict(f"order number {body.number} already exists", code="order_number_taken")
    customer, created_customer = await _resolve_customer(session, body, region)
    order = Order(
        number=body.number or await _new_number(session),
        customer_id=customer.id,
        status=body.status,
        total=order_total(body.items),
        manager_id=manager_id,
        comment=body.comment,
        items=_items(body.items),
    )
    if body.created_at is not None:
        order.created_at = to_utc_naive(body.created_at)
    session.add(order)
    await session.flush()
    await refresh_customer_aggregates(session, [customer.id])
    return order, created_customer


def visible(principal: Principal):  # type: ignore[no-untyped-def]
    me = principal.id
    return or_(
        Order.manager_id == me,
        exists().where(Customer.id == Order.customer_id, customer_service.own_work(principal)),
    )


async def get_visible(session: AsyncSession, principal: Principal, order_id: int) -> Order:
    order = await session.get(Order, order_id)
    if order is None:
        raise NotFound(f"no order with id {order_id}")
    if not principal.sees_everything:
        ok = await session.scalar(select(exists().where(Order.id == order_id, visible(principal))))
        if not ok:
            raise Forbidden("this order is not in your work")
    return order


async def update(
    session: AsyncSession, principal: Principal, order: Order, body: OrderPatch
) -> dict[str, object]:
    changes: dict[str, object] = {}
    fields = body.model_fields_set
    if "status" in fields:
        if body.status is None:
            raise Invalid("status", "may not be null")
        if body.status != order.status:
            changes["status"] = [order.status.value, body.status.value]
            order.status = body.status
    if "items" in fields:
        if body.items is None:
            raise Invalid("items", "may not be null")
        order.total = order_total(body.items)
        order.items = _items(body.items)
        changes["total"] = str(order.total)
    if "manager_id" in fields and body.manager_id != order.manager_id:
        if body.manager_id is not None:
            await _check_manager(session, principal, body.manager_id)
        changes["manager_id"] = body.manager_id
        order.manager_id = body.manager_id
    if "comment" in fields and body.comment is not None and body.comment != order.comment:
        order.comment = body.comment
        changes["comment"] = True
    if changes:
        order.updated_at = utcnow()
    await session.flush()
    await refresh_customer_aggregates(session, [order.customer_id])
    return changes


async def last_order(session: AsyncSession, customer_id: int) -> Order | None:
    return (
        await session.scalars(
            select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(1)
        )
    ).first()


def _credited(
    query: Select[tuple[Order]], q: OrderQuery, window: dt.timedelta, dialect: str
) -> Select[tuple[Order]]:
    if q.after_call_by is None and q.after_call is None:
        return query
    credited = credited_manager(window, dialect)
    if q.after_call_by is not None:
        query = query.where(credited == q.after_call_by)
    if q.after_call is not None:
        query = query.where(credited.is_not(None) if q.after_call else credited.is_(None))
    return query


async def list_orders(
    session: AsyncSession,
    principal: Principal,
    q: OrderQuery,
    window: dt.timedelta = dt.timedelta(hours=24),
) -> Page[OrderOut]:
    """Orders as the API and the orders page list them. An operator sees the orders in their
    work, and the orders credited to them (they talked to that customer): another manager's
    ``after_call_by`` is a 403."""
    query = within(select(Order), Order.created_at, q.from_, q.until)
    if not principal.sees_everything:
        if q.after_call_by is not None and q.after_call_by != principal.id:
            raise Forbidden("operators see the orders credited to them only")
        if q.after_call_by is None:
            query = query.where(visible(principal))
    if q.customer_id is not None:
        query = query.where(Order.customer_id == q.customer_id)
    if q.status is not None:
        query = query.where(Order.status == q.status)
    if q.manager_id is not None:
        query = query.where(Order.manager_id == q.manager_id)
    if q.number:
        query = query.where(Order.number == q.number)
    query = _credited(query, q, window, session.get_bind().dialect.name)
    return await paginate(
        session, query, q, Order.created_at.desc(), Order.id.desc(), convert=OrderOut.model_validate
    )
