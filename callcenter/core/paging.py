"""One page of a list query: the total, and ``limit`` rows from ``offset`` in a stable order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.errors import Invalid
from callcenter.core.models import to_utc_naive
from callcenter.core.schemas import Page, PageQuery

T = TypeVar("T")


async def fetch_page(
    session: AsyncSession, query: Select[Any], q: PageQuery, *order_by: Any
) -> tuple[list[Any], int]:
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(query.order_by(*order_by).limit(q.limit).offset(q.offset))
    return list(rows), total


async def paginate(
    session: AsyncSession,
    query: Select[Any],
    q: PageQuery,
    *order_by: Any,
    convert: Callable[[Any], T],
) -> Page[T]:
    rows, total = await fetch_page(session, query, q, *order_by)
    return Page(items=[convert(r) for r in rows], total=total, limit=q.limit, offset=q.offset)


def within(
    query: Select[Any], column: Any, start: dt.datetime | None, end: dt.datetime | None
) -> Select[Any]:
    """``start <= column < end`` (either open); an end before the start is a 422 on ``until``,
    the name every list query gives it."""
    if start is not None and end is not None and end < start:
        raise Invalid("until", "the end is before the start")
    if start is not None:
        query = query.where(column >= to_utc_naive(start))
    if end is not None:
        query = query.where(column < to_utc_naive(end))
    return query
