from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from callcenter.core.models import Call, CallDirection, CallRing, CallStatus
from tests.integration.conftest import Team, User, db_call

PAST = "2026-01-10T09:00:00Z"
FUTURE = "2099-01-01T00:00:00+03:00"


def add_call(
    client: TestClient,
    linkedid: str,
    started_at: str,
    *,
    direction: str = "in",
    status: str | None = "answered",
    manager_id: int | None = None,
    rang: tuple[int, ...] = (),
    customer_id: int | None = None,
    **extra: Any,
) -> int:
    """There is no API that writes calls yet: insert a Call and its CallRing rows."""

    async def run(session: AsyncSession) -> int:
        call = Call(
            linkedid=linkedid,
            direction=CallDirection(direction),
            status=CallStatus(status) if status else None,
            manager_id=manager_id,
            customer_id=customer_id,
            started_at=dt.datetime.fromisoformat(started_at),
            rang=[CallRing(manager_id=m) for m in rang],
            **extra,
        )
        session.add(call)
        await session.flush()
        return call.id

    return db_call(client, run)


def new_task(client: TestClient, user: User, body: dict[str, Any]) -> dict:
    response = client.post("/api/v1/tasks", json=body, headers=user.auth)
    assert response.status_code == 201, response.text
    return response.json()


def titles(client: TestClient, user: User, **params: Any) -> tuple[int, list[str]]:
    response = client.get("/api/v1/tasks", params=params, headers=user.auth)
    assert response.status_code == 200, response.text
    page = response.json()
    return page["total"], [t["title"] for t in page["items"]]


# --- tasks ----------------------------------------------------------------------------------


def test_create_task_defaults_to_the_caller(client: TestClient, team: Team) -> None:
    task = new_task(client, team.op1, {"title": "  Перезвонить  ", "note": "после 18:00"})
    assert {k: v for k, v in task.items() if k not in ("id", "created_at")} == {
        "title": "Перезвонить",
        "kind": "manual",
        "note": "после 18:00",
        "events": [],
        "customer_id": None,
        "call_id": None,
        "assignee_id": team.op1.id,
        "group_name": None,
        "phone": None,
        "created_by_id": team.op1.id,
        "deadline": None,
        "done_at": None,
        "overdue": False,
    }
    assigned = new_task(client, team.supervisor, {"title": "Отчёт", "assignee_id": team.op2.id})
    assert (assigned["assignee_id"], assigned["created_by_id"]) == (team.op2.id, team.supervisor.id)
    read = client.get(f"/api/v1/tasks/{assigned['id']}", headers=team.op2.auth)
    assert read.status_code == 200
    assert read.json() == assigned


def test_task_links_to_a_customer_and_a_call(client: TestClient, team: Team) -> None:
    customer = client.post(
        "/api/v1/customers", json={"name": "Иван"}, headers=team.admin.auth
    ).json()
    call_id = add_call(client, "l-1", "2026-01-10T09:00:00", status="missed", rang=(team.op1.id,))
    body = {"title": "Перезвонить", "customer_id": customer["id"], "call_id": call_id}
    task = new_task(client, team.op1, body)
    assert (task["customer_id"], task["call_id"]) == (customer["id"], call_id)
    assert titles(client, team.admin, customer_id=customer["id"]) == (1, ["Перезвонить"])


def test_open_and_overdue(client: TestClient, team: Team) -> None:
    late = new_task(client, team.op1, {"title": "late", "deadline": PAST})
    later = new_task(client, team.op1, {"title": "later", "deadline": FUTURE})
    new_task(client, team.op1, {"title": "whenever"})
    assert (late["deadline"], late["overdue"]) == ("2026-01-10T09:00:00", True)
    assert (later["deadline"], later["overdue"]) == ("2098-12-31T21:00:00", False)
    page = client.get("/api/v1/tasks", headers=team.op1.auth).json()
    assert [(t["title"], t["overdue"]) for t in page["items"]] == [
        ("late", True),
        ("later", False),
        ("whenever", False),
    ]
    assert titles(client, team.op1, overdue="true") == (1, ["late"])
    assert titles(client, team.op1, overdue="false") == (2, ["later", "whenever"])
    assert titles(client, team.op1, open="true") == (3, ["late", "later", "whenever"])
    assert titles(client, team.op1, open="false") == (0, [])

    done = client.post(f"/api/v1/tasks/{late['id']}/complete", headers=team.op1.auth)
    assert done.status_code == 200, done.text
    assert done.json()["done_at"] is not None
    done_at = dt.datetime.fromisoformat(done.json()["done_at"])
    assert abs(dt.datetime.now(dt.UTC).replace(tzinfo=None) - done_at) < dt.timedelta(minutes=1)
    assert done.json()["overdue"] is False  # done, so no longer late
    again = client.post(f"/api/v1/tasks/{late['id']}/complete", headers=team.op1.auth)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_done"
    read = client.get(f"/api/v1/tasks/{late['id']}", headers=team.op1.auth).json()
    assert read["done_at"] == done.json()["done_at"]

    assert titles(client, team.op1, open="true") == (2, ["later", "whenever"])
    assert titles(client, team.op1, open="false") == (1, ["late"])
    assert titles(client, team.op1, overdue="true") == (0, [])
    assert titles(client, team.op1, overdue="false") == (3, ["later", "whenever", "late"])
    assert titles(client, team.op1, limit=1, offset=1) == (3, ["whenever"])
    missing = client.post("/api/v1/tasks/999999/complete", headers=team.op1.auth)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "deadline": "tomorrow"}, "deadline"),
        ({"title": "x", "deadline": "2026-13-01T10:00:00"}, "deadline"),
        ({"title": " "}, "title"),
        ({}, "title"),
        ({"title": "x", "assignee_id": 999999}, "assignee_id"),
        ({"title": "x", "customer_id": 999999}, "customer_id"),
        ({"title": "x", "call_id": 999999}, "call_id"),
        ({"title": "x", "kind": "callback"}, "kind"),
    ],
)
def test_task_validation(client: TestClient, team: Team, body: dict[str, Any], field: str) -> None:
    response = client.post("/api/v1/tasks", json=body, headers=team.supervisor.auth)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert [f["field"] for f in error["details"]["fields"]] == [field]
    assert field in error["message"]
    assert titles(client, team.admin) == (0, [])


def test_task_query_validation(client: TestClient, team: Team) -> None:
    for query, field in [("open=maybe", "open"), ("overdue=2", "overdue"), ("x=1", "x")]:
        response = client.get(f"/api/v1/tasks?{query}", headers=team.admin.auth)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"]["fields"][0]["field"] == field


# --- calls ----------------------------------------------------------------------------------


@pytest.fixture
def calls(client: TestClient, team: Team) -> dict[str, Any]:
    def customer(name: str, phone: str) -> int:
        body = {"name": name, "phones": [phone]}
        response = client.post("/api/v1/customers", json=body, headers=team.admin.auth)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    ivan = customer("Иван", "+79161234567")
    anna = customer("Анна", "+79030001122")
    ids = {
        "c1": add_call(
            client,
            "1700000001.1",
            "2026-01-10T09:00:00",
            manager_id=team.op1.id,
            rang=(team.op2.id, team.op1.id),
            customer_id=ivan,
            phone="+79161234567",
            caller_id_raw="8 (916) 123-45-67",
            route="sales",
            line="+74951234567",
            answered_at=dt.datetime(2026, 1, 10, 9, 0, 12),
            ended_at=dt.datetime(2026, 1, 10, 9, 5, 12),
            wait_seconds=12,
            talk_seconds=300,
        ),
        "c2": add_call(
            client,
            "1700000002.1",
            "2026-01-11T12:00:00",
            status="missed",
            rang=(team.op2.id, team.supervisor.id),
            customer_id=ivan,
            status_reason="no answer",
        ),
        "c3": add_call(
            client,
            "1700000003.1",
            "2026-01-12T15:30:00",
            direction="out",
            manager_id=team.op2.id,
            customer_id=anna,
        ),
        "c4": add_call(
            client,
            "1700000004.1",
            "2026-01-13T08:00:00",
            direction="internal",
            status="busy",
            manager_id=team.supervisor.id,
            rang=(team.op1.id,),
        ),
        "c5": add_call(client, "1700000005.1", "2026-01-14T10:00:00", status=None),
    }
    return {"ivan": ivan, "anna": anna, **ids}


def call_ids(client: TestClient, user: User, **params: Any) -> list[int]:
    response = client.get("/api/v1/calls", params=params, headers=user.auth)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])
    return [c["id"] for c in page["items"]]


def test_read_a_call(client: TestClient, team: Team, calls: dict[str, Any]) -> None:
    named = client.post(
        "/api/v1/lines",
        json={"number": "8 (495) 123-45-67", "name": "Магазин на Тверской", "source": "Авито"},
        headers=team.admin.auth,
    )
    assert named.status_code == 201, named.text
    response = client.get(f"/api/v1/calls/{calls['c1']}", headers=team.supervisor.auth)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": calls["c1"],
        "pbx": "default",
        "linkedid": "1700000001.1",
        "direction": "in",
        "phone": "+79161234567",
        "caller_id_raw": "8 (916) 123-45-67",
        "customer_id": calls["ivan"],
        "manager_id": team.op1.id,
        "rang_manager_ids": sorted([team.op1.id, team.op2.id]),
        "route": "sales",
        "started_at": "2026-01-10T09:00:00",
        "answered_at": "2026-01-10T09:00:12",
        "ended_at": "2026-01-10T09:05:12",
        "wait_seconds": 12,
        "talk_seconds": 300,
        "status": "answered",
        "status_reason": None,
        "line": "+74951234567",
        "line_name": "Магазин на Тверской",
        "line_source": "Авито",
        "has_recording": False,
        "recording_id": None,
        "recording_status": None,
        "recording_error": None,
    }
    live = client.get(f"/api/v1/calls/{calls['c5']}", headers=team.admin.auth).json()
    assert (live["status"], live["rang_manager_ids"], live["manager_id"]) == (None, [], None)
    missed = client.get(f"/api/v1/calls/{calls['c2']}", headers=team.op2.auth).json()
    assert missed["rang_manager_ids"] == [team.supervisor.id, team.op2.id]
    assert missed["status_reason"] == "no answer"
    missing = client.get("/api/v1/calls/999999", headers=team.admin.auth)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_call_filters(client: TestClient, team: Team, calls: dict[str, Any]) -> None:
    c1, c2, c3, c4, c5 = (calls[f"c{i}"] for i in range(1, 6))
    sup = team.supervisor
    assert call_ids(client, sup) == [c5, c4, c3, c2, c1]
    assert call_ids(client, sup, **{"from": "2026-01-11T00:00:00"}) == [c5, c4, c3, c2]
    assert call_ids(client, sup, until="2026-01-11T12:00:00") == [c1]  # until is exclusive
    assert call_ids(client, sup, until="2026-01-11T12:00:01") == [c2, c1]
    # 2026-01-12T18:30+03:00 is 15:30 UTC, the moment c3 started
    window = {"from": "2026-01-11T15:00:00+03:00", "until": "2026-01-12T18:30:01+03:00"}
    assert call_ids(client, sup, **window) == [c3, c2]
    assert call_ids(client, sup, manager_id=team.op2.id) == [c3, c2, c1]  # answered or rang
    assert call_ids(client, sup, manager_id=team.op1.id) == [c4, c1]
    assert call_ids(client, sup, manager_id=team.admin.id) == []
    assert call_ids(client, sup, customer_id=calls["ivan"]) == [c2, c1]
    assert call_ids(client, sup, customer_id=calls["anna"], direction="out") == [c3]
    assert call_ids(client, sup, direction="in") == [c5, c2, c1]
    assert call_ids(client, sup, direction="internal") == [c4]
    assert call_ids(client, sup, status="missed") == [c2]
    assert call_ids(client, sup, status="answered", manager_id=team.op2.id) == [c3, c1]
    # The line in any format the shop writes it.
    assert call_ids(client, sup, line="+7 495 123-45-67") == [c1]
    # The calls of a shop's or campaign's lines.
    client.post(
        "/api/v1/lines",
        json={"number": "+74951234567", "name": "Тверская", "source": "Яндекс Директ"},
        headers=team.admin.auth,
    )
    assert call_ids(client, sup, source="Яндекс Директ") == [c1]
    assert call_ids(client, sup, source="Авито") == []
    assert call_ids(client, sup, line="84951234567") == [c1]
    assert call_ids(client, sup, line="+74950000000") == []
    paged = client.get("/api/v1/calls?limit=2&offset=1", headers=team.admin.auth).json()
    assert (paged["total"], [c["id"] for c in paged["items"]]) == (5, [c4, c3])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "from"),
        ("until=2026-02-30T00:00:00", "until"),
        ("direction=sideways", "direction"),
        ("status=lost", "status"),
        ("manager_id=me", "manager_id"),
    ],
)
def test_call_query_validation(
    client: TestClient, team: Team, calls: dict[str, Any], query: str, field: str
) -> None:
    response = client.get(f"/api/v1/calls?{query}", headers=team.admin.auth)
    assert response.status_code == 422, response.text
    assert [f["field"] for f in response.json()["error"]["details"]["fields"]] == [field]
