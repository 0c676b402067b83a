"""A large shop for bench_screenpop: N customers with one phone each, about 5 orders per
customer with their items, aggregates filled in, loaded with bulk inserts in chunks (SQLite:
SQLAlchemy Core executemany; PostgreSQL: COPY). Deterministic, so a database is reused when a
run asks for the same size again."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import make_url

from callcenter.core.db import is_sqlite
from callcenter.core.migrate import upgrade
from callcenter.core.models import Customer, CustomerPhone, CustomerTag, Order, OrderItem
from callcenter.customers.service import search_key
from callcenter.demo.seed import CITIES, FIRST_F, FIRST_M, LAST, MOBILE_PREFIXES, PRODUCTS
from callcenter.orders.aggregates import average

CHUNK = 20_000  # customers per transaction
STATUSES = ["new", "approved", "assembling", "delivering", "complete", "cancelled"]
STATUS_WEIGHTS = [1, 1, 1, 1, 10, 2]
NOW = dt.datetime(2026, 11, 1, 12, 0, 0)


def phone_of(customer_id: int) -> str:
    """A unique, valid Russian mobile number for every customer id (up to 140 million)."""
    prefix = MOBILE_PREFIXES[customer_id % len(MOBILE_PREFIXES)]
    return f"+7{prefix}{customer_id // len(MOBILE_PREFIXES):07d}"


def unknown_phone(n: int) -> str:
    """A valid number that belongs to nobody (suffixes above any customer's)."""
    return f"+7926{9_000_000 + n % 1_000_000:07d}"


@dataclass
class Chunk:
    customers: list[dict[str, Any]]
    phones: list[dict[str, Any]]
    tags: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    items: list[dict[str, Any]]


def chunks(customers: int, orders_per_customer: int, seed: int = 11) -> Iterator[Chunk]:
    rng = random.Random(seed)
    order_id = item_id = 0
    products = [(name, Decimal(price)) for name, price in PRODUCTS]
    for start in range(1, customers + 1, CHUNK):
        chunk = Chunk([], [], [], [], [])
        for cid in range(start, min(customers, start + CHUNK - 1) + 1):
            first = rng.choice(FIRST_M + FIRST_F)
            name = f"{first} {rng.choice(LAST)}{'а' if first in FIRST_F else ''}"
            city, tz = rng.choice(CITIES)
            created = NOW - dt.timedelta(days=rng.randrange(30, 1500))
            count = 0
            spent = Decimal("0.00")
            first_at: dt.datetime | None = None
            last_at: dt.datetime | None = None
            for _ in range(rng.randint(0, 2 * orders_per_customer)):
                order_id += 1
                at = created + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 29))
                status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
                lines = rng.sample(products, 1 if rng.random() < 0.75 else 2)
                order_total = Decimal("0.00")
                for product, price in lines:
                    item_id += 1
                    quantity = rng.randint(1, 3)
                    order_total += price * quantity
                    chunk.items.append(
                        {
                            "id": item_id,
                            "order_id": order_id,
                            "product": product,
                            "quantity": quantity,
                            "price": price,
                        }
                    )
                chunk.orders.append(
                    {
                        "id": order_id,
                        "number": f"B{order_id:09d}",
                        "customer_id": cid,
                        "status": status,
                        "total": order_total,
                        "manager_id": None,
                        "comment": "",
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                if status != "cancelled":
                    count += 1
                    spent += order_total
                    first_at = min(first_at or at, at)
                    last_at = max(last_at or at, at)
            chunk.customers.append(
                {
                    "id": cid,
                    "name": name,
                    "search_name": search_key(name),
                    "email": None,
                    "city": city,
                    "timezone": tz,
                    "birthday": None,
                    "manager_id": None,
                    "do_not_call": False,
                    "note": "",
                    "created_at": created,
                    "orders_count": count,
                    "total_spent": spent,
                    "average_check": average(spent, count),
                    "first_order_at": first_at,
                    "last_order_at": last_at,
                }
            )
            chunk.phones.append(
                {"id": cid, "customer_id": cid, "phone": phone_of(cid), "position": 0}
            )
            if rng.random() < 0.05:
                chunk.tags.append({"customer_id": cid, "tag": "vip"})
        yield chunk


TABLES = [
    ("customers", Customer.__table__, "customers"),
    ("phones", CustomerPhone.__table__, "customer_phones"),
    ("tags", CustomerTag.__table__, "customer_tags"),
    ("orders", Order.__table__, "orders"),
    ("items", OrderItem.__table__, "order_items"),
]


def existing_size(url: str) -> int | None:
    """How many customers a database already has; None when it is missing or empty."""
    try:
        if is_sqlite(url):
            path = make_url(url).database
            if not path or not Path(path).exists():
                return None
            with sqlite3.connect(path) as conn:
                return int(conn.execute("SELECT count(*) FROM customers").fetchone()[0])
        return asyncio.run(_pg_count(url))
    except Exception:
        return None


async def _pg_count(url: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(_dsn(url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM customers"))
    finally:
        await conn.close()


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sync_url(url: str) -> str:
    return url.replace("+aiosqlite", "")


def build(url: str, customers: int, orders_per_customer: int) -> dict[str, int]:
    """Migrate and fill the database; returns the row counts."""
    upgrade(url)
    started = time.perf_counter()
    counts = dict.fromkeys((name for name, _, _ in TABLES), 0)
    if is_sqlite(url):
        _fill_sqlite(url, customers, orders_per_customer, counts)
    else:
        asyncio.run(_fill_postgres(url, customers, orders_per_customer, counts))
    counts["seconds"] = round(time.perf_counter() - started)
    return counts


def _fill_sqlite(url: str, customers: int, per: int, counts: dict[str, int]) -> None:
    engine = create_engine(_sync_url(url))

    @event.listens_for(engine, "connect")
    def _fast(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-200000")
        cursor.close()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Decimal on SQLite
        for chunk in chunks(customers, per):
            with engine.begin() as conn:
                for name, table, _ in TABLES:
                    rows = getattr(chunk, name)
                    if rows:
                        conn.execute(insert(table), rows)
                        counts[name] += len(rows)
            _progress(counts, customers)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()


async def _fill_postgres(url: str, customers: int, per: int, counts: dict[str, int]) -> None:
    import asyncpg

    conn = await asyncpg.connect(_dsn(url))
    try:
        for chunk in chunks(customers, per):
            async with conn.transaction():
                for name, _table, table_name in TABLES:
                    rows = getattr(chunk, name)
                    if not rows:
                        continue
                    columns = list(rows[0])
                    await conn.copy_records_to_table(
                        table_name,
                        records=[tuple(r[c] for c in columns) for r in rows],
                        columns=columns,
                    )
                    counts[name] += len(rows)
            _progress(counts, customers)
        for _, table, table_name in TABLES:
            if "id" in table.c and table_name != "customer_tags":
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "  # noqa: S608
                    f"(SELECT coalesce(max(id), 1) FROM {table_name}))"
                )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def _progress(counts: dict[str, int], customers: int) -> None:
    done = counts["customers"]
    if done % (CHUNK * 10) == 0 or done == customers:
        print(f"  … {done:,}/{customers:,} customers, {counts['orders']:,} orders", flush=True)
