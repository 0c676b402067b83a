"""Who owns an order, and who becomes a personal manager: only someone who takes calls (active,
with an extension). A token is nobody's manager; the user keying an order in on a page is, if
they take calls. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient

from callcenter.core.models import Role
from tests.integration.conftest import PASSWORD, Team, User, make_user, web_login

ITEMS = [{"product": "Чайник", "quantity": 1, "price": 2490}]


def new_customer(client: TestClient, team: Team, phone: str = "+79161234567", **extra: Any) -> int:
    body = {"name": "Анна Смирнова", "phones": [phone], **extra}
    response = client.post("/api/v1/customers", json=body, headers=team.admin.auth)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def post_order(client: TestClient, user: User, customer_id: int, **extra: Any) -> Any:
    body = {"customer_id": customer_id, "items": ITEMS, **extra}
    return client.post("/api/v1/orders", json=body, headers=user.auth)


def deactivate(client: TestClient, team: Team, user: User) -> None:
    response = client.patch(
        f"/api/v1/managers/{user.id}", json={"is_active": False}, headers=team.admin.auth
    )
    assert response.status_code == 200, response.text


def personal_manager(client: TestClient, team: Team, customer_id: int) -> int | None:
    response = client.get(f"/api/v1/customers/{customer_id}", headers=team.admin.auth)
    assert response.status_code == 200, response.text
    return response.json()["manager_id"]  # type: ignore[no-any-return]


def field_error(response: Any) -> tuple[int, str, str]:
    fields = response.json()["error"]["details"]["fields"]
    return response.status_code, fields[0]["field"], fields[0]["message"]


def test_an_order_through_a_token_has_no_manager_unless_one_is_given(
    client: TestClient, team: Team
) -> None:
    customer = new_customer(client, team)
    for user in (team.admin, team.supervisor, team.op1):
        response = post_order(client, user, customer)
        assert response.status_code == 201, response.text
        assert response.json()["manager_id"] is None, user.login
    given = post_order(client, team.admin, customer, manager_id=team.op2.id)
    assert (given.status_code, given.json()["manager_id"]) == (201, team.op2.id)
    own = post_order(client, team.op1, customer, manager_id=team.op1.id)
    assert (own.status_code, own.json()["manager_id"]) == (201, team.op1.id)
    listed = client.get(
        "/api/v1/orders", params={"customer_id": customer}, headers=team.admin.auth
    ).json()
    assert sorted(o["manager_id"] or 0 for o in listed["items"]) == [
        0,
        0,
        0,
        team.op1.id,
        team.op2.id,
    ]


def test_a_given_manager_must_take_calls(client: TestClient, team: Team) -> None:
    customer = new_customer(client, team)
    gone = make_user(client, "op9", Role.OPERATOR, "109")
    deactivate(client, team, gone)
    cases = [
        (9999, "no manager with id 9999"),
        (team.admin.id, f"manager {team.admin.id} (admin) has no extension"),
        (gone.id, f"manager {gone.id} (op9) is deactivated"),
    ]
    for manager_id, said in cases:
        response = post_order(client, team.supervisor, customer, manager_id=manager_id)
        status, field, message = field_error(response)
        assert (status, field) == (422, "manager_id"), response.text
        assert message.startswith(said), message
    assert (
        post_order(client, team.admin, customer, manager_id=team.supervisor.id).status_code == 201
    )
    # Changing the manager of an order is checked the same way.
    order = post_order(client, team.admin, customer, manager_id=team.op1.id).json()
    patched = client.patch(
        f"/api/v1/orders/{order['id']}", json={"manager_id": team.admin.id}, headers=team.admin.auth
    )
    assert field_error(patched)[:2] == (422, "manager_id")
    moved = client.patch(
        f"/api/v1/orders/{order['id']}", json={"manager_id": team.op2.id}, headers=team.admin.auth
    )
    assert (moved.status_code, moved.json()["manager_id"]) == (200, team.op2.id)


def key_in(client: TestClient, user: User, customer_id: int) -> dict[str, Any]:
    """Log in on the page and key an order in through the order form, as a person does."""
    assert web_login(client, user.login, PASSWORD).status_code == 303
    page = client.get(f"/orders/new?customer_id={customer_id}")
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert found, page.text[:300]
    form = {
        "csrf_token": found.group(1),
        "customer_id": str(customer_id),
        "product": "Чайник",
        "quantity": "1",
        "price": "2490",
        "status": "new",
    }
    created = client.post("/orders/new", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    order_id = int(created.headers["location"].rsplit("/", 1)[1])
    client.cookies.clear()
    return dict(client.get(f"/api/v1/orders/{order_id}", headers=user.auth).json())


def test_the_user_keying_an_order_in_owns_it_if_they_take_calls(
    client: TestClient, team: Team
) -> None:
    customer = new_customer(client, team, manager_id=team.op1.id)  # in op1's work
    assert key_in(client, team.op1, customer)["manager_id"] == team.op1.id
    assert key_in(client, team.supervisor, customer)["manager_id"] == team.supervisor.id
    # The admin has no extension: the order is nobody's.
    assert key_in(client, team.admin, customer)["manager_id"] is None
    phoned = make_user(client, "admin2", Role.ADMIN, "150")
    assert key_in(client, phoned, customer)["manager_id"] == phoned.id


def test_a_shops_token_never_makes_a_regular_personal_manager(
    client: TestClient, team: Team
) -> None:
    """The issue: the shop pushed orders with an admin's token; two completed orders later the
    admin was everybody's personal manager."""
    customer = new_customer(client, team)
    for _ in range(3):
        assert post_order(client, team.admin, customer, status="complete").status_code == 201
    assert personal_manager(client, team, customer) is None


def test_a_personal_manager_is_only_one_who_takes_calls(client: TestClient, team: Team) -> None:
    customer = new_customer(client, team)
    took = post_order(client, team.admin, customer, status="complete", manager_id=team.op1.id)
    assert took.status_code == 201
    leaving = make_user(client, "op8", Role.OPERATOR, "108")
    last = post_order(client, team.admin, customer, status="delivering", manager_id=leaving.id)
    deactivate(client, team, leaving)
    done = client.patch(
        f"/api/v1/orders/{last.json()['id']}", json={"status": "complete"}, headers=team.admin.auth
    )
    assert done.status_code == 200, done.text
    # The last completed order is op8's, who has left: the one before it, op1's, counts.
    assert personal_manager(client, team, customer) == team.op1.id

    other = new_customer(client, team, "+79161234568")
    for _ in range(2):
        post_order(client, team.admin, other, status="complete", manager_id=team.op2.id)
    assert personal_manager(client, team, other) == team.op2.id


def test_an_explicit_personal_manager_must_take_calls(client: TestClient, team: Team) -> None:
    body = {"name": "Борис", "phones": ["+79161234569"], "manager_id": team.admin.id}
    refused = client.post("/api/v1/customers", json=body, headers=team.admin.auth)
    status, field, message = field_error(refused)
    assert (status, field) == (422, "manager_id")
    assert message == (
        f"manager {team.admin.id} (admin) has no extension; a personal manager must take calls"
    )
    body["manager_id"] = team.op1.id
    created = client.post("/api/v1/customers", json=body, headers=team.admin.auth)
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]
    deactivate(client, team, team.op2)
    moved = client.patch(
        f"/api/v1/customers/{customer_id}",
        json={"manager_id": team.op2.id},
        headers=team.supervisor.auth,
    )
    assert field_error(moved)[:2] == (422, "manager_id")
    assert personal_manager(client, team, customer_id) == team.op1.id


def test_the_new_customer_form_offers_only_managers_who_take_calls(
    client: TestClient, team: Team
) -> None:
    assert web_login(client, team.admin.login, PASSWORD).status_code == 303
    page = client.get("/customers/new").text
    select = page[page.index('<select name="manager_id">') :]
    select = select[: select.index("</select>")]
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', select)}
    assert offered == {team.supervisor.id, team.op1.id, team.op2.id}
    assert " selected" not in select  # the admin is not offered as everyone's manager
    client.cookies.clear()
    assert web_login(client, team.op1.login, PASSWORD).status_code == 303
    page = client.get("/customers/new").text
    assert f'<option value="{team.op1.id}" selected>' in page
