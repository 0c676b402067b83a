"""The recordings page and the routing settings page over a real session cookie: who sees
which recordings (the API's rules), the filters, links from the customer card, and the
routing page's roles. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from callcenter.core.settings import Settings
from tests import wavs
from tests.integration.conftest import Team
from tests.integration.core.test_workplace_pages import login, make_customer
from tests.integration.recordings.recording_support import add_call, inbox, ingest, job, with_inbox


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return with_inbox(settings, tmp_path)


@pytest.fixture
def recs(client: TestClient, team: Team) -> dict[str, Any]:
    """Three ready recordings: op1 inbound from the customer (4 s), op1 outbound (2 s),
    op2 inbound (6 s); returns {name: API item} and the customer."""
    customer = make_customer(client, team)
    calls = {
        "op1_in": add_call(
            client,
            "1790000200.1",
            manager_id=team.op1.id,
            phone="+79161234567",
            customer_id=customer["id"],
            started_at="2026-11-20T10:00:00",
        ),
        "op1_out": add_call(
            client,
            "1790000200.2",
            manager_id=team.op1.id,
            direction="out",
            phone="+79031112233",
            started_at="2026-11-21T10:00:00",
        ),
        "op2_in": add_call(
            client,
            "1790000200.3",
            manager_id=team.op2.id,
            phone="+79260000000",
            started_at="2026-11-22T10:00:00",
        ),
    }
    wavs.tone(inbox(client) / "a.wav", 4.0)
    wavs.tone(inbox(client) / "b.wav", 2.0)
    wavs.tone(inbox(client) / "c.wav", 6.0)
    ingest(
        client,
        job("1790000200.1", "a.wav"),
        job("1790000200.2", "b.wav"),
        job("1790000200.3", "c.wav"),
    )
    items = client.get("/api/v1/recordings", headers=team.admin.auth).json()["items"]
    by_call = {item["call_id"]: item for item in items}
    return {
        "customer": customer,
        **{name: by_call[call_id] for name, call_id in calls.items()},
    }


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-rec-id="([^"]+)"', html)


def test_the_pages_need_a_login(client: TestClient) -> None:
    for path in ("/recordings", "/admin/routing"):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/login"), path


def test_a_supervisor_sees_every_recording_and_the_player(
    client: TestClient, team: Team, recs: dict[str, Any]
) -> None:
    login(client, team.supervisor)
    page = client.get("/recordings")
    assert page.status_code == 200
    text = page.text
    assert "<title>Записи · Колл-центр</title>" in text
    assert rows(text) == [recs["op2_in"]["id"], recs["op1_out"]["id"], recs["op1_in"]["id"]]
    assert '<audio id="rec-audio"' in text and '<canvas id="rec-wave"' in text
    assert 'id="review-form"' in text and 'data-may-review="true"' in text
    for rate in ("1", "1.5", "2"):
        assert f'data-rate="{rate}"' in text
    assert '<script type="module" src="/static/recordings.js"></script>' in text
    assert 'name="manager_id"' in text  # supervisors filter by manager
    assert 'href="/admin/routing"' in text and 'href="/recordings" aria-current="page"' in text
    english = client.get("/recordings?lang=en").text
    assert "<title>Recordings · Call centre</title>" in english and "Call review" in english


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"direction": "out"}, ["op1_out"]),
        ({"min_duration": "3"}, ["op2_in", "op1_in"]),
        ({"max_duration": "3"}, ["op1_out"]),
        ({"min_duration": "3", "max_duration": "5"}, ["op1_in"]),
        ({"from": "2026-11-21", "until": "2026-11-21"}, ["op1_out"]),
        ({"until": "2026-11-21"}, ["op1_out", "op1_in"]),
        ({"customer": "8 (926) 000-00-00"}, ["op2_in"]),
        ({"customer": "петров"}, ["op1_in"]),
        ({"status": "failed"}, []),
        ({"manager": "op2"}, ["op2_in"]),
    ],
    ids=lambda v: "-".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else None,
)
def test_filters(
    client: TestClient,
    team: Team,
    recs: dict[str, Any],
    params: dict[str, str],
    expected: list[str],
) -> None:
    login(client, team.supervisor)
    if "manager" in params:
        params = {"manager_id": str(getattr(team, params["manager"]).id)}
    page = client.get("/recordings", params=params)
    assert page.status_code == 200, page.text
    assert rows(page.text) == [recs[name]["id"] for name in expected]


def test_a_bad_filter_is_shown_next_to_the_field(
    client: TestClient, team: Team, recs: dict[str, Any]
) -> None:
    login(client, team.supervisor)
    page = client.get("/recordings", params={"min_duration": "-5", "from": "not-a-date"})
    assert page.status_code == 422
    shown = re.findall(r'<span class="field-error" role="alert">[^<]+</span>', page.text)
    assert len(shown) == 2, shown
    assert rows(page.text) == []


def test_an_operator_sees_the_calls_they_answered(
    client: TestClient, team: Team, recs: dict[str, Any]
) -> None:
    login(client, team.op1)
    page = client.get("/recordings")
    assert page.status_code == 200
    assert rows(page.text) == [recs["op1_out"]["id"], recs["op1_in"]["id"]]
    assert 'name="manager_id"' not in page.text
    assert 'id="review-form"' not in page.text and 'data-may-review="false"' in page.text
    assert 'href="/admin/routing"' not in page.text and 'href="/recordings"' in page.text
    other = client.get("/recordings", params={"play": recs["op2_in"]["id"]})
    assert other.status_code == 403
    mine = client.get("/recordings", params={"play": recs["op1_in"]["id"]})
    assert f'data-selected="{recs["op1_in"]["id"]}"' in mine.text


def test_the_customer_card_links_the_calls_recording(
    client: TestClient, team: Team, recs: dict[str, Any]
) -> None:
    login(client, team.supervisor)
    rec = recs["op1_in"]
    card = client.get(f"/customers/{recs['customer']['id']}")
    link = f'href="/recordings?call_id={rec["call_id"]}&amp;play={rec["id"]}"'
    assert link in card.text
    extra = client.get("/pop/extra", params={"customer_id": recs["customer"]["id"]})
    assert link in extra.text
    page = client.get("/recordings", params={"call_id": rec["call_id"], "play": rec["id"]})
    assert rows(page.text) == [rec["id"]]
    assert f'data-selected="{rec["id"]}"' in page.text


# --- routing settings -----------------------------------------------------------------------


def test_the_admin_edits_the_routing_settings(client: TestClient, team: Team) -> None:
    body = {
        "default_group": [team.op1.id, team.op2.id],
        "vip_group": [team.op2.id],
        "bad_group": [],
        "ring_at_once": 2,
        "regular_after_orders": 3,
        "callback_deadline_minutes": 15,
    }
    assert client.put("/api/v1/settings/routing", json=body, headers=team.admin.auth).is_success
    login(client, team.admin)
    page = client.get("/admin/routing")
    assert page.status_code == 200
    text = page.text
    assert "<title>Маршрутизация · Колл-центр</title>" in text
    assert '<script type="module" src="/static/routing.js"></script>' in text
    assert 'data-editable="true"' in text and "<fieldset disabled" not in text
    vip = re.search(r'<select id="routing-vip_group".*?</select>', text, re.S)
    assert vip is not None
    assert re.findall(r'value="(\d+)" selected', vip.group(0)) == [str(team.op2.id)]
    assert 'name="ring_at_once" type="number" step="1" min="0" max="50" value="2"' in text
    assert 'name="callback_deadline_minutes"' in text and 'value="15"' in text


def test_a_supervisor_reads_the_routing_settings(client: TestClient, team: Team) -> None:
    login(client, team.supervisor)
    page = client.get("/admin/routing")
    assert page.status_code == 200
    assert 'data-editable="false"' in page.text and "<fieldset disabled>" in page.text
    assert 'id="routing-readonly"' in page.text and 'type="submit">Сохранить' not in page.text


def test_an_operator_may_not_open_the_routing_settings(client: TestClient, team: Team) -> None:
    login(client, team.op1)
    page = client.get("/admin/routing")
    assert page.status_code == 403
    assert "Нет доступа" in page.text
