"""Customers: create, edit, find by phone, and the operator's view of them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.auth import Principal
from callcenter.core.errors import Conflict, Forbidden, Invalid, NotFound
from callcenter.core.models import (
    Call,
    CallRing,
    Customer,
    CustomerPhone,
    CustomerTag,
    Manager,
    Order,
)
from callcenter.core.paging import paginate
from callcenter.core.phones import InvalidPhone, normalize_phone, try_normalize_phone
from callcenter.core.schemas import Page
from callcenter.customers.schemas import (
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    CustomerQuery,
    Segment,
)
from callcenter.managers.service import not_taking_calls

LAPSED_AFTER = dt.timedelta(days=180)


def segment(customer: Customer, now: dt.datetime | None = None) -> Segment:
    return segment_of(customer.tag_names, customer.orders_count, customer.last_order_at, now)


def segment_of(
    tags: list[str],
    orders_count: int,
    last_order_at: dt.datetime | None,
    now: dt.datetime | None = None,
) -> Segment:
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if "vip" in tags:
        return "vip"
    if orders_count == 0:
        return "prospect"
    if orders_count == 1:
        return "new"
    if last_order_at and now - last_order_at > LAPSED_AFTER:
        return "lapsed"
    return "regular"


def customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut(
        id=customer.id,
        name=customer.name,
        phones=customer.phone_numbers,
        email=customer.email,
        city=customer.city,
        timezone=customer.timezone,
        birthday=customer.birthday,
        tags=customer.tag_names,
        manager_id=customer.manager_id,
        do_not_call=customer.do_not_call,
        note=customer.note,
        created_at=customer.created_at,
        orders_count=customer.orders_count,
        total_spent=customer.total_spent,
        average_check=customer.average_check,
        first_order_at=customer.first_order_at,
        last_order_at=customer.last_order_at,
        segment=segment(customer),
    )


def search_key(name: str) -> str:
    return " ".join(name.casefold().split())


def own_work(principal: Principal) -> ColumnElement[bool]:
    """Customers an operator works with: their own, or whose orders or calls they handled."""
    me = principal.id
    return or_(
        Customer.manager_id == me,
        exists().where(Order.customer_id == Customer.id, Order.manager_id == me),
        exists().where(Call.customer_id == Customer.id, Call.manager_id == me),
        exists().where(
            Call.customer_id == Customer.id, CallRing.call_id == Call.id, CallRing.manager_id == me
        ),
    )


def normalize_phones(raw_phones: list[str], region: str, field: str = "phones") -> list[str]:
    phones: list[str] = []
    for i, raw in enumerate(raw_phones):
        try:
            phone = normalize_phone(raw, region)
        except InvalidPhone as exc:
            raise Invalid(f"{field}.{i}", str(exc)) from None
        if phone not in phones:
            phones.append(phone)
    return phones


async def find_by_phone(session: AsyncSession, phone_e164: str) -> Customer | None:
    """The customer with this number; with several, the one who bought most recently."""
    return (
        await session.scalars(
            select(Customer)
            .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
            .where(CustomerPhone.phone == phone_e164)
            .order_by(Customer.last_order_at.desc().nulls_last(), Customer.id)
            .limit(1)
        )
    ).first()


async def lookup(session: AsyncSession, raw_phone: str, region: str) -> Customer:
    try:
        phone = normalize_phone(raw_phone, region)
    except InvalidPhone as exc:
        raise Invalid("phone", str(exc)) from None
    customer = await find_by_phone(session, phone)
    if customer is None:
        raise NotFound(f"no customer has the phone {phone}", details={"phone": phone})
    return customer


async def _check_phones_free(
    session: AsyncSession, phones: list[str], customer_id: int | None = None
) -> None:
    if not phones:
        return
    query = select(CustomerPhone.phone, CustomerPhone.customer_id).where(
        CustomerPhone.phone.in_(phones)
    )
    if customer_id is not None:
        query = query.where(CustomerPhone.customer_id != customer_id)
    taken = (await session.execute(query)).first()
    if taken is not None:
        raise Conflict(
            f"phone {taken.phone} already belongs to customer {taken.customer_id}",
            code="phone_taken",
            details={"phone": taken.phone, "customer_id": taken.customer_id},
        )


async def _check_manager(
    session: AsyncSession, principal: Principal, manager_id: int | None
) -> None:
    if manager_id is None:
        return
    if not principal.sees_everything and manager_id != principal.id:
        raise Forbidden("operators can only make themselves a customer's personal manager")
    manager = await session.get(Manager, manager_id)
    if manager is None:
        raise Invalid("manager_id", f"no manager with id {manager_id}")
    refused = not_taking_calls(manager)
    if refused:
        raise Invalid("manager_id", f"{refused}; a personal manager must take calls")


async def get_visible(session: AsyncSession, principal: Principal, customer_id: int) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"no customer with id {customer_id}")
    if not principal.sees_everything:
        allowed = await session.scalar(
            select(exists().where(Customer.id == customer_id, own_work(principal)))
        )
        if not allowed:
            raise Forbidden("this customer is not in your work; look them up by phone")
    return customer


async def create(
    session: AsyncSession, principal: Principal, body: CustomerIn, region: str
) -> Customer:
    phones = normalize_phones(body.phones, region)
    await _check_phones_free(session, phones)
    await _check_manager(session, principal, body.manager_id)
    data = body.model_dump(exclude={"phones", "tags"})
    customer = Customer(**data, search_name=search_key(body.name))
    customer.phones = [CustomerPhone(phone=p, position=i) for i, p in enumerate(phones)]
    customer.tags = [CustomerTag(tag=t) for t in body.tags]
    session.add(customer)
    await session.flush()
    return customer


async def update(
    session: AsyncSession,
    principal: Principal,
    customer: Customer,
    body: CustomerPatch,
    region: str,
) -> dict[str, Any]:
    """Apply the fields that were sent; returns what changed, for the audit log."""
    changes: dict[str, Any] = {}
    fields = body.model_fields_set
    if "manager_id" in fields and body.manager_id != customer.manager_id:
        await _check_manager(session, principal, body.manager_id)
    if "phones" in fields and body.phones is not None:
        phones = normalize_phones(body.phones, region)
        await _check_phones_free(session, phones, customer.id)
        if phones != customer.phone_numbers:
            customer.phones = [CustomerPhone(phone=p, position=i) for i, p in enumerate(phones)]
            changes["phones"] = phones
    if "tags" in fields and body.tags is not None and body.tags != customer.tag_names:
        customer.tags = [CustomerTag(tag=t) for t in body.tags]
        changes["tags"] = body.tags
    for name in fields - {"phones", "tags"}:
        value = getattr(body, name)
        if value is None and name in ("name", "do_not_call", "note"):
            raise Invalid(name, "may not be null")
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changes[name] = value.isoformat() if isinstance(value, dt.date) else value
    if "name" in changes:
        customer.search_name = search_key(customer.name)
    await session.flush()
    return changes


def _search(query: Select[tuple[Customer]], text: str, region: str) -> Select[tuple[Customer]]:
    phone = try_normalize_phone(text, region)
    conditions: list[ColumnElement[bool]] = [
        Customer.search_name.contains(search_key(text), autoescape=True),
        exists().where(Order.customer_id == Customer.id, Order.number == text),
    ]
    if "@" in text:
        conditions.append(func.lower(Customer.email) == text.lower())
    if phone:
        conditions.append(
            exists().where(CustomerPhone.customer_id == Customer.id, CustomerPhone.phone == phone)
        )
    return query.where(or_(*conditions))


async def list_customers(
    session: AsyncSession, principal: Principal, q: CustomerQuery, region: str
) -> Page[CustomerOut]:
    query = select(Customer)
    if not principal.sees_everything:
        query = query.where(own_work(principal))
    if q.q:
        query = _search(query, q.q, region)
    if q.tag:
        query = query.where(
            exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.tag == q.tag.lower())
        )
    if q.manager_id is not None:
        query = query.where(Customer.manager_id == q.manager_id)
    if q.city:
        query = query.where(Customer.city == q.city)
    return await paginate(session, query, q, Customer.id.desc(), convert=customer_out)
