"""20 managers ask for their next entry at once, over and over, on a 1,000-entry list: every
entry is handed out exactly once (none twice, none skipped). Each manager is an asyncio task
with a session (a connection) of its own, so the database sees 20 concurrent transactions;
on SQLite each aiosqlite connection runs in a thread of its own."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.core.auth import Principal
from callcenter.core.db import make_engine, make_sessionmaker
from callcenter.core.models import (
    Customer,
    CustomerPhone,
    DialList,
    DialListEntry,
    DialListManager,
    DialListStatus,
    Manager,
    Role,
)
from callcenter.dial_lists.builder import DialListBuilder
from callcenter.dial_lists.entries import record_outcome
from callcenter.dial_lists.handout import get_list, next_entry
from callcenter.dial_lists.schemas import DialListSettings, OutcomeIn
from routing.dialing import Outcome

MANAGERS = 20
ENTRIES = 1000
NOON = dt.datetime(2026, 6, 15, 9, 0)  # 12:00 in Moscow


async def _seed(maker: async_sessionmaker[AsyncSession], assignment: str) -> tuple[int, list[int]]:
    async with maker() as session:
        await session.execute(
            insert(Manager),
            [
                {"login": f"m{i}", "name": f"m{i}", "password_hash": "-", "role": Role.OPERATOR}
                for i in range(MANAGERS)
            ],
        )
        await session.execute(
            insert(Customer),
            [
                {"id": i, "name": f"c{i}", "search_name": f"c{i}", "total_spent": Decimal(i)}
                for i in range(1, ENTRIES + 1)
            ],
        )
        await session.execute(
            insert(CustomerPhone),
            [{"customer_id": i, "phone": f"+7903{i:07d}"} for i in range(1, ENTRIES + 1)],
        )
        managers = list(await session.scalars(select(Manager.id).order_by(Manager.id)))
        settings = DialListSettings(assignment=assignment)  # type: ignore[arg-type]
        dial_list = DialList(
            name="race",
            rule_tree={"all": []},
            settings=settings.model_dump(mode="json"),
            created_at=NOON,
        )
        session.add(dial_list)
        await session.flush()
        session.add_all(DialListManager(list_id=dial_list.id, manager_id=m) for m in managers)
        await session.commit()
        list_id = dial_list.id
    await DialListBuilder(maker).build(list_id)
    return list_id, managers


async def _work(
    maker: async_sessionmaker[AsyncSession], list_id: int, manager_id: int, start: asyncio.Event
) -> list[int]:
    got: list[int] = []
    async with maker() as session:
        principal = Principal(await session.get_one(Manager, manager_id), "token")
        await start.wait()
        while True:
            dial_list = await get_list(session, list_id)
            handout = await next_entry(session, dial_list, manager_id, NOON)
            if handout.entry is None:
                if handout.reason == "waiting":  # the last ones are being taken right now
                    await asyncio.sleep(0.01)
                    continue
                # Nothing left for this manager (spread: the rest are others' shares).
                assert handout.reason in ("list_done", "assigned_to_others"), handout
                return got
            assert handout.reason == "next"
            got.append(handout.entry.id)
            body = OutcomeIn(outcome=Outcome.ANSWERED)
            await record_outcome(session, principal, dial_list, handout.entry, body, NOON)
            await session.commit()


async def _race(url: str, assignment: str) -> tuple[list[list[int]], set[int]]:
    engine = make_engine(url, pool_size=MANAGERS + 2, max_overflow=0)
    try:
        maker = make_sessionmaker(engine)
        list_id, managers = await _seed(maker, assignment)
        async with maker() as session:
            dial_list = await session.get_one(DialList, list_id)
            assert (dial_list.status, dial_list.entries_count) == (DialListStatus.READY, ENTRIES)
            all_ids = set(
                await session.scalars(
                    select(DialListEntry.id).where(DialListEntry.list_id == list_id)
                )
            )
        start = asyncio.Event()
        tasks = [asyncio.create_task(_work(maker, list_id, m, start)) for m in managers]
        await asyncio.sleep(0.05)
        start.set()
        return list(await asyncio.gather(*tasks)), all_ids
    finally:
        await engine.dispose()


@pytest.mark.parametrize("assignment", ["pool", "spread"])
async def test_every_entry_is_handed_out_exactly_once(db_url: str, assignment: str) -> None:
    per_manager, all_ids = await _race(db_url, assignment)
    handed = Counter(e for got in per_manager for e in got)
    twice = [e for e, n in handed.items() if n > 1]
    assert twice == []
    assert set(handed) == all_ids and len(all_ids) == ENTRIES  # none skipped
    busy = sum(1 for got in per_manager if got)
    assert busy == MANAGERS  # all of them worked
    if assignment == "spread":
        assert sorted(len(got) for got in per_manager) == [ENTRIES // MANAGERS] * MANAGERS
