"""Orders with their items in the API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from callcenter.core.models import (
    OrderStatus,
)
from callcenter.core.schemas import Money, Name, PageQuery, Strict, Text

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
    manager_id: int | None = Field(
        default=None,
        description="an active manager with an extension; when omitted, the user who keys the "
        "order in on a page if they take calls, and nobody for an API token",
    )
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
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    customer_id: int | None = None
    status: OrderStatus | None = None
    manager_id: int | None = None
    number: str | None = None
    from_: dt.datetime | None = Field(
        default=None, alias="from", description="made at or after this moment"
    )
    until: dt.datetime | None = Field(default=None, description="made before this moment")
    after_call_by: int | None = Field(
        default=None,
        description="credited to this manager: the customer's last answered call in the "
        "window before the order (CALLCENTER_REPORT_ORDER_WINDOW_HOURS) was theirs",
    )
    after_call: bool | None = Field(
        default=None, description="true: credited to some manager; false: to nobody"
    )
