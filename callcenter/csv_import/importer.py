"""CSV import of customers and orders.

Each row is checked on its own; a bad row is reported with its line number and reason and
skipped, and the good rows land. Rows are written in batches with bulk INSERTs; a batch that
the database refuses is retried row by row, so one bad row never takes its neighbours down.
Each batch is committed on its own: a long import never holds SQLite's write lock for long,
and an interrupted one keeps what it wrote (a re-run reports those rows as duplicates).

customers.csv columns: ``name, phones, email, city, timezone, birthday, tags, manager,
do_not_call, note`` (``phone`` is accepted for ``phones``; several phones and tags are separated
by ``;`` or ``|``; ``manager`` is a login or an extension).

orders.csv: one row per order line: ``number, customer_phone, customer_name, status,
created_at, manager, product, quantity, price``. Rows with the same number are one order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.db import make_engine, make_sessionmaker, reserve_ids
from callcenter.core.models import (
    Customer,
    CustomerPhone,
    CustomerTag,
    Manager,
    Order,
    OrderItem,
    OrderStatus,
    table_of,
    utcnow,
)
from callcenter.core.phones import InvalidPhone, normalize_phone
from callcenter.core.settings import Settings
from callcenter.customers.schemas import CustomerIn
from callcenter.customers.service import search_key
from callcenter.orders.aggregates import refresh_customer_aggregates

BATCH = 2000
CUSTOMER_COLUMNS = {
    "name",
    "phones",
    "phone",
    "email",
    "city",
    "timezone",
    "birthday",
    "tags",
    "manager",
    "do_not_call",
    "note",
}
ORDER_COLUMNS = {
    "number",
    "customer_phone",
    "phone",
    "customer_name",
    "status",
    "created_at",
    "manager",
    "product",
    "quantity",
    "price",
    "comment",
}
_TRUE = {"1", "true", "yes", "y", "да", "д", "+"}
_FALSE = {"", "0", "false", "no", "n", "нет", "н", "-"}


class ImportFailed(Exception):
    """The file as a whole cannot be imported (unreadable, no header, unknown columns)."""


class RowError(ValueError):
    pass


@dataclass
class BadRow:
    line: int
    message: str
    row: dict[str, str]


@dataclass
class ImportReport:
    kind: str
    imported: int = 0
    created_customers: int = 0
    errors: list[BadRow] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        extra = f", {self.created_customers} new customers" if self.created_customers else ""
        return (
            f"imported {self.imported} {self.kind}{extra}; {len(self.errors)} bad rows skipped; "
            f"{self.seconds:.1f} s"
        )

    def write_errors_csv(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as fh:
            columns = sorted({k for e in self.errors for k in e.row})
            writer = csv.DictWriter(fh, ["line", "error", *columns])
            writer.writeheader()
            for error in self.errors:
                writer.writerow({"line": error.line, "error": error.message, **error.row})


class Progress:
    """A progress bar on a terminal; a line every 10 % otherwise."""

    def __init__(self, total: int, label: str, enabled: bool = True) -> None:
        self.total = max(total, 1)
        self.label = label
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.shown = -1
        self.started = time.monotonic()

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        percent = min(100, done * 100 // self.total)
        step = percent if self.tty else percent // 10 * 10
        if step == self.shown:
            return
        self.shown = step
        bar = "#" * (percent // 4) + "." * (25 - percent // 4)
        rate = done / max(time.monotonic() - self.started, 1e-6)
        text = f"{self.label} [{bar}] {done}/{self.total} rows {percent}% {rate:.0f}/s"
        if self.tty:
            print("\r" + text, end="", file=sys.stderr, flush=True)
        else:
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled and self.tty:
            print(file=sys.stderr)


# --- reading ------------------------------------------------------------------------------


def read_rows(path: Path, known: set[str]) -> tuple[int, Iterator[tuple[int, dict[str, str]]]]:
    """Count the data rows and return an iterator of ``(line, row)``; line is 1-based."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise ImportFailed(message) from None
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror}") from None
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise ImportFailed(f"{path.name} has no header row")
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower().lstrip("\ufeff") for h in next(reader)]
    unknown = [h for h in header if h and h not in known]
    if unknown:
        raise ImportFailed(
            f"unknown columns {', '.join(unknown)}; expected some of {', '.join(sorted(known))}"
        )
    total = max(text.count("\n") - 1 + (not text.endswith("\n")), 0)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield line, {"__error__": f"expected {len(header)} fields, found {len(values)}"}
                continue
            yield line, {h: v.strip() for h, v in zip(header, values, strict=True) if h}

    return total, rows()


def _split(value: str) -> list[str]:
    for sep in ("|", ";"):
        if sep in value:
            return [v.strip() for v in value.split(sep) if v.strip()]
    return [value.strip()] if value.strip() else []


def parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowError(f"not a yes/no value: {value!r}")


def parse_date(value: str) -> dt.date | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise RowError(f"not a date: {value!r} (use YYYY-MM-DD or DD.MM.YYYY)")


def parse_datetime(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        for fmt in ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y"):
            try:
                parsed = dt.datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        else:
            raise RowError(f"not a date and time: {value!r} (use ISO 8601)") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def parse_money(value: str, name: str) -> Decimal:
    try:
        amount = Decimal(value.replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        raise RowError(f"{name}: not a number: {value!r}") from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount >= 10**10:
        raise RowError(f"{name}: must be a non-negative amount with at most 2 decimals: {value!r}")
    return amount


def _validation_message(exc: ValidationError) -> str:
    err = exc.errors(include_url=False, include_input=False)[0]
    loc = ".".join(str(p) for p in err["loc"])
    return f"{loc}: {err['msg']}" if loc else err["msg"]


@dataclass
class CustomerRow:
    line: int
    values: dict[str, Any]
    phones: list[str]
    tags: list[str]


def parse_customer_row(
    line: int, row: dict[str, str], region: str, managers: dict[str, int]
) -> CustomerRow:
    if "__error__" in row:
        raise RowError(row["__error__"])
    raw_phones = _split(row.get("phones") or row.get("phone") or "")
    phones: list[str] = []
    for raw in raw_phones:
        try:
            phone = normalize_phone(raw, region)
        except InvalidPhone as exc:
            raise RowError(f"phones: {exc}") from None
        if phone not in phones:
            phones.append(phone)
    manager_key = row.get("manager", "").strip().lower()
    manager_id = None
    if manager_key:
        if manager_key not in managers:
            raise RowError(f"manager: no manager with login or extension {manager_key!r}")
        manager_id = managers[manager_key]
    try:
        model = CustomerIn(
            name=row.get("name", ""),
            email=row.get("email") or None,
            city=row.get("city") or None,
            timezone=row.get("timezone") or None,
            birthday=parse_date(row.get("birthday", "")),
            tags=_split(row.get("tags", "")),
            do_not_call=parse_bool(row.get("do_not_call", "")),
            note=row.get("note", ""),
        )
    except ValidationError as exc:
        raise RowError(_validation_message(exc)) from None
    values = model.model_dump(exclude={"phones", "tags"})
    values.update(
        manager_id=manager_id,
        search_name=search_key(model.name),
        created_at=utcnow(),
        orders_count=0,
        total_spent=Decimal("0"),
        average_check=Decimal("0"),
    )
    return CustomerRow(line, values, phones, model.tags)


# --- writing ------------------------------------------------------------------------------


async def _manager_keys(session: AsyncSession) -> dict[str, int]:
    keys: dict[str, int] = {}
    for mid, login, extension in await session.execute(
        select(Manager.id, Manager.login, Manager.extension)
    ):
        keys[login.lower()] = mid
        if extension:
            keys[extension] = mid
    return keys


async def _taken_phones(session: AsyncSession, phones: list[str]) -> dict[str, int]:
    taken: dict[str, int] = {}
    for start in range(0, len(phones), 500):
        rows = await session.execute(
            select(CustomerPhone.phone, CustomerPhone.customer_id).where(
                CustomerPhone.phone.in_(phones[start : start + 500])
            )
        )
        taken.update({phone: cid for phone, cid in rows})
    return taken


async def _insert_customers(session: AsyncSession, rows: list[CustomerRow]) -> None:
    table = table_of(Customer)
    ids = await reserve_ids(session, table, len(rows))
    await session.execute(
        insert(table), [{**r.values, "id": cid} for cid, r in zip(ids, rows, strict=True)]
    )
    phones = [
        {"customer_id": cid, "phone": p, "position": i}
        for cid, r in zip(ids, rows, strict=True)
        for i, p in enumerate(r.phones)
    ]
    tags = [
        {"customer_id": cid, "tag": t} for cid, r in zip(ids, rows, strict=True) for t in r.tags
    ]
    if phones:
        await session.execute(insert(table_of(CustomerPhone)), phones)
    if tags:
        await session.execute(insert(table_of(CustomerTag)), tags)


async def _write_batch(
    session: AsyncSession, batch: list[Any], writer: Any, report: ImportReport
) -> int:
    """Write a batch in one savepoint; when the database refuses it, row by row."""
    try:
        async with session.begin_nested():
            await writer(session, batch)
        return len(batch)
    except (IntegrityError, DBAPIError):
        pass
    written = 0
    for item in batch:
        try:
            async with session.begin_nested():
                await writer(session, [item])
            written += 1
        except (IntegrityError, DBAPIError) as exc:
            reason = str(exc.orig).splitlines()[0] if exc.orig else "refused by the database"
            report.errors.append(BadRow(item.line, f"database refused the row: {reason}", {}))
    return written


async def import_customers(
    session: AsyncSession, path: Path, region: str, progress: bool = True
) -> ImportReport:
    report = ImportReport("customers")
    total, rows = read_rows(path, CUSTOMER_COLUMNS)
    managers = await _manager_keys(session)
    bar = Progress(total, "customers", progress)
    seen: dict[str, int] = {}
    batch: list[tuple[CustomerRow, dict[str, str]]] = []
    done = 0

    async def flush() -> None:
        nonlocal batch
        taken = await _taken_phones(session, [p for r, _ in batch for p in r.phones])
        good: list[CustomerRow] = []
        for parsed, raw in batch:
            clash = next((p for p in parsed.phones if p in taken), None)
            if clash:
                message = f"phones: {clash} already belongs to customer {taken[clash]}"
                report.errors.append(BadRow(parsed.line, message, raw))
            else:
                good.append(parsed)
        report.imported += await _write_batch(session, good, _insert_customers, report)
        await session.commit()
        batch = []

    for line, row in rows:
        done += 1
        try:
            parsed = parse_customer_row(line, row, region, managers)
            for phone in parsed.phones:
                if phone in seen:
                    raise RowError(f"phones: {phone} is also on line {seen[phone]} of this file")
            for phone in parsed.phones:
                seen[phone] = line
            batch.append((parsed, row))
        except RowError as exc:
            report.errors.append(BadRow(line, str(exc), row))
        if len(batch) >= BATCH:
            await flush()
            bar.update(done)
    if batch:
        await flush()
    bar.update(total)
    bar.close()
    return report


@dataclass
class OrderDraft:
    line: int
    number: str
    phone: str
    customer_name: str
    status: OrderStatus
    created_at: dt.datetime | None
    manager_id: int | None
    comment: str
    items: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)
    customer_id: int | None = None


def parse_order_line(
    line: int, row: dict[str, str], region: str, managers: dict[str, int]
) -> tuple[OrderDraft, dict[str, Any]]:
    if "__error__" in row:
        raise RowError(row["__error__"])
    number = row.get("number", "")
    if not number or len(number) > 64:
        raise RowError("number: required, at most 64 characters")
    try:
        phone = normalize_phone(row.get("customer_phone") or row.get("phone") or "", region)
    except InvalidPhone as exc:
        raise RowError(f"customer_phone: {exc}") from None
    try:
        status = OrderStatus((row.get("status") or "new").lower())
    except ValueError:
        allowed = ", ".join(s.value for s in OrderStatus)
        raise RowError(f"status: {row.get('status')!r} is not one of {allowed}") from None
    manager_key = row.get("manager", "").lower()
    if manager_key and manager_key not in managers:
        raise RowError(f"manager: no manager with login or extension {manager_key!r}")
    product = row.get("product", "")
    if not product or len(product) > 255:
        raise RowError("product: required, at most 255 characters")
    try:
        quantity = int(row.get("quantity") or "1")
    except ValueError:
        raise RowError(f"quantity: not a whole number: {row.get('quantity')!r}") from None
    if not 1 <= quantity <= 100_000:
        raise RowError(f"quantity: must be between 1 and 100000, got {quantity}")
    price = parse_money(row.get("price", ""), "price")
    draft = OrderDraft(
        line=line,
        number=number,
        phone=phone,
        customer_name=row.get("customer_name", "")[:200],
        status=status,
        created_at=parse_datetime(row.get("created_at", "")),
        manager_id=managers.get(manager_key) if manager_key else None,
        comment=row.get("comment", ""),
        raw=row,
    )
    return draft, {"product": product, "quantity": quantity, "price": price}


async def _insert_orders(session: AsyncSession, drafts: list[OrderDraft]) -> None:
    now = utcnow()
    values = [
        {
            "number": d.number,
            "customer_id": d.customer_id,
            "status": d.status,
            "total": sum((i["price"] * i["quantity"] for i in d.items), Decimal("0")),
            "manager_id": d.manager_id,
            "comment": d.comment,
            "created_at": d.created_at or now,
            "updated_at": now,
        }
        for d in drafts
    ]
    table = table_of(Order)
    ids = await reserve_ids(session, table, len(values))
    await session.execute(
        insert(table), [{**v, "id": oid} for oid, v in zip(ids, values, strict=True)]
    )
    items = [{"order_id": oid, **i} for oid, d in zip(ids, drafts, strict=True) for i in d.items]
    await session.execute(insert(table_of(OrderItem)), items)


async def _resolve_customers(
    session: AsyncSession, drafts: list[OrderDraft], report: ImportReport
) -> None:
    phones = sorted({d.phone for d in drafts})
    known = await _taken_phones(session, phones)
    missing = [p for p in phones if p not in known]
    if missing:
        names: dict[str, str] = {}
        for d in drafts:
            names.setdefault(d.phone, d.customer_name or f"Покупатель {d.phone}")
        now = utcnow()
        new_rows = [
            CustomerRow(
                0,
                {
                    "name": names[p],
                    "search_name": search_key(names[p]),
                    "created_at": now,
                    "orders_count": 0,
                    "total_spent": Decimal("0"),
                    "average_check": Decimal("0"),
                },
                [p],
                [],
            )
            for p in missing
        ]
        await _insert_customers(session, new_rows)
        report.created_customers += len(new_rows)
        known.update(await _taken_phones(session, missing))
    for d in drafts:
        d.customer_id = known[d.phone]


async def _new_orders(
    session: AsyncSession, ordered: list[OrderDraft], report: ImportReport
) -> list[OrderDraft]:
    """The orders whose number is not in the database yet; the others are reported."""
    existing_numbers: set[str] = set()
    for start in range(0, len(ordered), 500):
        chunk = [d.number for d in ordered[start : start + 500]]
        existing_numbers.update(
            (await session.scalars(select(Order.number).where(Order.number.in_(chunk)))).all()
        )
    good: list[OrderDraft] = []
    for d in ordered:
        if d.number in existing_numbers:
            report.errors.append(BadRow(d.line, f"number: order {d.number} already exists", d.raw))
        else:
            good.append(d)
    return good


async def import_orders(
    session: AsyncSession, path: Path, region: str, progress: bool = True
) -> ImportReport:
    report = ImportReport("orders")
    total, rows = read_rows(path, ORDER_COLUMNS)
    managers = await _manager_keys(session)
    bar = Progress(total, "orders", progress)
    drafts: dict[str, OrderDraft] = {}
    bad_numbers: set[str] = set()
    done = 0
    for line, row in rows:
        done += 1
        try:
            draft, item = parse_order_line(line, row, region, managers)
        except RowError as exc:
            report.errors.append(BadRow(line, str(exc), row))
            if row.get("number"):
                bad_numbers.add(row["number"])
            continue
        existing = drafts.get(draft.number)
        if existing is None:
            draft.items.append(item)
            drafts[draft.number] = draft
        elif existing.phone != draft.phone:
            report.errors.append(
                BadRow(
                    line,
                    f"number: order {draft.number} has another phone on line {existing.line}",
                    row,
                )
            )
            bad_numbers.add(draft.number)
        else:
            existing.items.append(item)
        if done % BATCH == 0:
            bar.update(done // 2)
    # An order with a bad line is skipped whole: half an order would have the wrong total.
    for number in bad_numbers & drafts.keys():
        draft = drafts.pop(number)
        report.errors.append(
            BadRow(draft.line, f"order {number} skipped: another of its lines is bad", draft.raw)
        )
    good = await _new_orders(session, list(drafts.values()), report)
    for start in range(0, len(good), BATCH):
        batch = good[start : start + BATCH]
        await _resolve_customers(session, batch, report)
        report.imported += await _write_batch(session, batch, _insert_orders, report)
        await refresh_customer_aggregates(session, {d.customer_id for d in batch if d.customer_id})
        await session.commit()
        bar.update(total // 2 + (start + len(batch)) * (total - total // 2) // max(len(good), 1))
    bar.update(total)
    bar.close()
    report.errors.sort(key=lambda e: e.line)
    return report


async def import_file(
    settings: Settings, kind: str, path: Path, progress: bool = True
) -> ImportReport:
    started = time.monotonic()
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            if kind == "customers":
                report = await import_customers(session, path, settings.default_region, progress)
            elif kind == "orders":
                report = await import_orders(session, path, settings.default_region, progress)
            else:
                raise ImportFailed(f"cannot import {kind!r}")
            await session.commit()
    finally:
        await engine.dispose()
    report.seconds = time.monotonic() - started
    return report
