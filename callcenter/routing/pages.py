"""Admin pages: the routing and callback settings and the shop's working hours
(static/routing.js saves them through PUT /api/v1/settings/routing and /settings/hours).
Admins edit; supervisors see them read-only; operators not."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from callcenter.core.api import Ctx
from callcenter.core.errors import Forbidden
from callcenter.core.models import Manager
from callcenter.core.pages import page, show
from callcenter.routing.settings import (
    WEEKDAYS,
    RoutingSettings,
    load_routing_settings,
    load_shop_hours,
)

NUMBERS = ("ring_at_once", "regular_after_orders", "callback_deadline_minutes")
GROUPS = ("default_group", "vip_group", "bad_group")


def limits(name: str) -> tuple[int | None, int | None]:
    """(min, max) of a number field, from the model: the inputs say what the API accepts."""
    low = high = None
    for item in RoutingSettings.model_fields[name].metadata:
        low = getattr(item, "ge", low)
        high = getattr(item, "le", high)
    return low, high


@page
async def routing(ctx: Ctx) -> Response:
    if not ctx.principal.sees_everything:
        raise Forbidden("only supervisors and admins see the routing settings")
    current = await load_routing_settings(ctx.session)
    people = list(await ctx.session.scalars(select(Manager).order_by(Manager.name, Manager.login)))
    return await show(
        ctx,
        "admin_routing.html",
        nav="routing",
        current=current,
        people=people,
        groups=GROUPS,
        numbers=[(name, *limits(name)) for name in NUMBERS],
        editable=ctx.principal.is_admin,
        hours=await load_shop_hours(ctx.session),
        weekdays=WEEKDAYS,
        zone=ctx.settings.timezone,
    )


routes = [Route("/admin/routing", routing, methods=["GET"])]
