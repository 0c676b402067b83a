"""The reports in the API: ``/api/v1/reports/...``, the same figures as the page."""

from __future__ import annotations

from starlette.responses import Response

from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.i18n import translate
from callcenter.core.models import Role
from callcenter.core.pages import language
from callcenter.reports import export, service
from callcenter.reports.schemas import (
    ExportQuery,
    LinesReport,
    LoadReport,
    ManagersReport,
    ReportQuery,
    TrendReport,
)
from callcenter.services import services_of

router = ApiRouter()
TEAM = [Role.SUPERVISOR, Role.ADMIN]


@router.route(
    "/reports/managers",
    "GET",
    summary="Per manager: calls, waits, talk, callbacks, tasks and orders (an operator: "
    "their own row)",
    tag="reports",
    query=ReportQuery,
    response=ManagersReport,
)
async def managers_report(ctx: Ctx, query: ReportQuery) -> ManagersReport:
    reports = services_of(ctx.request).reports
    return await service.managers_report(ctx.session, ctx.principal, reports, query)


@router.route(
    "/reports/lines",
    "GET",
    summary="Per line: offered, answered, abandoned, service level, wait",
    tag="reports",
    query=ReportQuery,
    response=LinesReport,
    roles=TEAM,
)
async def lines_report(ctx: Ctx, query: ReportQuery) -> LinesReport:
    return await service.lines_report(ctx.session, services_of(ctx.request).reports, query)


@router.route(
    "/reports/load",
    "GET",
    summary="When the load comes: inbound and missed calls by weekday and hour",
    tag="reports",
    query=ReportQuery,
    response=LoadReport,
    roles=TEAM,
)
async def load_report(ctx: Ctx, query: ReportQuery) -> LoadReport:
    return await service.load_report(ctx.session, services_of(ctx.request).reports, query)


@router.route(
    "/reports/trend",
    "GET",
    summary="Day by day: calls, answered %, missed, against the previous period",
    tag="reports",
    query=ReportQuery,
    response=TrendReport,
    roles=TEAM,
)
async def trend_report(ctx: Ctx, query: ReportQuery) -> TrendReport:
    return await service.trend_report(ctx.session, services_of(ctx.request).reports, query)


MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.route(
    "/reports/export",
    "GET",
    summary="A report as CSV, or every report as XLSX: the page's numbers",
    tag="reports",
    query=ExportQuery,
    files=tuple(MEDIA.values()),
)
async def export_report(ctx: Ctx, query: ExportQuery) -> Response:
    lang = query.lang or language(ctx.request)
    sheets = await service.export_tables(
        ctx.session,
        ctx.principal,
        services_of(ctx.request).reports,
        query,
        lambda key: translate(key, lang),
    )
    name = f"report-{query.report if query.format == 'csv' else 'all'}.{query.format}"
    body = export.to_csv(sheets[0][1]) if query.format == "csv" else export.to_xlsx(sheets)
    return Response(
        body,
        media_type=MEDIA[query.format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
