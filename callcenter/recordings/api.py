"""Recordings: list, metadata with the waveform, coaching reviews, and the audio itself.

The audio is a plain Starlette route (it streams bytes and answers HTTP Range), with the same
authentication as the JSON API: a session cookie or a bearer token.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.auth import authenticate
from callcenter.core.errors import Conflict, Invalid, NotFound, Unauthorized, error_body
from callcenter.core.models import Call, Recording, RecordingStatus, Role
from callcenter.core.schemas import Page
from callcenter.recordings import service
from callcenter.recordings.schemas import RecordingDetail, RecordingOut, RecordingQuery, ReviewIn
from callcenter.services import services_of
from recordings.http_range import RangeNotSatisfiable, parse_range, stream_file
from recordings.storage import Storage

log = logging.getLogger(__name__)
router = ApiRouter()
_TRUE, _FALSE = {"1", "true", "yes"}, {"0", "false", "no", ""}


@router.route(
    "/recordings",
    "GET",
    summary="Call recordings (operators: the calls they answered)",
    tag="recordings",
    query=RecordingQuery,
    response=Page[RecordingOut],
)
async def list_recordings(ctx: Ctx, query: RecordingQuery) -> Page[RecordingOut]:
    return await service.list_recordings(
        ctx.session, ctx.principal, query, ctx.settings.default_region
    )


@router.route(
    "/recordings/{public_id:uuid}",
    "GET",
    summary="A recording's metadata and waveform peaks",
    tag="recordings",
    response=RecordingDetail,
)
async def get_recording(ctx: Ctx, public_id: Any) -> RecordingOut:
    recording, call = await service.get_visible(ctx.session, ctx.principal, str(public_id))
    return service.recording_out(recording, call, detail=True)


@router.route(
    "/recordings/{public_id:uuid}/review",
    "PUT",
    summary="Score (1-5) and comment a call for coaching (supervisors, admins)",
    tag="recordings",
    body=ReviewIn,
    response=RecordingDetail,
    roles=[Role.SUPERVISOR, Role.ADMIN],
)
async def review_recording(ctx: Ctx, public_id: Any, body: ReviewIn) -> RecordingOut:
    recording, call = await service.get_visible(ctx.session, ctx.principal, str(public_id))
    service.review(recording, ctx.principal, body)
    ctx.audit("recording.review", "recording", recording.public_id, score=body.score)
    return service.recording_out(recording, call, detail=True)


# --- audio ----------------------------------------------------------------------------------


def _download_flag(request: Request) -> bool:
    for key in request.query_params:
        if key != "download":
            raise Invalid(key, "unknown query parameter")
    value = request.query_params.get("download", "").lower()
    if value not in _TRUE | _FALSE:
        raise Invalid("download", "use 1 or 0")
    return value in _TRUE


def _filename(recording: Recording, call: Call) -> str:
    return f"call-{call.id}-{call.started_at:%Y%m%d-%H%M%S}.{recording.format}"


async def _stored_size(storage: Storage, recording: Recording) -> int:
    """The size of a ready recording's file; 409 while there is nothing to play, 404 when
    the file went missing."""
    if recording.status is not RecordingStatus.READY:
        why = f": {recording.error}" if recording.error else ""
        raise Conflict(
            f"the recording is {recording.status.value}{why}",
            code=f"recording_{recording.status.value}",
            details={"status": recording.status.value, "error": recording.error},
        )
    try:
        return await asyncio.to_thread(storage.size, recording.storage_key)
    except FileNotFoundError:
        log.error("recording %s: file %s is gone", recording.public_id, recording.storage_key)
        raise NotFound(
            "the recording's file is missing from storage", code="recording_file_missing"
        ) from None


def _audio_headers(recording: Recording, call: Call, etag: str, download: bool) -> dict[str, str]:
    disposition = "attachment" if download else "inline"
    return {
        "accept-ranges": "bytes",
        "etag": etag,
        "cache-control": "private, no-store",
        "content-disposition": f'{disposition}; filename="{_filename(recording, call)}"',
    }


async def recording_audio(request: Request) -> Response:
    public_id = str(request.path_params["public_id"])
    storage = services_of(request).recordings.storage
    async with services_of(request).sessionmaker() as session:
        principal = await authenticate(request, session)
        if principal is None:
            raise Unauthorized("log in or send an API token")
        download = _download_flag(request)
        recording, call = await service.get_visible(session, principal, public_id)
        size = await _stored_size(storage, recording)
        etag = f'"{recording.public_id}-{size}"'
        headers = _audio_headers(recording, call, etag, download)
        range_header = request.headers.get("range")
        if_range = request.headers.get("if-range")
        if if_range is not None and if_range.strip() != etag:
            range_header = None  # the client holds another version: send it all
        try:
            byte_range = parse_range(range_header, size)
        except RangeNotSatisfiable as exc:
            return JSONResponse(
                error_body("range_not_satisfiable", exc.reason, {"size": size}),
                status_code=416,
                headers={"content-range": exc.content_range, "accept-ranges": "bytes"},
            )
        start, length = (0, size) if byte_range is None else (byte_range.start, byte_range.length)
        # One entry per listen, not per Range request a player makes while seeking.
        if request.method == "GET" and start == 0:
            session.add(
                service.listen_entry(principal, recording, call, request, download, range_header)
            )
            await session.commit()
    status = 200 if byte_range is None else 206
    headers["content-length"] = str(length)
    if byte_range is not None:
        headers["content-range"] = byte_range.content_range(size)
    media_type = service.CONTENT_TYPES.get(recording.format, "application/octet-stream")
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=media_type)
    f = await asyncio.to_thread(storage.open, recording.storage_key)
    return StreamingResponse(
        stream_file(f, start, length), status_code=status, headers=headers, media_type=media_type
    )


def audio_routes(prefix: str) -> list[Route]:
    return [
        Route(
            f"{prefix}/recordings/{{public_id:uuid}}/audio",
            recording_audio,
            methods=["GET", "HEAD"],
        )
    ]


def audio_openapi(prefix: str) -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    audio = {"audio/mpeg": {"schema": {"type": "string", "format": "binary"}}}
    operation = {
        "tags": ["recordings"],
        "security": [{"bearer": []}, {"session": []}],
        "parameters": [
            {
                "name": "public_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "format": "uuid"},
            },
            {
                "name": "download",
                "in": "query",
                "required": False,
                "schema": {"type": "boolean"},
                "description": "1: Content-Disposition attachment",
            },
            {
                "name": "Range",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "bytes=START-END, bytes=START- or bytes=-SUFFIX (one range)",
            },
        ],
        "responses": {
            "200": {"description": "the whole file", "content": audio},
            "206": {"description": "the range asked for (Content-Range)", "content": audio},
            "401": {"description": "not authenticated", "content": error},
            "403": {"description": "not the caller's call", "content": error},
            "404": {"description": "no such recording", "content": error},
            "409": {"description": "not ready: still ingesting, or failed", "content": error},
            "416": {"description": "range not satisfiable (Content-Range: bytes */SIZE)"},
        },
    }
    return {
        f"{prefix}/recordings/{{public_id}}/audio": {
            "get": {**operation, "summary": "Stream a recording (HTTP Range)"},
            "head": {**operation, "summary": "Size and type of a recording"},
        }
    }
