"""Dial lists: built from a rule by supervisors and admins, worked by their managers:
next → call → outcome → next."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

from pydantic import BaseModel

from callcenter.calls.schemas import OriginateOut
from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.errors import ApiError, Forbidden
from callcenter.core.models import DialList, DialListEntry, Role
from callcenter.core.schemas import Page
from callcenter.dial_lists import entries
from callcenter.dial_lists import handout as work
from callcenter.dial_lists import lists as service
from callcenter.dial_lists.jobs import DialListJobs
from callcenter.dial_lists.schemas import (
    DialListDetail,
    DialListIn,
    DialListOut,
    DialListPatch,
    DialListQuery,
    EntryCard,
    EntryOut,
    EntryQuery,
    NextOut,
    OutcomeIn,
)
from callcenter.services import services_of

router = ApiRouter()
TAG = "dial-lists"
STAFF = [Role.SUPERVISOR, Role.ADMIN]
LIST = "/dial-lists/{list_id:int}"
ENTRY = LIST + "/entries/{entry_id:int}"


class DialCallOut(BaseModel):
    call: OriginateOut
    entry: EntryOut


def jobs(ctx: Ctx) -> DialListJobs:
    return services_of(ctx.request).dial_lists


def now(ctx: Ctx) -> dt.datetime:
    return jobs(ctx).clock()


@router.route(
    "/dial-lists",
    "GET",
    summary="Dial lists: all for supervisors, an operator's own",
    tag=TAG,
    query=DialListQuery,
    response=Page[DialListOut],
)
async def list_dial_lists(ctx: Ctx, query: DialListQuery) -> Page[DialListOut]:
    return await service.list_lists(ctx.session, ctx.principal, query)


@router.route(
    "/dial-lists",
    "POST",
    summary="Build a list from a rule (a snapshot, in the background)",
    tag=TAG,
    body=DialListIn,
    response=DialListDetail,
    status=201,
    roles=STAFF,
)
async def create_dial_list(ctx: Ctx, body: DialListIn) -> DialListDetail:
    dial_list = await service.create(ctx.session, ctx.principal, body, now(ctx))
    ctx.audit("dial_list.create", "dial_list", dial_list.id, rule_id=body.rule_id)
    list_id = dial_list.id
    ctx.after_commit.append(lambda: jobs(ctx).build(list_id))
    return await service.detail(ctx.session, ctx.principal, dial_list)


@router.route(
    LIST,
    "GET",
    summary="A list with its progress, outcomes and per-manager figures",
    tag=TAG,
    response=DialListDetail,
)
async def get_dial_list(ctx: Ctx, list_id: int) -> DialListDetail:
    dial_list = await work.get_list(ctx.session, list_id)
    return await service.detail(ctx.session, ctx.principal, dial_list)


@router.route(
    LIST,
    "PATCH",
    summary="Rename a list or change how it is worked",
    tag=TAG,
    body=DialListPatch,
    response=DialListDetail,
    roles=STAFF,
)
async def update_dial_list(ctx: Ctx, list_id: int, body: DialListPatch) -> DialListDetail:
    dial_list = await work.get_list(ctx.session, list_id)
    changed = await service.update(ctx.session, dial_list, body)
    if changed:
        ctx.audit("dial_list.update", "dial_list", list_id, changed=changed)
    return await service.detail(ctx.session, ctx.principal, dial_list)


@router.route(
    LIST, "DELETE", summary="Delete a list and its entries", tag=TAG, status=204, roles=STAFF
)
async def delete_dial_list(ctx: Ctx, list_id: int) -> None:
    dial_list = await work.get_list(ctx.session, list_id)
    build = jobs(ctx).builds.get(list_id)
    if build is not None:
        build.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await build
    await service.remove(ctx.session, dial_list)
    ctx.audit("dial_list.delete", "dial_list", list_id, name=dial_list.name)


@router.route(
    LIST + "/entries",
    "GET",
    summary="A list's entries in priority order (an operator's own)",
    tag=TAG,
    query=EntryQuery,
    response=Page[EntryOut],
)
async def list_dial_entries(ctx: Ctx, list_id: int, query: EntryQuery) -> Page[EntryOut]:
    dial_list = await work.get_list(ctx.session, list_id)
    return await service.list_entries(ctx.session, ctx.principal, dial_list, query)


@router.route(ENTRY, "GET", summary="An entry with its customer card", tag=TAG, response=EntryCard)
async def get_dial_entry(ctx: Ctx, list_id: int, entry_id: int) -> EntryCard:
    dial_list = await work.get_list(ctx.session, list_id)
    await service.check_visible(ctx.session, ctx.principal, dial_list)
    entry = await work.get_entry(ctx.session, dial_list, entry_id)
    me = ctx.principal.id
    if not service.sees_all_of(ctx.principal, dial_list) and me not in (
        entry.manager_id,
        entry.locked_by_id,
        entry.worked_by_id,
    ):
        raise Forbidden("this entry is another manager's")
    await entries.refresh_call_status(ctx.session, entry)
    return await entries.entry_card(ctx.session, entry, now(ctx))


@router.route(
    LIST + "/next",
    "POST",
    summary="Hand me my next entry (never anyone else's)",
    tag=TAG,
    response=NextOut,
)
async def next_dial_entry(ctx: Ctx, list_id: int) -> NextOut:
    dial_list, held = await work.open_to_worker(ctx.session, ctx.principal, list_id)
    at = now(ctx)
    handout = await work.hand_out(ctx.session, dial_list, ctx.principal.id, at, held)
    if handout.entry is None:
        return NextOut(card=None, reason=handout.reason, next_at=handout.next_at)
    card = await entries.entry_card(ctx.session, handout.entry, at)
    return NextOut(card=card, reason=handout.reason)


async def _held_entry(ctx: Ctx, list_id: int, entry_id: int) -> tuple[DialList, DialListEntry]:
    dial_list, entry = await work.open_to_worker(ctx.session, ctx.principal, list_id, entry_id)
    assert entry is not None
    return dial_list, entry


@router.route(
    ENTRY + "/call",
    "POST",
    summary="Call the entry's customer: your phone rings first",
    tag=TAG,
    response=DialCallOut,
)
async def call_dial_entry(ctx: Ctx, list_id: int, entry_id: int) -> DialCallOut:
    _, entry = await _held_entry(ctx, list_id, entry_id)
    try:
        result = await entries.place_call(
            ctx.session,
            ctx.principal,
            services_of(ctx.request).telephony,
            ctx.settings.default_region,
            entry,
            now(ctx),
        )
    except ApiError as exc:
        if exc.code != "entry_not_held":
            ctx.audit(
                "call.originate",
                "call",
                exc.details.get("call_id"),
                failed=exc.code,
                dial_entry_id=entry_id,
            )
            await ctx.session.commit()
        raise
    ctx.audit("call.originate", "call", result.call_id, phone=result.phone, dial_entry_id=entry_id)
    return DialCallOut(call=result, entry=EntryOut.model_validate(entry))


@router.route(
    ENTRY + "/outcome",
    "POST",
    summary="Record what came of the call; the entry is released",
    tag=TAG,
    body=OutcomeIn,
    response=EntryOut,
)
async def record_dial_outcome(ctx: Ctx, list_id: int, entry_id: int, body: OutcomeIn) -> EntryOut:
    dial_list, entry = await _held_entry(ctx, list_id, entry_id)
    await entries.record_outcome(ctx.session, ctx.principal, dial_list, entry, body, now(ctx))
    ctx.audit(
        "dial_entry.outcome",
        "dial_entry",
        entry.id,
        outcome=body.outcome.value,
        customer_id=entry.customer_id,
        order_id=entry.order_id,
    )
    return EntryOut.model_validate(entry)


@router.route(
    ENTRY + "/release",
    "POST",
    summary="Give an entry back unworked",
    tag=TAG,
    response=EntryOut,
)
async def release_dial_entry(ctx: Ctx, list_id: int, entry_id: int) -> EntryOut:
    _, entry = await _held_entry(ctx, list_id, entry_id)
    await entries.release(ctx.principal, entry)
    ctx.audit("dial_entry.release", "dial_entry", entry.id)
    return EntryOut.model_validate(entry)
