"""AMI framing: ``Key: value`` lines ending with CRLF, a blank line after each message."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

Headers = list[tuple[str, str]]
MAX_LINE = 64 * 1024
MAX_HEADERS = 200


class FramingError(ValueError):
    pass


def render(headers: Iterable[tuple[str, str]]) -> bytes:
    return ("".join(f"{key}: {value}\r\n" for key, value in headers) + "\r\n").encode("utf-8")


class Action:
    """One action as a client sent it; a repeated key (``Variable``) keeps every value."""

    def __init__(self, headers: Headers) -> None:
        self.headers = headers

    def get(self, key: str, default: str = "") -> str:
        wanted = key.lower()
        for name, value in self.headers:
            if name.lower() == wanted:
                return value
        return default

    def all(self, key: str) -> list[str]:
        wanted = key.lower()
        return [value for name, value in self.headers if name.lower() == wanted]

    @property
    def name(self) -> str:
        return self.get("Action").strip().lower()

    @property
    def action_id(self) -> str:
        return self.get("ActionID")


async def read_action(reader: asyncio.StreamReader) -> Action | None:
    """The next action, or None at the end of the stream. Accepts CRLF and bare LF."""
    headers: Headers = []
    while True:
        try:
            raw = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            return None
        except asyncio.LimitOverrunError as exc:
            raise FramingError(f"a line over {MAX_LINE} bytes") from exc
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            if headers:
                return Action(headers)
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise FramingError(f"not a 'Key: value' line: {line[:80]!r}")
        headers.append((key.strip(), value.strip()))
        if len(headers) > MAX_HEADERS:
            raise FramingError(f"more than {MAX_HEADERS} headers in one action")
