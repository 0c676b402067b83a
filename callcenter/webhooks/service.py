"""Webhook endpoints and their deliveries, as admins manage them."""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.errors import Invalid, NotFound
from callcenter.core.models import (
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)
from callcenter.core.paging import fetch_page
from callcenter.core.schemas import Page
from callcenter.webhooks.guard import AllowList, Refused, check_url
from callcenter.webhooks.schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    DeliveryQuery,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
)


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def clean_url(url: str, allow: AllowList) -> str:
    try:
        check_url(url, allow)
    except Refused as exc:
        raise Invalid("url", str(exc)) from None
    return url.strip()


async def _counts(session: AsyncSession) -> dict[tuple[int, DeliveryState], int]:
    rows = await session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.state, func.count())
        .where(WebhookDelivery.state != DeliveryState.DELIVERED)
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.state)
    )
    return {(endpoint_id, state): count for endpoint_id, state, count in rows}


def endpoint_out(
    endpoint: WebhookEndpoint, counts: dict[tuple[int, DeliveryState], int]
) -> EndpointOut:
    return EndpointOut.model_validate(
        {
            **{c: getattr(endpoint, c) for c in EndpointOut.model_fields if hasattr(endpoint, c)},
            "secret_hint": endpoint.secret[-4:],
            "pending": counts.get((endpoint.id, DeliveryState.PENDING), 0),
            "failed": counts.get((endpoint.id, DeliveryState.FAILED), 0),
        }
    )


async def list_endpoints(session: AsyncSession) -> list[EndpointOut]:
    counts = await _counts(session)
    endpoints = await session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))
    return [endpoint_out(e, counts) for e in endpoints]


async def one_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> EndpointOut:
    return endpoint_out(endpoint, await _counts(session))


async def get_endpoint(session: AsyncSession, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint with id {endpoint_id}")
    return endpoint


async def create(session: AsyncSession, body: EndpointIn, allow: AllowList) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        name=body.name,
        url=clean_url(body.url, allow),
        events=body.events,
        secret=body.secret or new_secret(),
        is_active=body.is_active,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint


async def change(
    session: AsyncSession, endpoint: WebhookEndpoint, body: EndpointPatch, allow: AllowList
) -> None:
    if body.name is not None:
        endpoint.name = body.name
    if body.url is not None:
        endpoint.url = clean_url(body.url, allow)
    if body.events is not None:
        endpoint.events = body.events
    if body.is_active is not None:
        endpoint.is_active = body.is_active
    await session.flush()


async def resume(session: AsyncSession, endpoint: WebhookEndpoint) -> int:
    """Lift a pause: every waiting delivery is due now, with a fresh day of retries.
    Returns how many wait."""
    endpoint.paused_at = None
    endpoint.paused_reason = None
    endpoint.failing_since = None
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.state == DeliveryState.PENDING,
        )
        .values(next_attempt_at=utcnow(), first_attempt_at=None)
    )
    await session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def _deliveries(q: DeliveryQuery) -> Select[Any]:
    query = select(WebhookDelivery, WebhookEvent.type).join(
        WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id
    )
    if q.endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == q.endpoint_id)
    if q.state is not None:
        query = query.where(WebhookDelivery.state == q.state)
    if q.type is not None:
        query = query.where(WebhookEvent.type == q.type)
    if q.event_id is not None:
        query = query.where(WebhookDelivery.event_id == q.event_id)
    return query


def _delivery_out(delivery: WebhookDelivery, type_: str) -> DeliveryOut:
    fields = {c: getattr(delivery, c) for c in DeliveryOut.model_fields if c != "type"}
    pending = delivery.state is DeliveryState.PENDING
    fields["next_attempt_at"] = delivery.next_attempt_at if pending else None
    return DeliveryOut.model_validate({**fields, "type": type_})


async def list_deliveries(session: AsyncSession, q: DeliveryQuery) -> Page[DeliveryOut]:
    query = _deliveries(q)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.execute(
        query.order_by(WebhookDelivery.id.desc()).limit(q.limit).offset(q.offset)
    )
    items = [_delivery_out(delivery, type_) for delivery, type_ in rows.tuples()]
    return Page(items=items, total=total, limit=q.limit, offset=q.offset)


async def get_delivery(session: AsyncSession, delivery_id: int) -> WebhookDelivery:
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound(f"no webhook delivery with id {delivery_id}")
    return delivery


async def delivery_detail(session: AsyncSession, delivery: WebhookDelivery) -> DeliveryDetail:
    event = await session.get(WebhookEvent, delivery.event_id)
    assert event is not None  # the delivery cascades with it
    tries, _ = await fetch_page(
        session,
        select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id),
        DeliveryQuery(limit=500),
        WebhookAttempt.id.desc(),
    )
    return DeliveryDetail.model_validate(
        {
            **_delivery_out(delivery, event.type).model_dump(),
            "body": json.loads(event.body),
            "tries": [AttemptOut.model_validate(t) for t in tries],
        }
    )


async def send_again(session: AsyncSession, delivery: WebhookDelivery) -> None:
    """The same event (same id, same body) goes again, now: after a fix on the shop's side,
    or to replay one the shop lost."""
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = utcnow()
    delivery.first_attempt_at = None
    delivery.delivered_at = None
    await session.flush()
