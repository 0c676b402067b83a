"""The service running against the real test PBX, and what tests read back from it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from callcenter.app import create_app
from callcenter.core.migrate import upgrade
from callcenter.core.models import Role
from callcenter.core.settings import Settings
from tests.asterisk.pbx import AMI_PORT, AMI_SECRET, AMI_USERNAME
from tests.integration.conftest import make_user


def wait_until(predicate: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not met within {timeout} s")


class Service:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.sup = make_user(client, "sup", Role.SUPERVISOR)
        self.m101 = make_user(client, "m101", Role.OPERATOR, "101")
        self.m102 = make_user(client, "m102", Role.OPERATOR, "102")
        self.m104 = make_user(client, "m104", Role.OPERATOR, "104")

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


def run_service(tmp_path: Path, **overrides: Any) -> Iterator[Service]:
    """The whole service on a fresh SQLite database, bridged to the test PBX's AMI; FastAGI on
    the port the test dialplan asks (127.0.0.1:4573) unless ``agi_bind`` says otherwise."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'pbx.db'}"
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
        service = Service(client)
        wait_until(lambda: service.pbx()["state"] == "connected")
        yield service
