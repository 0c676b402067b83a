"""Recordings in the API: metadata, filters, coaching reviews."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from callcenter.core.models import (
    CallDirection,
    RecordingStatus,
)
from callcenter.core.schemas import PageQuery, Strict, Text

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
