"""Recorded AMI traces (tests/fixtures/ami/*.txt): raw AMI text as Asterisk sent it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ami"


def parse_messages(text: str) -> list[dict[str, Any]]:
    """``Key: value`` blocks; a repeated key (ChanVariable) becomes a list, as in panoramisk."""
    messages: list[dict[str, Any]] = []
    for block in text.split("\r\n\r\n"):
        headers: dict[str, Any] = {}
        for line in block.split("\r\n"):
            key, sep, value = line.partition(": ")
            if not sep:
                continue
            if key in headers:
                previous = headers[key]
                headers[key] = (
                    [*previous, value] if isinstance(previous, list) else [previous, value]
                )
            else:
                headers[key] = value
        if headers:
            messages.append(headers)
    return messages


def load_trace(name: str) -> list[dict[str, Any]]:
    return parse_messages((FIXTURES / f"{name}.txt").read_bytes().decode("utf-8"))


def trace_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.txt").read_bytes()
