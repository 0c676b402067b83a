"""Tasks and missed-call callbacks in the API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from callcenter.core.schemas import PageQuery, Strict, Text

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
