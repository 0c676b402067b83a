"""The shop's working hours as admins edit them (API and the routing page), the public
endpoints in the OpenAPI document, and the widget's script as other origins load it."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.integration.conftest import Team
from tests.integration.core.test_workplace_pages import login
from tests.integration.web_callback.conftest import SHOP, WEEKDAYS, set_hours


def test_admins_edit_the_working_hours(client: TestClient, team: Team) -> None:
    default = client.get("/api/v1/settings/hours", headers=team.supervisor.auth).json()
    assert default["mon"] == {"open": "09:00", "close": "21:00"}
    set_hours(client, team, WEEKDAYS)
    saved = client.get("/api/v1/settings/hours", headers=team.supervisor.auth).json()
    assert (saved["fri"], saved["sat"]) == ({"open": "09:00", "close": "18:00"}, None)
    bad = client.put(
        "/api/v1/settings/hours",
        json={**WEEKDAYS, "tue": {"open": "18:00", "close": "09:00"}},
        headers=team.admin.auth,
    )
    assert bad.status_code == 422
    [field] = bad.json()["error"]["details"]["fields"]
    assert field["field"] == "tue.close" and "close after it opens" in field["message"]
    for user in (team.supervisor, team.op1):
        assert (
            client.put("/api/v1/settings/hours", json=WEEKDAYS, headers=user.auth).status_code
            == 403
        )
    assert client.get("/api/v1/settings/hours", headers=team.op1.auth).status_code == 403
    audit = client.get("/api/v1/audit?action=settings.hours", headers=team.admin.auth).json()
    assert audit["items"][0]["details"]["sat"] is None


def test_the_routing_page_shows_the_hours(client: TestClient, team: Team) -> None:
    set_hours(client, team, {**WEEKDAYS, "fri": {"open": "10:00", "close": "24:00"}})
    login(client, team.admin)
    page = client.get("/admin/routing?lang=ru").text
    assert "Часы работы магазина" in page and "Europe/Moscow" in page
    form = re.search(r'<form id="hours-form".*?</form>', page, re.S)
    assert form is not None and 'data-editable="true"' in form.group(0)
    assert re.search(r'name="mon" checked>', form.group(0))
    assert re.search(r'<input type="checkbox" id="hours-sat" name="sat">', form.group(0))
    # Midnight is 00:00 in a time input.
    assert 'name="fri.close" aria-label="Пятница: До" value="00:00"' in form.group(0)
    login(client, team.supervisor)
    readonly = client.get("/admin/routing?lang=en").text
    assert "The shop&#39;s working hours" in readonly
    assert re.search(
        r'<form id="hours-form"[^>]*data-editable="false">\s*<fieldset disabled', readonly
    )


def test_the_public_endpoints_are_in_the_openapi_document(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    post = doc["paths"]["/api/v1/web-callbacks"]["post"]
    assert post["security"] == []
    assert set(post["responses"]) >= {"202", "403", "413", "422", "429"}
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"phone", "order", "name", "lang", "homepage"}
    assert body["additionalProperties"] is False
    assert doc["paths"]["/api/v1/web-callbacks/form"]["get"]["security"] == []
    assert "/api/v1/settings/hours" in doc["paths"]


def test_the_widget_script_loads_on_other_origins(client: TestClient) -> None:
    script = client.get("/static/callback-widget.js", headers={"Origin": SHOP})
    assert script.status_code == 200
    assert script.headers["content-type"].split(";")[0] in (
        "text/javascript",
        "application/javascript",
    )
    # A classic <script src> from another origin needs no CORS; nothing here forbids it
    # (nosniff wants the JavaScript type above; no Cross-Origin-Resource-Policy: same-origin).
    assert "cross-origin-resource-policy" not in script.headers
    assert script.headers["x-content-type-options"] == "nosniff"
    assert "/api/v1/web-callbacks" in script.text and "textContent" in script.text
    assert "innerHTML" not in script.text and "ui.js" in script.text  # named, not imported
    assert "import " not in script.text.split("(() => {", 1)[1]
