"""The website's "call me back" through the running service: the shop's page is
https://shop.example; limits high enough for a test's requests unless a test asks for its own
(``@pytest.mark.parametrize("limits", [{...}])``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from callcenter.core.settings import Settings
from tests.integration.conftest import Team

SHOP = "https://shop.example"
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ROUND_THE_CLOCK = {day: {"open": "00:00", "close": "24:00"} for day in WEEK}
# Monday to Friday, 09:00-18:00 on the shop's clock (Moscow).
WEEKDAYS = {day: {"open": "09:00", "close": "18:00"} for day in WEEK[:5]} | {
    "sat": None,
    "sun": None,
}


@pytest.fixture
def limits() -> dict[str, Any]:
    return {"callback_per_address": 1000, "callback_per_phone": 1000}


@pytest.fixture
def settings(settings: Settings, limits: dict[str, Any]) -> Settings:
    return settings.model_copy(update={"callback_origins": SHOP, **limits})


def ask(
    client: TestClient,
    body: dict[str, Any],
    origin: str | None = SHOP,
    headers: dict[str, str] | None = None,
) -> Response:
    """The widget's POST from the shop's page."""
    sent = ({"Origin": origin} if origin else {}) | (headers or {})
    return client.post("/api/v1/web-callbacks", json=body, headers=sent)


def set_hours(client: TestClient, team: Team, hours: dict[str, Any]) -> None:
    response = client.put("/api/v1/settings/hours", json=hours, headers=team.admin.auth)
    assert response.status_code == 200, response.text


def freeze(client: TestClient, moment: dt.datetime) -> None:
    """The moment the working hours are read against."""
    app: Any = client.app
    app.state.services.web_callbacks.clock = lambda: moment


def available(client: TestClient, team: Team, *users: Any) -> None:
    for user in users:
        response = client.put(
            f"/api/v1/managers/{user.id}/status",
            json={"status": "available"},
            headers=team.admin.auth,
        )
        assert response.status_code == 200, response.text


def callbacks(client: TestClient, team: Team, **params: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/tasks", params={"kind": "callback", **params}, headers=team.supervisor.auth
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])
