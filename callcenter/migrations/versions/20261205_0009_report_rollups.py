"""report roll-ups: daily sums for the reports, kept true by triggers that mark changed days

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 12:30:00

Triggers on calls, call_rings, orders and tasks append the UTC day of every row written
(before and after an update) to report_stale; callcenter/reports/rollups.py rebuilds those
days. Every day that already holds data is marked here, so the first run builds them all.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# table -> the column whose day a row counts on
WATCHED = {"calls": "started_at", "orders": "created_at", "tasks": "created_at"}
Columns = dict[str, list[tuple[str, Any]]]
KEYS: Columns = {
    "report_call_days": [
        ("manager_id", sa.Integer()),
        ("line", sa.String(40)),
        ("direction", sa.String(16)),
    ],
    "report_offer_days": [("manager_id", sa.Integer())],
    "report_hours": [("hour", sa.Integer())],
    "report_waits": [("manager_id", sa.Integer()), ("line", sa.String(40)), ("wait", sa.Integer())],
    "report_order_days": [("manager_id", sa.Integer())],
    "report_task_days": [("manager_id", sa.Integer()), ("kind", sa.String(32))],
    "report_callback_delays": [("manager_id", sa.Integer()), ("minutes", sa.Integer())],
}
SUMS: Columns = {
    "report_call_days": [
        ("calls", sa.Integer()),
        ("answered", sa.Integer()),
        ("wait_sum", sa.BigInteger()),
        ("talk_sum", sa.BigInteger()),
    ],
    "report_offer_days": [
        ("offered", sa.Integer()),
        ("answered", sa.Integer()),
        ("missed", sa.Integer()),
    ],
    "report_hours": [("inbound", sa.Integer()), ("answered", sa.Integer())],
    "report_waits": [("calls", sa.Integer())],
    "report_order_days": [
        ("orders", sa.Integer()),
        ("completed", sa.Integer()),
        ("after_call", sa.Integer()),
    ],
    "report_task_days": [
        ("given", sa.Integer()),
        ("closed", sa.Integer()),
        ("on_time", sa.Integer()),
    ],
    "report_callback_delays": [("callbacks", sa.Integer())],
}

PG_FUNCTIONS = (
    """
CREATE FUNCTION report_stale_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO report_stale (day) VALUES ((to_jsonb(OLD) ->> TG_ARGV[0])::timestamp::date);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO report_stale (day) VALUES ((to_jsonb(NEW) ->> TG_ARGV[0])::timestamp::date);
  END IF;
  RETURN NULL;
END $$
""",
    """
CREATE FUNCTION report_stale_ring() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_stale (day)
  SELECT started_at::date FROM calls
  WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.call_id ELSE NEW.call_id END;
  RETURN NULL;
END $$
""",
)


# The statements below are made of this module's constants only (S608 is told so).
def _sqlite_triggers() -> list[str]:
    statements = []
    for table, column in WATCHED.items():
        for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
            body = " ".join(
                f"INSERT INTO report_stale (day) VALUES (date({row}.{column}));"  # noqa: S608
                for row in rows
            )
            statements.append(
                f"CREATE TRIGGER report_stale_{table}_{event.lower()} AFTER {event} ON {table} "
                f"FOR EACH ROW BEGIN {body} END"
            )
    for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
        statements.append(
            f"CREATE TRIGGER report_stale_call_rings_{event.lower()} AFTER {event} ON call_rings "  # noqa: S608
            f"FOR EACH ROW BEGIN INSERT INTO report_stale (day) "
            f"SELECT date(started_at) FROM calls WHERE id = {row}.call_id; END"
        )
    return statements


def _postgres_triggers() -> list[str]:
    statements = list(PG_FUNCTIONS)
    for table, column in WATCHED.items():
        statements.append(
            f"CREATE TRIGGER report_stale AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION report_stale_row('{column}')"
        )
    statements.append(
        "CREATE TRIGGER report_stale AFTER INSERT OR DELETE ON call_rings "
        "FOR EACH ROW EXECUTE FUNCTION report_stale_ring()"
    )
    return statements


def upgrade() -> None:
    op.create_table(
        "report_stale",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_stale")),
    )
    op.create_index(op.f("ix_report_stale_day"), "report_stale", ["day"])
    for table, keys in KEYS.items():
        op.create_table(
            table,
            sa.Column("day", sa.Date(), nullable=False),
            *[sa.Column(name, kind, nullable=False) for name, kind in keys],
            *[sa.Column(name, kind, nullable=False) for name, kind in SUMS[table]],
            sa.PrimaryKeyConstraint("day", *[name for name, _ in keys], name=op.f(f"pk_{table}")),
        )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _sqlite_triggers() if sqlite else _postgres_triggers():
        op.execute(statement)
    day = "date({})" if sqlite else "CAST({} AS DATE)"
    for table, column in WATCHED.items():
        op.execute(
            f"INSERT INTO report_stale (day) SELECT DISTINCT {day.format(column)} FROM {table}"  # noqa: S608
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in (*WATCHED, "call_rings"):
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS report_stale_{table}_{event}")
    else:
        for table in (*WATCHED, "call_rings"):
            op.execute(f"DROP TRIGGER IF EXISTS report_stale ON {table}")
        op.execute("DROP FUNCTION IF EXISTS report_stale_row()")
        op.execute("DROP FUNCTION IF EXISTS report_stale_ring()")
    for table in reversed(list(KEYS)):
        op.drop_table(table)
    op.drop_index(op.f("ix_report_stale_day"), table_name="report_stale")
    op.drop_table("report_stale")
