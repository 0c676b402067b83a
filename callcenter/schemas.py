"""Request and response bodies of the REST API (pydantic), which also feed the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)

from callcenter.models import (
    CallDirection,
    CallStatus,
    OrderStatus,
    Presence,
    RecordingStatus,
    Role,
)

T = TypeVar("T")

Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
]
# Sums over many orders (a customer's total spent) outgrow one order's Numeric(12, 2).
MoneyOut = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=10_000)]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG = re.compile(r"^[\w\-. ]{1,64}$")


def _email(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("not an e-mail address")
    return value


def _timezone(value: str | None) -> str | None:
    if not value:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        message = f"unknown time zone {value!r}; use an IANA name like Europe/Moscow"
        raise ValueError(message) from None
    return value


def _tags(values: list[str]) -> list[str]:
    tags: list[str] = []
    for raw in values:
        tag = raw.strip().lower()
        if not _TAG.match(tag):
            raise ValueError(f"bad tag {raw!r}: 1-64 letters, digits, spaces, '-', '_' or '.'")
        if tag not in tags:
            tags.append(tag)
    return tags


Email = Annotated[str | None, AfterValidator(_email)]
TimeZone = Annotated[str | None, AfterValidator(_timezone)]
Tags = Annotated[list[str], Field(max_length=50), AfterValidator(_tags)]
PhoneList = Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=10)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageQuery(Strict):
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


# --- managers -------------------------------------------------------------------------------

Login = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{2,64}$")]
Extension = Annotated[str, StringConstraints(pattern=r"^\d{2,6}$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]


class ManagerIn(Strict):
    login: Login
    name: Name | None = None
    password: Password
    role: Role = Role.OPERATOR
    extension: Extension | None = None


class ManagerPatch(Strict):
    name: Name | None = None
    password: Password | None = None
    role: Role | None = None
    extension: Extension | None = None
    is_active: bool | None = None


class ManagerStatusIn(Strict):
    status: Presence


class ManagerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    login: str
    name: str
    role: Role
    extension: str | None
    status: Presence
    status_changed_at: dt.datetime
    device_state: str | None = Field(description="the phone's state as the PBX reports it")
    is_active: bool


class ManagerQuery(PageQuery):
    status: Presence | None = None
    role: Role | None = None


# --- customers ------------------------------------------------------------------------------


class CustomerIn(Strict):
    name: Name
    phones: PhoneList = []
    email: Email = None
    city: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    timezone: TimeZone = None
    birthday: dt.date | None = None
    tags: Tags = []
    manager_id: int | None = None
    do_not_call: bool = False
    note: Text = ""


class CustomerPatch(Strict):
    name: Name | None = None
    phones: PhoneList | None = None
    email: Email = None
    city: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    timezone: TimeZone = None
    birthday: dt.date | None = None
    tags: Tags | None = None
    manager_id: int | None = None
    do_not_call: bool | None = None
    note: Text | None = None


Segment = Literal["vip", "prospect", "new", "regular", "lapsed"]


class CustomerOut(BaseModel):
    id: int
    name: str
    phones: list[str]
    email: str | None
    city: str | None
    timezone: str | None
    birthday: dt.date | None
    tags: list[str]
    manager_id: int | None
    do_not_call: bool
    note: str
    created_at: dt.datetime
    orders_count: int
    total_spent: MoneyOut
    average_check: MoneyOut
    first_order_at: dt.datetime | None
    last_order_at: dt.datetime | None
    segment: Segment


class CustomerQuery(PageQuery):
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = Field(
        default=None, description="name, e-mail, phone in any format, or an order number"
    )
    tag: str | None = None
    manager_id: int | None = None
    city: str | None = None


class LookupQuery(Strict):
    phone: Annotated[str, StringConstraints(min_length=1, max_length=64)]


# --- orders ---------------------------------------------------------------------------------


class OrderItemIn(Strict):
    product: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    quantity: int = Field(ge=1, le=100_000)
    price: Money


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product: str
    quantity: int
    price: Money


OrderNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-/]{1,64}$")]


class OrderIn(Strict):
    number: OrderNumber | None = Field(default=None, description="generated when omitted")
    customer_id: int | None = None
    phone: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, description="finds the customer by phone; an unknown phone creates one"
    )
    customer_name: Name | None = Field(
        default=None, description="name for a customer created from an unknown phone"
    )
    status: OrderStatus = OrderStatus.NEW
    items: Annotated[list[OrderItemIn], Field(min_length=1, max_length=500)]
    manager_id: int | None = None
    comment: Text = ""
    created_at: dt.datetime | None = None

    @model_validator(mode="after")
    def _one_customer(self) -> OrderIn:
        if (self.customer_id is None) == (self.phone is None):
            raise ValueError("give exactly one of customer_id or phone")
        return self


class OrderPatch(Strict):
    status: OrderStatus | None = None
    items: Annotated[list[OrderItemIn], Field(min_length=1, max_length=500)] | None = None
    manager_id: int | None = None
    comment: Text | None = None


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    customer_id: int
    status: OrderStatus
    total: Money
    manager_id: int | None
    comment: str
    created_at: dt.datetime
    updated_at: dt.datetime
    items: list[OrderItemOut]


class OrderQuery(PageQuery):
    customer_id: int | None = None
    status: OrderStatus | None = None
    manager_id: int | None = None
    number: str | None = None


# --- calls ----------------------------------------------------------------------------------


class CallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    pbx: str
    linkedid: str
    direction: CallDirection
    phone: str | None
    caller_id_raw: str | None
    customer_id: int | None
    manager_id: int | None
    rang_manager_ids: list[int]
    route: str | None
    started_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    wait_seconds: int | None
    talk_seconds: int | None
    status: CallStatus | None
    status_reason: str | None
    has_recording: bool = Field(default=False, description="a recording is ready to play")
    recording_id: str | None = Field(
        default=None, description="the call's recording (GET /recordings/{id}); a ready one first"
    )
    recording_status: RecordingStatus | None = None
    recording_error: str | None = Field(
        default=None, description="why the recording failed (missing, corrupt...)"
    )


class CallQuery(PageQuery):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: dt.datetime | None = Field(default=None, alias="from")
    until: dt.datetime | None = None
    manager_id: int | None = None
    customer_id: int | None = None
    direction: CallDirection | None = None
    status: CallStatus | None = None
    has_recording: bool | None = None


# --- tasks ----------------------------------------------------------------------------------


class TaskIn(Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    note: Text = ""
    customer_id: int | None = None
    call_id: int | None = None
    assignee_id: int | None = Field(default=None, description="defaults to the caller")
    deadline: dt.datetime | None = None


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    kind: str
    note: str
    customer_id: int | None
    call_id: int | None
    assignee_id: int | None
    group_name: str | None
    phone: str | None
    created_by_id: int | None
    deadline: dt.datetime | None
    created_at: dt.datetime
    done_at: dt.datetime | None
    overdue: bool


class TaskQuery(PageQuery):
    assignee_id: int | None = None
    customer_id: int | None = None
    open: bool | None = None
    overdue: bool | None = None


class OriginateIn(Strict):
    manager_id: int | None = Field(default=None, description="defaults to the caller")
    phone: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class OriginateOut(BaseModel):
    call_id: str = Field(description="the Linkedid the call log and the WebSocket will use")
    status: Literal["manager_answered"]
    phone: str
    customer_id: int | None


class MeOut(BaseModel):
    manager: ManagerOut
    auth: Literal["session", "token"]


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor_id: int | None
    action: str
    target_type: str | None
    target_id: str | None
    details: dict[str, object]
    ip: str | None


class AuditQuery(PageQuery):
    action: str | None = None
    actor_id: int | None = None
    target_type: str | None = None
    target_id: str | None = None


# --- recordings -----------------------------------------------------------------------------


class ReviewIn(Strict):
    score: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    comment: Text = ""


class ReviewOut(BaseModel):
    score: int
    comment: str
    reviewed_by_id: int | None
    reviewed_at: dt.datetime | None


class RecordingOut(BaseModel):
    id: str = Field(description="the recording's public id (a UUID)")
    call_id: int
    linkedid: str
    started_at: dt.datetime
    direction: CallDirection
    phone: str | None
    customer_id: int | None
    manager_id: int | None
    status: RecordingStatus
    error: str | None = Field(description="why it failed: a missing, empty or corrupt file...")
    format: str
    content_type: str
    duration_seconds: float | None
    size_bytes: int | None
    channels: int | None = Field(description="2: the customer on the left, the manager right")
    created_at: dt.datetime
    audio_url: str | None = Field(description="streams the file (HTTP Range); null until ready")
    review: ReviewOut | None


class RecordingDetail(RecordingOut):
    peaks: list[float] = Field(
        description="the waveform: per equal slice of the call, its loudest sample, 0..1"
    )


class RecordingQuery(PageQuery):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: dt.datetime | None = Field(default=None, alias="from", description="call start")
    until: dt.datetime | None = None
    call_id: int | None = None
    manager_id: int | None = None
    customer_id: int | None = None
    phone: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="the customer's number, any format"
    )
    direction: CallDirection | None = None
    status: RecordingStatus | None = None
    min_duration: float | None = Field(default=None, ge=0, description="seconds")
    max_duration: float | None = Field(default=None, ge=0, description="seconds")
    reviewed: bool | None = None
