"""Dial lists: create (a snapshot of a rule, built in the background), read with progress and
per-manager figures, rename or retune, delete; and the list's entries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.auth import Principal
from callcenter.core.errors import Forbidden, Invalid
from callcenter.core.models import (
    DialList,
    DialListEntry,
    DialListManager,
    DialListStatus,
    DialRule,
    EntryState,
    Manager,
    Role,
)
from callcenter.core.schemas import Page
from callcenter.dial_lists.handout import is_member, list_settings, workers
from callcenter.dial_lists.rules import validate_tree
from callcenter.dial_lists.schemas import (
    Counts,
    DialListDetail,
    DialListIn,
    DialListOut,
    DialListPatch,
    DialListQuery,
    DialListSettings,
    EntryOut,
    EntryQuery,
    Excluded,
    ManagerCounts,
    Progress,
    Waiting,
    WaitingFor,
)
from routing.dialing import Outcome

Entry = DialListEntry


async def _managers(session: AsyncSession, ids: list[int] | None) -> list[int]:
    if ids is None:
        return list(
            await session.scalars(
                select(Manager.id)
                .where(
                    Manager.is_active.is_(True),
                    Manager.role == Role.OPERATOR,
                    Manager.extension.is_not(None),
                )
                .order_by(Manager.id)
            )
        )
    found = {
        m.id: m for m in await session.scalars(select(Manager).where(Manager.id.in_(set(ids))))
    }
    for i, manager_id in enumerate(ids):
        manager = found.get(manager_id)
        if manager is None or not manager.is_active:
            raise Invalid(f"manager_ids.{i}", f"no active manager with id {manager_id}")
    return sorted(set(ids))


async def create(
    session: AsyncSession, principal: Principal, body: DialListIn, now: dt.datetime
) -> DialList:
    rule = await session.get(DialRule, body.rule_id)
    if rule is None:
        raise Invalid("rule_id", f"no dial rule with id {body.rule_id}")
    _, tree = validate_tree(rule.tree, prefix="rule.tree")
    manager_ids = await _managers(session, body.manager_ids)
    dial_list = DialList(
        name=body.name,
        rule_id=rule.id,
        rule_name=rule.name,
        rule_tree=tree,
        owner_id=principal.id,
        settings=body.settings.model_dump(mode="json"),
        status=DialListStatus.BUILDING,
        excluded={},
        timezones=[],
        created_at=now,
    )
    session.add(dial_list)
    await session.flush()
    session.add_all(
        DialListManager(list_id=dial_list.id, manager_id=m, chosen=True) for m in manager_ids
    )
    await session.flush()
    return dial_list


def sees_all_of(principal: Principal, dial_list: DialList) -> bool:
    """The list's owner and supervisors see every manager's figures."""
    return principal.sees_everything or dial_list.owner_id == principal.id


async def check_visible(session: AsyncSession, principal: Principal, dial_list: DialList) -> None:
    if sees_all_of(principal, dial_list) or await is_member(session, dial_list.id, principal.id):
        return
    raise Forbidden("this dial list is not yours to see")


async def update(session: AsyncSession, dial_list: DialList, body: DialListPatch) -> list[str]:
    changed: list[str] = []
    if body.name is not None and body.name != dial_list.name:
        dial_list.name = body.name
        changed.append("name")
    if body.settings is not None:
        patch = body.settings.model_dump(mode="json", exclude_unset=True)
        merged = {**dial_list.settings, **patch}
        try:
            settings = DialListSettings.model_validate(merged)
        except ValueError as exc:
            raise Invalid("settings", str(exc)) from None
        dial_list.settings = settings.model_dump(mode="json")
        changed.extend(f"settings.{k}" for k in patch)
    await session.flush()
    return changed


async def remove(session: AsyncSession, dial_list: DialList) -> None:
    await session.execute(delete(Entry).where(Entry.list_id == dial_list.id))
    await session.delete(dial_list)


def _progress(dial_list: DialList) -> Progress:
    matched = dial_list.matched
    done = dial_list.status is DialListStatus.READY
    percent = 100.0 if done else (100.0 * dial_list.processed / matched if matched else 0.0)
    return Progress(
        matched=matched,
        processed=dial_list.processed,
        entries=dial_list.entries_count,
        percent=round(min(percent, 100.0), 1),
    )


def _finish(counts: Counts) -> Counts:
    counts.remaining = counts.pending + counts.in_progress
    counts.conversion = round(counts.ordered / counts.done, 4) if counts.done else 0.0
    return counts


def _add_outcome(counts: Counts, outcome: Outcome | None, n: int) -> None:
    if outcome is None:
        return
    counts.outcomes[outcome.value] = counts.outcomes.get(outcome.value, 0) + n
    if outcome is Outcome.ORDERED:
        counts.ordered += n


async def _list_counts(session: AsyncSession, list_ids: Iterable[int]) -> dict[int, Counts]:
    counts: dict[int, Counts] = defaultdict(Counts)
    rows = await session.execute(
        select(Entry.list_id, Entry.state, Entry.outcome, func.count())
        .where(Entry.list_id.in_(list(list_ids)))
        .group_by(Entry.list_id, Entry.state, Entry.outcome)
    )
    for list_id, state, outcome, n in rows:
        c = counts[list_id]
        c.total += n
        setattr(c, state.value, getattr(c, state.value) + n)
        _add_outcome(c, outcome, n)
    return {k: _finish(v) for k, v in counts.items()}


async def _manager_ids(session: AsyncSession, list_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    rows = await session.execute(
        select(DialListManager.list_id, DialListManager.manager_id)
        .where(DialListManager.list_id.in_(list_ids))
        .order_by(DialListManager.manager_id)
    )
    for list_id, manager_id in rows:
        found[list_id].append(manager_id)
    return found


def _out(dial_list: DialList, counts: Counts, manager_ids: list[int]) -> dict[str, Any]:
    return {
        "id": dial_list.id,
        "name": dial_list.name,
        "rule_id": dial_list.rule_id,
        "rule_name": dial_list.rule_name,
        "rule_tree": dial_list.rule_tree,
        "owner_id": dial_list.owner_id,
        "settings": list_settings(dial_list),
        "status": dial_list.status,
        "error": dial_list.error,
        "manager_ids": manager_ids,
        "progress": _progress(dial_list),
        "excluded": Excluded(**dial_list.excluded),
        "counts": counts,
        "created_at": dial_list.created_at,
        "built_at": dial_list.built_at,
    }


async def list_lists(
    session: AsyncSession, principal: Principal, q: DialListQuery
) -> Page[DialListOut]:
    query = select(DialList)
    if not principal.sees_everything:
        query = query.where(
            or_(
                DialList.owner_id == principal.id,
                DialList.id.in_(
                    select(DialListManager.list_id).where(
                        DialListManager.manager_id == principal.id
                    )
                ),
            )
        )
    if q.status is not None:
        query = query.where(DialList.status == q.status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    lists = list(
        await session.scalars(query.order_by(DialList.id.desc()).limit(q.limit).offset(q.offset))
    )
    ids = [d.id for d in lists]
    counts = await _list_counts(session, ids)
    members = await _manager_ids(session, ids)
    items = [
        DialListOut(**_out(d, counts.get(d.id, Counts()), members.get(d.id, []))) for d in lists
    ]
    return Page(items=items, total=total, limit=q.limit, offset=q.offset)


async def _per_manager(
    session: AsyncSession, list_id: int, staff: set[int]
) -> dict[int | None, Counts]:
    """Counts by assignment (a pending entry of someone not in ``staff``, the list's workers,
    is the pool's, as the hand-out treats it), in progress by holder, done and outcomes by
    who recorded them."""
    per: dict[int | None, Counts] = defaultdict(Counts)
    rows = await session.execute(
        select(
            Entry.manager_id,
            Entry.locked_by_id,
            Entry.worked_by_id,
            Entry.state,
            Entry.outcome,
            func.count(),
        )
        .where(Entry.list_id == list_id)
        .group_by(
            Entry.manager_id, Entry.locked_by_id, Entry.worked_by_id, Entry.state, Entry.outcome
        )
    )
    for assigned, holder, worker, state, outcome, n in rows:
        if state is EntryState.PENDING and assigned not in staff:
            assigned = None
        per[assigned].total += n
        if state is EntryState.PENDING:
            per[assigned].pending += n
        elif state is EntryState.IN_PROGRESS:
            per[holder].in_progress += n
        if worker is not None:
            if state is EntryState.DONE:
                per[worker].done += n
            _add_outcome(per[worker], outcome, n)
    return per


def _waiting(
    per: dict[int | None, Counts], staff: set[int], names: dict[int, str], only: int | None
) -> Waiting:
    shown = sorted(staff if only is None else staff & {only})
    return Waiting(
        pending=sum(c.pending for c in per.values()),
        pool=per[None].pending if None in per else 0,
        managers=[
            WaitingFor(
                manager_id=m, name=names.get(m, ""), pending=per[m].pending if m in per else 0
            )
            for m in shown
        ],
    )


async def detail(
    session: AsyncSession, principal: Principal, dial_list: DialList
) -> DialListDetail:
    """The list with its figures: overall, per manager (an operator sees their own) and what
    waits for whom."""
    await check_visible(session, principal, dial_list)
    counts = (await _list_counts(session, [dial_list.id])).get(dial_list.id, Counts())
    members = (await _manager_ids(session, [dial_list.id])).get(dial_list.id, [])
    staff = set(await session.scalars(workers(dial_list.id)))
    per = await _per_manager(session, dial_list.id, staff)
    everyone = sees_all_of(principal, dial_list)
    wanted = set(members) | {k for k in per if k is not None} if everyone else {principal.id}
    found = await session.execute(
        select(Manager.id, Manager.name).where(Manager.id.in_(wanted | staff))
    )
    names: dict[int, str] = dict(found.tuples().all())
    rows_out = [
        ManagerCounts(manager_id=m, name=names.get(m, ""), **_finish(per[m]).model_dump())
        for m in sorted(wanted)
    ]
    if everyone and None in per:
        pool = _finish(per[None]).model_dump()
        rows_out.append(ManagerCounts(manager_id=None, name="pool", **pool))
    waiting = _waiting(per, staff, names, None if everyone else principal.id)
    return DialListDetail(**_out(dial_list, counts, members), managers=rows_out, waiting=waiting)


async def list_entries(
    session: AsyncSession, principal: Principal, dial_list: DialList, q: EntryQuery
) -> Page[EntryOut]:
    await check_visible(session, principal, dial_list)
    query = select(Entry).where(Entry.list_id == dial_list.id)
    if not sees_all_of(principal, dial_list):
        me = principal.id
        query = query.where(
            or_(Entry.manager_id == me, Entry.locked_by_id == me, Entry.worked_by_id == me)
        )
    if q.state is not None:
        query = query.where(Entry.state == q.state)
    if q.manager_id is not None:
        query = query.where(Entry.manager_id == q.manager_id)
    if q.outcome is not None:
        query = query.where(Entry.outcome == q.outcome)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(query.order_by(Entry.priority).limit(q.limit).offset(q.offset))
    return Page(
        items=[EntryOut.model_validate(e) for e in rows],
        total=total,
        limit=q.limit,
        offset=q.offset,
    )
