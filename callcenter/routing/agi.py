"""The FastAGI server the dialplan asks for routes."""

from __future__ import annotations

import logging

from callcenter.core.settings import Settings
from callcenter.routing.service import CallRouting
from pbx_bridge.agi import FastAgiServer

log = logging.getLogger(__name__)


async def start_agi(settings: Settings, routing: CallRouting) -> FastAgiServer | None:
    """Off when CALLCENTER_AGI_BIND is empty. A port that cannot be bound is logged, not
    fatal: the dialplan falls back by itself."""
    if not settings.agi_bind:
        return None
    host, port = settings.agi_host_port
    server = FastAgiServer(
        {"route": routing.route},
        fallback=CallRouting.fallback_variables,
        budget=settings.agi_budget_ms / 1000,
    )
    try:
        await server.start(host, port)
    except OSError as exc:
        log.error(
            "FastAGI cannot listen on %s: %s; calls take the dialplan's fallback",
            settings.agi_bind,
            exc,
        )
        return None
    return server
