"""Webhook tests: a real HTTP receiver on loopback, which the allow-list lets through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from callcenter.core.settings import Settings
from tests.integration.conftest import Team
from tests.webhook_receiver import WebhookReceiver

SECRET = "whsec_test-secret-for-the-receiver"
# Retries in a tenth of a second instead of ten, a second to answer: the same code (the
# sender's own process), a test's patience.
FAST = {"webhook_allow": "127.0.0.1", "webhook_retry_seconds": 0.1, "webhook_timeout_seconds": 1.0}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update=FAST)


@pytest.fixture
def client(bridged: TestClient) -> TestClient:
    """One app for the team and the calls: a second app on the same database would run a
    second sender, which takes deliveries too (as a second instance does, by its lease)."""
    return bridged


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(SECRET)
    yield server
    server.close()


def add_endpoint(
    client: TestClient, team: Team, url: str, events: list[str], **extra: Any
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/webhooks/endpoints",
        json={"name": "shop", "url": url, "events": events, "secret": SECRET, **extra},
        headers=team.admin.auth,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())
