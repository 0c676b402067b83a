"""``/calls``: the call log with every filter of the API, where a report's number leads.

Days are the shop's (CALLCENTER_TIMEZONE), as in the reports: "2 November" is that day on the
shop's clock, so a report's figure and the calls it links to are the same calls. Who sees what
is the API's rule: supervisors and admins every call, an operator the calls they took part in
(another manager's id is a 403, as in the API).
"""

from __future__ import annotations

from collections.abc import Awaitable

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from callcenter.calls import service as call_service
from callcenter.calls.schemas import CallOut, CallQuery
from callcenter.core.api import Ctx
from callcenter.core.listing import listing, typed_filters
from callcenter.core.models import Line, Manager
from callcenter.core.pages import page, show
from callcenter.core.schemas import Page

# What the form shows.
SHOWN = ("from", "until", "direction", "answered", "manager_id", "line", "source")
# Filters a report's link sets and the form keeps as they are (shown in words above the list).
KEPT = ("answered_by", "rang", "customer_id", "status", "ended", "internal", "has_recording",
        "min_wait", "max_wait", "weekday", "hour")  # fmt: skip


async def _managers(ctx: Ctx) -> list[Manager]:
    if not ctx.principal.sees_everything:
        return []
    return list(await ctx.session.scalars(select(Manager).order_by(Manager.name, Manager.login)))


async def _sources(ctx: Ctx, typed: str) -> list[tuple[str, str]]:
    """The lines' shops and ad sources, for the filter (and one typed into the address)."""
    rows = await ctx.session.scalars(
        select(Line.source).where(Line.source.is_not(None)).distinct().order_by(Line.source)
    )
    sources = [s for s in rows if s]
    if typed and typed not in sources:
        sources.append(typed)
    return [(s, s) for s in sources]


@page
async def call_log(ctx: Ctx) -> Response:
    def fetch(query: CallQuery) -> Awaitable[Page[CallOut]]:
        return call_service.list_calls(
            ctx.session, ctx.principal, query, ctx.settings.default_region, ctx.settings.zone
        )

    typed = typed_filters(ctx, (*SHOWN, *KEPT))
    found = await listing(ctx, typed, CallQuery, fetch)
    return await show(
        ctx,
        "calls.html",
        found.status_code,
        nav="calls",
        kept=[k for k in KEPT if typed[k]],
        operators=await _managers(ctx),
        sources=await _sources(ctx, typed["source"]),
        **found.context(),
    )


routes = [Route("/calls", call_log, methods=["GET"])]
