"""Helpers for the recordings tests: calls in the database, WAVs in the inbox, the app's own
ingest worker run to completion."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from callcenter.core.models import Call, CallDirection, CallStatus, Recording
from callcenter.core.settings import Settings
from recordings.ingest import IngestJob
from tests.integration.conftest import db_call

PREFIX = "/var/spool/asterisk/monitor"


def with_inbox(settings: Settings, tmp_path: Path) -> Settings:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    return settings.model_copy(
        update={"recordings_pbx_prefix": PREFIX, "recordings_inbox": str(inbox)}
    )


def inbox(client: TestClient) -> Path:
    app: Any = client.app
    return Path(app.state.services.settings.recordings_inbox)


def add_call(
    client: TestClient,
    linkedid: str,
    *,
    manager_id: int | None,
    started_at: str = "2026-11-20T10:00:00",
    direction: str = "in",
    phone: str | None = None,
    customer_id: int | None = None,
    answered: bool = True,
) -> int:
    async def run(session: AsyncSession) -> int:
        start = dt.datetime.fromisoformat(started_at)
        call = Call(
            linkedid=linkedid,
            direction=CallDirection(direction),
            status=CallStatus.ANSWERED if answered else CallStatus.MISSED,
            manager_id=manager_id,
            customer_id=customer_id,
            phone=phone,
            started_at=start,
            answered_at=start + dt.timedelta(seconds=5) if answered else None,
            ended_at=start + dt.timedelta(seconds=65),
            rang=[],
        )
        session.add(call)
        await session.flush()
        return call.id

    return db_call(client, run)


def job(linkedid: str, name: str, answered: bool = True) -> IngestJob:
    return IngestJob(pbx="default", call_id=linkedid, source=f"{PREFIX}/{name}", answered=answered)


def ingest(client: TestClient, *jobs: IngestJob) -> None:
    """Submit as the bridge listener does, and wait for the app's worker to finish."""
    app: Any = client.app
    worker = app.state.services.recordings.worker
    worker.settle, worker.poll = 0.3, 0.05  # files here are written before the job: no waiting
    assert client.portal is not None
    for j in jobs:
        client.portal.call(worker.submit, j)
    client.portal.call(worker.join)


def recordings(client: TestClient) -> list[Recording]:
    async def run(session: AsyncSession) -> list[Recording]:
        return list(await session.scalars(select(Recording).order_by(Recording.id)))

    return db_call(client, run)


def stored_keys(client: TestClient) -> list[str]:
    app: Any = client.app
    return list(app.state.services.recordings.storage.keys())
