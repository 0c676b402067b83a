"""The call log as operators and supervisors read it."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.auth import Principal
from callcenter.errors import Forbidden, NotFound
from callcenter.models import Call, CallRing
from callcenter.schemas import CallOut, CallQuery, Page
from callcenter.services.orders import to_utc_naive


def took_part(manager_id: int) -> ColumnElement[bool]:
    """Calls a manager answered or whose phone rang for."""
    return or_(
        Call.manager_id == manager_id,
        exists().where(CallRing.call_id == Call.id, CallRing.manager_id == manager_id),
    )


async def get_visible(session: AsyncSession, principal: Principal, call_id: int) -> Call:
    call = await session.get(Call, call_id)
    if call is None:
        raise NotFound(f"no call with id {call_id}")
    if not principal.sees_everything and not (
        call.manager_id == principal.id or principal.id in call.rang_manager_ids
    ):
        raise Forbidden("this call is in another manager's log")
    return call


async def list_calls(session: AsyncSession, principal: Principal, q: CallQuery) -> Page[CallOut]:
    query = select(Call)
    if not principal.sees_everything:
        if q.manager_id is not None and q.manager_id != principal.id:
            raise Forbidden("operators see their own call log only")
        query = query.where(took_part(principal.id))
    elif q.manager_id is not None:
        query = query.where(took_part(q.manager_id))
    if q.from_ is not None:
        query = query.where(Call.started_at >= to_utc_naive(q.from_))
    if q.until is not None:
        query = query.where(Call.started_at < to_utc_naive(q.until))
    if q.customer_id is not None:
        query = query.where(Call.customer_id == q.customer_id)
    if q.direction is not None:
        query = query.where(Call.direction == q.direction)
    if q.status is not None:
        query = query.where(Call.status == q.status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(Call.started_at.desc(), Call.id.desc()).limit(q.limit).offset(q.offset)
    )
    return Page(
        items=[CallOut.model_validate(c) for c in rows], total=total, limit=q.limit, offset=q.offset
    )
