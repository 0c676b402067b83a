"""Webhook endpoints through the API and the admin's pages: who may, what is refused and why,
the secret shown once. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from callcenter.core.models import DeliveryState, WebhookEndpoint
from callcenter.webhooks.outbox import emit
from tests.integration.conftest import PASSWORD, Team, db_call, web_login
from tests.integration.webhooks.conftest import SECRET, add_endpoint

URL = "https://shop.example/callcenter/hook"


def test_admin_adds_an_endpoint_and_sees_its_secret_once(client: TestClient, team: Team) -> None:
    made = client.post(
        "/api/v1/webhooks/endpoints",
        json={"name": "Сайт", "url": URL, "events": ["call.missed", "call.ringing"]},
        headers=team.admin.auth,
    )
    assert made.status_code == 201, made.text
    endpoint = made.json()
    assert endpoint["secret"].startswith("whsec_") and len(endpoint["secret"]) > 40
    # Events come back in the documented order, whatever order they were asked in.
    assert endpoint["events"] == ["call.ringing", "call.missed"]
    listed = client.get("/api/v1/webhooks/endpoints", headers=team.admin.auth).json()
    [one] = listed["items"]
    assert "secret" not in one
    assert one["secret_hint"] == endpoint["secret"][-4:]
    assert "order.created" in listed["events"]
    audit = client.get("/api/v1/audit?action=webhook.create", headers=team.admin.auth).json()
    assert endpoint["secret"] not in str(audit)


def test_a_new_secret_replaces_the_old(client: TestClient, team: Team) -> None:
    endpoint = add_endpoint(client, team, URL, ["call.ended"])
    new = client.post(
        f"/api/v1/webhooks/endpoints/{endpoint['id']}/secret", headers=team.admin.auth
    ).json()["secret"]
    assert new != SECRET
    got = client.get(f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=team.admin.auth)
    assert got.json()["secret_hint"] == new[-4:]


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"url": "ftp://shop.example/x"}, "url", "only http"),
        ({"url": "http://10.0.0.7/hook"}, "url", "not a public address"),
        ({"url": "http://169.254.169.254/"}, "url", "not a public address"),
        ({"url": "https://u:p@shop.example/"}, "url", "no user or password"),
        ({"events": ["call.exploded"]}, "events", "unknown events"),
        ({"events": []}, "events", "at least one"),
        ({"name": "  "}, "name", ""),
        ({"secret": "short"}, "secret", ""),
        ({"url": "x" * 2001}, "url", ""),
    ],
)
def test_bad_input_names_the_field(
    client: TestClient, team: Team, body: dict[str, object], field: str, says: str
) -> None:
    payload = {"name": "shop", "url": URL, "events": ["call.ended"], **body}
    response = client.post("/api/v1/webhooks/endpoints", json=payload, headers=team.admin.auth)
    assert response.status_code == 422, response.text
    [error] = response.json()["error"]["details"]["fields"]
    assert error["field"] == field
    assert says in error["message"]


def test_loopback_needs_the_allow_list(client: TestClient, team: Team) -> None:
    """The tests' settings allow 127.0.0.1 only: another loopback address is refused."""
    ok = client.post(
        "/api/v1/webhooks/endpoints",
        json={"name": "local", "url": "http://127.0.0.1:9/hook", "events": ["call.ended"]},
        headers=team.admin.auth,
    )
    assert ok.status_code == 201, ok.text
    refused = client.post(
        "/api/v1/webhooks/endpoints",
        json={"name": "local", "url": "http://127.0.0.2:9/hook", "events": ["call.ended"]},
        headers=team.admin.auth,
    )
    assert refused.status_code == 422


def test_only_admins_manage_webhooks(client: TestClient, team: Team) -> None:
    endpoint = add_endpoint(client, team, URL, ["call.ended"])
    for user in (team.supervisor, team.op1):
        assert client.get("/api/v1/webhooks/endpoints", headers=user.auth).status_code == 403
        assert client.get("/api/v1/webhooks/deliveries", headers=user.auth).status_code == 403
        changed = client.patch(
            f"/api/v1/webhooks/endpoints/{endpoint['id']}",
            json={"url": "https://attacker.example/"},
            headers=user.auth,
        )
        assert changed.status_code == 403
    web_login(client, "op1", PASSWORD)
    assert client.get("/admin/webhooks").status_code == 403
    assert "/admin/webhooks" not in client.get("/").text


def test_unknown_ids_are_404(client: TestClient, team: Team) -> None:
    for method, path in [
        ("GET", "/api/v1/webhooks/endpoints/999"),
        ("POST", "/api/v1/webhooks/endpoints/999/resume"),
        ("GET", "/api/v1/webhooks/deliveries/999"),
        ("POST", "/api/v1/webhooks/deliveries/999/send-again"),
    ]:
        assert client.request(method, path, headers=team.admin.auth).status_code == 404


def test_an_event_happens_once_and_only_for_endpoints_that_want_it(
    client: TestClient, team: Team
) -> None:
    wants = add_endpoint(client, team, URL, ["call.missed"])
    add_endpoint(client, team, URL, ["call.ended"])
    add_endpoint(client, team, URL, ["call.missed"], is_active=False)

    async def twice(session: AsyncSession) -> tuple[str | None, str | None]:
        first = await emit(session, "call.missed", {"n": 1}, key="k", dedupe="call.missed:x")
        second = await emit(session, "call.missed", {"n": 2}, key="k", dedupe="call.missed:x")
        return first, second

    first, second = db_call(client, twice)
    assert first is not None and second is None
    deliveries = client.get("/api/v1/webhooks/deliveries", headers=team.admin.auth).json()
    assert [(d["endpoint_id"], d["event_id"]) for d in deliveries["items"]] == [
        (wants["id"], first)
    ]
    assert deliveries["items"][0]["state"] == DeliveryState.PENDING.value


@pytest.mark.parametrize(("lang", "words"), [("ru", "Вебхуки"), ("en", "Webhooks")])
def test_the_admin_pages_speak_both_languages(
    client: TestClient, team: Team, lang: str, words: str
) -> None:
    add_endpoint(client, team, URL, ["call.ended"])
    web_login(client, "admin", PASSWORD)
    page = client.get(f"/admin/webhooks?lang={lang}")
    assert page.status_code == 200
    assert words in page.text and URL in page.text
    assert SECRET not in page.text
    log = client.get("/admin/webhooks/deliveries?state=failed")
    assert log.status_code == 200
    assert client.get("/admin/webhooks/deliveries?state=bogus").status_code == 422


@pytest.mark.parametrize(("lang", "words"), [("ru", "на паузе с"), ("en", "has been paused since")])
def test_a_paused_endpoint_is_announced_on_the_admin_page(
    client: TestClient, team: Team, lang: str, words: str
) -> None:
    endpoint = add_endpoint(client, team, URL, ["call.ended"])

    async def pause(session: AsyncSession) -> None:
        row = await session.get(WebhookEndpoint, endpoint["id"])
        assert row is not None
        row.paused_at = dt.datetime(2026, 12, 1, 9, 30)
        row.failing_since = dt.datetime(2026, 11, 30, 9, 0)
        row.paused_reason = "HTTP 502"

    db_call(client, pause)
    web_login(client, "admin", PASSWORD)
    page = client.get(f"/admin/webhooks?lang={lang}").text
    assert words in page and "HTTP 502" in page
    assert "01.12.2026 12:30" in page or "01/12/2026 12:30" in page  # the shop's clock (MSK)
    assert 'data-action="resume"' in page
