"""The admin's page of lines (static/lines.js saves through /api/v1/lines). Admins edit;
supervisors see it read-only; operators not at all."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from callcenter.core.api import Ctx
from callcenter.core.errors import Forbidden
from callcenter.core.models import Line, Manager
from callcenter.core.pages import page, show


@page
async def lines_page(ctx: Ctx) -> Response:
    if not ctx.principal.sees_everything:
        raise Forbidden("only supervisors and admins see the lines")
    lines = list(await ctx.session.scalars(select(Line).order_by(Line.name, Line.number)))
    people = list(await ctx.session.scalars(select(Manager).order_by(Manager.name, Manager.login)))
    return await show(
        ctx,
        "admin_lines.html",
        nav="lines",
        lines=lines,
        people=people,
        editable=ctx.principal.is_admin,
    )


routes = [Route("/admin/lines", lines_page, methods=["GET"])]
