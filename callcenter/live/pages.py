"""The supervisors' live board: calls, managers, callbacks and today's counters, kept live by
``static/live.js`` over ``/ws?board=1`` (see board.py)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from callcenter.core.api import Ctx
from callcenter.core.errors import Forbidden
from callcenter.core.i18n import DEVICE_STATE_KEYS, translate
from callcenter.core.pages import language, page, show

# Strings live.js needs, on top of the workplace's.
LIVE_JS_STRINGS = (
    "live.ringing",
    "live.talking",
    "live.listen",
    "live.stop",
    "live.listening",
    "live.listen_failed",
    "live.mode.listen",
    "live.mode.whisper",
    "live.mode.barge",
    "live.mode.now.listen",
    "live.mode.now.whisper",
    "live.mode.now.barge",
    "live.mode.no_mic",
    "live.mode_failed",
    "live.no_calls",
    "live.no_tasks",
    "live.cluster.pbx",
    "live.cluster.here",
    "live.cluster.none",
    "live.cluster.instance",
    "live.overdue",
    "live.unknown",
    "live.error.call_not_live",
    "live.error.call_not_answered",
    "live.error.listen_unavailable",
    "live.error.not_found",
    "error.network",
    "direction.in",
    "direction.out",
    "direction.internal",
    "presence.available",
    "presence.busy",
    "presence.break",
    "presence.offline",
    "unit.seconds",
    "task.callback",
    "device.browser",
    "device.unreachable",
    *DEVICE_STATE_KEYS,
)


@page
async def live_board(ctx: Ctx) -> Response:
    if not ctx.principal.sees_everything:
        raise Forbidden("the live board is for supervisors and admins", code="supervisors_only")
    lang = language(ctx.request)
    return await show(
        ctx,
        "live.html",
        nav="live",
        live_strings={key: translate(key, lang) for key in LIVE_JS_STRINGS},
    )


routes = [Route("/live", live_board, methods=["GET"])]
