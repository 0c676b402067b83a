"""Building dial lists through the API: exclusions with counts, de-duplication, assignment,
priority, limits, the snapshot, progress and who sees what."""

from __future__ import annotations

import time
from typing import Any

from starlette.testclient import TestClient

from callcenter.core.models import DialList, DialListStatus
from tests.integration.conftest import Team, User, db_call
from tests.integration.dial_lists.dial_data import NOW, phone_of, seed_list_people

LISTS = "/api/v1/dial-lists"


def setup(client: TestClient, team: Team) -> dict[str, int]:
    managers = {"op1": team.op1.id, "op2": team.op2.id}
    ids = db_call(client, lambda s: seed_list_people(s, managers))
    client.app.state.services.dial_lists.clock = lambda: NOW  # type: ignore[attr-defined]
    return ids


def make_rule(client: TestClient, user: User, tree: dict[str, Any] | None = None) -> int:
    response = client.post(
        "/api/v1/dial-rules", json={"name": "rule", "tree": tree or {"all": []}}, headers=user.auth
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def wait_built(client: TestClient, list_id: int, user: User) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = client.get(f"{LISTS}/{list_id}", headers=user.auth).json()
        if body["status"] != "building":
            return dict(body)
        time.sleep(0.05)
    raise AssertionError("the list did not build in time")


def build(client: TestClient, user: User, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(LISTS, json=body, headers=user.auth)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "building"
    built = wait_built(client, response.json()["id"], user)
    assert built["status"] == "ready", built
    return built


def entries(client: TestClient, list_id: int, user: User, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{LISTS}/{list_id}/entries", params=params, headers=user.auth)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_build_excludes_with_counts_dedupes_assigns_and_orders(
    client: TestClient, team: Team
) -> None:
    ids = setup(client, team)
    names = {v: k for k, v in ids.items()}
    rule = make_rule(client, team.supervisor)
    built = build(
        client,
        team.supervisor,
        {"rule_id": rule, "name": "Все", "manager_ids": [team.op1.id, team.op2.id]},
    )
    assert built["progress"] == {"matched": 9, "processed": 9, "entries": 4, "percent": 100.0}
    assert built["excluded"] == {
        "do_not_call": 1,  # ivan
        "tag": 1,  # vera (bad)
        "recently_called": 1,  # anna, called 5 days ago
        "no_phone": 1,  # petr
        "duplicate_phone": 1,  # olga has boris's number; boris spent more
        "over_limit": 0,
    }
    rows = entries(client, built["id"], team.supervisor)
    got = [
        (names[e["customer_id"]], e["priority"], e["manager_id"], e["personal"], e["phone"])
        for e in rows
    ]
    # total spent: boris 15000, gleb 1200, dasha 200, kira 0. Personal: gleb → op2, dasha → op1;
    # the rest spread evenly in priority order: boris → op1, kira → op2.
    assert got == [
        ("boris", 1, team.op1.id, False, phone_of(1)),
        ("gleb", 2, team.op2.id, True, phone_of(3)),
        ("dasha", 3, team.op1.id, True, phone_of(4)),
        ("kira", 4, team.op2.id, False, phone_of(8)),  # the first valid number
    ]
    assert {e["timezone"] for e in rows} == {"Europe/Moscow", "Asia/Vladivostok"}
    assert all(e["state"] == "pending" and e["attempts"] == 0 for e in rows)
    assert built["manager_ids"] == [team.op1.id, team.op2.id]
    assert built["counts"]["total"] == built["counts"]["remaining"] == 4
    per = {m["manager_id"]: m for m in built["managers"]}
    assert (per[team.op1.id]["total"], per[team.op2.id]["total"]) == (2, 2)


def test_exclusions_are_configurable_and_pool_assignment(client: TestClient, team: Team) -> None:
    ids = setup(client, team)
    names = {v: k for k, v in ids.items()}
    rule = make_rule(client, team.supervisor)
    settings = {
        "exclude_do_not_call": False,
        "exclude_tags": [],
        "skip_called_within_days": 0,
        "assignment": "pool",
        "sort": "created_oldest",
    }
    built = build(
        client,
        team.supervisor,
        {"rule_id": rule, "name": "Пул", "manager_ids": [team.op1.id], "settings": settings},
    )
    assert built["excluded"]["no_phone"] == built["excluded"]["duplicate_phone"] == 1
    assert built["progress"]["entries"] == 7
    rows = entries(client, built["id"], team.supervisor)
    pooled = {names[e["customer_id"]] for e in rows if e["manager_id"] is None}
    # gleb is op2's, and op2 does not work this list: the pool's, not op2's to strand.
    assert pooled == {"boris", "vera", "ivan", "kira", "gleb"}
    assert {names[e["customer_id"]] for e in rows if e["personal"]} == {"anna", "dasha"}
    assert built["manager_ids"] == [team.op1.id]
    assert built["waiting"] == {
        "pending": 7,
        "pool": 5,
        "managers": [{"manager_id": team.op1.id, "name": "op1", "pending": 2}],
    }
    assert [names[e["customer_id"]] for e in rows][:2] == ["anna", "gleb"]  # oldest first


def test_max_entries_reports_the_rest_over_the_limit(client: TestClient, team: Team) -> None:
    setup(client, team)
    rule = make_rule(client, team.supervisor)
    built = build(
        client,
        team.supervisor,
        {"rule_id": rule, "name": "Два", "settings": {"max_entries": 2}},
    )
    # boris (entry 1), anna (called recently), gleb (entry 2): then the limit.
    assert built["progress"]["entries"] == 2
    assert built["excluded"]["recently_called"] == 1
    assert built["excluded"]["over_limit"] == 6


def test_a_list_is_a_snapshot(client: TestClient, team: Team) -> None:
    setup(client, team)
    tree = {"field": "tags", "op": "contains", "value": "vip"}
    rule = make_rule(client, team.supervisor, tree)
    built = build(
        client,
        team.supervisor,
        {"rule_id": rule, "name": "VIP", "settings": {"skip_called_within_days": 0}},
    )
    assert built["progress"]["entries"] == 2  # anna, gleb
    client.patch(
        f"/api/v1/dial-rules/{rule}", json={"tree": {"all": []}}, headers=team.supervisor.auth
    )
    client.post(
        "/api/v1/customers",
        json={"name": "new vip", "phones": ["+79031112233"], "tags": ["vip"]},
        headers=team.admin.auth,
    )
    assert client.delete(f"/api/v1/dial-rules/{rule}", headers=team.admin.auth).status_code == 204
    again = client.get(f"{LISTS}/{built['id']}", headers=team.supervisor.auth).json()
    assert again["rule_tree"] == {"field": "tags", "op": "contains", "value": "vip"}
    assert again["rule_id"] is None and again["rule_name"] == "rule"
    assert again["counts"]["total"] == 2


def test_default_managers_are_the_active_operators_with_a_phone(
    client: TestClient, team: Team
) -> None:
    setup(client, team)
    rule = make_rule(client, team.supervisor)
    built = build(client, team.admin, {"rule_id": rule, "name": "Все"})
    assert built["manager_ids"] == [team.op1.id, team.op2.id]


def test_create_input_errors(client: TestClient, team: Team) -> None:
    rule = make_rule(client, team.supervisor)
    cases = [
        ({"rule_id": 999, "name": "x"}, "rule_id"),
        ({"rule_id": rule, "name": "x", "manager_ids": [team.op1.id, 999]}, "manager_ids.1"),
        ({"rule_id": rule, "name": "x", "settings": {"max_attempts": 0}}, "settings.max_attempts"),
        (
            {"rule_id": rule, "name": "x", "settings": {"default_timezone": "Mars/Base"}},
            "settings.default_timezone",
        ),
        ({"rule_id": rule, "name": "x", "settings": {"sort": "random"}}, "settings.sort"),
        ({"rule_id": rule, "name": "x", "settings": {"call_from": "25:00"}}, "settings.call_from"),
        (
            {"rule_id": rule, "name": "x", "settings": {"exclude_tags": ["a/b"]}},
            "settings.exclude_tags",
        ),
    ]
    for body, field in cases:
        response = client.post(LISTS, json=body, headers=team.supervisor.auth)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["details"]["fields"][0]["field"] == field


def test_roles_and_visibility(client: TestClient, team: Team) -> None:
    setup(client, team)
    rule = make_rule(client, team.supervisor)
    body = {
        "rule_id": rule,
        "name": "op1 only",
        "manager_ids": [team.op1.id],
        "settings": {"assignment": "spread"},
    }
    assert client.post(LISTS, json=body, headers=team.op1.auth).status_code == 403
    built = build(client, team.supervisor, body)
    url = f"{LISTS}/{built['id']}"
    # gleb is op2's personal customer, but op2 does not work this list: not on it.
    for other in (make_user_outsider(client), team.op2):
        assert client.get(url, headers=other.auth).status_code == 403
        assert client.post(f"{url}/next", headers=other.auth).status_code == 403
        assert client.get(LISTS, headers=other.auth).json()["total"] == 0
    mine = client.get(url, headers=team.op1.auth).json()
    assert [m["manager_id"] for m in mine["managers"]] == [team.op1.id]
    # boris, dasha (personal) and kira are op1's; gleb waits in the pool.
    assert mine["waiting"] == {
        "pending": 4,
        "pool": 1,
        "managers": [{"manager_id": team.op1.id, "name": "op1", "pending": 3}],
    }
    everyone = client.get(url, headers=team.supervisor.auth).json()
    assert [m["manager_id"] for m in everyone["managers"]] == [team.op1.id, None]
    assert everyone["waiting"] == mine["waiting"]
    assert client.get(LISTS, headers=team.op1.auth).json()["total"] == 1
    op1_entries = entries(client, built["id"], team.op1)
    assert {e["manager_id"] for e in op1_entries} == {team.op1.id}
    assert client.patch(url, json={"name": "x"}, headers=team.op1.auth).status_code == 403
    patched = client.patch(
        url, json={"name": "Renamed", "settings": {"max_attempts": 5}}, headers=team.supervisor.auth
    ).json()
    assert (patched["name"], patched["settings"]["max_attempts"]) == ("Renamed", 5)
    bad = client.patch(
        url, json={"settings": {"call_from": "21:00:00"}}, headers=team.supervisor.auth
    )
    assert bad.status_code == 422  # the same as call_until
    assert client.delete(url, headers=team.op1.auth).status_code == 403
    assert client.delete(url, headers=team.admin.auth).status_code == 204
    assert client.get(url, headers=team.admin.auth).status_code == 404


def make_user_outsider(client: TestClient) -> User:
    from callcenter.core.models import Role
    from tests.integration.conftest import make_user

    return make_user(client, "op3", Role.OPERATOR, "103")


def test_a_failed_build_says_why_and_leaves_no_entries(client: TestClient, team: Team) -> None:
    async def broken(session: Any) -> int:
        dial_list = DialList(
            name="broken", rule_tree={"field": "nope", "op": "=", "value": 1}, settings={}
        )
        session.add(dial_list)
        await session.flush()
        return int(dial_list.id)

    list_id = db_call(client, broken)
    portal = client.portal
    assert portal is not None
    portal.call(lambda: client.app.state.services.dial_lists.build(list_id))  # type: ignore[attr-defined]
    failed = wait_built(client, list_id, team.supervisor)
    assert failed["status"] == DialListStatus.FAILED.value
    assert "unknown field 'nope'" in failed["error"]
    assert failed["counts"]["total"] == 0
