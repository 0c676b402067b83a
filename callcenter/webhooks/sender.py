"""``WebhookSender``: works through the outbox and posts each delivery to its endpoint.

- **At least once.** A delivery is done only when the endpoint answered 2xx. A sender takes a
  delivery with a lease (``next_attempt_at`` moved past the send's time-out in one UPDATE), so
  a sender that dies mid-send leaves it due again once the lease runs out; two instances on
  one database never send the same delivery at once.
- **In order per call per endpoint.** A delivery waits while an earlier one with the same key
  for the same endpoint is still pending (retrying included).
- **Backoff.** A failed try is retried after 10 s (``CALLCENTER_WEBHOOK_RETRY_SECONDS``),
  doubling up to an hour. An endpoint that has answered nothing but failures for 24 h
  (``CALLCENTER_WEBHOOK_GIVE_UP_HOURS``) is paused: its deliveries wait, none is dropped,
  until an admin resumes it. A delivery that one endpoint keeps refusing while it takes
  others fails for good 24 h after its first try, and the next of its key goes.
- **Off the hot paths.** It runs in a process of its own (``callcenter.webhooks.worker``,
  started by ``callcenter.webhooks.relay``): signing and posting hundreds of deliveries a
  second would otherwise share the service's event loop, and its CPU, with the pops.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import aiohttp
from sqlalchemy import Row, Select, insert, select, update
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
from callcenter.core.settings import Settings
from callcenter.webhooks.guard import AllowList, GuardedResolver, Refused, check_url
from callcenter.webhooks.signing import HEADER, sign

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    """How hard the sender tries: the documented defaults, or the settings' (``of``)."""

    timeout: float = 10.0
    first_retry: float = 10.0
    max_retry: float = 3600.0
    retry_for: dt.timedelta = dt.timedelta(hours=24)
    pause_after: dt.timedelta = dt.timedelta(hours=24)
    concurrency: int = 128
    poll: float = 1.0
    # Seconds the sender waits to take or write many deliveries at once (a few ms of latency
    # for far fewer transactions under load).
    gather: float = 0.02
    batch: int = 200

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        give_up = dt.timedelta(hours=settings.webhook_give_up_hours)
        return cls(
            timeout=settings.webhook_timeout_seconds,
            first_retry=settings.webhook_retry_seconds,
            retry_for=give_up,
            pause_after=give_up,
        )

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


@dataclass(frozen=True)
class Job:
    """A claimed delivery and all its send needs, read in the claim's transaction."""

    delivery_id: int
    url: str
    secret: str
    event_id: str
    type: str
    body: str


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
        self._tasks: set[asyncio.Task[None]] = set()
        # Answers wait here for the recorder, which writes many in one transaction.
        self._answers: asyncio.Queue[tuple[int, Answer]] = asyncio.Queue()
        self._http: aiohttp.ClientSession | None = None

    def wake(self) -> None:
        self._wakeup.set()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str | None = None) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self.allow),
            limit=self.policy.concurrency,
            # One slow shop holds a quarter of the connections, never all of them.
            limit_per_host=max(1, self.policy.concurrency // 4),
        )
        self._http = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": f"callcenter-webhooks/{__version__}"},
        )
        self._spawn(self._run(), "webhook-sender")
        self._spawn(self._recorder(), "webhook-recorder")

    async def stop(self) -> None:
        """Stop sending. Answers not yet written are dropped: their deliveries go again once
        their lease runs out (at least once)."""
        tasks = list(self._tasks)
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
                for job in await self._claim():
                    self._inflight.add(job.delivery_id)
                    self._spawn(self._send(job))
            except Exception:
                log.exception("webhooks: reading the outbox failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.policy.poll)
            await asyncio.sleep(self.policy.gather)  # what else became due, in one claim

    async def _claim(self) -> list[Job]:
        """The due deliveries that head their chain, taken under a lease, with what sending
        them needs."""
        free = self.policy.concurrency - len(self._inflight)
        if free <= 0:
            return []
        now = utcnow()
        async with self.sessionmaker() as session, session.begin():
            due = [
                d
                for d in await session.scalars(_due(now, min(free, self.policy.batch)))
                if d not in self._inflight
            ]
            if not due:
                return []
            taken = list(
                await session.scalars(
                    update(WebhookDelivery)
                    .where(
                        WebhookDelivery.id.in_(due),
                        WebhookDelivery.state == DeliveryState.PENDING,
                        WebhookDelivery.next_attempt_at <= now,
                    )
                    .values(next_attempt_at=now + self.policy.lease)
                    .returning(WebhookDelivery.id)
                )
            )
            rows = await session.execute(
                select(
                    WebhookDelivery.id,
                    WebhookEndpoint.url,
                    WebhookEndpoint.secret,
                    WebhookEvent.id,
                    WebhookEvent.type,
                    WebhookEvent.body,
                )
                .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(WebhookDelivery.id.in_(taken))
                .order_by(WebhookDelivery.id)
            )
            return [Job(*row) for row in rows]

    async def _send(self, job: Job) -> None:
        try:
            answer = await self.post(job)
        except Exception as exc:  # post() answers for the receiver; this is our own bug
            log.exception("webhooks: delivery %d failed unexpectedly", job.delivery_id)
            answer = Answer(None, f"internal error: {type(exc).__name__}", None, 0)
        self._answers.put_nowait((job.delivery_id, answer))

    async def _recorder(self) -> None:
        while True:
            batch = [await self._answers.get()]
            # Group commit: the answers of a few milliseconds share one transaction.
            await asyncio.sleep(self.policy.gather)
            while not self._answers.empty():
                batch.append(self._answers.get_nowait())
            try:
                await self._record(batch)
            except Exception:
                log.exception("webhooks: writing %d answers failed; they go again", len(batch))
            finally:
                for delivery_id, _ in batch:
                    self._inflight.discard(delivery_id)
                self.wake()

    async def post(self, job: Job) -> Answer:
        """One try: the event's stored body, signed now. Never raises for the receiver's sake."""
        assert self._http is not None, "the sender has not started"
        body = job.body.encode()
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(job.secret, body),
            "X-Callcenter-Event": job.type,
            "X-Callcenter-Event-Id": job.event_id,
            "X-Callcenter-Delivery": str(job.delivery_id),
        }
        started = time.monotonic()
        try:
            check_url(job.url, self.allow)
            async with self._http.post(
                job.url,
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

    async def _record(self, answers: list[tuple[int, Answer]]) -> None:
        """Every try and what it did to its delivery and endpoint, in one transaction of a
        few statements: many answers a second go through here."""
        now = utcnow()
        by_id = dict(answers)
        async with self.sessionmaker() as session, session.begin():
            rows = (
                await session.execute(
                    select(
                        WebhookDelivery.id,
                        WebhookDelivery.endpoint_id,
                        WebhookDelivery.attempts,
                        WebhookDelivery.first_attempt_at,
                    ).where(WebhookDelivery.id.in_(list(by_id)))
                )
            ).all()  # a delivery whose endpoint was deleted meanwhile is gone
            endpoints = {
                e.id: e
                for e in await session.scalars(
                    select(WebhookEndpoint).where(
                        WebhookEndpoint.id.in_({row.endpoint_id for row in rows})
                    )
                )
            }
            changes = [
                self._outcome(row, endpoints[row.endpoint_id], by_id[row.id], now) for row in rows
            ]
            if changes:
                tries = [_attempt(row.id, by_id[row.id], now) for row in rows]
                await session.execute(insert(WebhookAttempt), tries)
                await session.execute(update(WebhookDelivery), changes)

    def _outcome(
        self, row: Row[Any], endpoint: WebhookEndpoint, answer: Answer, now: dt.datetime
    ) -> dict[str, Any]:
        """The delivery's new columns (a bulk UPDATE's row by primary key); the endpoint's
        health is changed in place."""
        attempts = row.attempts + 1
        first = row.first_attempt_at or now
        change: dict[str, Any] = {
            "id": row.id,
            "attempts": attempts,
            "first_attempt_at": first,
            "last_attempt_at": now,
            "last_status": answer.status,
            "last_error": answer.error[:255] if answer.error else None,
            "state": DeliveryState.PENDING,
            "delivered_at": None,
            "next_attempt_at": now,
        }
        if answer.ok:
            change.update(state=DeliveryState.DELIVERED, delivered_at=now)
            endpoint.failing_since = None
            endpoint.last_success_at = now
            return change
        reason = change["last_error"] or f"HTTP {answer.status}"
        log.warning(
            "webhooks: endpoint %d (%s) did not take delivery %d (try %d): %s",
            endpoint.id, endpoint.name, row.id, attempts, reason,
        )  # fmt: skip
        endpoint.failing_since = endpoint.failing_since or now
        if endpoint.paused_at is None and now - endpoint.failing_since >= self.policy.pause_after:
            # The endpoint is down, not this event: it waits with the others.
            endpoint.paused_at = now
            endpoint.paused_reason = reason[:255]
            log.warning("webhooks: endpoint %d (%s) is paused", endpoint.id, endpoint.name)
        elif now - first >= self.policy.retry_for:
            # The endpoint takes other events but refuses this one: it fails, the next goes.
            change["state"] = DeliveryState.FAILED
            return change
        change["next_attempt_at"] = now + dt.timedelta(seconds=self.policy.delay(attempts))
        return change


def _due(now: dt.datetime, limit: int) -> Select[tuple[int]]:
    """Due deliveries of working endpoints that head their chain: no earlier one of the same
    key and endpoint is still pending."""
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
    return (
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
        .limit(limit)
    )


def _attempt(delivery_id: int, answer: Answer, now: dt.datetime) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "at": now,
        "status_code": answer.status,
        "error": answer.error[:255] if answer.error else None,
        "duration_ms": answer.duration_ms,
        "response": answer.response[:500] if answer.response else None,
    }


def _status_error(response: aiohttp.ClientResponse) -> str | None:
    if 200 <= response.status < 300:
        return None
    if 300 <= response.status < 400:
        where = response.headers.get("Location", "")
        return f"HTTP {response.status}: redirected to {where[:150]}; give the final URL"
    return f"HTTP {response.status}"


def _client_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:255]
