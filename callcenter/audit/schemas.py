"""The audit log in the API."""

from __future__ import annotations

import datetime as dt

from pydantic import (
    BaseModel,
    ConfigDict,
)

from callcenter.core.schemas import PageQuery


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
