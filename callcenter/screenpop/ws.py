"""``GET /ws``: the screen-pop WebSocket. A browser authenticates with its session cookie, a
script with ``?token=<API token>``. Unauthenticated connections are closed with 4401, a cookie
sent from another site's page with 4403 (cross-site WebSocket hijacking)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from callcenter.core.auth import Principal, authenticate, authenticate_token
from callcenter.core.errors import ApiError
from callcenter.screenpop.hub import Subscriber
from callcenter.services import services_of

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN = 1013  # the connection fell behind: reconnect and resync


async def _principal(websocket: WebSocket) -> tuple[Principal | None, int, str]:
    token = websocket.query_params.get("token")
    async with services_of(websocket).sessionmaker() as session:
        try:
            if token is not None:
                principal: Principal | None = await authenticate_token(session, token)
            else:
                principal = await authenticate(websocket, session)
            await session.commit()
        except ApiError as exc:
            return None, CLOSE_UNAUTHENTICATED, exc.message
    if principal is None:
        return None, CLOSE_UNAUTHENTICATED, "log in or pass ?token=<API token>"
    if principal.via == "session" and not same_origin(websocket):
        return None, CLOSE_FORBIDDEN, "cross-origin WebSocket with a session cookie"
    return principal, 0, ""


def same_origin(websocket: WebSocket) -> bool:
    """Browsers always send Origin on a WebSocket handshake; it must name this host."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


async def screenpop_socket(websocket: WebSocket) -> None:
    principal, code, reason = await _principal(websocket)
    if principal is None:
        # Accept first: a close before the handshake completes reaches browsers as a bare 1006.
        await websocket.accept()
        await websocket.close(code, reason[:120])
        return
    services = services_of(websocket)
    hub = services.screenpop
    # Subscribed before the browser sees the socket open: nothing falls in between.
    # ?board=1: a supervisor's live board (ignored for operators: no board messages for them).
    board = services.live_board
    wants_board = websocket.query_params.get("board") == "1" and principal.sees_everything
    snapshot = board.snapshot() if wants_board else None
    subscriber = hub.subscribe(principal.id, snapshot)
    if snapshot is not None:
        board.request_refresh()
    tasks: list[asyncio.Future[Any]] = []
    try:
        await websocket.accept()
        sender = asyncio.ensure_future(_send_frames(websocket, subscriber))
        tasks.append(sender)
        # Browsers send nothing; reading only notices the close. The sender ends the
        # connection when it falls behind.
        while True:
            receiving = asyncio.ensure_future(websocket.receive())
            tasks.append(receiving)
            done, _ = await asyncio.wait({receiving, sender}, return_when=asyncio.FIRST_COMPLETED)
            if sender in done or receiving.result()["type"] == "websocket.disconnect":
                break
            tasks.remove(receiving)
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(subscriber)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _send_frames(websocket: WebSocket, subscriber: Subscriber) -> None:
    while True:
        frame = await subscriber.queue.get()
        await websocket.send_text(frame)
        if subscriber.lagging and subscriber.queue.empty():
            log.warning(
                "closing the screen-pop socket of manager %s: it fell behind (%d frames dropped)",
                subscriber.manager_id,
                subscriber.dropped,
            )
            await websocket.close(CLOSE_TRY_AGAIN, "fell behind; reconnect")
            return


_TOKEN_IN_URL = re.compile(r"([?&]token=)[^&\s\"']+")


class RedactTokens(logging.Filter):
    """uvicorn logs each WebSocket's path with its query string: keep ``?token=`` out of logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1<redacted>", a) if isinstance(a, str) else a
                for a in record.args
            )
        if isinstance(record.msg, str) and "token=" in record.msg:
            record.msg = _TOKEN_IN_URL.sub(r"\1<redacted>", record.msg)
        return True


def install_log_redaction() -> None:
    for name in ("uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


routes = [WebSocketRoute("/ws", screenpop_socket)]
