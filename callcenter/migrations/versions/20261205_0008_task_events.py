"""tasks.events: what happened to a callback (missed calls, the call that closed it) as data

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 12:00:00

Callbacks used to write that history into ``note`` as English lines in UTC ("missed call at
2026-06-15 12:04 UTC", "missed again at …", "closed by call 7"). Those lines become events, so
pages show them in the reader's language and on the shop's clock; a line of another shape
stays in the note. The downgrade writes the events back as the old lines.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_MISSED = re.compile(r"^missed (call|again) at (\d{4}-\d\d-\d\d \d\d:\d\d) UTC$")
_CLOSED = re.compile(r"^closed by call (\d+)$")
_TASKS = sa.table(
    "tasks",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("note", sa.Text),
    sa.column("call_id", sa.Integer),
    sa.column("done_at", sa.DateTime),
    sa.column("events", sa.JSON),
)


def legacy_events(
    note: str, call_id: int | None, done_at: dt.datetime | None
) -> tuple[list[dict[str, Any]], str]:
    """The events an old callback note tells of, and what is left of the note."""
    events: list[dict[str, Any]] = []
    kept: list[str] = []
    for line in note.splitlines():
        missed, closed = _MISSED.match(line.strip()), _CLOSED.match(line.strip())
        if missed:
            at = dt.datetime.strptime(missed[2], "%Y-%m-%d %H:%M")
            what = "missed" if missed[1] == "call" else "missed_again"
            events.append({"what": what, "at": at.isoformat(), "call_id": None})
        elif closed and done_at is not None:
            events.append({"what": "closed", "at": done_at.isoformat(), "call_id": int(closed[1])})
        else:
            kept.append(line)
    last_missed = [e for e in events if e["what"] != "closed"][-1:]
    for event in last_missed:
        event["call_id"] = call_id  # a callback's call is its latest missed one
    return events, "\n".join(kept).strip()


def legacy_note(note: str, events: list[dict[str, Any]]) -> str:
    lines = [note] if note else []
    for event in events:
        if event["what"] == "closed":
            lines.append(f"closed by call {event['call_id']}")
        else:
            word = "call" if event["what"] == "missed" else "again"
            at = dt.datetime.fromisoformat(event["at"])
            lines.append(f"missed {word} at {at:%Y-%m-%d %H:%M} UTC")
    return "\n".join(lines)


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("events", sa.JSON(), nullable=True))
    bind = op.get_bind()
    bind.execute(sa.update(_TASKS).values(events=[]))
    callbacks = bind.execute(
        sa.select(_TASKS.c.id, _TASKS.c.note, _TASKS.c.call_id, _TASKS.c.done_at).where(
            _TASKS.c.kind == "callback", _TASKS.c.note != ""
        )
    ).all()
    for task_id, note, call_id, done_at in callbacks:
        events, rest = legacy_events(note or "", call_id, done_at)
        if events:
            bind.execute(
                sa.update(_TASKS).where(_TASKS.c.id == task_id).values(events=events, note=rest)
            )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.alter_column("events", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_TASKS.c.id, _TASKS.c.note, _TASKS.c.events)).all()
    for task_id, note, events in rows:
        if events:
            note = legacy_note(note or "", events)
            bind.execute(sa.update(_TASKS).where(_TASKS.c.id == task_id).values(note=note))
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("events")
