"""HTTP ``Range: bytes=...`` (RFC 9110 §14) for streaming a stored recording."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import BinaryIO

_NUMBER = re.compile(r"[0-9]{1,18}")
CHUNK = 64 * 1024


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class RangeNotSatisfiable(Exception):
    def __init__(self, size: int, reason: str) -> None:
        super().__init__(reason)
        self.size = size
        self.reason = reason

    @property
    def content_range(self) -> str:
        return f"bytes */{self.size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range to send, or None for the whole file.

    None too for another unit and for several ranges (we do not send multipart bodies; RFC 9110
    lets a server ignore Range). A malformed or unsatisfiable byte range raises
    :class:`RangeNotSatisfiable`."""
    if header is None:
        return None
    unit, sep, spec = header.strip().partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    parts = [part.strip() for part in spec.split(",")]
    if len(parts) > 1 and all(parts):
        return None
    first, dash, last = parts[0].partition("-")
    first, last = first.strip(), last.strip()
    if (
        not dash
        or (first and not _NUMBER.fullmatch(first))
        or (last and not _NUMBER.fullmatch(last))
    ):
        raise RangeNotSatisfiable(size, f"malformed range {header!r}")
    if not first:
        if not last or int(last) == 0 or size == 0:
            raise RangeNotSatisfiable(size, f"empty suffix range {header!r}")
        return ByteRange(max(0, size - int(last)), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if end < start:
        raise RangeNotSatisfiable(size, f"range ends before it starts: {header!r}")
    if start >= size:
        raise RangeNotSatisfiable(size, f"range starts at {start}, past the end ({size} bytes)")
    return ByteRange(start, min(end, size - 1))


async def stream_file(
    f: BinaryIO, start: int, length: int, chunk: int = CHUNK
) -> AsyncIterator[bytes]:
    """``length`` bytes of ``f`` from ``start``, read in a worker thread; closes ``f`` at the
    end, also when the client goes away mid-way."""
    try:
        await asyncio.to_thread(f.seek, start)
        left = length
        while left > 0:
            data = await asyncio.to_thread(f.read, min(chunk, left))
            if not data:
                break
            left -= len(data)
            yield data
    finally:
        f.close()
