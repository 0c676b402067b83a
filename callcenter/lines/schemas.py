"""Lines in the API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from callcenter.core.schemas import Strict


class LineIn(Strict):
    number: str = Field(
        min_length=1,
        max_length=40,
        description="the number customers dial, in any format (+7 495 123-45-67); "
        "a short PBX extension (7003) is kept as it is",
    )
    name: str = Field(min_length=1, max_length=120, description="shown on the pop")
    source: str | None = Field(
        default=None, max_length=120, description="the shop or campaign the line belongs to"
    )
    group: list[int] = Field(
        default=[],
        max_length=200,
        description="manager ids who take the line's calls; empty = the routing default group",
    )


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str = Field(description="as calls keep it: E.164 when it parses")
    name: str
    source: str | None
    group: list[int]
    created_at: dt.datetime
    updated_at: dt.datetime
