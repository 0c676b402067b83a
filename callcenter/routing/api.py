"""Settings an admin edits: routing and callbacks, and the shop's working hours."""

from __future__ import annotations

from sqlalchemy import select

from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.errors import Invalid
from callcenter.core.models import Manager, Role
from callcenter.routing.settings import (
    RoutingSettings,
    ShopHours,
    load_routing_settings,
    load_shop_hours,
    save_routing_settings,
    save_shop_hours,
)
from callcenter.services import services_of

router = ApiRouter()


@router.route(
    "/settings/routing",
    "GET",
    summary="Routing and callback settings",
    tag="settings",
    response=RoutingSettings,
    roles=[Role.SUPERVISOR, Role.ADMIN],
)
async def get_routing(ctx: Ctx) -> RoutingSettings:
    return await load_routing_settings(ctx.session)


@router.route(
    "/settings/routing",
    "PUT",
    summary="Change routing and callback settings (admin)",
    tag="settings",
    body=RoutingSettings,
    response=RoutingSettings,
    roles=[Role.ADMIN],
)
async def put_routing(ctx: Ctx, body: RoutingSettings) -> RoutingSettings:
    known = set(await ctx.session.scalars(select(Manager.id)))
    for group in ("default_group", "vip_group", "bad_group"):
        for i, manager_id in enumerate(getattr(body, group)):
            if manager_id not in known:
                raise Invalid(f"{group}.{i}", f"no manager with id {manager_id}")
    await save_routing_settings(ctx.session, body, ctx.principal.id)
    ctx.audit("settings.routing", "settings", "routing", **body.model_dump())
    ctx.after_commit.append(services_of(ctx.request).routing.invalidate)
    return body


@router.route(
    "/settings/hours",
    "GET",
    summary="The shop's working hours, on its own clock (CALLCENTER_TIMEZONE)",
    tag="settings",
    response=ShopHours,
    roles=[Role.SUPERVISOR, Role.ADMIN],
)
async def get_hours(ctx: Ctx) -> ShopHours:
    return await load_shop_hours(ctx.session)


@router.route(
    "/settings/hours",
    "PUT",
    summary="Change the shop's working hours (admin)",
    tag="settings",
    body=ShopHours,
    response=ShopHours,
    roles=[Role.ADMIN],
)
async def put_hours(ctx: Ctx, body: ShopHours) -> ShopHours:
    await save_shop_hours(ctx.session, body, ctx.principal.id)
    ctx.audit("settings.hours", "settings", "hours", **body.model_dump())
    return body
