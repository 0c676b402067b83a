from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.integration.conftest import Team, User

ITEMS = [
    {"product": "Чайник", "quantity": 2, "price": 1249.5},
    {"product": "Кружка", "quantity": 3, "price": "99.99"},
]


def new_customer(
    client: TestClient, team: Team, name: str = "Иван Петров", phone: str = ""
) -> dict:
    body = {"name": name, "phones": [phone or "+7 916 123-45-67"]}
    response = client.post("/api/v1/customers", json=body, headers=team.admin.auth)
    assert response.status_code == 201, response.text
    return response.json()


def post_order(client: TestClient, user: User, body: dict[str, Any]) -> dict:
    response = client.post("/api/v1/orders", json=body, headers=user.auth)
    assert response.status_code == 201, response.text
    return response.json()


def priced(*prices: float | str, customer_id: int, **extra: Any) -> dict[str, Any]:
    items = [{"product": f"Товар {i}", "quantity": 1, "price": p} for i, p in enumerate(prices)]
    return {"customer_id": customer_id, "items": items, **extra}


def card(client: TestClient, team: Team, customer_id: int) -> dict:
    response = client.get(f"/api/v1/customers/{customer_id}", headers=team.admin.auth)
    assert response.status_code == 200, response.text
    return response.json()


def aggregates(client: TestClient, team: Team, customer_id: int) -> tuple:
    c = card(client, team, customer_id)
    return (
        c["orders_count"],
        c["total_spent"],
        c["average_check"],
        c["first_order_at"],
        c["last_order_at"],
    )


def test_create_by_customer_id_computes_the_total(client: TestClient, team: Team) -> None:
    customer = new_customer(client, team)
    body = {
        "customer_id": customer["id"],
        "items": ITEMS,
        "comment": "до обеда",
        "manager_id": team.op1.id,  # a token is nobody's manager unless named
    }
    order = post_order(client, team.op1, body)
    assert order["customer_id"] == customer["id"]
    assert order["total"] == 2798.97  # 2 × 1249.50 + 3 × 99.99
    assert order["items"] == [
        {"product": "Чайник", "quantity": 2, "price": 1249.5},
        {"product": "Кружка", "quantity": 3, "price": 99.99},
    ]
    assert order["status"] == "new"
    assert order["manager_id"] == team.op1.id
    assert order["comment"] == "до обеда"
    assert re.fullmatch(r"\d{6}-\d{6}", order["number"]), order["number"]
    read = client.get(f"/api/v1/orders/{order['id']}", headers=team.op1.auth)
    assert read.status_code == 200
    assert read.json() == order


def test_a_total_sent_by_the_client_is_rejected(client: TestClient, team: Team) -> None:
    customer = new_customer(client, team)
    body = {"customer_id": customer["id"], "items": ITEMS, "total": 1}
    response = client.post("/api/v1/orders", json=body, headers=team.admin.auth)
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["details"]["fields"]] == ["total"]


def test_generated_numbers_are_unique_and_a_given_one_cannot_repeat(
    client: TestClient, team: Team
) -> None:
    customer = new_customer(client, team)
    numbers = {post_order(client, team.admin, priced(10, customer_id=customer["id"]))["number"]}
    numbers.add(post_order(client, team.admin, priced(10, customer_id=customer["id"]))["number"])
    numbers.add(post_order(client, team.admin, priced(10, customer_id=customer["id"]))["number"])
    assert len(numbers) == 3
    first = post_order(client, team.admin, priced(10, customer_id=customer["id"], number="A-1"))
    assert first["number"] == "A-1"
    again = client.post(
        "/api/v1/orders",
        json=priced(20, customer_id=customer["id"], number="A-1"),
        headers=team.admin.auth,
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "order_number_taken"
    taken = client.post(
        "/api/v1/orders",
        json=priced(20, customer_id=customer["id"], number=sorted(numbers)[0]),
        headers=team.admin.auth,
    )
    assert taken.status_code == 409
    listed = client.get("/api/v1/orders", headers=team.admin.auth).json()
    assert listed["total"] == 4
    assert card(client, team, customer["id"])["total_spent"] == 40


@pytest.mark.parametrize(
    "phone",
    ["8 (916) 123-45-67", "+7 916 123 45 67", "79161234567", "9161234567", "tel:+79161234567"],
)
def test_create_by_phone_in_any_format_finds_the_customer(
    client: TestClient, team: Team, phone: str
) -> None:
    customer = new_customer(client, team)
    order = post_order(client, team.op1, {"phone": phone, "items": ITEMS[:1], "customer_name": "X"})
    assert order["customer_id"] == customer["id"]
    assert order["total"] == 2499
    same = card(client, team, customer["id"])
    assert same["name"] == "Иван Петров"  # customer_name only names a new customer
    assert same["orders_count"] == 1
    assert same["segment"] == "new"
    everyone = client.get("/api/v1/customers", headers=team.admin.auth).json()
    assert everyone["total"] == 1


def test_an_unknown_phone_creates_the_customer(client: TestClient, team: Team) -> None:
    named = post_order(
        client,
        team.op1,
        {"phone": "+7 903 555-11-22", "customer_name": "  Ольга  ", "items": ITEMS[1:]},
    )
    anonymous = post_order(client, team.op1, {"phone": "89035551123", "items": ITEMS[1:]})
    assert named["customer_id"] != anonymous["customer_id"]
    found = client.get("/api/v1/customers/lookup?phone=9035551122", headers=team.op2.auth)
    assert found.status_code == 200, found.text
    olga = found.json()
    assert olga["id"] == named["customer_id"]
    assert olga["name"] == "Ольга"
    assert olga["phones"] == ["+79035551122"]
    assert (olga["orders_count"], olga["total_spent"]) == (1, 299.97)
    assert olga["manager_id"] is None
    default = client.get(
        "/api/v1/customers/lookup", params={"phone": "+7 (903) 555-11-23"}, headers=team.op2.auth
    ).json()
    assert default["id"] == anonymous["customer_id"]
    assert default["name"] == "Покупатель +79035551123"
    by_name = client.get("/api/v1/customers?q=покупатель", headers=team.admin.auth).json()
    assert [c["id"] for c in by_name["items"]] == [anonymous["customer_id"]]


def test_aggregates_follow_every_order_write(client: TestClient, team: Team) -> None:
    cid = new_customer(client, team)["id"]
    assert aggregates(client, team, cid) == (0, 0, 0, None, None)
    assert card(client, team, cid)["segment"] == "prospect"
    nov1, nov2, nov3 = "2026-11-01T10:00:00", "2026-11-02T08:00:00", "2026-11-03T09:30:00"

    def order(*prices: float, created_at: str) -> dict:
        return post_order(
            client, team.admin, priced(*prices, customer_id=cid, created_at=created_at)
        )

    def patch(order: dict, body: dict[str, Any]) -> dict:
        response = client.patch(f"/api/v1/orders/{order['id']}", json=body, headers=team.admin.auth)
        assert response.status_code == 200, response.text
        return response.json()

    a = order(100, created_at="2026-11-01T10:00:00Z")
    b = order(60, 40, created_at="2026-11-03T12:30:00+03:00")
    c = order(101, created_at=nov2)
    assert b["total"] == 100
    assert b["created_at"] == nov3  # stored as naive UTC
    assert aggregates(client, team, cid) == (3, 301, 100.33, nov1, nov3)

    changed = patch(c, {"items": [{"product": "Набор", "quantity": 2, "price": 60}]})
    assert changed["total"] == 120
    assert changed["items"] == [{"product": "Набор", "quantity": 2, "price": 60}]
    assert aggregates(client, team, cid) == (3, 320, 106.67, nov1, nov3)

    assert patch(a, {"status": "cancelled"})["status"] == "cancelled"
    assert aggregates(client, team, cid) == (2, 220, 110, nov2, nov3)
    patch(b, {"status": "cancelled"})
    assert aggregates(client, team, cid) == (1, 120, 120, nov2, nov2)
    patch(c, {"items": [{"product": "Набор", "quantity": 1, "price": 60}]})
    assert aggregates(client, team, cid) == (1, 60, 60, nov2, nov2)
    patch(c, {"status": "cancelled"})
    assert aggregates(client, team, cid) == (0, 0, 0, None, None)
    assert card(client, team, cid)["segment"] == "prospect"

    patch(a, {"status": "complete"})
    patch(b, {"status": "delivering"})
    patch(c, {"status": "new", "comment": "вернули"})
    assert aggregates(client, team, cid) == (3, 260, 86.67, nov1, nov3)


def test_average_check_rounds_half_up(client: TestClient, team: Team) -> None:
    cid = new_customer(client, team)["id"]
    post_order(client, team.admin, priced("1.00", customer_id=cid))
    post_order(client, team.admin, priced("0.01", customer_id=cid))
    assert aggregates(client, team, cid)[:3] == (2, 1.01, 0.51)  # 0.505 → 0.51, not 0.50
    post_order(client, team.admin, priced("0.10", "0.20", customer_id=cid))
    assert aggregates(client, team, cid)[:3] == (3, 1.31, 0.44)  # 0.4366…


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "+79161234567"}, "body"),
        ({"customer_id": None}, "body"),
        ({"items": []}, "items"),
        ({"items": [{"product": "Чайник", "quantity": 1, "price": -1}]}, "items.0.price"),
        (
            {"items": [ITEMS[0], {"product": "Чайник", "quantity": 0, "price": 1}]},
            "items.1.quantity",
        ),
        ({"items": [{"product": " ", "quantity": 1, "price": 1}]}, "items.0.product"),
        ({"items": [{"product": "Чайник", "quantity": 1, "price": "1.001"}]}, "items.0.price"),
        ({"status": "lost"}, "status"),
        ({"number": "A 1"}, "number"),
        ({"customer_id": 999999}, "customer_id"),
        ({"customer_id": None, "phone": "not a phone"}, "phone"),
        ({"customer_id": None, "phone": "101"}, "phone"),
    ],
)
def test_validation_names_the_field(
    client: TestClient, team: Team, change: dict[str, Any], field: str
) -> None:
    customer = new_customer(client, team)
    body = {"customer_id": customer["id"], "items": ITEMS, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = client.post("/api/v1/orders", json=body, headers=team.admin.auth)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [f["field"] for f in error["details"]["fields"]] == [field]
    if field == "body":
        assert "exactly one of customer_id or phone" in error["message"]
    assert client.get("/api/v1/orders", headers=team.admin.auth).json()["total"] == 0
    assert card(client, team, customer["id"])["orders_count"] == 0


def test_patch_validation(client: TestClient, team: Team) -> None:
    cid = new_customer(client, team)["id"]
    order = post_order(client, team.admin, priced(100, customer_id=cid))
    for body, field in [
        ({"status": "lost"}, "status"),
        ({"status": None}, "status"),
        ({"items": []}, "items"),
        ({"items": None}, "items"),
        ({"items": [{"product": "X", "quantity": 0, "price": 1}]}, "items.0.quantity"),
        ({"total": 5}, "total"),
    ]:
        response = client.patch(f"/api/v1/orders/{order['id']}", json=body, headers=team.admin.auth)
        assert response.status_code == 422, (body, response.text)
        assert [f["field"] for f in response.json()["error"]["details"]["fields"]] == [field]
    read = client.get(f"/api/v1/orders/{order['id']}", headers=team.admin.auth).json()
    assert (read["status"], read["total"]) == ("new", 100)
    missing = client.patch("/api/v1/orders/999999", json={"status": "new"}, headers=team.admin.auth)
    assert missing.status_code == 404


def test_list_filters_and_paging(client: TestClient, team: Team) -> None:
    ivan = new_customer(client, team)["id"]
    anna = new_customer(client, team, "Анна", "+7 903 000-11-22")["id"]
    made = []
    for day, (cid, status) in enumerate(
        [(ivan, "new"), (anna, "complete"), (ivan, "complete"), (ivan, "cancelled"), (anna, "new")],
        start=1,
    ):
        body = priced(day * 10, customer_id=cid, status=status, number=f"N-{day}")
        made.append(
            post_order(client, team.admin, {**body, "created_at": f"2026-11-0{day}T10:00:00"})
        )

    def numbers(**params: Any) -> tuple[int, list[str]]:
        response = client.get("/api/v1/orders", params=params, headers=team.admin.auth)
        assert response.status_code == 200, response.text
        page = response.json()
        return page["total"], [o["number"] for o in page["items"]]

    assert numbers() == (5, ["N-5", "N-4", "N-3", "N-2", "N-1"])
    assert numbers(customer_id=ivan) == (3, ["N-4", "N-3", "N-1"])
    assert numbers(status="complete") == (2, ["N-3", "N-2"])
    assert numbers(customer_id=anna, status="new") == (1, ["N-5"])
    assert numbers(number="N-2") == (1, ["N-2"])
    assert numbers(number="N-9") == (0, [])
    assert numbers(limit=2, offset=1) == (5, ["N-4", "N-3"])
    assert numbers(customer_id=ivan, limit=2, offset=2) == (3, ["N-1"])
    assert made[3]["status"] == "cancelled"
    assert card(client, team, ivan)["total_spent"] == 40  # N-1 + N-3; N-4 is cancelled
    bad = client.get("/api/v1/orders?status=lost", headers=team.admin.auth)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["fields"][0]["field"] == "status"


def test_a_total_beyond_the_money_column_is_a_422_not_a_500(client: TestClient, team: Team) -> None:
    cid = new_customer(client, team)["id"]
    biggest = post_order(client, team.admin, priced("9999999999.99", customer_id=cid))
    assert biggest["total"] == 9999999999.99
    item = {"product": "Яхта", "quantity": 2, "price": "9999999999.99"}
    response = client.post(
        "/api/v1/orders", json={"customer_id": cid, "items": [item]}, headers=team.admin.auth
    )
    assert response.status_code == 422, response.text
    assert [f["field"] for f in response.json()["error"]["details"]["fields"]] == ["items"]
    patched = client.patch(
        f"/api/v1/orders/{biggest['id']}", json={"items": [item]}, headers=team.admin.auth
    )
    assert patched.status_code == 422, patched.text
    read = client.get(f"/api/v1/orders/{biggest['id']}", headers=team.admin.auth).json()
    assert (read["total"], read["items"][0]["quantity"]) == (9999999999.99, 1)
    assert aggregates(client, team, cid)[:3] == (1, 9999999999.99, 9999999999.99)


def test_a_customer_total_may_outgrow_one_orders_limit(client: TestClient, team: Team) -> None:
    customer_id = new_customer(client, team)["id"]
    for _ in range(2):
        post_order(client, team.admin, priced("6000000000", customer_id=customer_id))
    body = card(client, team, customer_id)
    assert body["total_spent"] == 12_000_000_000
    assert body["average_check"] == 6_000_000_000
