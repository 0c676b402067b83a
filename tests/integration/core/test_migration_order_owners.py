"""Migration 0005 repairs what an admin's shop token did: personal managers who cannot take
calls are cleared and chosen again by the regulars rule; orders keep their manager (their
origin was never recorded). On a database left at 0004, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, select

from callcenter.core.db import make_engine
from callcenter.core.migrate import alembic_config, upgrade
from callcenter.core.models import (
    AppSetting,
    AuditLog,
    Call,
    Customer,
    Manager,
    Order,
    table_of,
)
from tests.conftest import run_async

NOW = dt.datetime(2026, 12, 1, 12, 0)
# login: (role, extension, active)
MANAGERS = {
    "admin": ("admin", None, True),
    "op1": ("operator", "101", True),
    "op2": ("operator", "102", True),
    "gone": ("operator", "109", False),
    "blank": ("supervisor", "", True),
}
# customer: (personal manager, [(order's manager, status, days ago)], answered calls' managers)
CUSTOMERS: dict[str, tuple[str | None, list[tuple[str | None, str, int]], list[str]]] = {
    # the admin's token took the latest order: the op1 order before it counts.
    "regular": (
        "admin",
        [("op1", "complete", 30), ("admin", "complete", 10), ("op2", "cancelled", 1)],
        [],
    ),
    # nobody who takes calls took an order: the last answered call's manager.
    "called": ("admin", [("admin", "complete", 20), (None, "complete", 5)], ["gone", "op2"]),
    # one completed order is below the threshold.
    "below": ("admin", [("op1", "complete", 3)], ["op1"]),
    "left": ("gone", [("gone", "complete", 9), ("gone", "complete", 8)], []),
    "phoneless": ("blank", [("op2", "complete", 9), ("op2", "complete", 8)], []),
    # a personal manager who takes calls, or none at all: left alone.
    "kept": ("op1", [("admin", "complete", 9), ("admin", "complete", 8)], []),
    "nobody": (None, [("op1", "complete", 9), ("op1", "complete", 8)], []),
}
REPAIRED = {"regular", "called", "below", "left", "phoneless"}


async def _seed(url: str, routing: dict[str, Any] | None) -> dict[str, int]:
    engine = make_engine(url)
    ids: dict[str, int] = {}
    try:
        async with engine.begin() as conn:
            for login, (role, extension, active) in MANAGERS.items():
                ids[login] = (
                    await conn.execute(
                        insert(table_of(Manager)).returning(table_of(Manager).c.id),
                        {"login": login, "password_hash": "x", "role": role,
                         "extension": extension, "is_active": active},
                    )
                ).scalar_one()  # fmt: skip
            if routing is not None:
                await conn.execute(insert(table_of(AppSetting)), {"key": "routing", "value": routing})
            for name, (personal, orders, calls) in CUSTOMERS.items():
                await _seed_customer(conn, ids, name, personal, orders, calls)
    finally:
        await engine.dispose()
    return ids


async def _seed_customer(
    conn: Any,
    ids: dict[str, int],
    name: str,
    personal: str | None,
    orders: list[tuple[str | None, str, int]],
    calls: list[str],
) -> None:
    customers = table_of(Customer)
    cid = (
        await conn.execute(
            insert(customers).returning(customers.c.id),
            {"name": name, "manager_id": ids[personal] if personal else None},
        )
    ).scalar_one()
    ids[name] = cid
    for i, (manager, status, days) in enumerate(orders):
        at = NOW - dt.timedelta(days=days)
        row = {"number": f"{name}-{i}", "customer_id": cid, "status": status,
               "total": Decimal(100), "manager_id": ids[manager] if manager else None,
               "created_at": at, "updated_at": at}  # fmt: skip
        await conn.execute(insert(table_of(Order)), row)
    for i, manager in enumerate(calls):
        at = NOW - dt.timedelta(days=len(calls) - i)  # the last one listed is the latest
        row = {"linkedid": f"{name}-call-{i}", "direction": "in", "status": "answered",
               "customer_id": cid, "manager_id": ids[manager], "started_at": at}  # fmt: skip
        await conn.execute(insert(table_of(Call)), row)


async def _state(url: str) -> tuple[dict[int, int | None], list[tuple[int, int | None]], list[Any]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            personal = dict((await conn.execute(select(Customer.id, Customer.manager_id))).tuples().all())
            orders = sorted((await conn.execute(select(Order.id, Order.manager_id))).tuples().all())
            audit = (
                await conn.execute(
                    select(AuditLog.action, AuditLog.actor_id, AuditLog.target_id, AuditLog.details)
                    .order_by(AuditLog.id)
                )
            ).all()  # fmt: skip
    finally:
        await engine.dispose()
    return personal, orders, list(audit)


@pytest.mark.parametrize(
    ("routing", "expected"),
    [
        (None, {"regular": "op1", "called": "op2", "below": None, "left": None, "phoneless": "op2"}),
        ({"regular_after_orders": 1}, {"regular": "op1", "called": "op2", "below": "op1",
                                       "left": None, "phoneless": "op2"}),
        ({"regular_after_orders": 0}, dict.fromkeys(REPAIRED)),
    ],
    ids=["default threshold", "threshold 1", "regulars off"],
)  # fmt: skip
def test_personal_managers_who_cannot_take_calls_are_chosen_again(
    empty_db: str, routing: dict[str, Any] | None, expected: dict[str, str | None]
) -> None:
    upgrade(empty_db, "0004")
    ids = run_async(_seed(empty_db, routing))
    before_personal, before_orders, _ = run_async(_state(empty_db))

    upgrade(empty_db, "0005")

    personal, orders, audit = run_async(_state(empty_db))
    name_of = {v: k for k, v in ids.items() if k in MANAGERS}
    got = {name: name_of.get(personal[ids[name]]) for name in CUSTOMERS}
    assert got == {**expected, "kept": "op1", "nobody": None}
    assert orders == before_orders  # no order lost its manager
    assert [(a.action, a.actor_id, int(a.target_id)) for a in audit] == [
        ("customer.personal_manager", None, ids[name]) for name in CUSTOMERS if name in REPAIRED
    ]
    for row in audit:
        customer = int(row.target_id)
        assert row.details == {
            "manager_id": personal[customer],
            "previous_manager_id": before_personal[customer],
            "by": "migration 0005",
        }
    # Run again (its downgrade keeps the data): the repaired data has nothing left to repair.
    command.downgrade(alembic_config(empty_db), "0004")
    upgrade(empty_db, "0005")
    assert run_async(_state(empty_db)) == (personal, orders, audit)
