"""The running service bridged to a fake AMI server over TCP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from callcenter.app import create_app
from callcenter.core.settings import Settings
from tests.fakes.threaded_ami import ThreadedAmi, wait_until


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
