"""Customer search, the customer card with its orders, calls and tasks, and the edit forms."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import Response
from starlette.routing import Route

from callcenter.calls import service as call_service
from callcenter.calls.schemas import CallQuery
from callcenter.core.api import Ctx
from callcenter.core.errors import ApiError, NotFound
from callcenter.core.models import Manager
from callcenter.core.pages import (
    field_errors,
    form_data,
    page,
    parse_form,
    redirect,
    rollback,
    show,
    split_list,
    text,
)
from callcenter.core.phones import try_normalize_phone
from callcenter.customers import api as customers_api
from callcenter.customers import service
from callcenter.customers.schemas import CustomerIn, CustomerOut, CustomerPatch, CustomerQuery
from callcenter.orders import service as order_service
from callcenter.orders.schemas import OrderQuery
from callcenter.tasks import service as task_service
from callcenter.tasks.schemas import TaskQuery

PAGE_SIZE = 50


async def call_takers(ctx: Ctx) -> set[int]:
    """Who the personal manager select offers: only managers who take calls may be one."""
    return set(await ctx.session.scalars(select(Manager.id).where(Manager.takes_calls)))


@page
async def search(ctx: Ctx) -> Response:
    q = ctx.request.query_params.get("q", "").strip()[:100]
    try:
        offset = max(0, int(ctx.request.query_params.get("offset", "0")))
    except ValueError:
        offset = 0
    region = ctx.settings.default_region
    found = await service.list_customers(
        ctx.session,
        ctx.principal,
        CustomerQuery(q=q or None, limit=PAGE_SIZE, offset=offset),
        region,
    )
    by_phone: CustomerOut | None = None
    phone = try_normalize_phone(q, region) if q else None
    if phone and not found.items:
        # Operators see their own work in lists, and any customer by phone.
        try:
            by_phone = service.customer_out(await service.lookup(ctx.session, phone, region))
        except NotFound:
            by_phone = None
    return await show(
        ctx,
        "customers.html",
        nav="customers",
        q=q,
        page=found,
        by_phone=by_phone,
        phone=phone,
        next_offset=offset + PAGE_SIZE if offset + PAGE_SIZE < found.total else None,
        prev_offset=max(0, offset - PAGE_SIZE) if offset else None,
    )


@page
async def card(ctx: Ctx) -> Response:
    customer_id = int(ctx.request.path_params["customer_id"])
    customer = await service.get_visible(ctx.session, ctx.principal, customer_id)
    return await _card(ctx, service.customer_out(customer))


async def _card(
    ctx: Ctx,
    customer: CustomerOut,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    orders = await order_service.list_orders(
        ctx.session, ctx.principal, OrderQuery(customer_id=customer.id, limit=100)
    )
    calls = await call_service.list_calls(
        ctx.session, ctx.principal, CallQuery(customer_id=customer.id, limit=20)
    )
    tasks = await task_service.list_tasks(
        ctx.session, ctx.principal, TaskQuery(customer_id=customer.id, limit=50)
    )
    return await show(
        ctx,
        "customer.html",
        status_code,
        nav="customers",
        customer=customer,
        orders=orders,
        calls=calls,
        tasks=tasks,
        values=values or _values(customer),
        errors=errors or {},
        call_takers=await call_takers(ctx),
    )


def _values(customer: CustomerOut) -> dict[str, Any]:
    """The edit form's fields as typed text."""
    return {
        "name": customer.name,
        "phones": "\n".join(customer.phones),
        "email": customer.email or "",
        "city": customer.city or "",
        "birthday": customer.birthday.isoformat() if customer.birthday else "",
        "tags": ", ".join(customer.tags),
        "manager_id": str(customer.manager_id or ""),
        "do_not_call": customer.do_not_call,
        "note": customer.note,
    }


def _from_form(form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the user typed, the API body)."""
    typed: dict[str, Any] = {
        name: text(form, name)
        for name in ("name", "phones", "email", "city", "birthday", "tags", "manager_id", "note")
    }
    typed["do_not_call"] = form.get("do_not_call") == "on"
    body: dict[str, Any] = {
        "name": typed["name"],
        "phones": split_list(typed["phones"]),
        "email": typed["email"] or None,
        "city": typed["city"] or None,
        "birthday": typed["birthday"] or None,
        "tags": split_list(typed["tags"]),
        "manager_id": int(typed["manager_id"]) if typed["manager_id"].isdigit() else None,
        "do_not_call": typed["do_not_call"],
        "note": typed["note"],
    }
    return typed, body


@page
async def update(ctx: Ctx) -> Response:
    customer_id = int(ctx.request.path_params["customer_id"])
    typed, body = _from_form(await form_data(ctx))
    try:
        await customers_api.update_customer(ctx, parse_form(CustomerPatch, body), customer_id)
    except ApiError as exc:
        await rollback(ctx)
        if exc.status in (403, 404):
            raise
        customer = await service.get_visible(ctx.session, ctx.principal, customer_id)
        return await _card(
            ctx, service.customer_out(customer), exc.status, typed, field_errors(exc)
        )
    return redirect(f"/customers/{customer_id}")


@page
async def new(ctx: Ctx) -> Response:
    if ctx.request.method == "GET":
        phone = ctx.request.query_params.get("phone", "")[:64]
        mine = ctx.principal.manager.takes_calls
        values = {"phones": phone, "manager_id": str(ctx.principal.id) if mine else ""}
        return await show(
            ctx,
            "customer_new.html",
            nav="customers",
            values=values,
            errors={},
            call_takers=await call_takers(ctx),
        )
    typed, body = _from_form(await form_data(ctx))
    try:
        created = await customers_api.create_customer(ctx, parse_form(CustomerIn, body))
    except ApiError as exc:
        await rollback(ctx)
        return await show(
            ctx,
            "customer_new.html",
            exc.status,
            nav="customers",
            values=typed,
            errors=field_errors(exc),
            call_takers=await call_takers(ctx),
        )
    return redirect(f"/customers/{created.id}")


routes = [
    Route("/customers", search, methods=["GET"]),
    Route("/customers/new", new, methods=["GET", "POST"]),
    Route("/customers/{customer_id:int}", card, methods=["GET"]),
    Route("/customers/{customer_id:int}", update, methods=["POST"]),
]
