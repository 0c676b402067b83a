"""Migration 0008 reads the lines old callbacks wrote into their notes, and writes them back."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

VERSIONS = Path(__file__).resolve().parents[4] / "callcenter" / "migrations" / "versions"


@pytest.fixture(scope="module")
def m0008() -> ModuleType:
    [path] = VERSIONS.glob("*_0008_*.py")
    spec = importlib.util.spec_from_file_location("migration_0008", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OLD = "missed call at 2026-06-15 12:04 UTC\nmissed again at 2026-06-15 12:30 UTC\nclosed by call 9"
DONE = dt.datetime(2026, 6, 15, 12, 41, 5)


def test_the_latest_missed_call_is_the_tasks_call(m0008: ModuleType) -> None:
    events, rest = m0008.legacy_events(OLD, 8, DONE)
    assert events == [
        {"what": "missed", "at": "2026-06-15T12:04:00", "call_id": None},
        {"what": "missed_again", "at": "2026-06-15T12:30:00", "call_id": 8},
        {"what": "closed", "at": "2026-06-15T12:41:05", "call_id": 9},
    ]
    assert rest == ""
    assert m0008.legacy_note(rest, events) == OLD


def test_other_lines_stay_in_the_note(m0008: ModuleType) -> None:
    # The note was cut to its last 2000 characters: a first line may be half of one.
    note = "d call at 2026-06-15 12:04 UTC\nmissed again at 2026-06-15 12:30 UTC\nclosed by call 9"
    events, rest = m0008.legacy_events(note, 8, None)  # not done: "closed" is not believed
    assert [e["what"] for e in events] == ["missed_again"]
    assert rest == "d call at 2026-06-15 12:04 UTC\nclosed by call 9"
    assert m0008.legacy_events("", None, None) == ([], "")
