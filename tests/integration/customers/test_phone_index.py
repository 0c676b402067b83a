"""Looking a customer up by phone is an index hit, on both databases."""

from __future__ import annotations

from sqlalchemy import text
from starlette.testclient import TestClient

from callcenter.core.models import CustomerPhone


def test_lookup_by_phone_uses_the_index(client: TestClient, db_url: str) -> None:
    app = client.app
    query = CustomerPhone.__table__.select().where(CustomerPhone.phone == "+79161234567")

    async def plan() -> str:
        async with app.state.services.sessionmaker() as session:  # type: ignore[attr-defined]
            compiled = query.compile(
                dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
            )
            if db_url.startswith("sqlite"):
                rows = await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
                return " ".join(str(r[-1]) for r in rows)
            # PostgreSQL prefers a sequential scan on a tiny table; forbid it to see the choice.
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            rows = await session.execute(text(f"EXPLAIN {compiled}"))
            return " ".join(str(r[0]) for r in rows)

    assert client.portal is not None
    assert "ix_customer_phones_phone" in client.portal.call(plan)
