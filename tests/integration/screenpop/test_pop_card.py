"""The screen-pop card is one hand-written query: it must show exactly what the REST API shows
for the same customer and their last order, on SQLite and on PostgreSQL."""

from __future__ import annotations

from starlette.testclient import TestClient

from callcenter.screenpop.card import pop_card
from tests.integration.conftest import Team, db_call


def post(client: TestClient, team: Team, path: str, body: dict) -> dict:
    response = client.post(path, json=body, headers=team.admin.auth)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_card_is_the_api_customer_and_their_last_order(client: TestClient, team: Team) -> None:
    customer = post(
        client,
        team,
        "/api/v1/customers",
        {
            "name": "Ёлкина Жанна",
            # the second phone is the one that calls; the order of phones is kept
            "phones": ["+7 495 111-22-33", "8 916 123-45-67", "+49 30 1234567"],
            "tags": ["vip", "опт", "bad"],
            "manager_id": team.op1.id,
            "city": "Москва",
        },
    )
    post(
        client,
        team,
        "/api/v1/orders",
        {
            "customer_id": customer["id"],
            "items": [{"product": "Старый заказ", "quantity": 1, "price": 10}],
        },
    )
    last = post(
        client,
        team,
        "/api/v1/orders",
        {
            "customer_id": customer["id"],
            "items": [
                {"product": "Чайник", "quantity": 2, "price": 1249.5},
                {"product": "Кружка", "quantity": 3, "price": "99.99"},
                {"product": "Блюдце", "quantity": 1, "price": 5},
            ],
        },
    )
    api_customer = client.get(f"/api/v1/customers/{customer['id']}", headers=team.admin.auth)
    api_order = client.get(f"/api/v1/orders/{last['id']}", headers=team.admin.auth)
    assert api_customer.status_code == api_order.status_code == 200

    card, order = db_call(client, lambda s: pop_card(s, "+79161234567"))

    assert card == api_customer.json()
    assert card["phones"] == ["+74951112233", "+79161234567", "+49301234567"]
    assert card["segment"] == "vip"
    assert order == api_order.json()
    assert [i["product"] for i in order["items"]] == ["Чайник", "Кружка", "Блюдце"]


def test_a_customer_without_orders_or_tags_and_an_unknown_number(
    client: TestClient, team: Team
) -> None:
    customer = post(
        client, team, "/api/v1/customers", {"name": "Без Заказов", "phones": ["+79990001122"]}
    )

    card, order = db_call(client, lambda s: pop_card(s, "+79990001122"))
    assert card is not None and order is None
    assert card["id"] == customer["id"] and card["tags"] == [] and card["segment"] == "prospect"
    assert card["phones"] == ["+79990001122"]

    assert db_call(client, lambda s: pop_card(s, "+79990009999")) == (None, None)
    assert db_call(client, lambda s: pop_card(s, None)) == (None, None)
