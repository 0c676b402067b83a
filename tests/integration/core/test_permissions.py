from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from callcenter.core.models import Manager
from callcenter.managers import service as manager_service
from tests.integration.conftest import PASSWORD, Team, User, db_call, web_login
from tests.integration.tasks.test_api_tasks_calls import add_call

API_ENDPOINTS = [
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/customers"),
    ("POST", "/api/v1/customers"),
    ("GET", "/api/v1/customers/1"),
    ("PATCH", "/api/v1/customers/1"),
    ("GET", "/api/v1/customers/lookup?phone=89161234567"),
    ("GET", "/api/v1/orders"),
    ("POST", "/api/v1/orders"),
    ("GET", "/api/v1/orders/1"),
    ("PATCH", "/api/v1/orders/1"),
    ("GET", "/api/v1/managers"),
    ("POST", "/api/v1/managers"),
    ("GET", "/api/v1/managers/1"),
    ("PATCH", "/api/v1/managers/1"),
    ("PUT", "/api/v1/managers/1/status"),
    ("GET", "/api/v1/calls"),
    ("GET", "/api/v1/calls/1"),
    ("GET", "/api/v1/tasks"),
    ("POST", "/api/v1/tasks"),
    ("GET", "/api/v1/tasks/1"),
    ("POST", "/api/v1/tasks/1/complete"),
]


def status_of(client: TestClient, user: User, method: str, url: str, body: Any = None) -> int:
    return client.request(method, url, json=body, headers=user.auth).status_code


def ids(client: TestClient, user: User, url: str, **params: Any) -> list[int]:
    response = client.get(url, params=params, headers=user.auth)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize(("method", "url"), API_ENDPOINTS)
def test_no_credentials_is_401(client: TestClient, method: str, url: str) -> None:
    response = client.request(method, url, json={})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer cct_not-a-real-token", "unknown API token"),
        ("Bearer ", "Bearer <token>"),
        ("Basic b3AxOmNvcnJlY3QtaG9yc2UtMQ==", "Bearer <token>"),
    ],
)
def test_bad_tokens_are_401(client: TestClient, team: Team, header: str, message: str) -> None:
    for method, url in API_ENDPOINTS:
        response = client.request(method, url, json={}, headers={"Authorization": header})
        assert response.status_code == 401, (url, response.text)
        assert message in response.json()["error"]["message"]


def test_revoked_and_deactivated_tokens_are_401(client: TestClient, team: Team) -> None:
    async def issue(session: AsyncSession) -> tuple[int, str]:
        manager = await session.get(Manager, team.op1.id)
        assert manager is not None
        return await manager_service.create_token(session, manager, "temporary")

    token_id, token = db_call(client, issue)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).json()["manager"]["id"] == team.op1.id

    async def revoke(session: AsyncSession) -> None:
        await manager_service.revoke_token(session, token_id)

    db_call(client, revoke)
    revoked = client.get("/api/v1/me", headers=bearer)
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["error"]["message"]
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 401
    assert client.get("/api/v1/me", headers=team.op1.auth).status_code == 200  # other token

    off = client.patch(
        f"/api/v1/managers/{team.op2.id}", json={"is_active": False}, headers=team.admin.auth
    )
    assert off.status_code == 200, off.text
    deactivated = client.get("/api/v1/me", headers=team.op2.auth)
    assert deactivated.status_code == 401
    assert "deactivated" in deactivated.json()["error"]["message"]
    assert web_login(client, "op2", PASSWORD).status_code == 401


def test_operators_see_their_own_tasks(client: TestClient, team: Team) -> None:
    def task(user: User, title: str, assignee: User | None = None) -> int:
        body: dict[str, Any] = {"title": title}
        if assignee is not None:
            body["assignee_id"] = assignee.id
        response = client.post("/api/v1/tasks", json=body, headers=user.auth)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    mine = task(team.op1, "op1's")
    theirs = task(team.op2, "op2's")
    given = task(team.supervisor, "for op2", team.op2)
    op1, op2 = team.op1, team.op2
    assert status_of(client, op1, "GET", f"/api/v1/tasks/{theirs}") == 403
    assert status_of(client, op1, "POST", f"/api/v1/tasks/{given}/complete") == 403
    assert status_of(client, op1, "GET", f"/api/v1/tasks?assignee_id={op2.id}") == 403
    assert ids(client, op1, "/api/v1/tasks") == [mine]
    assert ids(client, op1, "/api/v1/tasks", assignee_id=op1.id) == [mine]
    assert ids(client, op2, "/api/v1/tasks") == [theirs, given]
    assert ids(client, team.supervisor, "/api/v1/tasks") == [mine, theirs, given]
    assert ids(client, team.admin, "/api/v1/tasks", assignee_id=op2.id) == [theirs, given]
    assert status_of(client, team.supervisor, "GET", f"/api/v1/tasks/{mine}") == 200
    assert status_of(client, op2, "POST", f"/api/v1/tasks/{given}/complete") == 200
    denied = client.post(
        "/api/v1/tasks", json={"title": "x", "assignee_id": op2.id}, headers=op1.auth
    )
    assert denied.status_code == 403
    assert ids(client, team.admin, "/api/v1/tasks") == [mine, theirs, given]


def test_operators_see_their_own_calls(client: TestClient, team: Team) -> None:
    op1, op2 = team.op1, team.op2
    answered = add_call(client, "a", "2026-01-10T09:00:00", manager_id=op1.id)
    rang = add_call(client, "b", "2026-01-10T10:00:00", manager_id=op2.id, rang=(op1.id, op2.id))
    foreign = add_call(client, "c", "2026-01-10T11:00:00", manager_id=op2.id)
    missed = add_call(client, "d", "2026-01-10T12:00:00", status="missed", rang=(op2.id,))
    assert status_of(client, op1, "GET", f"/api/v1/calls/{foreign}") == 403
    assert status_of(client, op1, "GET", f"/api/v1/calls/{missed}") == 403
    assert status_of(client, op1, "GET", f"/api/v1/calls/{rang}") == 200
    assert status_of(client, op1, "GET", f"/api/v1/calls/{answered}") == 200
    assert status_of(client, op1, "GET", f"/api/v1/calls?manager_id={op2.id}") == 403
    assert ids(client, op1, "/api/v1/calls") == [rang, answered]
    assert ids(client, op1, "/api/v1/calls", manager_id=op1.id) == [rang, answered]
    assert ids(client, op2, "/api/v1/calls") == [missed, foreign, rang]
    assert ids(client, team.supervisor, "/api/v1/calls") == [missed, foreign, rang, answered]
    assert ids(client, team.admin, "/api/v1/calls", manager_id=op2.id) == [missed, foreign, rang]
    assert status_of(client, team.supervisor, "GET", f"/api/v1/calls/{answered}") == 200


def test_only_admins_manage_managers(client: TestClient, team: Team) -> None:
    new = {"login": "eve", "password": "long-enough-1", "role": "admin"}
    for user in (team.op1, team.supervisor):
        response = client.post("/api/v1/managers", json=new, headers=user.auth)
        assert response.status_code == 403
        assert response.json()["error"]["message"] == "this needs one of the roles: admin"
        for target in (team.op1, team.op2):
            url = f"/api/v1/managers/{target.id}"
            assert status_of(client, user, "PATCH", url, {"role": "admin"}) == 403
    roles = {
        m["login"]: m["role"]
        for m in client.get("/api/v1/managers", headers=team.op1.auth).json()["items"]
    }
    assert roles == {"admin": "admin", "sup": "supervisor", "op1": "operator", "op2": "operator"}
    assert status_of(client, team.admin, "POST", "/api/v1/managers", new) == 201


def test_operators_see_customers_of_their_own_work(client: TestClient, team: Team) -> None:
    op1, op2 = team.op1, team.op2

    def customer(name: str, phone: str, manager: User | None = None) -> int:
        body: dict[str, Any] = {"name": name, "phones": [phone]}
        if manager is not None:
            body["manager_id"] = manager.id
        response = client.post("/api/v1/customers", json=body, headers=team.admin.auth)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def order(user: User, customer_id: int) -> int:
        items = [{"product": "X", "quantity": 1, "price": 1}]
        # A token is nobody's manager: the operator names themselves.
        body = {"customer_id": customer_id, "items": items, "manager_id": user.id}
        response = client.post("/api/v1/orders", json=body, headers=user.auth)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    personal = customer("Личный", "+79160000001", op1)
    ordered = customer("Заказ", "+79160000002")
    called = customer("Звонок", "+79160000003")
    rang = customer("Звонил мне", "+79160000004")
    others = customer("Чужой", "+79160000005", op2)
    nobody = customer("Ничей", "+79160000006")
    order(op1, ordered)
    foreign_order = order(op2, nobody)
    add_call(client, "x1", "2026-01-10T09:00:00", manager_id=op1.id, customer_id=called)
    add_call(
        client, "x2", "2026-01-10T09:10:00", manager_id=op2.id, customer_id=rang, rang=(op1.id,)
    )

    assert ids(client, op1, "/api/v1/customers") == [rang, called, ordered, personal]
    assert ids(client, op2, "/api/v1/customers") == [nobody, others, rang]
    assert len(ids(client, team.supervisor, "/api/v1/customers")) == 6
    assert ids(client, op1, "/api/v1/customers", q="Чужой") == []
    for mine in (personal, ordered, called, rang):
        assert status_of(client, op1, "GET", f"/api/v1/customers/{mine}") == 200
    for theirs in (others, nobody):
        response = client.get(f"/api/v1/customers/{theirs}", headers=op1.auth)
        assert response.status_code == 403
        assert "look them up by phone" in response.json()["error"]["message"]
        assert status_of(client, op1, "PATCH", f"/api/v1/customers/{theirs}", {"note": "x"}) == 403
    found = client.get("/api/v1/customers/lookup?phone=8 916 000-00-05", headers=op1.auth)
    assert found.status_code == 200
    assert (found.json()["id"], found.json()["name"]) == (others, "Чужой")
    assert status_of(client, op1, "GET", f"/api/v1/orders/{foreign_order}") == 403
    assert status_of(client, team.supervisor, "GET", f"/api/v1/customers/{nobody}") == 200


def test_operators_cannot_assign_work_to_others(client: TestClient, team: Team) -> None:
    op1, op2 = team.op1, team.op2
    body = {"name": "Новый", "manager_id": op2.id}
    assert status_of(client, op1, "POST", "/api/v1/customers", body) == 403
    created = client.post(
        "/api/v1/customers", json={**body, "manager_id": op1.id}, headers=op1.auth
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/customers/{created.json()['id']}"
    assert status_of(client, op1, "PATCH", url, {"manager_id": op2.id}) == 403
    assert client.get(url, headers=op1.auth).json()["manager_id"] == op1.id
    assert (
        status_of(client, op1, "POST", "/api/v1/tasks", {"title": "x", "assignee_id": op2.id})
        == 403
    )
    item = [{"product": "X", "quantity": 1, "price": 1}]
    order = {"customer_id": created.json()["id"], "items": item, "manager_id": op2.id}
    assert status_of(client, op1, "POST", "/api/v1/orders", order) == 403
    assert status_of(client, team.supervisor, "PATCH", url, {"manager_id": op2.id}) == 200


def test_cookie_sessions_need_the_csrf_header(client: TestClient, team: Team) -> None:
    pre_login = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert pre_login is not None
    assert web_login(client, "op1", PASSWORD).headers["location"] == "/"
    me = client.get("/api/v1/me")
    assert me.status_code == 200, me.text
    assert (me.json()["manager"]["id"], me.json()["auth"]) == (team.op1.id, "session")

    task = {"title": "из браузера"}
    for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": pre_login.group(1)}):
        denied = client.post("/api/v1/tasks", json=task, headers=headers)
        assert denied.status_code == 403, headers
        assert denied.json()["error"]["code"] == "csrf_failed"
    home = client.get("/")
    assert home.status_code == 200
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', home.text)
    assert meta is not None
    created = client.post("/api/v1/tasks", json=task, headers={"X-CSRF-Token": meta.group(1)})
    assert created.status_code == 201, created.text
    assert (created.json()["assignee_id"], created.json()["created_by_id"]) == (team.op1.id,) * 2
    assert client.get("/api/v1/tasks").json()["total"] == 1

    client.post("/logout", data={"csrf_token": meta.group(1)}, follow_redirects=False)
    assert client.get("/api/v1/me").status_code == 401


def test_login_is_rate_limited(client: TestClient, team: Team) -> None:
    for _ in range(5):
        assert web_login(client, "op1", "wrong-password").status_code == 401
    blocked = web_login(client, "OP1", PASSWORD)
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/me").status_code == 401
