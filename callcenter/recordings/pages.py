"""The recordings page: filters, a table, and a player (static/recordings.js) over the
recordings API; supervisors score and comment calls there. Who sees what is the API's rule:
supervisors and admins every call, an operator the calls they answered."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from callcenter.core.api import Ctx
from callcenter.core.errors import ApiError, NotFound
from callcenter.core.models import Manager
from callcenter.core.pages import field_errors, page, parse_form, show
from callcenter.core.phones import try_normalize_phone
from callcenter.core.schemas import Page
from callcenter.customers import service as customer_service
from callcenter.customers.schemas import CustomerOut, CustomerQuery
from callcenter.recordings import service
from callcenter.recordings.schemas import RecordingOut, RecordingQuery

PAGE_SIZE = 50
FILTERS = (
    "from",
    "until",
    "manager_id",
    "customer",
    "customer_id",
    "call_id",
    "direction",
    "status",
    "min_duration",
    "max_duration",
)


def _day(value: str, days: int = 0) -> str | None:
    """A ``date`` input as the UTC midnight it starts (``until``: the day after, exclusive)."""
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return value  # let the model report it
    return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(), dt.UTC).isoformat()


async def _query(
    ctx: Ctx, typed: dict[str, str], offset: int
) -> tuple[dict[str, Any], list[CustomerOut], CustomerOut | None]:
    """The API query for the typed filters; customers a name matched when it matched several;
    the one customer filtered on."""
    body: dict[str, Any] = {
        "from": _day(typed["from"]),
        "until": _day(typed["until"], 1),
        "direction": typed["direction"] or None,
        "status": typed["status"] or None,
        "min_duration": typed["min_duration"] or None,
        "max_duration": typed["max_duration"] or None,
        "manager_id": typed["manager_id"] or None,
        "call_id": typed["call_id"] or None,
        "customer_id": typed["customer_id"] or None,
        "limit": PAGE_SIZE,
        "offset": offset,
    }
    candidates: list[CustomerOut] = []
    region = ctx.settings.default_region
    who = typed["customer"]
    if who:
        phone = try_normalize_phone(who, region)
        if phone:
            body["phone"] = phone
        else:
            found = await customer_service.list_customers(
                ctx.session, ctx.principal, CustomerQuery(q=who[:100], limit=20), region
            )
            if len(found.items) == 1:
                body["customer_id"] = found.items[0].id
            else:
                candidates = found.items
                body["customer_id"] = -1  # no match, or pick one of the candidates
    customer = None
    if str(body["customer_id"] or "").isdigit():
        try:
            customer = customer_service.customer_out(
                await customer_service.get_visible(
                    ctx.session, ctx.principal, int(body["customer_id"])
                )
            )
        except ApiError:
            customer = None
    return {k: v for k, v in body.items() if v is not None}, candidates, customer


@page
async def recordings(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    typed = {name: params.get(name, "").strip()[:100] for name in FILTERS}
    try:
        offset = max(0, int(params.get("offset", "0")))
    except ValueError:
        offset = 0
    body, candidates, customer = await _query(ctx, typed, offset)
    errors: dict[str, str] = {}
    found: Page[RecordingOut] = Page(items=[], total=0, limit=PAGE_SIZE, offset=offset)
    status_code = 200
    try:
        query = parse_form(RecordingQuery, body)
        found = await service.list_recordings(
            ctx.session, ctx.principal, query, ctx.settings.default_region
        )
    except ApiError as exc:
        if exc.status == 403:
            raise
        status_code, errors = exc.status, field_errors(exc)
    selected = None
    play = params.get("play", "").strip()
    if play:
        try:
            recording, call = await service.get_visible(ctx.session, ctx.principal, play[:64])
        except NotFound:
            selected = None
        else:
            selected = service.recording_out(recording, call)
    elif len(found.items) == 1 and (typed["call_id"] or typed["customer_id"]):
        selected = found.items[0]
    operators = []
    if ctx.principal.sees_everything:
        operators = list(
            await ctx.session.scalars(select(Manager).order_by(Manager.name, Manager.login))
        )
    kept = {k: v for k, v in typed.items() if v}
    return await show(
        ctx,
        "recordings.html",
        status_code,
        nav="recordings",
        typed=typed,
        errors=errors,
        page=found,
        candidates=candidates,
        customer=customer,
        selected=selected,
        operators=operators,
        may_review=ctx.principal.sees_everything,
        filters=kept,
        next_offset=offset + PAGE_SIZE if offset + PAGE_SIZE < found.total else None,
        prev_offset=max(0, offset - PAGE_SIZE) if offset else None,
    )


routes = [Route("/recordings", recordings, methods=["GET"])]
