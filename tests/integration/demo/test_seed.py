"""The demo shop: believable data whose aggregates and phones are consistent."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from starlette.testclient import TestClient

from callcenter.core.models import Customer, CustomerPhone, Order, OrderItem, OrderStatus
from callcenter.demo.seed import DEMO_PASSWORD, seed


def test_seeded_shop_is_consistent(client: TestClient) -> None:
    app = client.app

    async def run() -> dict[str, object]:
        async with app.state.services.sessionmaker() as session:  # type: ignore[attr-defined]
            counts = await seed(session, customers=300, seed=3)
            await session.commit()
            spent = await session.scalar(select(func.sum(Customer.total_spent)))
            paid = await session.scalar(
                select(func.sum(Order.total)).where(Order.status != OrderStatus.CANCELLED)
            )
            items_total = await session.scalar(
                select(func.sum(OrderItem.price * OrderItem.quantity))
            )
            orders_total = await session.scalar(select(func.sum(Order.total)))
            phone = await session.scalar(select(CustomerPhone.phone).limit(1))
            return {
                **counts,
                "spent": spent,
                "paid": paid,
                "items": items_total,
                "orders_total": orders_total,
                "phone": phone,
            }

    assert client.portal is not None
    result = client.portal.call(run)
    assert result["customers"] == 300
    assert result["orders"] > 300
    assert Decimal(str(result["spent"])) == Decimal(str(result["paid"]))
    assert Decimal(str(result["items"])) == Decimal(str(result["orders_total"]))

    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    login = client.post(
        "/login",
        data={"login": "anna", "password": DEMO_PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert login.status_code == 303
    phone = str(result["phone"])
    national = "8 (" + phone[2:5] + ") " + phone[5:8] + "-" + phone[8:10] + "-" + phone[10:]
    found = client.get("/api/v1/customers/lookup", params={"phone": national})
    assert found.status_code == 200, found.text
    assert phone in found.json()["phones"]
