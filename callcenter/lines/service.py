"""Lines: validation, storage, and ``LineBook``, the in-memory number → line map that the
pop and routing read on every call without a query."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.core.errors import Conflict, Invalid, NotFound
from callcenter.core.models import Line, Manager
from callcenter.core.phones import try_normalize_phone
from callcenter.lines.schemas import LineIn

_NUMBER = re.compile(r"^\+?[0-9()\-.\s*#]{1,40}$")


def clean_number(raw: str, region: str) -> str:
    """The stored form of a line's number; a clear error for anything that is not one."""
    text = raw.strip()
    if not _NUMBER.match(text) or not any(ch.isdigit() for ch in text):
        raise Invalid("number", "a line is a phone number or a PBX extension: digits only")
    phone = try_normalize_phone(text, region)
    if phone is not None:
        return phone
    if not text.replace("*", "").replace("#", "").isdigit():
        raise Invalid("number", f"{text!r} is not a valid phone number")
    return text


async def _check_group(session: AsyncSession, group: list[int]) -> None:
    known = set(await session.scalars(select(Manager.id).where(Manager.id.in_(group))))
    for i, manager_id in enumerate(group):
        if manager_id not in known:
            raise Invalid(f"group.{i}", f"no manager with id {manager_id}")


async def save_line(
    session: AsyncSession, body: LineIn, region: str, line: Line | None = None
) -> Line:
    number = clean_number(body.number, region)
    await _check_group(session, body.group)
    taken = await session.scalar(select(Line).where(Line.number == number))
    if taken is not None and taken is not line:
        raise Conflict(f"the line {number} already exists: {taken.name}")
    if line is None:
        line = Line(number=number)
        session.add(line)
    line.number = number
    line.name = body.name.strip()
    line.source = body.source.strip() if body.source and body.source.strip() else None
    line.group = list(dict.fromkeys(body.group))
    await session.flush()
    return line


async def get_line(session: AsyncSession, line_id: int) -> Line:
    line = await session.get(Line, line_id)
    if line is None:
        raise NotFound(f"no line with id {line_id}")
    return line


async def line_infos(
    session: AsyncSession, numbers: Iterable[str | None]
) -> dict[str, tuple[str, str | None]]:
    """(name, source) of these numbers' lines, by number."""
    wanted = {n for n in numbers if n}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Line.number, Line.name, Line.source).where(Line.number.in_(wanted))
    )
    return {number: (name, source) for number, name, source in rows}


@dataclass(frozen=True)
class LineInfo:
    name: str
    group: tuple[int, ...]
    source: str | None = None


class LineBook:
    """Every line, by number, read once and again at most every ``ttl`` seconds or after an
    admin's change (``invalidate``); the hot paths (the pop, routing) only look it up."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], ttl: float = 30.0) -> None:
        self.sessionmaker = sessionmaker
        self.ttl = ttl
        self._lines: dict[str, LineInfo] = {}
        self._loaded_at = -1e9

    def invalidate(self) -> None:
        self._loaded_at = -1e9

    async def refresh(self) -> None:
        if time.monotonic() - self._loaded_at < self.ttl:
            return
        async with self.sessionmaker() as session:
            rows = await session.scalars(select(Line))
            self._lines = {
                ln.number: LineInfo(ln.name, tuple(ln.group), ln.source) for ln in rows
            }
        self._loaded_at = time.monotonic()

    def get(self, number: str | None) -> LineInfo | None:
        return self._lines.get(number) if number else None
