"""CSV import: bad rows are reported with line numbers and skipped, good rows land."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter.core.db import make_engine, make_sessionmaker
from callcenter.core.models import Customer, CustomerPhone, Order
from callcenter.core.settings import Settings
from callcenter.csv_import.importer import ImportFailed, import_file
from tests.conftest import run_async

CUSTOMERS = """\
name;phones;email;city;timezone;birthday;tags;manager;do_not_call
Иван Петров;+7 916 123-45-67|8 (495) 123-45-67;ivan@example.ru;Москва;Europe/Moscow;14.03.1985;vip;;нет
Анна Смирнова;89031112233;;Казань;;1990-01-02;;;1
Плохой Телефон;12abc;;;;;;;
;89035556677;;;;;;;
Дубль;79161234567;;;;;;;
Неверная Дата;89037778899;;;;31.02.1990;;;
Чужой Менеджер;89030001122;;;;;;nobody;
"""

ORDERS = """\
number,customer_phone,customer_name,status,created_at,manager,product,quantity,price
A-1,89161234567,,complete,2026-01-10T12:00:00+03:00,,Чайник,1,2490
A-1,89161234567,,complete,2026-01-10T12:00:00+03:00,,Фильтр,2,450.50
A-2,+7 999 000-00-01,Новый Покупатель,new,,,Тостер,1,2190
A-3,89161234567,,cancelled,,,Миксер,1,2790
A-4,89161234567,,complete,,,Блендер,x,3990
A-4,89161234567,,complete,,,Кофемолка,1,1890
A-5,89161234567,,shipped,,,Утюг,1,7490
A-6,not a phone,,new,,,Утюг,1,7490
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def _counts(url: str) -> dict[str, object]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            ivan = (
                await session.scalars(
                    select(Customer)
                    .join(CustomerPhone)
                    .where(CustomerPhone.phone == "+79161234567")
                )
            ).one()
            return {
                "customers": await session.scalar(select(func.count(Customer.id))),
                "orders": await session.scalar(select(func.count(Order.id))),
                "ivan_orders": ivan.orders_count,
                "ivan_spent": ivan.total_spent,
                "ivan_tags": ivan.tag_names,
                "ivan_phones": ivan.phone_numbers,
            }
    finally:
        await engine.dispose()


def test_import_customers_then_orders(settings: Settings, tmp_path: Path) -> None:
    report = run_async(
        import_file(settings, "customers", _write(tmp_path, "c.csv", CUSTOMERS), progress=False)
    )
    assert report.imported == 2
    bad = {e.line: e.message for e in report.errors}
    assert sorted(bad) == [4, 5, 6, 7, 8]
    assert "phones" in bad[4] and "12abc" in bad[4]
    assert bad[5].startswith("name")
    assert "also on line 2" in bad[6]
    assert "not a date" in bad[7]
    assert "nobody" in bad[8]

    report = run_async(
        import_file(settings, "orders", _write(tmp_path, "o.csv", ORDERS), progress=False)
    )
    assert report.imported == 3  # A-1 (two lines), A-2, A-3
    assert report.created_customers == 1
    bad = {e.line: e.message for e in report.errors}
    assert "quantity" in bad[6]
    assert "another of its lines is bad" in bad[7]  # A-4's good line is not half-imported
    assert "shipped" in bad[8]
    assert "customer_phone" in bad[9]

    counts = run_async(_counts(settings.database_url))
    assert counts["customers"] == 3
    assert counts["orders"] == 3
    assert counts["ivan_orders"] == 1  # A-3 was cancelled: not a purchase
    assert counts["ivan_spent"] == Decimal("3391.00")
    assert counts["ivan_tags"] == ["vip"]
    assert counts["ivan_phones"] == ["+79161234567", "+74951234567"]

    again = run_async(
        import_file(settings, "orders", _write(tmp_path, "o2.csv", ORDERS), progress=False)
    )
    assert again.imported == 0
    assert any("A-1 already exists" in e.message for e in again.errors)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "no header"),
        (b"name,colour\nX,red\n", "unknown columns colour"),
        ("name\nИван\n".encode("cp1251"), "not UTF-8"),
    ],
)
def test_whole_file_errors(
    settings: Settings, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFailed, match=message):
        run_async(import_file(settings, "customers", path, progress=False))


def test_ragged_rows_and_excel_bom(settings: Settings, tmp_path: Path) -> None:
    text = "\ufeffname,phone\nОльга,89160000001\nлишнее,89160000002,поле\n\nПётр,89160000003\n"
    report = run_async(
        import_file(settings, "customers", _write(tmp_path, "c.csv", text), progress=False)
    )
    assert report.imported == 2
    assert [(e.line, e.message) for e in report.errors] == [(3, "expected 2 fields, found 3")]
