"""Customers in the API: create, edit, read, search, look up by phone."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
)

from callcenter.core.schemas import (
    Email,
    MoneyOut,
    Name,
    PageQuery,
    PhoneList,
    Strict,
    Tags,
    Text,
    TimeZone,
)

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
