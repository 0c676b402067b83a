"""Integration fixtures: the same API tests on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from callcenter.app import create_app
from callcenter.db import is_sqlite, make_engine
from callcenter.migrate import upgrade
from callcenter.models import Base, Role
from callcenter.schemas import ManagerIn
from callcenter.services import managers as manager_service
from callcenter.settings import Settings
from tests.conftest import require_component, run_async

PG_URL = os.environ.get(
    "CALLCENTER_TEST_PG_URL",
    "postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/callcenter_test",
)
PASSWORD = "correct-horse-1"


async def _reset_pg_schema(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def _clean(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
            if is_sqlite(url):
                for name in tables:
                    await conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - fixed names
            else:
                joined = ", ".join(f'"{n}"' for n in tables)
                await conn.execute(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    try:
        run_async(_reset_pg_schema(PG_URL))
    except Exception as exc:  # connection refused, auth, missing database
        require_component("PostgreSQL", f"{PG_URL.split('@')[-1]}: {exc}")
    upgrade(PG_URL)
    return PG_URL


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    run_async(_clean(url))
    return url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=db_url,
        var_dir=tmp_path,
        secret_key="test-secret-key",
        recordings_dir=tmp_path / "recordings",
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@dataclass
class User:
    id: int
    login: str
    role: Role
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_user(client: TestClient, login: str, role: Role, extension: str | None = None) -> User:
    app: Any = client.app

    async def create() -> User:
        async with app.state.sessionmaker() as session:
            body = ManagerIn(login=login, password=PASSWORD, role=role, extension=extension)
            manager = await manager_service.create(session, body)
            _, token = await manager_service.create_token(session, manager, "tests")
            await session.commit()
            return User(manager.id, login, role, token)

    assert client.portal is not None
    return client.portal.call(create)


@dataclass
class Team:
    admin: User
    supervisor: User
    op1: User
    op2: User


@pytest.fixture
def team(client: TestClient) -> Team:
    return Team(
        admin=make_user(client, "admin", Role.ADMIN),
        supervisor=make_user(client, "sup", Role.SUPERVISOR, "100"),
        op1=make_user(client, "op1", Role.OPERATOR, "101"),
        op2=make_user(client, "op2", Role.OPERATOR, "102"),
    )
