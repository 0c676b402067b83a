"""The call log and click-to-call in the API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from callcenter.core.models import (
    CallDirection,
    CallStatus,
    RecordingStatus,
)
from callcenter.core.schemas import PageQuery, Strict

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
    line: str | None = Field(
        default=None, description="inbound: the number the customer dialled, E.164 when it parses"
    )
    line_name: str | None = Field(default=None, description="the admin's name for the line")
    line_source: str | None = Field(
        default=None, description="the shop or ad source of the line (Яндекс Директ, Авито)"
    )
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
    line: str | None = Field(
        default=None, max_length=40, description="the number dialled, in any format"
    )
    source: str | None = Field(
        default=None, max_length=120, description="calls to the lines of this shop or ad source"
    )
    answered_by: int | None = Field(default=None, description="the manager who answered it")
    rang: int | None = Field(default=None, description="a manager whose phone rang for it")
    answered: bool | None = Field(
        default=None, description="true: answered; false: ended with nobody answering"
    )
    internal: bool | None = Field(
        default=None, description="false: customer calls only (inbound and outbound)"
    )
    ended: bool | None = Field(
        default=None, description="true: ended (the calls a report counts); false: in progress"
    )
    min_wait: int | None = Field(default=None, ge=0, description="seconds before answer, at least")
    max_wait: int | None = Field(default=None, ge=0, description="seconds before answer, at most")
    weekday: int | None = Field(
        default=None,
        ge=1,
        le=7,
        description="started on this weekday (1 Monday) on the shop's "
        "clock (CALLCENTER_TIMEZONE); needs from and until",
    )
    hour: int | None = Field(
        default=None,
        ge=0,
        le=23,
        description="started in this hour on the shop's clock; needs from and until",
    )


class OriginateIn(Strict):
    manager_id: int | None = Field(default=None, description="defaults to the caller")
    phone: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    ring: Literal["desk", "browser"] | None = Field(
        default=None,
        description=(
            "which of the manager's phones rings first: the desk phone, or the browser's "
            "softphone, which answers by itself; by default the browser when the PBX reports "
            "it registered, else the desk phone"
        ),
    )


class OriginateOut(BaseModel):
    call_id: str = Field(description="the Linkedid the call log and the WebSocket will use")
    status: Literal["manager_answered"]
    phone: str
    customer_id: int | None
