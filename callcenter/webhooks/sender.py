"""``WebhookSender``: works through the outbox and posts each delivery to its endpoint.

- **At least once.** A delivery is done only when the endpoint answered 2xx. A sender takes a
  delivery with a lease (``next_attempt_at`` moved past the send's time-out in one UPDATE), so
  a sender that dies mid-send leaves it due again once the lease runs out; two instances on
  one database never send the same delivery at once.
- **In order per call per endpoint.** A delivery waits while an earlier one with the same key
  for the same endpoint is still pending (retrying included).
- **Backoff.** A failed try is retried after 10 s, doubling up to an hour, for 24 h from the
  first try; then the delivery fails for good and the next of its key goes. An endpoint that
  has answered nothing but failures for 24 h is paused; its deliveries wait, none is dropped,
  until an admin resumes it.
- **Off the hot paths.** It runs in its own task; ``emit`` only wakes it after a commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from callcenter import __version__
from callcenter.core.db import make_sessionmaker
from callcenter.core.models import (
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)
from callcenter.webhooks import outbox
from callcenter.webhooks.guard import AllowList, GuardedResolver, Refused, check_url
from callcenter.webhooks.signing import HEADER, sign

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    """How hard the sender tries. The defaults are the documented ones; tests shorten them."""

    timeout: float = 10.0
    first_retry: float = 10.0
    max_retry: float = 3600.0
    retry_for: dt.timedelta = dt.timedelta(hours=24)
    pause_after: dt.timedelta = dt.timedelta(hours=24)
    concurrency: int = 8
    poll: float = 1.0
    batch: int = 100

    def delay(self, attempts: int) -> float:
        """Seconds before the next try after ``attempts`` failed ones (±20 % jitter, so a
        receiver that comes back is not hit by every delivery in the same second)."""
        base = min(self.max_retry, self.first_retry * 2 ** max(0, attempts - 1))
        return float(base * random.uniform(0.8, 1.2))

    @property
    def lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.timeout + 5)


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str | None
    response: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookSender:
    def __init__(
        self,
        engine: AsyncEngine,
        allow: AllowList,
        policy: Policy | None = None,
    ) -> None:
        self.sessionmaker = make_sessionmaker(engine)
        self.allow = allow
        self.policy = policy or Policy()
        self._wakeup = asyncio.Event()
        self._inflight: set[int] = set()
        self._sends: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._unhook: Callable[[], None] | None = None
        self.endpoints = outbox.endpoint_map(engine.sync_engine)
        self._endpoints_changed = True
        self.sent = 0
        self.failed = 0

    def wake(self) -> None:
        self._wakeup.set()

    def endpoints_changed(self) -> None:
        """An admin changed the endpoints: ``emit`` asks the database until they are read
        again, which is now."""
        self.endpoints.loaded_at = -1e9
        self._endpoints_changed = True
        self.wake()

    async def _refresh_endpoints(self) -> None:
        stale = time.monotonic() - self.endpoints.loaded_at >= self.endpoints.max_age
        if self._endpoints_changed or stale:
            self._endpoints_changed = False
            async with self.sessionmaker() as session:
                await self.endpoints.load(session)

    async def start(self) -> None:
        self._unhook = outbox.on_commit(self.wake)
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self.allow), limit=self.policy.concurrency
        )
        self._http = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": f"callcenter-webhooks/{__version__}"},
        )
        async with self.sessionmaker() as session:
            await self.endpoints.load(session)
        self._task = asyncio.create_task(self._run(), name="webhook-sender")

    async def stop(self) -> None:
        if self._unhook is not None:
            self._unhook()
            self._unhook = None
        tasks = [t for t in (self._task, *self._sends) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._http is not None:
            await self._http.close()

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            try:
                await self._refresh_endpoints()
                for delivery_id in await self._claim():
                    self._inflight.add(delivery_id)
                    task = asyncio.create_task(self._deliver(delivery_id))
                    self._sends.add(task)
                    task.add_done_callback(self._sends.discard)
            except Exception:
                log.exception("webhooks: reading the outbox failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.policy.poll)

    async def _claim(self) -> list[int]:
        """The due deliveries that head their chain, taken under a lease."""
        free = self.policy.concurrency - len(self._inflight)
        if free <= 0:
            return []
        now = utcnow()
        earlier = aliased(WebhookDelivery)
        head = ~(
            select(earlier.id)
            .where(
                earlier.endpoint_id == WebhookDelivery.endpoint_id,
                earlier.key == WebhookDelivery.key,
                earlier.state == DeliveryState.PENDING,
                earlier.id < WebhookDelivery.id,
            )
            .exists()
        )
        async with self.sessionmaker() as session, session.begin():
            due = list(
                await session.scalars(
                    select(WebhookDelivery.id)
                    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                    .where(
                        WebhookDelivery.state == DeliveryState.PENDING,
                        WebhookDelivery.next_attempt_at <= now,
                        WebhookEndpoint.is_active.is_(True),
                        WebhookEndpoint.paused_at.is_(None),
                        head,
                    )
                    .order_by(WebhookDelivery.id)
                    .limit(min(free, self.policy.batch))
                )
            )
            due = [d for d in due if d not in self._inflight]
            if not due:
                return []
            taken = await session.scalars(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id.in_(due),
                    WebhookDelivery.state == DeliveryState.PENDING,
                    WebhookDelivery.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + self.policy.lease)
                .returning(WebhookDelivery.id)
            )
            return sorted(taken)

    async def _deliver(self, delivery_id: int) -> None:
        try:
            async with self.sessionmaker() as session:
                row = (
                    await session.execute(
                        select(WebhookEndpoint.url, WebhookEndpoint.secret, WebhookEvent)
                        .join(WebhookDelivery, WebhookDelivery.event_id == WebhookEvent.id)
                        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                        .where(WebhookDelivery.id == delivery_id)
                    )
                ).first()
            if row is None:
                return  # the endpoint was deleted meanwhile
            url, secret, event = row
            answer = await self.post(url, secret, event, delivery_id)
            await self._record(delivery_id, answer)
        except Exception:
            log.exception("webhooks: delivery %d failed unexpectedly", delivery_id)
        finally:
            self._inflight.discard(delivery_id)
            self.wake()

    async def post(self, url: str, secret: str, event: WebhookEvent, delivery_id: int) -> Answer:
        """One try: the event's stored body, signed now. Never raises for the receiver's sake."""
        assert self._http is not None, "the sender has not started"
        body = event.body.encode()
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(secret, body),
            "X-Callcenter-Event": event.type,
            "X-Callcenter-Event-Id": event.id,
            "X-Callcenter-Delivery": str(delivery_id),
        }
        started = time.monotonic()
        try:
            check_url(url, self.allow)
            async with self._http.post(
                url,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self.policy.timeout),
            ) as response:
                text = (await response.content.read(500)).decode("utf-8", "replace")
                status, error = response.status, _status_error(response)
        except Refused as exc:
            status, error, text = None, f"refused: {exc}", None
        except TimeoutError:
            status, error, text = None, f"no answer within {self.policy.timeout:g} s", None
        except (aiohttp.ClientError, OSError) as exc:
            status, error, text = None, _client_error(exc), None
        duration = int((time.monotonic() - started) * 1000)
        return Answer(status, error, text or None, duration)

    async def _record(self, delivery_id: int, answer: Answer) -> None:
        now = utcnow()
        async with self.sessionmaker() as session, session.begin():
            delivery = await session.get(WebhookDelivery, delivery_id)
            if delivery is None:
                return
            endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
            assert endpoint is not None  # the delivery cascades with it
            session.add(
                WebhookAttempt(
                    delivery_id=delivery_id,
                    at=now,
                    status_code=answer.status,
                    error=answer.error[:255] if answer.error else None,
                    duration_ms=answer.duration_ms,
                    response=answer.response[:500] if answer.response else None,
                )
            )
            delivery.attempts += 1
            delivery.first_attempt_at = delivery.first_attempt_at or now
            delivery.last_attempt_at = now
            delivery.last_status = answer.status
            delivery.last_error = answer.error[:255] if answer.error else None
            if answer.ok:
                self._succeeded(delivery, endpoint, now)
            else:
                self._failed(delivery, endpoint, now)

    def _succeeded(
        self, delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: dt.datetime
    ) -> None:
        self.sent += 1
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = now
        endpoint.failing_since = None
        endpoint.last_success_at = now

    def _failed(
        self, delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: dt.datetime
    ) -> None:
        self.failed += 1
        log.warning(
            "webhooks: endpoint %d (%s) did not take delivery %d (try %d): %s",
            endpoint.id,
            endpoint.name,
            delivery.id,
            delivery.attempts,
            delivery.last_error or f"HTTP {delivery.last_status}",
        )
        endpoint.failing_since = endpoint.failing_since or now
        first = delivery.first_attempt_at or now
        if now - first >= self.policy.retry_for:
            delivery.state = DeliveryState.FAILED
        else:
            delivery.next_attempt_at = now + dt.timedelta(
                seconds=self.policy.delay(delivery.attempts)
            )
        if endpoint.paused_at is None and now - endpoint.failing_since >= self.policy.pause_after:
            endpoint.paused_at = now
            endpoint.paused_reason = (delivery.last_error or f"HTTP {delivery.last_status}")[:255]
            log.warning("webhooks: endpoint %d (%s) is paused", endpoint.id, endpoint.name)


def _status_error(response: aiohttp.ClientResponse) -> str | None:
    if 200 <= response.status < 300:
        return None
    if 300 <= response.status < 400:
        where = response.headers.get("Location", "")
        return f"HTTP {response.status}: redirected to {where[:150]}; give the final URL"
    return f"HTTP {response.status}"


def _client_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:255]
