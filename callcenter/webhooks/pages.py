"""The admin's webhook pages: the endpoints (with a paused one's notice) and the delivery log
with "send again". Both save through /api/v1/webhooks (static/webhooks.js)."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from callcenter.core.api import Ctx
from callcenter.core.errors import Forbidden
from callcenter.core.models import WebhookEndpoint
from callcenter.core.pages import page, parse_form, show
from callcenter.webhooks import service
from callcenter.webhooks.outbox import EVENT_TYPES
from callcenter.webhooks.schemas import DeliveryQuery


def _admin(ctx: Ctx) -> None:
    if not ctx.principal.is_admin:
        raise Forbidden("only admins manage webhooks")


@page
async def endpoints_page(ctx: Ctx) -> Response:
    _admin(ctx)
    return await show(
        ctx,
        "admin_webhooks.html",
        nav="webhooks",
        endpoints=await service.list_endpoints(ctx.session),
        event_types=EVENT_TYPES,
        allow=ctx.settings.webhook_allow_list,
    )


@page
async def deliveries_page(ctx: Ctx) -> Response:
    _admin(ctx)
    filters = {
        k: v
        for k, v in ctx.request.query_params.items()
        if v and k in ("endpoint_id", "state", "type", "event_id")
    }
    query: DeliveryQuery = parse_form(
        DeliveryQuery, {**filters, "offset": ctx.request.query_params.get("offset") or 0}
    )
    deliveries = await service.list_deliveries(ctx.session, query)
    endpoints = {
        e.id: e.name
        for e in await ctx.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))
    }
    return await show(
        ctx,
        "webhook_deliveries.html",
        nav="webhooks",
        deliveries=deliveries,
        query=query,
        endpoints=endpoints,
        event_types=EVENT_TYPES,
        filters=filters,
        prev_offset=max(0, query.offset - query.limit) if query.offset else None,
        next_offset=query.offset + query.limit
        if query.offset + query.limit < deliveries.total
        else None,
    )


routes = [
    Route("/admin/webhooks", endpoints_page, methods=["GET"]),
    Route("/admin/webhooks/deliveries", deliveries_page, methods=["GET"]),
]
