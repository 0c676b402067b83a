"""Migrations build exactly the schema the models describe, and downgrade cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from callcenter.core.db import make_engine
from callcenter.core.migrate import alembic_config, upgrade
from callcenter.core.models import Base
from tests.conftest import run_async


async def _diff_and_tables(url: str) -> tuple[list[object], set[str]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:

            def inspect_sync(sync_conn):  # type: ignore[no-untyped-def]
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                diff = compare_metadata(context, Base.metadata)
                return diff, set(inspect(sync_conn).get_table_names())

            return await conn.run_sync(inspect_sync)
    finally:
        await engine.dispose()


def test_upgrade_matches_models_and_downgrade_empties(empty_db: str) -> None:
    upgrade(empty_db)
    diff, tables = run_async(_diff_and_tables(empty_db))
    assert diff == []
    assert {"customers", "customer_phones", "orders", "calls", "tasks", "audit_log"} <= tables

    upgrade(empty_db)  # idempotent
    command.downgrade(alembic_config(empty_db), "base")
    _, tables = run_async(_diff_and_tables(empty_db))
    assert tables <= {"alembic_version"}
