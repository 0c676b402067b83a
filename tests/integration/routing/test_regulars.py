"""After N completed orders a customer gets a personal manager by themselves."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.integration.conftest import Team, User

ITEMS = [{"product": "Чайник", "quantity": 1, "price": 2490}]


def order(client: TestClient, user: User, customer_id: int, status: str) -> dict:
    # Through a token the order is nobody's unless the operator names themselves.
    body = {"customer_id": customer_id, "items": ITEMS, "status": status, "manager_id": user.id}
    response = client.post("/api/v1/orders", json=body, headers=user.auth)
    assert response.status_code == 201, response.text
    return dict(response.json())


def manager_of(client: TestClient, team: Team, customer_id: int) -> int | None:
    return client.get(f"/api/v1/customers/{customer_id}", headers=team.admin.auth).json()[
        "manager_id"
    ]


def test_the_second_completed_order_makes_a_regular(client: TestClient, team: Team) -> None:
    customer = client.post(
        "/api/v1/customers",
        json={"name": "Анна", "phones": ["+79160000001"]},
        headers=team.admin.auth,
    ).json()
    order(client, team.op1, customer["id"], "complete")
    order(client, team.op2, customer["id"], "cancelled")
    assert manager_of(client, team, customer["id"]) is None
    pending = order(client, team.op2, customer["id"], "delivering")
    assert manager_of(client, team, customer["id"]) is None
    done = client.patch(
        f"/api/v1/orders/{pending['id']}", json={"status": "complete"}, headers=team.op2.auth
    )
    assert done.status_code == 200, done.text
    # The manager of the last completed order becomes the personal manager.
    assert manager_of(client, team, customer["id"]) == team.op2.id
    audit = client.get(
        "/api/v1/audit", params={"action": "customer.personal_manager"}, headers=team.admin.auth
    ).json()["items"]
    assert [a["details"]["manager_id"] for a in audit] == [team.op2.id]


def test_the_threshold_is_a_setting_and_an_existing_manager_stays(
    client: TestClient, team: Team
) -> None:
    client.put(
        "/api/v1/settings/routing", json={"regular_after_orders": 1}, headers=team.admin.auth
    ).raise_for_status()
    first = client.post(
        "/api/v1/customers",
        json={"name": "Борис", "phones": ["+79160000002"]},
        headers=team.admin.auth,
    ).json()
    order(client, team.op1, first["id"], "complete")
    assert manager_of(client, team, first["id"]) == team.op1.id
    order(client, team.op2, first["id"], "complete")
    assert manager_of(client, team, first["id"]) == team.op1.id  # never reassigned silently
