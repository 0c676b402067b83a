"""Recordings as the API shows them: who may see which, filters, coaching reviews, and the
recording columns of the call log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from callcenter.calls.schemas import CallOut
from callcenter.core.auth import Principal
from callcenter.core.errors import Forbidden, Invalid, NotFound
from callcenter.core.models import AuditLog, Call, Recording, RecordingStatus, utcnow
from callcenter.core.paging import within
from callcenter.core.phones import InvalidPhone, normalize_phone
from callcenter.core.schemas import Page
from callcenter.lines.service import line_infos
from callcenter.recordings.schemas import (
    RecordingDetail,
    RecordingOut,
    RecordingQuery,
    ReviewIn,
    ReviewOut,
)
from recordings.audio import MP3

AUDIO_PATH = "/api/v1/recordings/{}/audio"
CONTENT_TYPES = {MP3.name: MP3.content_type}


def may_read(principal: Principal, call: Call) -> bool:
    """Supervisors and admins hear every call; an operator only the calls they answered."""
    return principal.sees_everything or call.manager_id == principal.id


async def with_call(session: AsyncSession, public_id: str) -> tuple[Recording, Call] | None:
    """A recording and its call, by the recording's public id."""
    row = (
        await session.execute(
            select(Recording, Call)
            .join(Call, Call.id == Recording.call_id)
            .where(Recording.public_id == public_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def get_visible(
    session: AsyncSession, principal: Principal, public_id: str
) -> tuple[Recording, Call]:
    found = await with_call(session, public_id)
    if found is None:
        raise NotFound(f"no recording {public_id}")
    recording, call = found
    if not may_read(principal, call):
        raise Forbidden("only supervisors and the manager who took the call may hear it")
    return recording, call


def recording_out(recording: Recording, call: Call, *, detail: bool = False) -> RecordingOut:
    review = None
    if recording.review_score is not None:
        review = ReviewOut(
            score=recording.review_score,
            comment=recording.review_comment or "",
            reviewed_by_id=recording.reviewed_by_id,
            reviewed_at=recording.reviewed_at,
        )
    ready = recording.status is RecordingStatus.READY
    out = RecordingOut(
        id=recording.public_id,
        call_id=call.id,
        linkedid=call.linkedid,
        started_at=call.started_at,
        direction=call.direction,
        phone=call.phone,
        customer_id=call.customer_id,
        manager_id=call.manager_id,
        status=recording.status,
        error=recording.error,
        format=recording.format,
        content_type=CONTENT_TYPES.get(recording.format, "application/octet-stream"),
        duration_seconds=recording.duration_seconds,
        size_bytes=recording.size_bytes,
        channels=recording.channels,
        created_at=recording.created_at,
        audio_url=AUDIO_PATH.format(recording.public_id) if ready else None,
        review=review,
    )
    if detail:
        return RecordingDetail(**out.model_dump(), peaks=list(recording.peaks or []))
    return out


async def list_recordings(
    session: AsyncSession, principal: Principal, q: RecordingQuery, region: str
) -> Page[RecordingOut]:
    query = select(Recording, Call).join(Call, Call.id == Recording.call_id)
    if not principal.sees_everything:
        if q.manager_id is not None and q.manager_id != principal.id:
            raise Forbidden("operators hear only the calls they answered")
        query = query.where(Call.manager_id == principal.id)
    elif q.manager_id is not None:
        query = query.where(Call.manager_id == q.manager_id)
    if q.phone is not None:
        try:
            query = query.where(Call.phone == normalize_phone(q.phone, region))
        except InvalidPhone as exc:
            raise Invalid("phone", str(exc)) from None
    query = within(query, Call.started_at, q.from_, q.until)
    for column, value in (
        (Call.id, q.call_id),
        (Call.customer_id, q.customer_id),
        (Call.direction, q.direction),
        (Recording.status, q.status),
    ):
        if value is not None:
            query = query.where(column == value)
    if q.min_duration is not None:
        query = query.where(Recording.duration_seconds >= q.min_duration)
    if q.max_duration is not None:
        query = query.where(Recording.duration_seconds <= q.max_duration)
    if q.reviewed is not None:
        reviewed = Recording.review_score.is_not(None)
        query = query.where(reviewed if q.reviewed else ~reviewed)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.execute(
        query.order_by(Call.started_at.desc(), Recording.id.desc()).limit(q.limit).offset(q.offset)
    )
    return Page(
        items=[recording_out(recording, call) for recording, call in rows],
        total=total,
        limit=q.limit,
        offset=q.offset,
    )


def listen_entry(
    principal: Principal,
    recording: Recording,
    call: Call,
    conn: HTTPConnection,
    download: bool,
    range_header: str | None,
) -> AuditLog:
    return AuditLog(
        actor_id=principal.id,
        action="recording.listen",
        target_type="recording",
        target_id=recording.public_id,
        details={"call_id": call.id, "download": download, "range": range_header},
        ip=conn.client.host if conn.client else None,
    )


def review(recording: Recording, principal: Principal, body: ReviewIn) -> None:
    recording.review_score = body.score
    recording.review_comment = body.comment
    recording.reviewed_by_id = principal.id
    recording.reviewed_at = utcnow()


# --- the call log's view of recordings -------------------------------------------------------


def has_ready_recording() -> ColumnElement[bool]:
    return exists().where(Recording.call_id == Call.id, Recording.status == RecordingStatus.READY)


async def calls_out(session: AsyncSession, calls: Sequence[Call]) -> list[CallOut]:
    """CallOut with each call's recording: the first ready one, else the latest attempt."""
    rows = await session.execute(
        select(Recording.call_id, Recording.public_id, Recording.status, Recording.error)
        .where(Recording.call_id.in_([c.id for c in calls]))
        .order_by(Recording.id)
    )
    chosen: dict[int, tuple[str, RecordingStatus, str | None]] = {}
    for call_id, public_id, status, error in rows:
        current = chosen.get(call_id)
        if current is None or current[1] is not RecordingStatus.READY:
            chosen[call_id] = (public_id, status, error)
    lines = await line_infos(session, (c.line for c in calls))
    out = []
    for call in calls:
        item = CallOut.model_validate(call)
        item.line_name, item.line_source = lines.get(call.line or "", (None, None))
        if call.id in chosen:
            public_id, status, error = chosen[call.id]
            item = item.model_copy(
                update={
                    "has_recording": status is RecordingStatus.READY,
                    "recording_id": public_id,
                    "recording_status": status,
                    "recording_error": error,
                }
            )
        out.append(item)
    return out
