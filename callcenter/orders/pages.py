"""The orders list (where a report's order numbers lead), and order create and edit, with
item rows.

The list's days are the shop's (CALLCENTER_TIMEZONE), as the reports count them. Who sees what
is the API's rule: supervisors and admins every order; an operator the orders in their work and
the orders credited to them after their calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response
from starlette.routing import Route

from callcenter.core.api import Ctx
from callcenter.core.errors import ApiError
from callcenter.core.listing import listing, typed_filters
from callcenter.core.models import Customer, OrderStatus
from callcenter.core.pages import (
    customer_names,
    field_errors,
    form_data,
    page,
    parse_form,
    redirect,
    rollback,
    show,
    text,
)
from callcenter.core.schemas import Page
from callcenter.customers import service as customer_service
from callcenter.orders import api as orders_api
from callcenter.orders import service
from callcenter.orders.schemas import OrderIn, OrderOut, OrderPatch, OrderQuery

EMPTY_ROWS = 3


def _rows(form: FormData) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Item rows as typed, and as the API wants them (blank rows skipped)."""
    typed = [
        {"product": p.strip(), "quantity": q.strip(), "price": c.strip().replace(",", ".")}
        for p, q, c in zip(
            [str(v) for v in form.getlist("product")],
            [str(v) for v in form.getlist("quantity")],
            [str(v) for v in form.getlist("price")],
            strict=False,
        )
    ]
    items = [
        {"product": r["product"], "quantity": r["quantity"] or "1", "price": r["price"] or "0"}
        for r in typed
        if r["product"] or r["price"]
    ]
    return typed, items


def _padded(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    blank = {"product": "", "quantity": "1", "price": ""}
    return rows + [dict(blank) for _ in range(max(1, EMPTY_ROWS - len(rows)))]


async def _customer(ctx: Ctx, raw_id: str | None) -> Customer | None:
    if raw_id and raw_id.isdigit():
        return await customer_service.get_visible(ctx.session, ctx.principal, int(raw_id))
    return None


@page
async def new(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    if ctx.request.method == "GET":
        customer = await _customer(ctx, params.get("customer_id"))
        values = {"phone": params.get("phone", "")[:64], "status": "new", "comment": ""}
        return await _form(ctx, customer, values, _padded([]))
    form = await form_data(ctx)
    customer_id = text(form, "customer_id")
    customer = await _customer(ctx, customer_id)
    typed, items = _rows(form)
    values = {
        "phone": text(form, "phone"),
        "customer_name": text(form, "customer_name"),
        "status": text(form, "status") or "new",
        "comment": text(form, "comment"),
    }
    body: dict[str, Any] = {
        "items": items,
        "status": values["status"],
        "comment": values["comment"],
    }
    if customer is not None:
        body["customer_id"] = customer.id
    else:
        body["phone"] = values["phone"]
        body["customer_name"] = values["customer_name"] or None
    try:
        order = await orders_api.create_order(ctx, parse_form(OrderIn, body))
    except ApiError as exc:
        await rollback(ctx)
        if exc.status == 403:
            raise
        customer = await _customer(ctx, customer_id)
        return await _form(ctx, customer, values, _padded(typed), exc.status, field_errors(exc))
    return redirect(f"/orders/{order.id}")


async def _form(
    ctx: Ctx,
    customer: Customer | None,
    values: dict[str, Any],
    rows: list[dict[str, str]],
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    order: OrderOut | None = None,
) -> Response:
    return await show(
        ctx,
        "order_form.html",
        status_code,
        nav="orders",
        customer=customer,
        order=order,
        values=values,
        rows=rows,
        statuses=[s.value for s in OrderStatus],
        errors=errors or {},
    )


@page
async def edit(ctx: Ctx) -> Response:
    order_id = int(ctx.request.path_params["order_id"])
    order = OrderOut.model_validate(await service.get_visible(ctx.session, ctx.principal, order_id))
    customer = await ctx.session.get(Customer, order.customer_id)
    if ctx.request.method == "GET":
        rows = [
            {"product": i.product, "quantity": str(i.quantity), "price": str(i.price)}
            for i in order.items
        ]
        values = {"status": order.status.value, "comment": order.comment}
        return await _form(ctx, customer, values, _padded(rows), order=order)
    form = await form_data(ctx)
    typed, items = _rows(form)
    values = {"status": text(form, "status"), "comment": text(form, "comment")}
    body = {"status": values["status"], "items": items, "comment": values["comment"]}
    try:
        await orders_api.update_order(ctx, parse_form(OrderPatch, body), order_id)
    except ApiError as exc:
        await rollback(ctx)
        if exc.status == 403:
            raise
        customer = await ctx.session.get(Customer, order.customer_id)
        errors = field_errors(exc)
        return await _form(ctx, customer, values, _padded(typed), exc.status, errors, order)
    return redirect(f"/orders/{order_id}?saved=1")


# The filters of the list; the ones the form does not show are kept as they came.
FILTERS = ("from", "until", "status", "manager_id", "after_call_by", "after_call", "customer_id")


@page
async def order_list(ctx: Ctx) -> Response:
    def fetch(query: OrderQuery) -> Awaitable[Page[OrderOut]]:
        window = dt.timedelta(hours=ctx.settings.report_order_window_hours)
        return service.list_orders(ctx.session, ctx.principal, query, window)

    found = await listing(ctx, typed_filters(ctx, FILTERS), OrderQuery, fetch)
    return await show(
        ctx,
        "orders.html",
        found.status_code,
        nav="order_list",
        statuses=[s.value for s in OrderStatus],
        window_hours=ctx.settings.report_order_window_hours,
        customer_names=await customer_names(ctx, [o.customer_id for o in found.found.items]),
        **found.context(),
    )


routes = [
    Route("/orders", order_list, methods=["GET"]),
    Route("/orders/new", new, methods=["GET", "POST"]),
    Route("/orders/{order_id:int}", edit, methods=["GET", "POST"]),
]
