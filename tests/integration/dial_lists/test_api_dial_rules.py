"""Dial rules through the API: the hand-computed table again, validation 422s, CRUD, roles."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from routing.rule_templates import TEMPLATES
from tests.integration.conftest import Team, db_call
from tests.integration.dial_lists.dial_data import (
    ALL,
    CASES,
    NOW,
    TEMPLATE_EXPECTED,
    case_id,
    resolve,
    seed_people,
)

API = "/api/v1/dial-rules"


def set_clock(client: TestClient, now: Any) -> None:
    client.app.state.services.dial_lists.clock = lambda: now  # type: ignore[attr-defined]


def seeded(client: TestClient, team: Team) -> tuple[dict[str, int], dict[str, int]]:
    managers = {"op1": team.op1.id, "op2": team.op2.id}
    ids = db_call(client, lambda s: seed_people(s, managers))
    set_clock(client, NOW)
    return managers, ids


def test_preview_matches_the_hand_computed_table(client: TestClient, team: Team) -> None:
    managers, ids = seeded(client, team)
    names = {v: k for k, v in ids.items()}
    wrong = []
    for case in CASES:
        set_clock(client, case[2] if len(case) > 2 else NOW)
        response = client.post(
            f"{API}/preview",
            json={"tree": resolve(case[0], managers)},
            headers=team.supervisor.auth,
        )
        assert response.status_code == 200, (case_id(case), response.text)
        body = response.json()
        got = {names[c["id"]] for c in body["items"]}
        if got != case[1] or body["count"] != len(case[1]):
            wrong.append((case_id(case), sorted(got), sorted(case[1])))
    assert wrong == []


def test_saved_rules_preview_and_templates(client: TestClient, team: Team) -> None:
    seeded(client, team)
    templates = client.get(f"{API}/templates", headers=team.supervisor.auth).json()
    assert [t["key"] for t in templates] == [t.key for t in TEMPLATES]
    for template in templates:
        rule = client.post(
            API,
            json={"name": template["name"], "tree": template["tree"]},
            headers=team.supervisor.auth,
        ).json()
        preview = client.post(f"{API}/{rule['id']}/preview", headers=team.supervisor.auth).json()
        expected = TEMPLATE_EXPECTED[template["key"]]
        assert preview["count"] == len(expected), template["key"]
        assert {c["name"] for c in preview["items"]} == expected


def test_preview_pages_in_list_order(client: TestClient, team: Team) -> None:
    seeded(client, team)
    rule = client.post(
        API, json={"name": "everyone", "tree": {"all": []}}, headers=team.admin.auth
    ).json()
    first = client.post(
        f"{API}/{rule['id']}/preview", params={"limit": 2}, headers=team.admin.auth
    ).json()
    # Highest total spent first: boris 15000, anna 6000, gleb 1200, dasha 200, vera 0.
    assert (first["count"], [c["name"] for c in first["items"]]) == (5, ["boris", "anna"])
    rest = client.post(
        f"{API}/{rule['id']}/preview",
        params={"limit": 10, "offset": 2, "sort": "created_newest"},
        headers=team.admin.auth,
    ).json()
    # Newest first: vera 3 days, dasha 100, boris 300, gleb 365, anna 400.
    assert [c["name"] for c in rest["items"]] == ["boris", "gleb", "anna"]
    assert first["took_ms"] < 1000


INVALID = [
    (
        {"all": [{"field": "colour", "op": "=", "value": 1}]},
        "tree.all.0.field",
        "unknown_field",
        "colour",
    ),
    (
        {"all": [{"field": "orders_count", "op": "like", "value": 1}]},
        "tree.all.0.op",
        "unknown_op",
        "like",
    ),
    ({"field": "tags", "op": ">=", "value": "vip"}, "tree.op", "unknown_op", ">="),
    ({"field": "orders_count", "op": ">", "value": "many"}, "tree.value", "bad_value", None),
    ({"field": "total_spent", "op": ">", "value": True}, "tree.value", "bad_value", None),
    ({"field": "last_order_status", "op": "=", "value": "lost"}, "tree.value", "bad_value", None),
    (
        {"any": [{"field": "city", "op": "in", "value": ["Казань", 7]}]},
        "tree.any.0.value.1",
        "bad_value",
        None,
    ),
    (
        {"field": "cancelled_orders_in_last_days", "op": ">=", "value": 1},
        "tree.days",
        "bad_value",
        None,
    ),
    ({"any": []}, "tree.any", "bad_shape", None),
]


@pytest.mark.parametrize(("tree", "field", "reason", "name"), INVALID, ids=lambda v: str(v)[:30])
def test_invalid_rules_are_422_naming_what_is_wrong(
    client: TestClient, team: Team, tree: dict[str, Any], field: str, reason: str, name: str | None
) -> None:
    for url, body in (
        (API, {"name": "bad", "tree": tree}),
        (f"{API}/preview", {"tree": tree}),
    ):
        response = client.post(url, json=body, headers=team.supervisor.auth)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["details"]["fields"][0]["field"] == field
        assert error["details"]["rule_error"]["reason"] == reason
        if name:
            assert error["details"]["rule_error"]["name"] == name
            assert repr(name) in error["message"]


def test_a_tree_that_is_not_an_object_is_422(client: TestClient, team: Team) -> None:
    response = client.post(API, json={"name": "x", "tree": [1]}, headers=team.supervisor.auth)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"][0]["field"] == "tree"


def test_crud(client: TestClient, team: Team) -> None:
    tree = {"all": [{"field": "tags", "op": "contains", "value": "VIP"}]}
    created = client.post(
        API, json={"name": " VIP ", "description": "d", "tree": tree}, headers=team.supervisor.auth
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["name"] == "VIP"
    assert rule["tree"] == {"all": [{"field": "tags", "op": "contains", "value": "vip"}]}
    assert rule["owner_id"] == team.supervisor.id
    url = f"{API}/{rule['id']}"
    assert client.get(url, headers=team.admin.auth).json() == rule
    bad = client.patch(
        url, json={"tree": {"field": "nope", "op": "=", "value": 1}}, headers=team.admin.auth
    )
    assert bad.status_code == 422
    patched = client.patch(url, json={"name": "VIP 2"}, headers=team.admin.auth).json()
    assert (patched["name"], patched["tree"]) == ("VIP 2", rule["tree"])
    page = client.get(API, headers=team.admin.auth).json()
    assert [r["id"] for r in page["items"]] == [rule["id"]]
    assert client.delete(url, headers=team.admin.auth).status_code == 204
    assert client.get(url, headers=team.admin.auth).status_code == 404
    fields = client.get(f"{API}/fields", headers=team.admin.auth).json()
    assert {f["name"] for f in fields} >= {"orders_count", "tags", "last_call_days_ago"}


def test_operators_do_not_touch_rules(client: TestClient, team: Team) -> None:
    for method, url, body in (
        ("GET", API, None),
        ("POST", API, {"name": "x", "tree": {"all": []}}),
        ("POST", f"{API}/preview", {"tree": {"all": []}}),
        ("GET", f"{API}/templates", None),
    ):
        response = client.request(method, url, json=body, headers=team.op1.auth)
        assert response.status_code == 403, (method, url)
    assert client.get(API).status_code == 401


def test_everyone_matches_an_empty_all(client: TestClient, team: Team) -> None:
    _, ids = seeded(client, team)
    body = client.post(
        f"{API}/preview", json={"tree": {"all": []}, "limit": 100}, headers=team.admin.auth
    ).json()
    assert body["count"] == len(ALL) == len(ids)
