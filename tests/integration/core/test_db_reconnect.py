"""PostgreSQL connections that the server closed (a restart, an idle timeout): a pooled
connection idle for a while is pinged before use and replaced when dead; one that died while
in use fails that one statement, and the pool then reconnects. A real PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from starlette.testclient import TestClient

from callcenter.core.db import make_engine
from tests.conftest import run_async
from tests.integration.conftest import Team, _clean

pytestmark = pytest.mark.postgres


async def _kill_backends(url: str) -> int:
    """Terminate every server process of this database, as a restart would."""
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            killed = await conn.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": make_url(url).database},
            )
            return int(killed or 0)
    finally:
        await admin.dispose()


async def _backend_pid(engine) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT pg_backend_pid()")))


def test_an_idle_connection_that_died_is_replaced_before_use(postgres_url: str) -> None:
    async def scenario() -> tuple[int, int, int]:
        engine = make_engine(postgres_url, ping_after_idle=0.0)
        try:
            first = await _backend_pid(engine)
            killed = await _kill_backends(postgres_url)
            second = await _backend_pid(engine)  # no error: the ping found it dead
            return first, killed, second
        finally:
            await engine.dispose()

    first, killed, second = run_async(scenario())
    assert killed >= 1
    assert second != first


def test_a_busy_connection_that_died_fails_once_then_the_pool_reconnects(
    postgres_url: str,
) -> None:
    async def scenario() -> tuple[int, int]:
        engine = make_engine(postgres_url, ping_after_idle=3600.0)  # never pinged here
        try:
            first = await _backend_pid(engine)
            await _kill_backends(postgres_url)
            with pytest.raises(DBAPIError) as failed:
                await _backend_pid(engine)
            assert failed.value.connection_invalidated
            return first, await _backend_pid(engine)
        finally:
            await engine.dispose()

    first, second = run_async(scenario())
    assert second != first


@pytest.fixture
def db_url(postgres_url: str) -> str:
    """This module's API test runs on PostgreSQL only (SQLite has no server to restart)."""
    run_async(_clean(postgres_url))
    return postgres_url


def test_the_api_answers_503_once_and_then_works_again(client: TestClient, team: Team) -> None:
    assert client.get("/api/v1/customers", headers=team.admin.auth).status_code == 200
    run_async(_kill_backends(str(client.app.state.services.settings.database_url)))  # type: ignore[attr-defined]
    failed = client.get("/api/v1/customers", headers=team.admin.auth)
    assert failed.status_code == 503, failed.text
    assert failed.json()["error"]["code"] == "database_unavailable"
    assert failed.headers["retry-after"] == "1"
    assert client.get("/api/v1/customers", headers=team.admin.auth).status_code == 200
