"""A big shop for bench_dial_lists: managers, customers with phones, tags, birthdays and time
zones, ~5 orders per customer (10 % cancelled), calls for 10 % of them; customers' aggregates
computed on the way. Loaded with COPY into PostgreSQL and executemany into SQLite (stdlib
sqlite3): the bench measures the service, not the loader."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import asyncpg

from callcenter.demo.seed import CITIES, MOBILE_PREFIXES

MANAGERS = 50
CHUNK = 50_000
STATUSES = ["complete"] * 7 + ["cancelled", "new", "delivering"]
NOW = dt.datetime(2026, 6, 15, 9, 0)  # 12:00 in Moscow, 19:00 in Vladivostok

CUSTOMER_COLS = (
    "id", "name", "search_name", "city", "timezone", "birthday", "manager_id", "do_not_call",
    "note", "created_at", "orders_count", "total_spent", "average_check", "first_order_at",
    "last_order_at",
)  # fmt: skip
ORDER_COLS = (
    "id", "number", "customer_id", "status", "total", "manager_id", "comment", "created_at",
    "updated_at",
)  # fmt: skip
MANAGER_COLS = ("id", "login", "name", "password_hash", "role", "extension", "status",
                "status_changed_at", "is_active", "created_at")  # fmt: skip
PHONE_COLS = ("customer_id", "phone", "position")
TAG_COLS = ("customer_id", "tag")
CALL_COLS = ("pbx", "linkedid", "direction", "phone", "customer_id", "started_at", "status")


def phone_of(n: int) -> str:
    return f"+7{MOBILE_PREFIXES[n % len(MOBILE_PREFIXES)]}{n // len(MOBILE_PREFIXES):07d}"


def managers() -> list[tuple[Any, ...]]:
    rows = [
        (i, f"op{i}", f"Оператор {i}", "-", "operator", str(100 + i), "available", NOW, True, NOW)
        for i in range(1, MANAGERS + 1)
    ]
    rows.append((MANAGERS + 1, "boss", "Руководитель", "-", "supervisor", None, "offline", NOW,
                 True, NOW))  # fmt: skip
    return rows


class Chunk:
    def __init__(self) -> None:
        self.customers: list[tuple[Any, ...]] = []
        self.phones: list[tuple[Any, ...]] = []
        self.tags: list[tuple[Any, ...]] = []
        self.orders: list[tuple[Any, ...]] = []
        self.calls: list[tuple[Any, ...]] = []


def chunks(customers: int, orders_per_customer: float, seed: int = 7) -> Iterator[Chunk]:
    rng = random.Random(seed)
    order_id = 0
    top = round(2 * orders_per_customer)
    chunk = Chunk()
    for cid in range(1, customers + 1):
        city, zone = rng.choice(CITIES)
        created = NOW - dt.timedelta(days=rng.randrange(30, 1500), seconds=rng.randrange(86400))
        count = total = 0
        first = last = None
        for _ in range(rng.randint(0, top)):
            order_id += 1
            at = created + dt.timedelta(seconds=rng.randrange(int((NOW - created).total_seconds())))
            status = rng.choice(STATUSES)
            amount = rng.randrange(500, 20_000)
            chunk.orders.append(
                (order_id, f"B{order_id}", cid, status, Decimal(amount), None, "", at, at)
            )
            if status != "cancelled":
                count, total = count + 1, total + amount
                first = at if first is None or at < first else first
                last = at if last is None or at > last else last
        birthday = (
            dt.date(rng.randrange(1960, 2005), rng.randrange(1, 13), rng.randrange(1, 29))
            if rng.random() < 0.6
            else None
        )
        chunk.customers.append(
            (
                cid, f"Клиент {cid}", f"клиент {cid}", city, zone, birthday,
                rng.randrange(1, MANAGERS + 1) if rng.random() < 0.3 else None,
                rng.random() < 0.02, "", created, count, Decimal(total),
                (Decimal(total) / count).quantize(Decimal("0.01")) if count else Decimal(0),
                first, last,
            )
        )  # fmt: skip
        chunk.phones.append((cid, phone_of(cid), 0))
        if rng.random() < 0.05:
            chunk.tags.append((cid, "vip"))
        if rng.random() < 0.02:
            chunk.tags.append((cid, "bad"))
        if rng.random() < 0.1:
            at = NOW - dt.timedelta(days=rng.randrange(0, 120), seconds=rng.randrange(86400))
            chunk.calls.append(("default", f"b-{cid}", "out", phone_of(cid), cid, at, "answered"))
        if cid % CHUNK == 0:
            yield chunk
            chunk = Chunk()
    if chunk.customers:
        yield chunk


TABLES = (
    ("customers", CUSTOMER_COLS, "customers"),
    ("customer_phones", PHONE_COLS, "phones"),
    ("customer_tags", TAG_COLS, "tags"),
    ("orders", ORDER_COLS, "orders"),
    ("calls", CALL_COLS, "calls"),
)


def load_sqlite(path: str, customers: int, orders_per_customer: float) -> int:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    orders = 0

    def insert(table: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" * len(cols))
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})"  # noqa: S608 - fixed
        conn.executemany(sql, [tuple(_sqlite(v) for v in row) for row in rows])

    insert("managers", MANAGER_COLS, managers())
    for chunk in chunks(customers, orders_per_customer):
        for table, cols, attr in TABLES:
            insert(table, cols, getattr(chunk, attr))
        orders += len(chunk.orders)
        conn.commit()
    conn.close()
    return orders


def _sqlite(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):  # SQLAlchemy's own SQLite format
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def load_postgres(dsn: str, customers: int, orders_per_customer: float) -> int:
    conn = await asyncpg.connect(dsn)
    orders = 0
    try:
        await conn.copy_records_to_table("managers", records=managers(), columns=MANAGER_COLS)
        for chunk in chunks(customers, orders_per_customer):
            async with conn.transaction():
                for table, cols, attr in TABLES:
                    await conn.copy_records_to_table(
                        table, records=getattr(chunk, attr), columns=cols
                    )
            orders += len(chunk.orders)
        for table in ("managers", "customers", "orders", "calls"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return orders


def load_postgres_sync(dsn: str, customers: int, orders_per_customer: float) -> int:
    return asyncio.run(load_postgres(dsn, customers, orders_per_customer))
