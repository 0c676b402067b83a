"""What one answer does to its delivery and endpoint: the sender's rules, without I/O."""

from __future__ import annotations

import datetime as dt
from collections import namedtuple

from sqlalchemy.ext.asyncio import create_async_engine

from callcenter.core.models import DeliveryState, WebhookEndpoint
from callcenter.webhooks.guard import AllowList
from callcenter.webhooks.sender import Answer, Policy, WebhookSender

NOW = dt.datetime(2026, 12, 7, 12, 0)
DAY = dt.timedelta(hours=24)
Row = namedtuple("Row", "id endpoint_id attempts first_attempt_at")
OK = Answer(200, None, "ok", 5)
DOWN = Answer(503, "HTTP 503", None, 5)


def sender() -> WebhookSender:
    engine = create_async_engine("sqlite+aiosqlite://")
    return WebhookSender(engine, AllowList.parse([]), Policy(first_retry=10, max_retry=3600))


def endpoint(failing_since: dt.datetime | None = None) -> WebhookEndpoint:
    return WebhookEndpoint(id=1, name="shop", failing_since=failing_since, paused_at=None)


def test_a_success_delivers_and_heals_the_endpoint() -> None:
    ep = endpoint(failing_since=NOW - dt.timedelta(hours=3))
    change = sender()._outcome(Row(7, 1, 2, NOW - dt.timedelta(hours=3)), ep, OK, NOW)
    assert (change["state"], change["attempts"], change["delivered_at"]) == (
        DeliveryState.DELIVERED, 3, NOW,
    )  # fmt: skip
    assert (ep.failing_since, ep.last_success_at) == (None, NOW)


def test_a_failure_is_retried_later_with_backoff() -> None:
    ep = endpoint()
    change = sender()._outcome(Row(7, 1, 3, NOW - dt.timedelta(minutes=5)), ep, DOWN, NOW)
    assert change["state"] is DeliveryState.PENDING
    wait = (change["next_attempt_at"] - NOW).total_seconds()
    assert 0.8 * 80 <= wait <= 1.2 * 80  # after the 4th failed try: 10 s doubled 3 times, ±20 %
    assert ep.failing_since == NOW and ep.paused_at is None


def test_an_endpoint_down_for_a_day_is_paused_and_its_delivery_waits() -> None:
    ep = endpoint(failing_since=NOW - DAY)
    change = sender()._outcome(Row(7, 1, 30, NOW - DAY), ep, DOWN, NOW)
    assert change["state"] is DeliveryState.PENDING
    assert (ep.paused_at, ep.paused_reason) == (NOW, "HTTP 503")


def test_one_event_refused_for_a_day_by_a_working_endpoint_fails_alone() -> None:
    ep = endpoint(failing_since=NOW - dt.timedelta(minutes=1))  # it took another one since
    change = sender()._outcome(Row(7, 1, 30, NOW - DAY), ep, DOWN, NOW)
    assert change["state"] is DeliveryState.FAILED
    assert ep.paused_at is None
