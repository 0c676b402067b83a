"""Tasks and missed-call callbacks in the API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

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


def _absent(value: object) -> bool:
    return value is None


class TaskEvent(BaseModel):
    """Something that happened to a task, for the pages to put into words."""

    what: Literal["missed", "missed_again", "closed", "website", "ring_failed"] = Field(
        description="missed: the missed call that made this callback; missed_again: another "
        "one while it was open; closed: an answered call with the number closed it; website: "
        "the customer asked on the shop's website to be called back; ring_failed: the "
        "manager's phone rung for that request did not connect"
    )
    at: dt.datetime = Field(description="when (UTC): the call's start, the request, the closing")
    call_id: int | None = Field(description="the call in the call log, when known")
    # A website request's details, and the manager of a failed ring: only in the events that
    # have them (a missed call's event reads as it always has).
    order: str | None = Field(
        default=None,
        exclude_if=_absent,
        description="website: the order number the visitor gave (an existing one)",
    )
    order_matches: bool | None = Field(
        default=None,
        exclude_if=_absent,
        description="website: whether that order is the customer's with this phone; false: "
        "a stranger may have typed it, so its details are not for reading out",
    )
    name: str | None = Field(
        default=None, exclude_if=_absent, description="website: the name the visitor gave"
    )
    manager_id: int | None = Field(
        default=None, exclude_if=_absent, description="ring_failed: the manager whose phone rang"
    )


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str = Field(description="a callback's is written in the shop's language (Russian)")
    kind: str
    note: str = Field(description="what a person wrote; a callback's history is in events")
    events: list[TaskEvent] = Field(
        description="a callback's missed calls, requests on the shop's website and the call "
        "that closed it, oldest first"
    )
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
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    assignee_id: int | None = None
    customer_id: int | None = None
    open: bool | None = None
    overdue: bool | None = None
    kind: str | None = Field(
        default=None, max_length=32, description="callback, manual, dial_list..."
    )
    from_: dt.datetime | None = Field(
        default=None, alias="from", description="given at or after this moment"
    )
    until: dt.datetime | None = Field(default=None, description="given before this moment")
    state: Literal["open", "closed", "on_time", "late"] | None = Field(
        default=None,
        description="on_time: done by its deadline (or it had none), as the reports count; "
        "late: done after its deadline, or open past it",
    )
