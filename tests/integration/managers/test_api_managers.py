from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from callcenter.core.models import AuditLog, Manager
from tests.integration.conftest import PASSWORD, Team, User, db_call, web_login

ANNA = {
    "login": "anna.k",
    "name": "Анна Кузнецова",
    "password": "s3cret-enough",
    "role": "supervisor",
    "extension": "105",
}
MANAGER_KEYS = {
    "id",
    "login",
    "name",
    "role",
    "extension",
    "status",
    "status_changed_at",
    "device_state",
    "softphone_state",
    "is_active",
}


def fields(response: Any) -> list[str]:
    return [f["field"] for f in response.json()["error"]["details"]["fields"]]


def backdate_status(client: TestClient, user: User) -> str:
    """Move status_changed_at into the past so that a change is visible at 1 s resolution."""
    past = dt.datetime(2026, 1, 1, 9, 0)

    async def run(session: AsyncSession) -> None:
        await session.execute(
            update(Manager).where(Manager.id == user.id).values(status_changed_at=past)
        )

    db_call(client, run)
    return past.isoformat()


def test_admin_creates_a_manager(client: TestClient, team: Team) -> None:
    response = client.post("/api/v1/managers", json=ANNA, headers=team.admin.auth)
    assert response.status_code == 201, response.text
    anna = response.json()
    assert set(anna) == MANAGER_KEYS
    assert {k: anna[k] for k in ("login", "name", "role", "extension", "status", "is_active")} == {
        "login": "anna.k",
        "name": "Анна Кузнецова",
        "role": "supervisor",
        "extension": "105",
        "status": "offline",
        "is_active": True,
    }
    for path in (f"/api/v1/managers/{anna['id']}", "/api/v1/managers", "/api/v1/me"):
        read = client.get(path, headers=team.admin.auth)
        assert read.status_code == 200, read.text
        assert "password" not in read.text
        assert ANNA["password"] not in read.text
    assert client.get(f"/api/v1/managers/{anna['id']}", headers=team.op1.auth).json() == anna
    listed = client.get("/api/v1/managers", headers=team.op1.auth).json()
    assert listed["total"] == 5
    assert [m["login"] for m in listed["items"]] == ["admin", "sup", "op1", "op2", "anna.k"]
    supervisors = client.get("/api/v1/managers?role=supervisor", headers=team.op1.auth).json()
    assert [m["login"] for m in supervisors["items"]] == ["sup", "anna.k"]
    assert web_login(client, "ANNA.K", ANNA["password"]).status_code == 303


def test_name_defaults_to_login(client: TestClient, team: Team) -> None:
    body = {"login": "boris", "password": "long-enough-1"}
    response = client.post("/api/v1/managers", json=body, headers=team.admin.auth)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "boris"
    assert response.json()["role"] == "operator"
    assert response.json()["extension"] is None


def test_login_and_extension_are_unique(client: TestClient, team: Team) -> None:
    assert client.post("/api/v1/managers", json=ANNA, headers=team.admin.auth).status_code == 201
    for body, code in [
        ({**ANNA, "login": "ANNA.K", "extension": "106"}, "login_taken"),
        ({**ANNA, "login": "Op1", "extension": "106"}, "login_taken"),
        ({**ANNA, "login": "other", "extension": "105"}, "extension_taken"),
        ({**ANNA, "login": "other", "extension": "101"}, "extension_taken"),
    ]:
        response = client.post("/api/v1/managers", json=body, headers=team.admin.auth)
        assert response.status_code == 409, (body, response.text)
        assert response.json()["error"]["code"] == code
    clash = client.patch(
        f"/api/v1/managers/{team.op2.id}", json={"extension": "101"}, headers=team.admin.auth
    )
    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "extension_taken"
    assert client.get("/api/v1/managers", headers=team.admin.auth).json()["total"] == 5


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"extension": "10a"}, "extension"),
        ({"extension": "1"}, "extension"),
        ({"password": "short"}, "password"),
        ({"login": "a"}, "login"),
        ({"login": "анна"}, "login"),
        ({"role": "boss"}, "role"),
        ({"name": "   "}, "name"),
        ({"password_hash": "x"}, "password_hash"),
    ],
)
def test_create_validation(
    client: TestClient, team: Team, change: dict[str, str], field: str
) -> None:
    response = client.post("/api/v1/managers", json={**ANNA, **change}, headers=team.admin.auth)
    assert response.status_code == 422, response.text
    assert fields(response) == [field]
    assert client.get("/api/v1/managers", headers=team.admin.auth).json()["total"] == 4


def test_operator_sets_own_status_only(client: TestClient, team: Team) -> None:
    past = backdate_status(client, team.op1)
    url = f"/api/v1/managers/{team.op1.id}/status"
    response = client.put(url, json={"status": "available"}, headers=team.op1.auth)
    assert response.status_code == 200, response.text
    op1 = response.json()
    assert op1["status"] == "available"
    changed_at = dt.datetime.fromisoformat(op1["status_changed_at"])
    assert op1["status_changed_at"] != past
    assert abs(dt.datetime.now(dt.UTC).replace(tzinfo=None) - changed_at) < dt.timedelta(minutes=1)
    same = client.put(url, json={"status": "available"}, headers=team.op1.auth).json()
    assert same["status_changed_at"] == op1["status_changed_at"]
    me = client.get("/api/v1/me", headers=team.op1.auth).json()["manager"]
    assert me["status"] == "available"

    other = f"/api/v1/managers/{team.op2.id}/status"
    denied = client.put(other, json={"status": "break"}, headers=team.op1.auth)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "forbidden"
    op2 = client.get(f"/api/v1/managers/{team.op2.id}", headers=team.op1.auth).json()
    assert op2["status"] == "offline"
    busy = client.get("/api/v1/managers?status=available", headers=team.op1.auth).json()
    assert [m["id"] for m in busy["items"]] == [team.op1.id]


def test_supervisor_sets_anyones_status(client: TestClient, team: Team) -> None:
    past = backdate_status(client, team.op2)
    url = f"/api/v1/managers/{team.op2.id}/status"
    response = client.put(url, json={"status": "break"}, headers=team.supervisor.auth)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "break"
    assert response.json()["status_changed_at"] != past
    for body, field in [({"status": "lunch"}, "status"), ({}, "status"), ({"x": 1}, "x")]:
        bad = client.put(url, json=body, headers=team.supervisor.auth)
        assert bad.status_code == 422, bad.text
        assert field in fields(bad)
    missing = client.put(
        "/api/v1/managers/999999/status", json={"status": "busy"}, headers=team.admin.auth
    )
    assert missing.status_code == 404


def test_operator_self_service(client: TestClient, team: Team) -> None:
    own = f"/api/v1/managers/{team.op1.id}"
    role = client.patch(own, json={"role": "admin"}, headers=team.op1.auth)
    assert role.status_code == 403
    assert "admin" in role.json()["error"]["message"]
    for body in ({"extension": "199"}, {"is_active": False}, {"name": "Я", "role": "supervisor"}):
        assert client.patch(own, json=body, headers=team.op1.auth).status_code == 403, body
    other = client.patch(
        f"/api/v1/managers/{team.op2.id}", json={"name": "Шпион"}, headers=team.op1.auth
    )
    assert other.status_code == 403
    sup = client.patch(
        f"/api/v1/managers/{team.op2.id}", json={"name": "Шпион"}, headers=team.supervisor.auth
    )
    assert sup.status_code == 403
    op2 = client.get(f"/api/v1/managers/{team.op2.id}", headers=team.op1.auth).json()
    assert op2["name"] == "op2"

    body = {"name": "  Ольга Первая ", "password": "brand-new-pass"}
    response = client.patch(own, json=body, headers=team.op1.auth)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Ольга Первая"
    assert response.json()["role"] == "operator"
    assert web_login(client, "op1", PASSWORD).status_code == 401
    assert web_login(client, "op1", "brand-new-pass").status_code == 303


def test_admin_changes_roles_but_not_their_own(client: TestClient, team: Team) -> None:
    url = f"/api/v1/managers/{team.op1.id}"
    response = client.patch(url, json={"role": "supervisor"}, headers=team.admin.auth)
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "supervisor"
    # The new role applies to the next request on the same token.
    status = client.put(
        f"/api/v1/managers/{team.op2.id}/status", json={"status": "busy"}, headers=team.op1.auth
    )
    assert status.status_code == 200

    own = f"/api/v1/managers/{team.admin.id}"
    for body in ({"role": "supervisor"}, {"role": "operator"}, {"is_active": False}):
        denied = client.patch(own, json=body, headers=team.admin.auth)
        assert denied.status_code == 403, body
    me = client.get("/api/v1/me", headers=team.admin.auth).json()["manager"]
    assert (me["role"], me["is_active"]) == ("admin", True)
    renamed = client.patch(own, json={"role": "admin", "name": "Главный"}, headers=team.admin.auth)
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Главный")

    async def audit(session: AsyncSession) -> list[tuple[Any, ...]]:
        rows = await session.scalars(
            select(AuditLog).where(AuditLog.action == "manager.role").order_by(AuditLog.id)
        )
        return [(r.actor_id, r.target_type, r.target_id, r.details, r.ip) for r in rows]

    change = {"old": "operator", "new": "supervisor"}
    assert db_call(client, audit) == [
        (team.admin.id, "manager", str(team.op1.id), change, "testclient")
    ]


def test_admin_sets_a_password_and_the_user_logs_in(client: TestClient, team: Team) -> None:
    response = client.patch(
        f"/api/v1/managers/{team.op2.id}",
        json={"password": "set-by-admin-1"},
        headers=team.admin.auth,
    )
    assert response.status_code == 200, response.text
    assert "password" not in response.text
    old = web_login(client, "op2", PASSWORD)
    assert old.status_code == 401
    new = web_login(client, "op2", "set-by-admin-1")
    assert new.status_code == 303
    assert new.headers["location"] == "/"
    me = client.get("/api/v1/me").json()
    assert (me["manager"]["id"], me["auth"]) == (team.op2.id, "session")

    async def updates(session: AsyncSession) -> list[Any]:
        rows = await session.scalars(
            select(AuditLog.details).where(AuditLog.action == "manager.update")
        )
        return list(rows)

    assert db_call(client, updates) == [{"fields": ["password"]}]


def test_me(client: TestClient, team: Team) -> None:
    response = client.get("/api/v1/me", headers=team.supervisor.auth)
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["auth"] == "token"
    assert set(me["manager"]) == MANAGER_KEYS
    assert {k: me["manager"][k] for k in ("id", "login", "name", "role", "extension")} == {
        "id": team.supervisor.id,
        "login": "sup",
        "name": "sup",
        "role": "supervisor",
        "extension": "100",
    }
    missing = client.get("/api/v1/managers/999999", headers=team.supervisor.auth)
    assert missing.status_code == 404
