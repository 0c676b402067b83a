"""Lines in the API: everyone signed in reads them (the pop names them); admins edit."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select

from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.models import Line, Role
from callcenter.lines import service
from callcenter.lines.schemas import LineIn, LineOut
from callcenter.services import services_of

router = ApiRouter()
TAG = "lines"


class LinesOut(BaseModel):
    items: list[LineOut]


@router.route("/lines", "GET", summary="Every line, by number", tag=TAG, response=LinesOut)
async def list_lines(ctx: Ctx) -> LinesOut:
    lines = await ctx.session.scalars(select(Line).order_by(Line.name, Line.number))
    return LinesOut(items=[LineOut.model_validate(line) for line in lines])


@router.route(
    "/lines",
    "POST",
    summary="Name a line (admin)",
    tag=TAG,
    body=LineIn,
    response=LineOut,
    status=201,
    roles=[Role.ADMIN],
)
async def create_line(ctx: Ctx, body: LineIn) -> LineOut:
    line = await service.save_line(ctx.session, body, ctx.settings.default_region)
    ctx.audit("line.create", "line", line.id, number=line.number, name=line.name)
    ctx.after_commit.append(services_of(ctx.request).lines.invalidate)
    return LineOut.model_validate(line)


@router.route(
    "/lines/{line_id:int}",
    "PUT",
    summary="Change a line (admin)",
    tag=TAG,
    body=LineIn,
    response=LineOut,
    roles=[Role.ADMIN],
)
async def update_line(ctx: Ctx, line_id: int, body: LineIn) -> LineOut:
    line = await service.get_line(ctx.session, line_id)
    line = await service.save_line(ctx.session, body, ctx.settings.default_region, line)
    ctx.audit("line.update", "line", line.id, number=line.number, name=line.name)
    ctx.after_commit.append(services_of(ctx.request).lines.invalidate)
    return LineOut.model_validate(line)


@router.route(
    "/lines/{line_id:int}",
    "DELETE",
    summary="Forget a line's name (its calls keep the number) (admin)",
    tag=TAG,
    status=204,
    roles=[Role.ADMIN],
)
async def delete_line(ctx: Ctx, line_id: int) -> None:
    line = await service.get_line(ctx.session, line_id)
    await ctx.session.delete(line)
    ctx.audit("line.delete", "line", line_id, number=line.number)
    ctx.after_commit.append(services_of(ctx.request).lines.invalidate)
