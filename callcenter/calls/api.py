"""The call log and click-to-call."""

from __future__ import annotations

from callcenter.calls import service as call_service
from callcenter.calls.schemas import CallOut, CallQuery, OriginateIn, OriginateOut
from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.errors import ApiError
from callcenter.core.schemas import Page
from callcenter.recordings.service import calls_out
from callcenter.services import services_of

router = ApiRouter()


@router.route(
    "/calls", "GET", summary="The call log", tag="calls", query=CallQuery, response=Page[CallOut]
)
async def list_calls(ctx: Ctx, query: CallQuery) -> Page[CallOut]:
    return await call_service.list_calls(
        ctx.session, ctx.principal, query, ctx.settings.default_region, ctx.settings.zone
    )


@router.route("/calls/{call_id:int}", "GET", summary="Read a call", tag="calls", response=CallOut)
async def get_call(ctx: Ctx, call_id: int) -> CallOut:
    call = await call_service.get_visible(ctx.session, ctx.principal, call_id)
    return (await calls_out(ctx.session, [call]))[0]


@router.route(
    "/calls/originate",
    "POST",
    summary="Click-to-call: ring the manager's phone, then the customer's",
    tag="calls",
    body=OriginateIn,
    response=OriginateOut,
)
async def originate_call(ctx: Ctx, body: OriginateIn) -> OriginateOut:
    try:
        result = await call_service.originate(
            ctx.session,
            ctx.principal,
            services_of(ctx.request).telephony,
            body,
            ctx.settings.default_region,
        )
    except ApiError as exc:
        ctx.audit("call.originate", "call", exc.details.get("call_id"), failed=exc.code)
        await ctx.session.commit()
        raise
    ctx.audit("call.originate", "call", result.call_id, phone=result.phone)
    return result
