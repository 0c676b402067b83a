"""Five customers with hand-computed facts, and rules with the set each must match.

At NOW (2026-06-15 12:00 UTC, 15:00 in Moscow):

| who   | orders bought (days ago: total)   | spent | avg   | last  | status    | cancelled (upd.) | birthday → days | created | last call | ratio |
|-------|-----------------------------------|-------|-------|-------|-----------|------------------|-----------------|---------|-----------|-------|
| anna  | 200: 1000, 100: 2000, 10: 3000    | 6000  | 2000  | 10    | complete  | -                | 06-18 → 3       | 400     | 5         | 0.105 |
| boris | 120: 15000                        | 15000 | 15000 | 120   | cancelled | created 6, upd 5 | 01-02 → 201     | 300     | never     | null  |
| vera  | -                                 | 0     | 0     | null  | null      | -                | null            | 3       | 70        | null  |
| gleb  | 90: 500, 60: 700                  | 1200  | 600   | 60    | complete  | -                | 06-15 → 0       | 365     | 61 (, 90) | 2.0   |
| dasha | 50: 100 complete, 20: 100 new     | 200   | 100   | 20    | new       | created 40, upd 40 | 02-29 → 259 (Mar 1) | 100 | never     | 0.667 |

tags: anna vip; vera bad; gleb vip, wholesale. city: anna, gleb Москва; boris Казань; dasha
Самара; vera none. personal manager: anna, dasha → op1; gleb → op2.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.models import (
    Call,
    CallDirection,
    CallStatus,
    Customer,
    CustomerPhone,
    CustomerTag,
    Order,
    OrderStatus,
)
from callcenter.orders.aggregates import refresh_customer_aggregates

NOW = dt.datetime(2026, 6, 15, 12, 0)
NOW_WRAP = dt.datetime(2026, 12, 28, 12, 0)  # birthdays across the new year
NOW_LEAP = dt.datetime(2028, 2, 20, 12, 0)  # a leap year: Feb 29 is a real day
NOW_LATE = dt.datetime(2026, 6, 14, 22, 0)  # 01:00 on Jun 15 in Moscow: "today" is Moscow's
ALL = {"anna", "boris", "vera", "gleb", "dasha"}


def ago(days: float, now: dt.datetime = NOW) -> dt.datetime:
    return now - dt.timedelta(days=days)


@dataclass
class Person:
    orders: list[tuple[int, int, str, int | None]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    city: str | None = None
    manager: str | None = None
    birthday: dt.date | None = None
    created: int = 0
    calls: list[int] = field(default_factory=list)
    timezone: str | None = None


PEOPLE: dict[str, Person] = {
    "anna": Person(
        orders=[
            (200, 1000, "complete", None),
            (100, 2000, "complete", None),
            (10, 3000, "complete", None),
        ],
        tags=["vip"],
        city="Москва",
        manager="op1",
        birthday=dt.date(1990, 6, 18),
        created=400,
        calls=[5],
    ),
    "boris": Person(
        orders=[(120, 15000, "complete", None), (6, 800, "cancelled", 5)],
        city="Казань",
        birthday=dt.date(1985, 1, 2),
        created=300,
    ),
    "vera": Person(tags=["bad"], created=3, calls=[70]),
    "gleb": Person(
        orders=[(90, 500, "complete", None), (60, 700, "complete", None)],
        tags=["vip", "wholesale"],
        city="Москва",
        manager="op2",
        birthday=dt.date(1979, 6, 15),
        created=365,
        calls=[61, 90],
    ),
    "dasha": Person(
        orders=[(50, 100, "complete", None), (40, 300, "cancelled", 40), (20, 100, "new", None)],
        city="Самара",
        manager="op1",
        birthday=dt.date(2000, 2, 29),
        created=100,
    ),
}


def phone_of(i: int) -> str:
    return f"+7916000000{i}"


async def seed_people(session: AsyncSession, managers: dict[str, int]) -> dict[str, int]:
    """Insert PEOPLE (relative to NOW); returns customer ids by name."""
    ids: dict[str, int] = {}
    for i, (name, p) in enumerate(PEOPLE.items()):
        customer = Customer(
            name=name,
            search_name=name,
            city=p.city,
            timezone=p.timezone,
            birthday=p.birthday,
            manager_id=managers[p.manager] if p.manager else None,
            created_at=ago(p.created),
            phones=[CustomerPhone(phone=phone_of(i), position=0)],
            tags=[CustomerTag(tag=t) for t in p.tags],
        )
        session.add(customer)
        await session.flush()
        ids[name] = customer.id
        for j, (days, total, status, updated) in enumerate(p.orders):
            session.add(
                Order(
                    number=f"{name}-{j}",
                    customer_id=customer.id,
                    status=OrderStatus(status),
                    total=Decimal(total),
                    created_at=ago(days),
                    updated_at=ago(updated if updated is not None else days),
                )
            )
        for j, days in enumerate(p.calls):
            session.add(
                Call(
                    linkedid=f"{name}-call-{j}",
                    direction=CallDirection.OUT,
                    status=CallStatus.ANSWERED,
                    customer_id=customer.id,
                    started_at=ago(days),
                )
            )
    await session.flush()
    await refresh_customer_aggregates(session, ids.values())
    return ids


def c(field_: str, op: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"field": field_, "op": op, "value": value, **extra}


# (rule, expected names[, now]). "@op1" / "@op2" stand for those managers' ids.
CASES: list[tuple[dict[str, Any], set[str]] | tuple[dict[str, Any], set[str], dt.datetime]] = [
    (c("orders_count", "=", 2), {"gleb", "dasha"}),
    (c("orders_count", "!=", 2), {"anna", "boris", "vera"}),
    (c("orders_count", ">", 1), {"anna", "gleb", "dasha"}),
    (c("orders_count", ">=", 3), {"anna"}),
    (c("orders_count", "<", 1), {"vera"}),
    (c("orders_count", "<=", 1), {"boris", "vera"}),
    (c("orders_count", "in", [0, 3]), {"vera", "anna"}),
    (c("total_spent", ">", 1200), {"anna", "boris"}),
    (c("total_spent", ">=", 1200), {"anna", "boris", "gleb"}),
    (c("total_spent", ">", 1199.99), {"anna", "boris", "gleb"}),
    (c("total_spent", "=", 200), {"dasha"}),
    (c("total_spent", "<", 200), {"vera"}),
    (c("total_spent", "<=", 200), {"vera", "dasha"}),
    (c("total_spent", "!=", 0), {"anna", "boris", "gleb", "dasha"}),
    (c("total_spent", "in", [6000, 15000]), {"anna", "boris"}),
    (c("average_check", "=", 2000), {"anna"}),
    (c("average_check", ">", 500), {"anna", "boris", "gleb"}),
    (c("average_check", "<", 600), {"vera", "dasha"}),
    (c("days_since_last_order", ">=", 60), {"boris", "gleb"}),
    (c("days_since_last_order", ">", 60), {"boris"}),
    (c("days_since_last_order", "=", 20), {"dasha"}),
    (c("days_since_last_order", "<", 20), {"anna"}),
    (c("days_since_last_order", "<=", 20), {"anna", "dasha"}),
    (c("days_since_last_order", "!=", 10), {"boris", "vera", "gleb", "dasha"}),
    (c("days_since_last_order", "=", None), {"vera"}),
    (c("days_since_last_order", "!=", None), {"anna", "boris", "gleb", "dasha"}),
    (c("days_since_last_order", "in", [10, 60]), {"anna", "gleb"}),
    (c("last_order_status", "=", "complete"), {"anna", "gleb"}),
    (c("last_order_status", "=", "cancelled"), {"boris"}),
    (c("last_order_status", "!=", "complete"), {"boris", "vera", "dasha"}),
    (c("last_order_status", "in", ["new", "cancelled"]), {"boris", "dasha"}),
    (c("last_order_status", "=", None), {"vera"}),
    (c("cancelled_orders_in_last_days", ">=", 1, days=30), {"boris"}),
    (c("cancelled_orders_in_last_days", ">=", 1, days=45), {"boris", "dasha"}),
    (c("cancelled_orders_in_last_days", "=", 0, days=30), {"anna", "vera", "gleb", "dasha"}),
    (c("cancelled_orders_in_last_days", ">", 0, days=3), set()),
    (c("cancelled_orders_in_last_days", "in", [1, 2], days=45), {"boris", "dasha"}),
    (c("cancelled_orders_in_last_days", "<", 1, days=45), {"anna", "vera", "gleb"}),
    (c("birthday_in_days", "<=", 7), {"anna", "gleb"}),
    (c("birthday_in_days", "=", 0), {"gleb"}),
    (c("birthday_in_days", "<", 3), {"gleb"}),
    (c("birthday_in_days", ">", 3), {"boris", "dasha"}),
    (c("birthday_in_days", ">=", 201), {"boris", "dasha"}),
    (c("birthday_in_days", "=", 201), {"boris"}),
    (c("birthday_in_days", "!=", 0), {"anna", "boris", "vera", "dasha"}),
    (c("birthday_in_days", "=", None), {"vera"}),
    (c("birthday_in_days", "!=", None), {"anna", "boris", "gleb", "dasha"}),
    (c("birthday_in_days", "in", [3, 259]), {"anna", "dasha"}),
    (c("birthday_in_days", "<=", 258), {"anna", "boris", "gleb"}),
    (c("birthday_in_days", "<=", 259), {"anna", "boris", "gleb", "dasha"}),
    (c("birthday_in_days", "<=", 7), {"boris"}, NOW_WRAP),
    (c("birthday_in_days", "<=", 62), {"boris"}, NOW_WRAP),
    (c("birthday_in_days", "<=", 63), {"boris", "dasha"}, NOW_WRAP),
    (c("birthday_in_days", "=", 169), {"gleb"}, NOW_WRAP),
    (c("birthday_in_days", "=", 9), {"dasha"}, NOW_LEAP),
    (c("birthday_in_days", "<=", 8), set(), NOW_LEAP),
    (c("birthday_in_days", "=", 0), {"gleb"}, NOW_LATE),
    (c("tags", "contains", "vip"), {"anna", "gleb"}),
    (c("tags", "contains", "VIP"), {"anna", "gleb"}),
    (c("tags", "in", ["bad", "wholesale"]), {"vera", "gleb"}),
    (c("tags", "!=", "vip"), {"boris", "vera", "dasha"}),
    (c("tags", "contains", "nobody"), set()),
    (c("city", "=", "Москва"), {"anna", "gleb"}),
    (c("city", "!=", "Москва"), {"boris", "vera", "dasha"}),
    (c("city", "in", ["Казань", "Самара"]), {"boris", "dasha"}),
    (c("city", "=", None), {"vera"}),
    (c("manager_id", "=", "@op1"), {"anna", "dasha"}),
    (c("manager_id", "!=", "@op1"), {"boris", "vera", "gleb"}),
    (c("manager_id", "=", None), {"boris", "vera"}),
    (c("manager_id", "in", ["@op1", "@op2"]), {"anna", "gleb", "dasha"}),
    (c("created_days_ago", ">=", 365), {"anna", "gleb"}),
    (c("created_days_ago", "<", 100), {"vera"}),
    (c("created_days_ago", "=", 100), {"dasha"}),
    (c("created_days_ago", "<=", 100), {"vera", "dasha"}),
    (c("created_days_ago", ">", 300), {"anna", "gleb"}),
    (c("created_days_ago", "!=", 3), {"anna", "boris", "gleb", "dasha"}),
    (c("created_days_ago", "in", [3, 300]), {"vera", "boris"}),
    (c("last_call_days_ago", ">=", 60), {"vera", "gleb"}),
    (c("last_call_days_ago", "<", 60), {"anna"}),
    (c("last_call_days_ago", "=", None), {"boris", "dasha"}),
    (c("last_call_days_ago", "!=", None), {"anna", "vera", "gleb"}),
    (c("last_call_days_ago", "!=", 70), {"anna", "boris", "gleb", "dasha"}),
    (c("last_call_days_ago", "<=", 61), {"anna", "gleb"}),
    (c("last_call_days_ago", ">", 61), {"vera"}),
    (c("last_call_days_ago", "=", 61), {"gleb"}),
    (c("last_call_days_ago", "in", [5, 61]), {"anna", "gleb"}),
    (c("reorder_interval_ratio", ">=", 1), {"gleb"}),
    (c("reorder_interval_ratio", "<", 1), {"anna", "dasha"}),
    (c("reorder_interval_ratio", "=", 2), {"gleb"}),
    (c("reorder_interval_ratio", "!=", 2), {"anna", "boris", "vera", "dasha"}),
    (c("reorder_interval_ratio", "=", None), {"boris", "vera"}),
    (c("reorder_interval_ratio", "!=", None), {"anna", "gleb", "dasha"}),
    (c("reorder_interval_ratio", ">", 0.5), {"gleb", "dasha"}),
    (c("reorder_interval_ratio", "<=", 0.667), {"anna", "dasha"}),
    ({"all": []}, ALL),
    ({"all": [c("tags", "contains", "vip"), c("orders_count", ">=", 3)]}, {"anna"}),
    ({"any": [c("city", "=", "Казань"), c("tags", "contains", "bad")]}, {"boris", "vera"}),
    (
        {
            "all": [
                {"any": [c("city", "=", "Москва"), c("city", "=", "Самара")]},
                c("total_spent", "<", 1500),
            ]
        },
        {"gleb", "dasha"},
    ),
]

# Ready-made rules (routing.rule_templates) on the same people.
TEMPLATE_EXPECTED = {
    "no_order_for_days": {"boris"},
    "cancelled_recently": {"boris"},
    "birthday_soon": {"anna", "gleb"},
    "reorder_due": {"gleb"},
    "vip_no_contact": {"gleb"},
}


def resolve(tree: Any, managers: dict[str, int]) -> Any:
    """Replace "@op1"-style placeholders with manager ids."""
    if isinstance(tree, dict):
        return {k: resolve(v, managers) for k, v in tree.items()}
    if isinstance(tree, list):
        return [resolve(v, managers) for v in tree]
    if isinstance(tree, str) and tree.startswith("@"):
        return managers[tree[1:]]
    return tree


def case_id(case: tuple[Any, ...]) -> str:
    rule = case[0]
    text = (
        f"{rule['field']} {rule['op']} {rule['value']}"
        + (f" days={rule['days']}" if "days" in rule else "")
        if "field" in rule
        else str(rule)[:60]
    )
    return text + (f" @{case[2]:%Y-%m-%dT%H}" if len(case) > 2 else "")


async def seed_list_people(session: AsyncSession, managers: dict[str, int]) -> dict[str, int]:
    """PEOPLE plus customers that a list leaves out or treats specially:

    - ivan: do-not-call; petr: no phone; olga: boris's phone again (a duplicate);
    - kira: a broken first number, a good second one, in Vladivostok.
    With the default settings anna is left out too (called 5 days ago) and vera (tag bad).
    """
    ids = await seed_people(session, managers)
    extras = {
        "ivan": Customer(name="ivan", do_not_call=True, phones=[CustomerPhone(phone=phone_of(5))]),
        "petr": Customer(name="petr"),
        "olga": Customer(name="olga", phones=[CustomerPhone(phone=phone_of(1))]),
        "kira": Customer(
            name="kira",
            timezone="Asia/Vladivostok",
            phones=[
                CustomerPhone(phone="+7123", position=0),
                CustomerPhone(phone=phone_of(8), position=1),
            ],
        ),
    }
    for name, customer in extras.items():
        customer.search_name = name
        customer.created_at = ago(1)
        session.add(customer)
        await session.flush()
        ids[name] = customer.id
    return ids
