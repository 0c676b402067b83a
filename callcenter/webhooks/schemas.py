"""Webhooks in the API: endpoints, deliveries and their tries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from callcenter.core.models import DeliveryState
from callcenter.core.schemas import Name, PageQuery, Strict
from callcenter.webhooks.outbox import EVENT_TYPES


def _events(values: list[str]) -> list[str]:
    unknown = [v for v in values if v not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown events {unknown}; known: {', '.join(EVENT_TYPES)}")
    if not values:
        raise ValueError("choose at least one event")
    return [e for e in EVENT_TYPES if e in values]


Events = Annotated[list[str], Field(max_length=len(EVENT_TYPES) * 2), AfterValidator(_events)]
Url = Annotated[str, Field(min_length=1, max_length=2000)]
Secret = Annotated[str, Field(min_length=16, max_length=128, pattern=r"^[\x21-\x7e]+$")]


class EndpointIn(Strict):
    name: Name
    url: Url = Field(description="http(s) on a public address (see CALLCENTER_WEBHOOK_ALLOW)")
    events: Events
    secret: Secret | None = Field(
        default=None, description="signs the deliveries; made by the service when not given"
    )
    is_active: bool = True


class EndpointPatch(Strict):
    name: Name | None = None
    url: Url | None = None
    events: Events | None = None
    is_active: bool | None = None


class EndpointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    url: str
    events: list[str]
    is_active: bool
    paused_at: dt.datetime | None = Field(description="set when it failed for 24 h")
    paused_reason: str | None
    failing_since: dt.datetime | None
    last_success_at: dt.datetime | None
    secret_hint: str = Field(description="the secret's last four characters")
    pending: int = Field(description="deliveries waiting")
    failed: int = Field(description="deliveries given up")
    created_at: dt.datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="shown this once")


class SecretOut(BaseModel):
    secret: str = Field(description="the new secret, shown this once")


class EndpointsOut(BaseModel):
    items: list[EndpointOut]
    events: list[str] = Field(description="every event an endpoint can want")


class DeliveryQuery(PageQuery):
    endpoint_id: int | None = None
    state: DeliveryState | None = None
    type: str | None = Field(default=None, max_length=40)
    event_id: str | None = Field(default=None, max_length=40)


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    response: str | None


class DeliveryOut(BaseModel):
    id: int
    endpoint_id: int
    event_id: str
    type: str
    state: DeliveryState
    attempts: int
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime


class DeliveryDetail(DeliveryOut):
    body: dict[str, Any] = Field(description="the event exactly as it is sent")
    tries: list[AttemptOut]
