from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.integration.conftest import Team

IVAN = {
    "name": "Иван Петров",
    "phones": ["+7 916 123-45-67", "8 (495) 123-45-67"],
    "email": "ivan@example.ru",
    "city": "Москва",
    "timezone": "Europe/Moscow",
    "birthday": "1985-03-14",
    "tags": ["VIP", "опт"],
}


def create(client: TestClient, team: Team, body: dict[str, object] | None = None) -> dict:
    response = client.post("/api/v1/customers", json=body or IVAN, headers=team.admin.auth)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_normalises_phones_and_tags(client: TestClient, team: Team) -> None:
    customer = create(client, team)
    assert customer["phones"] == ["+79161234567", "+74951234567"]
    assert customer["tags"] == ["vip", "опт"]
    assert customer["segment"] == "vip"
    assert customer["orders_count"] == 0
    assert customer["total_spent"] == 0
    read = client.get(f"/api/v1/customers/{customer['id']}", headers=team.admin.auth).json()
    assert read == customer


@pytest.mark.parametrize(
    "phone", ["+7 916 123-45-67", "8 (916) 123-45-67", "89161234567", "79161234567", "9161234567"]
)
def test_lookup_finds_the_customer_by_any_format(
    client: TestClient, team: Team, phone: str
) -> None:
    customer = create(client, team)
    found = client.get("/api/v1/customers/lookup", params={"phone": phone}, headers=team.op1.auth)
    assert found.status_code == 200, found.text
    assert found.json()["id"] == customer["id"]
    assert found.json()["name"] == "Иван Петров"


def test_lookup_unknown_and_garbage(client: TestClient, team: Team) -> None:
    create(client, team)
    unknown = client.get("/api/v1/customers/lookup?phone=89031112233", headers=team.op1.auth)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["details"] == {"phone": "+79031112233"}
    garbage = client.get("/api/v1/customers/lookup?phone=hello", headers=team.op1.auth)
    assert garbage.status_code == 422
    assert garbage.json()["error"]["details"]["fields"][0]["field"] == "phone"
    extension = client.get("/api/v1/customers/lookup?phone=101", headers=team.op1.auth)
    assert extension.status_code == 422
    assert "internal extension" in extension.json()["error"]["message"]


def test_validation_errors_name_the_field(client: TestClient, team: Team) -> None:
    cases = [
        ({**IVAN, "phones": ["+79161234567", "not a phone"]}, "phones.1"),
        ({**IVAN, "email": "nope"}, "email"),
        ({**IVAN, "timezone": "Mars/Olympus"}, "timezone"),
        ({**IVAN, "name": ""}, "name"),
        ({**IVAN, "birthday": "14.03.1985x"}, "birthday"),
        ({**IVAN, "colour": "red"}, "colour"),
        ({**IVAN, "manager_id": 99999}, "manager_id"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/customers", json=body, headers=team.admin.auth)
        assert response.status_code == 422, (field, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert field in [f["field"] for f in error["details"]["fields"]], error
        assert field in error["message"]


def test_bad_json_is_a_clear_400(client: TestClient, team: Team) -> None:
    response = client.post(
        "/api/v1/customers",
        content=b"{not json",
        headers={**team.admin.auth, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    as_list = client.post("/api/v1/customers", json=[1, 2], headers=team.admin.auth)
    assert as_list.status_code == 400


def test_a_phone_belongs_to_one_customer(client: TestClient, team: Team) -> None:
    first = create(client, team)
    clash = client.post(
        "/api/v1/customers",
        json={"name": "Другой", "phones": ["79161234567"]},
        headers=team.admin.auth,
    )
    assert clash.status_code == 409
    assert clash.json()["error"]["details"] == {
        "phone": "+79161234567",
        "customer_id": first["id"],
    }


def test_update_is_partial(client: TestClient, team: Team) -> None:
    customer = create(client, team)
    response = client.patch(
        f"/api/v1/customers/{customer['id']}",
        json={"city": "Казань", "phones": ["8 917 000-00-01"], "do_not_call": True},
        headers=team.supervisor.auth,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["city"] == "Казань"
    assert updated["phones"] == ["+79170000001"]
    assert updated["do_not_call"] is True
    assert updated["email"] == IVAN["email"]
    assert updated["tags"] == ["vip", "опт"]
    old = client.get("/api/v1/customers/lookup?phone=89161234567", headers=team.admin.auth)
    assert old.status_code == 404


def test_search_by_cyrillic_name_phone_and_order_number(client: TestClient, team: Team) -> None:
    ivan = create(client, team)
    other = create(client, team, {"name": "Анна Смирнова", "phones": ["+7 903 000-11-22"]})
    order = client.post(
        "/api/v1/orders",
        json={
            "customer_id": other["id"],
            "number": "A-1001",
            "items": [{"product": "Чайник", "quantity": 1, "price": 2490}],
        },
        headers=team.admin.auth,
    )
    assert order.status_code == 201, order.text

    def search(q: str) -> list[int]:
        response = client.get("/api/v1/customers", params={"q": q}, headers=team.admin.auth)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert search("ИВАН") == [ivan["id"]]
    assert search("петров") == [ivan["id"]]
    assert search("8 (903) 000-11-22") == [other["id"]]
    assert search("A-1001") == [other["id"]]
    assert search("100%") == []
    assert search("ivan@example.ru") == [ivan["id"]]


def test_paging(client: TestClient, team: Team) -> None:
    for i in range(7):
        create(client, team, {"name": f"Клиент {i}", "phones": [f"+7916000000{i}"]})
    page = client.get("/api/v1/customers?limit=3&offset=3", headers=team.admin.auth).json()
    assert page["total"] == 7
    assert page["limit"] == 3
    assert page["offset"] == 3
    assert [c["name"] for c in page["items"]] == ["Клиент 3", "Клиент 2", "Клиент 1"]
    too_big = client.get("/api/v1/customers?limit=100000", headers=team.admin.auth)
    assert too_big.status_code == 422
    assert too_big.json()["error"]["details"]["fields"][0]["field"] == "limit"
