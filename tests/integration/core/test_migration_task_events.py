"""Migration 0008 turns the English lines old callbacks wrote into their notes into events, and
its downgrade writes them back. On a database left at 0007, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from alembic import command
from sqlalchemy import text

from callcenter.core.db import make_engine
from callcenter.core.migrate import alembic_config, upgrade
from tests.conftest import run_async

# Callbacks before 0008 wrote their history into the note, in English and UTC.
LEGACY = [
    # (kind, note, call_id, done_at) -> what 0008 makes of it: (events, note)
    ("callback", "missed call at 2026-06-15 12:04 UTC", None, None),
    (
        "callback",
        "missed call at 2026-06-15 12:04 UTC\nmissed again at 2026-06-15 12:30 UTC\n"
        "closed by call 7",
        None,
        dt.datetime(2026, 6, 15, 12, 41, 5),
    ),
    ("callback", "перезвонить после обеда", None, None),
    ("manual", "missed call at 2026-06-15 12:04 UTC", None, None),
]


async def _sql(url: str, sql: str, rows: list[dict[str, object]] | None = None) -> list[Any]:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), rows or [{}])
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


def _tasks(url: str, columns: str) -> list[Any]:
    return run_async(_sql(url, f"SELECT {columns} FROM tasks ORDER BY id"))  # noqa: S608


def test_old_callback_notes_become_events_and_come_back_on_downgrade(empty_db: str) -> None:
    upgrade(empty_db, "0007")
    rows = [
        {"title": "Перезвонить: Пётр", "kind": k, "note": n, "call_id": c, "done_at": d}
        for k, n, c, d in LEGACY
    ]
    insert = (
        "INSERT INTO tasks (title, kind, note, call_id, done_at, created_at) "
        "VALUES (:title, :kind, :note, :call_id, :done_at, '2026-06-15 12:05:00')"
    )
    run_async(_sql(empty_db, insert, rows))

    upgrade(empty_db)
    got = [
        (json.loads(e) if isinstance(e, str) else e, n) for e, n in _tasks(empty_db, "events, note")
    ]
    assert got == [
        ([{"what": "missed", "at": "2026-06-15T12:04:00", "call_id": None}], ""),
        (
            [
                {"what": "missed", "at": "2026-06-15T12:04:00", "call_id": None},
                {"what": "missed_again", "at": "2026-06-15T12:30:00", "call_id": None},
                {"what": "closed", "at": "2026-06-15T12:41:05", "call_id": 7},
            ],
            "",
        ),
        ([], "перезвонить после обеда"),  # not a line the service wrote: kept as it was
        ([], "missed call at 2026-06-15 12:04 UTC"),  # a person's note on a manual task
    ]

    command.downgrade(alembic_config(empty_db), "0007")
    assert [n for (n,) in _tasks(empty_db, "note")] == [n for _, n, _, _ in LEGACY]
