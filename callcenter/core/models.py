"""The data model: typed SQLAlchemy 2 declarative classes.

Money is ``Numeric(12, 2)`` and surfaces as ``Decimal``. Timestamps are stored as naive UTC
(SQLite has no time zones); :func:`utcnow` is the one clock the service uses.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from routing.dialing import Outcome


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def to_utc_naive(value: dt.datetime) -> dt.datetime:
    """A datetime from outside (any zone, or naive UTC) as stored: naive UTC, whole seconds."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(12, 2)
# A customer's totals add up many orders: wider than one order's Money.
MoneyTotal = Numeric(16, 2)


class Base(AsyncAttrs, DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """A model's table, typed as one (``__table__`` is declared a bare FromClause), for Core
    statements: bulk inserts, set-based updates."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class Role(enum.StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Presence(enum.StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"
    BREAK = "break"
    OFFLINE = "offline"


class OrderStatus(enum.StrEnum):
    NEW = "new"
    APPROVED = "approved"
    ASSEMBLING = "assembling"
    DELIVERING = "delivering"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


class CallDirection(enum.StrEnum):
    IN = "in"
    OUT = "out"
    INTERNAL = "internal"


class CallStatus(enum.StrEnum):
    ANSWERED = "answered"
    MISSED = "missed"
    BUSY = "busy"
    FAILED = "failed"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Stored as plain strings with a CHECK, so adding a value is a cheap migration on both engines.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
    )


class Manager(Base):
    __tablename__ = "managers"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.OPERATOR)
    extension: Mapped[str | None] = mapped_column(String(32), unique=True)
    status: Mapped[Presence] = mapped_column(_enum(Presence, "presence"), default=Presence.OFFLINE)
    status_changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # What the PBX says of the manager's phone (DeviceStateChange): NOT_INUSE, INUSE, RINGING,
    # BUSY, UNAVAILABLE...; null until the bridge has heard of it.
    device_state: Mapped[str | None] = mapped_column(String(32))
    device_state_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # When routing last offered this manager a group call: least recently offered goes first.
    last_offered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The browser softphone's SIP account (callcenter/softphone/accounts.py): its user, and
    # Asterisk's md5_cred of a password the service made and forgot. Never shown or logged.
    softphone_user: Mapped[str | None] = mapped_column(String(16))
    softphone_ha1: Mapped[str | None] = mapped_column(String(32))
    # The browser's device state as the PBX reports it (PJSIP/web101); None: never heard of.
    softphone_state: Mapped[str | None] = mapped_column(String(32))

    @hybrid_property
    def takes_calls(self) -> bool:
        """Active, with a phone on the PBX: someone routing can ring, so the only kind of
        manager an order or a customer may belong to."""
        return self.is_active and bool(self.extension)

    @takes_calls.inplace.expression
    @classmethod
    def _takes_calls_expression(cls) -> ColumnElement[bool]:
        return and_(cls.is_active.is_(True), cls.extension.is_not(None), cls.extension != "")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id", ondelete="CASCADE"))
    # sha256 of the secret part; the secret itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # casefold(name): SQLite's lower() and LIKE fold ASCII only, and names here are Cyrillic.
    search_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    city: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str | None] = mapped_column(String(64))
    birthday: Mapped[dt.date | None] = mapped_column(Date)
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("managers.id", ondelete="SET NULL"), index=True
    )
    do_not_call: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)

    # Aggregates over orders, recomputed in the same transaction as every order write.
    orders_count: Mapped[int] = mapped_column(Integer, default=0)
    total_spent: Mapped[Decimal] = mapped_column(MoneyTotal, default=Decimal("0"))
    average_check: Mapped[Decimal] = mapped_column(MoneyTotal, default=Decimal("0"))
    first_order_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_order_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer",
        cascade="all, delete-orphan",
        order_by="CustomerPhone.position",
        lazy="selectin",
    )
    tags: Mapped[list[CustomerTag]] = relationship(
        back_populates="customer",
        cascade="all, delete-orphan",
        order_by="CustomerTag.tag",
        lazy="selectin",
    )

    @property
    def phone_numbers(self) -> list[str]:
        return [p.phone for p in self.phones]

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]


class CustomerPhone(Base):
    __tablename__ = "customer_phones"
    __table_args__ = (UniqueConstraint("customer_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # E.164, e.g. +79161234567: lookup by number is an index hit.
    phone: Mapped[str] = mapped_column(String(20), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    customer: Mapped[Customer] = relationship(back_populates="phones")


class CustomerTag(Base):
    __tablename__ = "customer_tags"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)

    customer: Mapped[Customer] = relationship(back_populates="tags")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_created", "customer_id", "created_at"),
        # Dial-list rules: "orders cancelled in the last N days" without a scan of all orders.
        Index("ix_orders_status_updated", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    status: Mapped[OrderStatus] = mapped_column(
        _enum(OrderStatus, "order_status"), default=OrderStatus.NEW
    )
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("managers.id", ondelete="SET NULL"), index=True
    )
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        order_by="OrderItem.id",
        lazy="selectin",
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Money)

    order: Mapped[Order] = relationship(back_populates="items")


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (UniqueConstraint("pbx", "linkedid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which AMI connection saw the call: Linkedids are unique per PBX only.
    pbx: Mapped[str] = mapped_column(String(32), default="default")
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    direction: Mapped[CallDirection] = mapped_column(_enum(CallDirection, "call_direction"))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    # The caller ID exactly as the other side sent it, before normalisation.
    caller_id_raw: Mapped[str | None] = mapped_column(String(80))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("managers.id", ondelete="SET NULL"), index=True
    )
    route: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    # Null while the call is live; one of CallStatus once it has ended.
    status: Mapped[CallStatus | None] = mapped_column(_enum(CallStatus, "call_status"))
    status_reason: Mapped[str | None] = mapped_column(String(255))
    # Inbound: the number the customer dialled, E.164 when it parses, else as the PBX sent it.
    line: Mapped[str | None] = mapped_column(String(40), index=True)

    rang: Mapped[list[CallRing]] = relationship(
        back_populates="call", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def rang_manager_ids(self) -> list[int]:
        return sorted(r.manager_id for r in self.rang)


class CallRing(Base):
    """A manager whose device rang for a call."""

    __tablename__ = "call_rings"

    call_id: Mapped[int] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    manager_id: Mapped[int] = mapped_column(
        ForeignKey("managers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    rang_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    call: Mapped[Call] = relationship(back_populates="rang")


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_assignee_open", "assignee_id", "done_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32), default="manual")
    note: Mapped[str] = mapped_column(Text, default="")
    # What happened, as data the pages put into words: a callback's missed calls and the call
    # that closed it, {"what", "at" (naive UTC, ISO), "call_id"} (tasks/callbacks.py).
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"))
    # A callback for a group (no personal manager): any member may take it.
    group_name: Mapped[str | None] = mapped_column(String(64))
    # The number to call back (E.164): one open callback per number.
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("managers.id", ondelete="SET NULL")
    )
    deadline: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Line(Base):
    """A number the shop publishes (a second shop, an ad campaign, a marketplace), named by an
    admin. Calls keep the number itself (``Call.line``): renaming a line renames its history."""

    __tablename__ = "lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    # As calls store it: E.164 when it parses, else as the PBX sends it.
    number: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # Which shop or source the line belongs to, for reports ("Ozon", "summer campaign").
    source: Mapped[str | None] = mapped_column(String(120))
    # Who takes this line's calls when the caller has no personal manager: manager ids, or
    # empty for the routing settings' default group.
    group: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class AsteriskCel(Base):
    """Asterisk's CEL as ``cel_pgsql`` writes it (docker/asterisk/cel_pgsql.conf), in the
    service's own PostgreSQL. Asterisk writes it; the service only reads it
    (callcenter/calls/history.py, ``CALLCENTER_CEL_SOURCE=table``). cel_pgsql fills the
    columns it knows by name; ``eventtime`` is a double (epoch seconds with microseconds),
    which cel_pgsql writes as such for a float column, free of time-zone settings."""

    __tablename__ = "asterisk_cel"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    eventtype: Mapped[str] = mapped_column(String(30), default="")
    eventtime: Mapped[float] = mapped_column(Float, index=True)
    userdeftype: Mapped[str] = mapped_column(String(255), default="")
    cid_name: Mapped[str] = mapped_column(String(80), default="")
    cid_num: Mapped[str] = mapped_column(String(80), default="")
    cid_ani: Mapped[str] = mapped_column(String(80), default="")
    cid_rdnis: Mapped[str] = mapped_column(String(80), default="")
    cid_dnid: Mapped[str] = mapped_column(String(80), default="")
    exten: Mapped[str] = mapped_column(String(80), default="")
    context: Mapped[str] = mapped_column(String(80), default="")
    channame: Mapped[str] = mapped_column(String(80), default="")
    appname: Mapped[str] = mapped_column(String(80), default="")
    appdata: Mapped[str] = mapped_column(String(512), default="")
    amaflags: Mapped[int] = mapped_column(Integer, default=0)
    accountcode: Mapped[str] = mapped_column(String(32), default="")
    peeraccount: Mapped[str] = mapped_column(String(32), default="")
    uniqueid: Mapped[str] = mapped_column(String(150), default="")
    linkedid: Mapped[str] = mapped_column(String(150), default="")
    userfield: Mapped[str] = mapped_column(String(255), default="")
    peer: Mapped[str] = mapped_column(String(80), default="")
    extra: Mapped[str] = mapped_column(String(1024), default="")


class AppSetting(Base):
    """Settings an admin edits in the UI (routing, callbacks...), one JSON value per key."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("managers.id", ondelete="SET NULL")
    )


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))


class RateHit(Base):
    """One hit counted by a rate limit (``core/rate_limits.py``): a failed login, a website
    callback request. ``key_hash`` is the SHA-256 of the key (a client address, a login, a
    phone number), never the key itself; rows are deleted once outside their window."""

    __tablename__ = "rate_hits"
    __table_args__ = (Index("ix_rate_hits_bucket_key_at", "bucket", "key_hash", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # Which limit counts it: "login", "callback.address", "callback.phone".
    bucket: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64))
    # Naive UTC to the microsecond: a wait is told in seconds from it.
    at: Mapped[dt.datetime] = mapped_column(DateTime)


class RecordingStatus(enum.StrEnum):
    INGESTING = "ingesting"
    READY = "ready"
    FAILED = "failed"


class Recording(Base):
    """A call's recording: one row per source file the PBX reported, made before the work
    starts, so an interrupted ingest is resumed and never stored twice."""

    __tablename__ = "recordings"
    __table_args__ = (
        UniqueConstraint("call_id", "source_path"),
        CheckConstraint("review_score BETWEEN 1 AND 5", name="review_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What URLs carry: a random UUID4, never the row id.
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    # Indexed by the unique (call_id, source_path) below.
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    # The file as the PBX reported it (MIXMONITOR_FILENAME).
    source_path: Mapped[str] = mapped_column(String(1024))
    status: Mapped[RecordingStatus] = mapped_column(
        _enum(RecordingStatus, "recording_status"), default=RecordingStatus.INGESTING, index=True
    )
    error: Mapped[str | None] = mapped_column(String(500))
    # Opaque to everyone but the storage; fixed when the row is made.
    storage_key: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(16))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    peaks: Mapped[list[float]] = mapped_column(JSON, default=list)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    channels: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    ready_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    source_removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Coaching: a supervisor's comment and score (1-5) on the call.
    review_comment: Mapped[str | None] = mapped_column(Text)
    review_score: Mapped[int | None] = mapped_column(Integer)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("managers.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# --- dial lists (outbound calling from rules) -------------------------------------------------


class DialRule(Base):
    """A saved rule: a tree of conditions over customers (routing.rules), never SQL."""

    __tablename__ = "dial_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    tree: Mapped[dict[str, Any]] = mapped_column(JSON)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DialListStatus(enum.StrEnum):
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


class DialList(Base):
    """A snapshot of a rule's customers at build time; later rule edits do not change it."""

    __tablename__ = "dial_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("dial_rules.id", ondelete="SET NULL"))
    rule_name: Mapped[str] = mapped_column(String(200), default="")
    rule_tree: Mapped[dict[str, Any]] = mapped_column(JSON)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"))
    # Calling hours, attempts, retry delay, sort, exclusions: callcenter.dial_lists.schemas.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[DialListStatus] = mapped_column(
        _enum(DialListStatus, "dial_list_status"), default=DialListStatus.BUILDING
    )
    error: Mapped[str | None] = mapped_column(String(500))
    # Build progress: customers the rule matched, of them examined so far, entries made.
    matched: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    entries_count: Mapped[int] = mapped_column(Integer, default=0)
    # Customers left out, by reason: {"do_not_call": 3, "tag": 1, "recently_called": 5, ...}.
    excluded: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # The entries' time zones: calling hours are checked per zone, not per row.
    timezones: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    built_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class DialListManager(Base):
    """Who works a list: the managers chosen for it. Rows with ``chosen`` false are personal
    managers of its customers who joined lists built before personal customers of anyone not
    chosen went to the pool; they may still take from the pool, but nothing waits for them."""

    __tablename__ = "dial_list_managers"

    list_id: Mapped[int] = mapped_column(
        ForeignKey("dial_lists.id", ondelete="CASCADE"), primary_key=True
    )
    manager_id: Mapped[int] = mapped_column(
        ForeignKey("managers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    chosen: Mapped[bool] = mapped_column(Boolean, default=True)


class EntryState(enum.StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class DialListEntry(Base):
    """One customer to call, on one phone; handed to one manager at a time."""

    __tablename__ = "dial_list_entries"
    __table_args__ = (
        UniqueConstraint("list_id", "customer_id", name="uq_dial_list_entries_customer"),
        UniqueConstraint("list_id", "phone", name="uq_dial_list_entries_phone"),
        # The hand-out: a manager's own pending entries, or the pool's (null), by priority.
        Index("ix_dial_list_entries_queue", "list_id", "manager_id", "state", "priority"),
        # Callbacks are few: a partial index makes "the due ones first" a probe on both engines.
        Index(
            "ix_dial_list_entries_callbacks",
            "list_id",
            "callback_at",
            postgresql_where=text("callback_at IS NOT NULL"),
            sqlite_where=text("callback_at IS NOT NULL"),
        ),
        # Entries in someone's hands: few at any time.
        Index(
            "ix_dial_list_entries_held",
            "locked_by_id",
            "list_id",
            postgresql_where=text("locked_by_id IS NOT NULL"),
            sqlite_where=text("locked_by_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("dial_lists.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[str] = mapped_column(String(20))
    # The customer's zone at build time (or the list's default): calling hours are local.
    timezone: Mapped[str] = mapped_column(String(64))
    # Null: the list's common pool, which any of its managers may take.
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"))
    # Assigned because they are the customer's personal manager: never given to anyone else
    # while that manager works the list (else the pool's: handout.release_stranded).
    personal: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer)
    state: Mapped[EntryState] = mapped_column(
        _enum(EntryState, "entry_state"), default=EntryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    callback_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"))
    locked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The manager's word on the last attempt, and who said it.
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome, "dial_outcome"))
    note: Mapped[str] = mapped_column(Text, default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    worked_by_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"))
    worked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The last call placed from the entry (its Linkedid) and what the PBX says became of it.
    call_linkedid: Mapped[str | None] = mapped_column(String(64), index=True)
    call_status: Mapped[str | None] = mapped_column(String(16))
    call_status_reason: Mapped[str | None] = mapped_column(String(255))
    called_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# --- report roll-ups (callcenter/reports/rollups.py) ------------------------------------------
#
# Daily sums per local day of the shop (CALLCENTER_TIMEZONE), rebuilt from the raw tables for
# every day a write touched: triggers on calls, call_rings, orders and tasks (migration 0009)
# add that UTC day to report_stale, and the roll-up job rebuilds the local days it overlaps.
# ``manager_id`` 0 and ``line`` "" stand for "nobody" and "no line": keys cannot be null.


class ReportStale(Base):
    """A UTC day whose raw rows changed since its roll-ups were built. Written by triggers
    only, so no write path can forget it; append-only, so writers never wait on each other."""

    __tablename__ = "report_stale"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)


class ReportCallDay(Base):
    """Calls by the local day they started, their owner (who answered; for an unanswered
    outbound call, whose phone placed it), line and direction."""

    __tablename__ = "report_call_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    manager_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line: Mapped[str] = mapped_column(String(40), primary_key=True)
    direction: Mapped[str] = mapped_column(String(16), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    # Over answered calls only: the wait before the answer, and the talk.
    wait_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    talk_sum: Mapped[int] = mapped_column(BigInteger, default=0)


class ReportOfferDay(Base):
    """Inbound calls offered to a manager (their phone rang, or they answered), by local day."""

    __tablename__ = "report_offer_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    manager_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offered: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    # Offered to this manager and answered by nobody.
    missed: Mapped[int] = mapped_column(Integer, default=0)


class ReportHour(Base):
    """Inbound calls by local day and hour: the load heatmap and the daily trend."""

    __tablename__ = "report_hours"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbound: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)


class ReportWait(Base):
    """How long answered inbound calls waited, to the second: percentiles and service levels
    for any threshold come from these counts."""

    __tablename__ = "report_waits"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    manager_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line: Mapped[str] = mapped_column(String(40), primary_key=True)
    wait: Mapped[int] = mapped_column(Integer, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)


class ReportOrderDay(Base):
    """Orders by the local day they were made and their manager, and orders taken after a
    call, credited to the manager of the last call before them (``manager_id`` is then the
    call's manager)."""

    __tablename__ = "report_order_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    manager_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    after_call: Mapped[int] = mapped_column(Integer, default=0)


class ReportTaskDay(Base):
    """Tasks by the local day they were given, their assignee and kind."""

    __tablename__ = "report_task_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    manager_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    given: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)


class ReportCallbackDelay(Base):
    """Closed callbacks by the minutes from the missed call to the call that closed them."""

    __tablename__ = "report_callback_delays"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    manager_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    callbacks: Mapped[int] = mapped_column(Integer, default=0)


class WebhookEndpoint(Base):
    """A shop's receiver of events (callcenter/webhooks/). The secret signs every delivery, so
    it is kept as it is (a hash could not sign); it is shown once, when it is made."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(128))
    # The event types it wants (callcenter/webhooks/outbox.py EVENT_TYPES).
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Switched off by an admin: no new deliveries are made for it.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Paused by the service after failing for too long: deliveries wait until an admin resumes.
    paused_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    paused_reason: Mapped[str | None] = mapped_column(String(255))
    # The first failure since the last success (None while it answers).
    failing_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class WebhookEvent(Base):
    """One event, as it is sent: ``body`` is the exact JSON every delivery of it carries, so a
    retry after a restart sends the same bytes under the same id."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    # Deliveries with the same key reach each endpoint in order (one call's events).
    key: Mapped[str] = mapped_column(String(120))
    # What makes the event happen once ("call.answered:default:1733.5"); None: every time.
    dedupe: Mapped[str | None] = mapped_column(String(160), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(Base):
    """One event for one endpoint: the outbox row the sender works through."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_chain", "endpoint_id", "key", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(120))
    state: Mapped[DeliveryState] = mapped_column(
        _enum(DeliveryState, "delivery_state"), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The first try since it was queued, resumed or sent again: retries stop a day after it.
    first_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Due, or (while a sender holds it) the end of the sender's lease.
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(255))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class WebhookAttempt(Base):
    """One try of a delivery and what the receiver answered: the delivery log."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(255))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    # The start of the answer's body, for the admin reading the log.
    response: Mapped[str | None] = mapped_column(String(500))
