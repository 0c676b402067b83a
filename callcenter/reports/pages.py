"""``/reports``: the period form, the managers' table, and for supervisors and admins the
lines, the load heatmaps and the trend chart (static/reports.js draws it from the table beside
it). Every number links to the rows behind it (tables.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from callcenter.core.api import Ctx
from callcenter.core.errors import ApiError
from callcenter.core.pages import field_errors, language, page, parse_form, show
from callcenter.reports import service, tables
from callcenter.reports.days import PeriodName
from callcenter.reports.schemas import LoadReport, ReportQuery
from callcenter.services import services_of

FIELDS = ("period", "from", "until", "sl_seconds")
HEAT_LEVELS = 5


def figure(value: Any, lang: str) -> str:
    """A figure as the page writes it: a dash for nothing to share, a decimal comma in
    Russian."""
    if value is None:
        return "—"
    if isinstance(value, float | Decimal):
        text = f"{value:.1f}"
        return text.replace(".", ",") if lang == "ru" else text
    return str(value)


def heat(report: LoadReport, key: str) -> dict[tuple[int, int], int]:
    """Each cell's shade, 0 (none) to HEAT_LEVELS (the busiest cell)."""
    top = max((getattr(c, key) for c in report.cells), default=0)
    return {
        (c.weekday, c.hour): (0 if not top else -(-HEAT_LEVELS * getattr(c, key) // top))
        for c in report.cells
    }


def _typed(ctx: Ctx) -> dict[str, str]:
    params = ctx.request.query_params
    typed = {name: params.get(name, "").strip()[:40] for name in FIELDS}
    if not typed["period"]:
        typed["period"] = PeriodName.CUSTOM.value if typed["from"] else PeriodName.TODAY.value
    return typed


async def _reports(ctx: Ctx, query: ReportQuery) -> dict[str, Any]:
    reports = services_of(ctx.request).reports
    found: dict[str, Any] = {
        "managers": await service.managers_report(ctx.session, ctx.principal, reports, query)
    }
    if ctx.principal.sees_everything:
        found["lines"] = await service.lines_report(ctx.session, reports, query)
        found["load"] = await service.load_report(ctx.session, reports, query)
        found["trend"] = await service.trend_report(ctx.session, reports, query)
        found["heat"] = {key: heat(found["load"], key) for key in ("inbound", "missed")}
    return found


@page
async def reports_page(ctx: Ctx) -> Response:
    typed = _typed(ctx)
    custom = typed["period"] == PeriodName.CUSTOM.value
    body = {
        "period": typed["period"],
        "from": typed["from"] if custom else None,
        "until": typed["until"] if custom else None,
        "sl_seconds": typed["sl_seconds"] or None,
    }
    errors: dict[str, str] = {}
    found: dict[str, Any] = {}
    status_code = 200
    try:
        query = parse_form(ReportQuery, {k: v for k, v in body.items() if v is not None})
        found = await _reports(ctx, query)
    except ApiError as exc:
        if exc.status == 403:
            raise
        status_code, errors = exc.status, field_errors(exc)
    lang = language(ctx.request)
    export = {k: v for k, v in body.items() if v is not None}
    return await show(
        ctx,
        "reports.html",
        status_code,
        nav="reports",
        typed=typed,
        errors=errors,
        periods=[p.value for p in PeriodName],
        found=found,
        export=export,
        manager_columns=tables.MANAGER_COLUMNS,
        line_columns=tables.LINE_COLUMNS,
        load_link=tables.load_link,
        day_link=tables.day_link,
        figure=lambda value: figure(value, lang),
        zone=services_of(ctx.request).reports.rollups.zone.key,
    )


routes = [Route("/reports", reports_page, methods=["GET"])]
