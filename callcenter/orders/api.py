from __future__ import annotations

import datetime as dt

from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.models import Order, OrderStatus
from callcenter.core.schemas import Page
from callcenter.orders import service
from callcenter.orders.schemas import OrderIn, OrderOut, OrderPatch, OrderQuery
from callcenter.routing.regulars import assign_if_regular
from callcenter.webhooks.events import order_created

router = ApiRouter()
TAG = "orders"


@router.route(
    "/orders", "GET", summary="List orders", tag=TAG, query=OrderQuery, response=Page[OrderOut]
)
async def list_orders(ctx: Ctx, query: OrderQuery) -> Page[OrderOut]:
    window = dt.timedelta(hours=ctx.settings.report_order_window_hours)
    return await service.list_orders(ctx.session, ctx.principal, query, window)


@router.route(
    "/orders",
    "POST",
    summary="Create an order (customer by id, or by phone)",
    tag=TAG,
    body=OrderIn,
    response=OrderOut,
    status=201,
)
async def create_order(ctx: Ctx, body: OrderIn) -> OrderOut:
    order, new_customer = await service.create(
        ctx.session, ctx.principal, body, ctx.settings.default_region
    )
    if new_customer:
        ctx.audit("customer.create", "customer", order.customer_id, via="order")
    ctx.audit("order.create", "order", order.id, number=order.number, total=str(order.total))
    await _maybe_regular(ctx, order)
    await order_created(
        ctx.session, order, dt.timedelta(hours=ctx.settings.report_order_window_hours)
    )
    return OrderOut.model_validate(order)


async def _maybe_regular(ctx: Ctx, order: Order) -> None:
    if order.status is OrderStatus.COMPLETE:
        manager_id = await assign_if_regular(ctx.session, order.customer_id)
        if manager_id is not None:
            ctx.audit(
                "customer.personal_manager", "customer", order.customer_id, manager_id=manager_id
            )


@router.route("/orders/{order_id:int}", "GET", summary="Read an order", tag=TAG, response=OrderOut)
async def get_order(ctx: Ctx, order_id: int) -> OrderOut:
    return OrderOut.model_validate(await service.get_visible(ctx.session, ctx.principal, order_id))


@router.route(
    "/orders/{order_id:int}",
    "PATCH",
    summary="Update an order: status, items, manager, comment",
    tag=TAG,
    body=OrderPatch,
    response=OrderOut,
)
async def update_order(ctx: Ctx, body: OrderPatch, order_id: int) -> OrderOut:
    order = await service.get_visible(ctx.session, ctx.principal, order_id)
    changes = await service.update(ctx.session, ctx.principal, order, body)
    if changes:
        ctx.audit("order.update", "order", order.id, **changes)
    await _maybe_regular(ctx, order)
    return OrderOut.model_validate(order)
