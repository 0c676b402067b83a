"""A believable demo shop: managers, customers with Russian names and messy phones, orders."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.db import reserve_ids
from callcenter.core.models import (
    Customer,
    CustomerPhone,
    CustomerTag,
    Manager,
    Order,
    OrderItem,
    OrderStatus,
    Presence,
    Role,
    table_of,
    utcnow,
)
from callcenter.core.security import hash_password
from callcenter.customers.service import search_key
from callcenter.orders.aggregates import refresh_customer_aggregates

FIRST_M = [
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Иван",
    "Пётр",
    "Михаил",
    "Николай",
    "Егор",
    "Фёдор",
    "Артём",
    "Кирилл",
    "Юрий",
]
FIRST_F = [
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Светлана",
    "Юлия",
    "Дарья",
    "Алёна",
    "Ксения",
    "Екатерина",
    "Вера",
    "Людмила",
]
LAST = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
]
CITIES = [
    ("Москва", "Europe/Moscow"),
    ("Санкт-Петербург", "Europe/Moscow"),
    ("Казань", "Europe/Moscow"),
    ("Екатеринбург", "Asia/Yekaterinburg"),
    ("Новосибирск", "Asia/Novosibirsk"),
    ("Краснодар", "Europe/Moscow"),
    ("Самара", "Europe/Samara"),
    ("Владивосток", "Asia/Vladivostok"),
]
PRODUCTS = [
    ("Чайник электрический", 2490),
    ("Кофемолка", 1890),
    ("Пылесос робот", 18990),
    ("Утюг с парогенератором", 7490),
    ("Блендер", 3990),
    ("Мультиварка", 6590),
    ("Фильтр для воды", 890),
    ("Сменный картридж", 450),
    ("Набор сковородок", 5490),
    ("Тостер", 2190),
    ("Миксер", 2790),
    ("Весы кухонные", 990),
]

DEMO_PASSWORD = "demo1234"
# Mobile prefixes that phonenumbers knows as valid Russian ranges.
MOBILE_PREFIXES = [
    "903",
    "905",
    "906",
    "909",
    "915",
    "916",
    "917",
    "919",
    "925",
    "926",
    "977",
    "985",
]


def mobile_digits(rng: random.Random) -> str:
    """Ten national digits of a valid Russian mobile number."""
    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"


@dataclass(frozen=True)
class DemoUser:
    login: str
    name: str
    role: Role
    extension: str | None


DEMO_USERS = [
    DemoUser("admin", "Администратор", Role.ADMIN, None),
    DemoUser("supervisor", "Ольга Руководова", Role.SUPERVISOR, "100"),
    DemoUser("anna", "Анна Светлова", Role.OPERATOR, "101"),
    DemoUser("boris", "Борис Громов", Role.OPERATOR, "102"),
    DemoUser("vera", "Вера Лужина", Role.OPERATOR, "103"),
    DemoUser("gleb", "Глеб Тихонов", Role.OPERATOR, "104"),
]


def messy_phone(rng: random.Random, digits: str) -> str:
    """The same mobile number written the ways customers and shops write it."""
    a, b, c, d = digits[:3], digits[3:6], digits[6:8], digits[8:]
    return rng.choice(
        [
            f"+7 {a} {b}-{c}-{d}",
            f"8 ({a}) {b}-{c}-{d}",
            f"8{digits}",
            f"7{digits}",
            f"+7({a}){b}{c}{d}",
            f"+7{digits}",
        ]
    )


def _name(rng: random.Random) -> str:
    last = rng.choice(LAST)
    if rng.random() < 0.5:
        return f"{rng.choice(FIRST_M)} {last}"
    return f"{rng.choice(FIRST_F)} {last}а"


Row = dict[str, object]
Line = tuple[str, int, Decimal]


async def seed(session: AsyncSession, customers: int = 3000, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    now = utcnow()
    managers = _managers(hash_password(DEMO_PASSWORD))
    session.add_all(managers)
    await session.flush()
    operators = [m for m in managers if m.role is Role.OPERATOR]

    customer_ids = await reserve_ids(session, table_of(Customer), customers)
    customers_rows, phones_rows, tags_rows = _customer_rows(rng, customer_ids, operators, now)
    await session.execute(insert(table_of(Customer)), customers_rows)
    await session.execute(insert(table_of(CustomerPhone)), phones_rows)
    if tags_rows:
        await session.execute(insert(table_of(CustomerTag)), tags_rows)

    orders_rows, lines = _order_rows(rng, customers_rows, operators, now)
    order_ids = await reserve_ids(session, table_of(Order), len(orders_rows))
    items_rows: list[Row] = []
    for oid, order, order_lines in zip(order_ids, orders_rows, lines, strict=True):
        order["id"] = oid
        items_rows.extend(
            {"order_id": oid, "product": product, "quantity": quantity, "price": price}
            for product, quantity, price in order_lines
        )
    await session.execute(insert(table_of(Order)), orders_rows)
    await session.execute(insert(table_of(OrderItem)), items_rows)
    await refresh_customer_aggregates(session, customer_ids)
    counts = {"managers": len(managers), "customers": customers, "orders": len(orders_rows)}
    return counts


def _managers(password_hash: str) -> list[Manager]:
    return [
        Manager(
            login=u.login,
            name=u.name,
            role=u.role,
            extension=u.extension,
            password_hash=password_hash,
            status=Presence.AVAILABLE if u.extension else Presence.OFFLINE,
        )
        for u in DEMO_USERS
    ]


def _customer_rows(
    rng: random.Random, customer_ids: list[int], operators: list[Manager], now: dt.datetime
) -> tuple[list[Row], list[Row], list[Row]]:
    """Customers, their phones (unique) and tags, in one pass of the random generator."""
    used: set[str] = set()
    customers_rows: list[Row] = []
    phones_rows: list[Row] = []
    tags_rows: list[Row] = []
    for i, cid in enumerate(customer_ids):
        city, tz = rng.choice(CITIES)
        for position in range(1 if rng.random() < 0.85 else 2):
            digits = mobile_digits(rng)
            while digits in used:
                digits = mobile_digits(rng)
            used.add(digits)
            phones_rows.append({"customer_id": cid, "phone": f"+7{digits}", "position": position})
        if rng.random() < 0.05:
            tags_rows.append({"customer_id": cid, "tag": "vip"})
        if rng.random() < 0.02:
            tags_rows.append({"customer_id": cid, "tag": "bad"})
        customers_rows.append(_customer_row(rng, i, cid, city, tz, operators, now))
    return customers_rows, phones_rows, tags_rows


def _customer_row(
    rng: random.Random,
    i: int,
    cid: int,
    city: str,
    tz: str,
    operators: list[Manager],
    now: dt.datetime,
) -> Row:
    name = _name(rng)
    birthday = None
    if rng.random() < 0.6:
        birthday = dt.date(rng.randrange(1955, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
    return {
        "id": cid,
        "name": name,
        "search_name": search_key(name),
        "city": city,
        "timezone": tz,
        "email": f"client{i}@example.ru" if rng.random() < 0.7 else None,
        "birthday": birthday,
        "manager_id": rng.choice(operators).id if rng.random() < 0.3 else None,
        "do_not_call": rng.random() < 0.02,
        "note": "",
        "created_at": now - dt.timedelta(days=rng.randrange(1, 900)),
        "orders_count": 0,
        "total_spent": Decimal("0"),
        "average_check": Decimal("0"),
    }


def _order_rows(
    rng: random.Random, customers_rows: list[Row], operators: list[Manager], now: dt.datetime
) -> tuple[list[Row], list[list[Line]]]:
    """Orders (without ids yet) and, beside each, its lines."""
    orders_rows: list[Row] = []
    lines_of: list[list[Line]] = []
    statuses = list(OrderStatus)
    for customer in customers_rows:
        created_at = customer["created_at"]
        assert isinstance(created_at, dt.datetime)
        for _ in range(rng.choice([0, 1, 1, 2, 3, 5])):
            picks = rng.sample(PRODUCTS, rng.randrange(1, 4))
            lines = [(p, rng.randrange(1, 3), Decimal(price)) for p, price in picks]
            created = created_at + dt.timedelta(
                days=rng.randrange(0, max(1, (now - created_at).days))
            )
            orders_rows.append(
                {
                    "number": f"{created:%y%m}-{len(orders_rows) + 1:05d}",
                    "customer_id": customer["id"],
                    "status": rng.choices(statuses, weights=[1, 1, 1, 1, 10, 2])[0],
                    "total": sum((price * qty for _, qty, price in lines), Decimal("0")),
                    "manager_id": customer["manager_id"] or rng.choice(operators).id,
                    "comment": "",
                    "created_at": created,
                    "updated_at": created,
                }
            )
            lines_of.append(lines)
    return orders_rows, lines_of
