"""The service running against the real test PBX, and what tests read back from it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from callcenter.app import create_app
from callcenter.core.migrate import upgrade
from callcenter.core.models import Manager, Role
from callcenter.core.settings import Settings
from callcenter.managers import service as manager_service
from tests.asterisk.pbx import AMI_PORT, AMI_SECRET, AMI_USERNAME
from tests.integration.conftest import User, make_user


def wait_until(predicate: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not met within {timeout} s")


class Service:
    def __init__(self, client: TestClient, existing: bool = False) -> None:
        """The test's users: made now, or (``existing``) those an earlier start made."""
        self.client = client
        user = _existing_user if existing else make_user
        self.sup = user(client, "sup", Role.SUPERVISOR, None)
        self.m101 = user(client, "m101", Role.OPERATOR, "101")
        self.m102 = user(client, "m102", Role.OPERATOR, "102")
        self.m104 = user(client, "m104", Role.OPERATOR, "104")

    def pbx(self) -> dict[str, Any]:
        return dict(self.client.get("/healthz").json()["pbx"]["default"])

    def calls(self) -> list[dict[str, Any]]:
        response = self.client.get("/api/v1/calls", headers=self.sup.auth)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    def ended_call(self, timeout: float = 40) -> dict[str, Any]:
        ended = wait_until(lambda: [c for c in self.calls() if c["status"]], timeout)
        assert len(ended) == 1, ended
        return ended[0]


def _existing_user(client: TestClient, login: str, role: Role, _extension: str | None) -> User:
    app: Any = client.app

    async def token() -> User:
        async with app.state.services.sessionmaker() as session:
            manager = await session.scalar(select(Manager).where(Manager.login == login))
            assert manager is not None, login
            _, secret = await manager_service.create_token(session, manager, "tests")
            await session.commit()
            return User(manager.id, login, role, secret)

    assert client.portal is not None
    return client.portal.call(token)


def run_service(tmp_path: Path, *, existing: bool = False, **overrides: Any) -> Iterator[Service]:
    """The whole service on a fresh SQLite database, bridged to the test PBX's AMI; FastAGI on
    the port the test dialplan asks (127.0.0.1:4573) unless ``agi_bind`` says otherwise."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'pbx.db'}"
    if not existing:
        upgrade(url)
    values: dict[str, Any] = {
        "database_url": url,
        "var_dir": tmp_path,
        "ami_port": AMI_PORT,
        "ami_username": AMI_USERNAME,
        "ami_secret": AMI_SECRET,
        # CI machines are shared and loaded: routing is given time here, so these tests check
        # decisions; the 50 ms budget itself is tested in tests/integration/routing/test_agi.py.
        "agi_budget_ms": 1000,
        **overrides,
    }
    with TestClient(create_app(Settings(_env_file=None, **values))) as client:
        service = Service(client, existing)
        wait_until(lambda: service.pbx()["state"] == "connected")
        yield service
