"""Integration fixtures: the same API tests on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from httpx2 import Response
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from callcenter.app import create_app
from callcenter.core.db import is_sqlite, make_engine
from callcenter.core.migrate import upgrade
from callcenter.core.models import Base, Role
from callcenter.core.settings import Settings
from callcenter.managers import service as manager_service
from callcenter.managers.schemas import ManagerIn
from tests.conftest import require_component, run_async
from tests.fakes.threaded_ami import ThreadedAmi, wait_until

PG_URL = os.environ.get(
    "CALLCENTER_TEST_PG_URL",
    "postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/callcenter_test",
)
PASSWORD = "correct-horse-1"
T = TypeVar("T")


async def exec_autocommit(url: str, sql: str) -> None:
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@contextmanager
def scratch_pg_database(suffix: str) -> Iterator[str]:
    """A database of its own for this test process, so parallel runs never share tables."""
    name = f"callcenter_{suffix}_{os.getpid()}"
    admin = make_url(PG_URL).render_as_string(hide_password=False)
    try:
        run_async(exec_autocommit(admin, f'DROP DATABASE IF EXISTS "{name}"'))
        run_async(exec_autocommit(admin, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # connection refused, auth, no such database
        require_component("PostgreSQL", f"{make_url(PG_URL).host}:{make_url(PG_URL).port}: {exc}")
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        run_async(exec_autocommit(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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
def postgres_url() -> Iterator[str]:
    with scratch_pg_database("test") as url:
        upgrade(url)
        yield url


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
        agi_bind="127.0.0.1:0",
        audiosocket_bind="127.0.0.1:0",
        # On PostgreSQL the app leads its PBX after this grace (callcenter/cluster/): short
        # here, so the bridge connects at once; the two-process tests of both tiers' cluster/
        # folders run the real timings.
        leader_grace_seconds=0.4,
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
        async with app.state.services.sessionmaker() as session:
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


def db_call(client: TestClient, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``await fn(session)`` on the app's event loop, then commit."""
    app: Any = client.app

    async def run() -> T:
        async with app.state.services.sessionmaker() as session:
            result = await fn(session)
            await session.commit()
            return result

    assert client.portal is not None
    return client.portal.call(run)


def web_login(client: TestClient, login: str, password: str) -> Response:
    """Submit the /login form as a browser would; the session cookie stays on the client."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    form = {"login": login, "password": password, "csrf_token": found.group(1)}
    return client.post("/login", data=form, follow_redirects=False)


# --- the running service bridged to a fake AMI server over TCP ---------------------------


@pytest.fixture
def ami() -> Iterator[ThreadedAmi]:
    fake = ThreadedAmi()
    yield fake
    fake.close()


def pbx_state(client: TestClient) -> str:
    return str(client.get("/healthz").json()["pbx"].get("default", {}).get("state"))


@pytest.fixture
def bridged(settings: Settings, ami: ThreadedAmi) -> Iterator[TestClient]:
    configured = settings.model_copy(update={"ami_username": "crm", "ami_port": ami.server.port})
    configured.ami_secret = type(settings.ami_secret)("crm-secret")
    with TestClient(create_app(configured)) as client:
        wait_until(lambda: ami.server.logins >= 1 and pbx_state(client) == "connected")
        yield client
