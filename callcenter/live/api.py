"""Live listening, whisper and barge: a supervisor's browser sends an SDP offer and gets the
answer; the audio of the live call then flows over WebRTC, and the supervisor's microphone back
(see listen.py). Supervisors and admins only; every listen and every change of mode is in the
audit log."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.errors import (
    ApiError,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceUnavailable,
)
from callcenter.core.models import Role
from callcenter.live.listen import (
    BadOffer,
    CallNotAnswered,
    CallNotLive,
    ListenError,
    ListenService,
    ListenSession,
)
from callcenter.services import services_of

router = ApiRouter()
SUPERVISORS = [Role.SUPERVISOR, Role.ADMIN]


Mode = Literal["listen", "whisper", "barge"]
MODE_HELP = (
    "listen: hear both sides, nobody hears you; whisper: the manager hears you, the customer "
    "does not; barge: both sides hear you"
)


class ListenIn(BaseModel):
    sdp: str = Field(min_length=1, max_length=100_000)
    type: Literal["offer"]
    mode: Mode = Field(default="listen", description=MODE_HELP)


class ModeIn(BaseModel):
    mode: Mode = Field(description=MODE_HELP)


class ListenOut(BaseModel):
    sdp: str
    type: str
    session_id: str


class ListenSessionOut(BaseModel):
    session_id: str
    call_id: str
    pbx: str
    supervisor_id: int
    extension: str | None
    started_at: dt.datetime
    state: str
    mode: Mode


def _service(ctx: Ctx) -> ListenService:
    return services_of(ctx.request).live_listen


def _session_out(session: ListenSession) -> ListenSessionOut:
    return ListenSessionOut(
        session_id=session.id,
        call_id=session.call_id,
        pbx=session.pbx,
        supervisor_id=session.supervisor_id,
        extension=session.extension,
        started_at=dt.datetime.fromtimestamp(session.started_at, dt.UTC),
        state=session.state,
        mode=session.mode,  # type: ignore[arg-type]  # one of SPY_OPTIONS, as Mode
    )


def _api_error(exc: ListenError) -> ApiError:
    if isinstance(exc, CallNotLive):
        return NotFound(exc.message, code=exc.code)
    if isinstance(exc, CallNotAnswered):
        return Conflict(exc.message, code=exc.code)
    if isinstance(exc, BadOffer):
        return Invalid("sdp", exc.message)
    return ServiceUnavailable(exc.message, code=exc.code)


@router.route(
    "/live/calls/{call_id:str}/listen",
    "POST",
    summary="Listen to a live call: send the browser's SDP offer, get the answer (WebRTC)",
    tag="live",
    body=ListenIn,
    response=ListenOut,
    roles=SUPERVISORS,
)
async def listen_to_call(ctx: Ctx, call_id: str, body: ListenIn) -> ListenOut:
    try:
        session, answer = await _service(ctx).listen(
            call_id, body.sdp, body.type, ctx.principal.id, body.mode
        )
    except ListenError as exc:
        ctx.audit("call.listen", "call", call_id, mode=body.mode, failed=exc.code)
        await ctx.session.commit()
        raise _api_error(exc) from None
    ctx.audit(
        "call.listen",
        "call",
        call_id,
        session_id=session.id,
        pbx=session.pbx,
        extension=session.extension,
        channel=session.spied_channel,
        mode=session.mode,
    )
    return ListenOut(sdp=answer.sdp, type=answer.type, session_id=session.id)


@router.route(
    "/live/sessions",
    "GET",
    summary="Listening sessions running now",
    tag="live",
    response=list[ListenSessionOut],
    roles=SUPERVISORS,
)
async def list_sessions(ctx: Ctx) -> list[ListenSessionOut]:
    return [_session_out(s) for s in _service(ctx).sessions.values()]


def _own_session(ctx: Ctx, session_id: str) -> ListenSession:
    running = _service(ctx).sessions.get(session_id)
    if running is None:
        raise NotFound("no such listening session (it may have ended already)")
    if running.supervisor_id != ctx.principal.id and not ctx.principal.is_admin:
        raise Forbidden("only the supervisor who listens, or an admin, can change this session")
    return running


@router.route(
    "/live/sessions/{session_id:str}",
    "PUT",
    summary="Listen, whisper or barge: change what the session does, the call stays up",
    tag="live",
    body=ModeIn,
    response=ListenSessionOut,
    roles=SUPERVISORS,
)
async def change_mode(ctx: Ctx, session_id: str, body: ModeIn) -> ListenSessionOut:
    running = _own_session(ctx, session_id)
    before = running.mode
    try:
        session = await _service(ctx).switch(session_id, body.mode)
    except ListenError as exc:
        ctx.audit("call.listen_mode", "call", running.call_id, mode=body.mode, failed=exc.code)
        await ctx.session.commit()
        raise _api_error(exc) from None
    ctx.audit(
        "call.listen_mode", "call", session.call_id, session_id=session.id,
        mode=session.mode, previous=before,
    )  # fmt: skip
    return _session_out(session)


@router.route(
    "/live/sessions/{session_id:str}",
    "DELETE",
    summary="Stop listening (the spy channel is hung up)",
    tag="live",
    status=204,
    roles=SUPERVISORS,
)
async def stop_session(ctx: Ctx, session_id: str) -> None:
    service = _service(ctx)
    _own_session(ctx, session_id)
    session = await service.stop_session(session_id, f"stopped by user {ctx.principal.id}")
    if session is None:
        raise NotFound("no such listening session (it may have ended already)")
    ctx.audit(
        "call.listen_stop",
        "call",
        session.call_id,
        session_id=session.id,
        seconds=round(time_since(session.started_at)),
    )


def time_since(started_at: float) -> float:
    return max(0.0, dt.datetime.now(dt.UTC).timestamp() - started_at)
