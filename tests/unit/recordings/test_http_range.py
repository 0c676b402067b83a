"""Range headers, table-driven (RFC 9110 §14)."""

from __future__ import annotations

import io

import pytest

from recordings.http_range import ByteRange, RangeNotSatisfiable, parse_range, stream_file

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=500-599", ByteRange(500, 599)),
        ("bytes=900-", ByteRange(900, 999)),
        ("bytes=0-", ByteRange(0, 999)),
        ("bytes=-100", ByteRange(900, 999)),
        ("bytes=-5000", ByteRange(0, 999)),  # a suffix longer than the file: all of it
        ("bytes=990-5000", ByteRange(990, 999)),  # an end past the file is clamped
        ("BYTES = 10-19", ByteRange(10, 19)),
        ("items=0-5", None),  # another unit is ignored
        ("bytes=0-1,5-6", None),  # several ranges: the whole file, no multipart
    ],
)
def test_ranges(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, SIZE) == expected


@pytest.mark.parametrize(
    "header",
    [
        "bytes=1000-",
        "bytes=5000-6000",
        "bytes=-0",
        "bytes=5-2",
        "bytes=abc",
        "bytes=1-x",
        "bytes=",
        "bytes=-",
        "bytes=+1-2",
        "bytes=١-٢",
    ],
)
def test_unsatisfiable_or_malformed_ranges(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable) as caught:
        parse_range(header, SIZE)
    assert caught.value.content_range == "bytes */1000"


def test_content_range() -> None:
    assert ByteRange(0, 99).content_range(SIZE) == "bytes 0-99/1000"
    assert ByteRange(0, 99).length == 100


def test_any_range_of_an_empty_file_is_unsatisfiable() -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=-10", 0)


async def test_stream_file_reads_the_range_and_closes() -> None:
    f = io.BytesIO(bytes(range(256)) * 10)
    chunks = [c async for c in stream_file(f, 250, 20, chunk=7)]
    assert b"".join(chunks) == bytes(range(250, 256)) + bytes(range(14))
    assert [len(c) for c in chunks] == [7, 7, 6]
    assert f.closed
