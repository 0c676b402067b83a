"""Dial lists in the browser: the rule builder with a live preview, the lists with their
progress bars, building a list, a list's figures, and the "work this list" mode.

Thin pages over the dial API (``rules_api.py``, ``lists_api.py``): who sees what is the API's
rule. ``static/dial_rules.js``, ``dial_lists.js`` and ``dial_work.js`` do the live parts
(preview, saving, the build's progress, next → call → outcome) through the same API, with the
session's CSRF token."""

from __future__ import annotations

import typing
from typing import Any

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from callcenter.core.api import Ctx
from callcenter.core.errors import Forbidden
from callcenter.core.i18n import translate
from callcenter.core.models import DialListEntry, EntryState, Manager
from callcenter.core.pages import language, page, show
from callcenter.core.schemas import PageQuery
from callcenter.dial_lists import handout as dial_work
from callcenter.dial_lists import lists_api, rules_api
from callcenter.dial_lists.schemas import DialListQuery, DialListSettings, SortKey
from routing.dialing import Outcome
from routing.rules import ORDER_STATUSES, Kind

PAGE_SIZE = 50
SORTS: tuple[str, ...] = typing.get_args(SortKey)
OUTCOMES: tuple[str, ...] = tuple(o.value for o in Outcome)  # keys 1..8 in work mode
KINDS = tuple(kind.value for kind in Kind)
EXCLUSIONS = ("do_not_call", "tag", "recently_called", "no_phone", "duplicate_phone", "over_limit")
TIMEZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
)

# Strings the dial_*.js scripts need, on top of the workplace's (page-data).
DIAL_JS_STRINGS = (
    "dial.rule",
    "dial.all",
    "dial.any",
    "dial.add_condition",
    "dial.add_group",
    "dial.remove",
    "dial.no_value",
    "dial.days",
    "dial.in_hint",
    "dial.field",
    "dial.op",
    "dial.op.in",
    "dial.op.contains",
    "dial.value",
    "dial.empty_group",
    "dial.preview_count",
    "dial.preview_failed",
    "dial.preview_none",
    "dial.rule_error.unknown_field",
    "dial.rule_error.unknown_op",
    "dial.rule_error.bad_value",
    "dial.rule_error.bad_shape",
    "dial.rule_error.too_big",
    "dial.rule_error.days",
    "dial.saved",
    "dial.save_failed",
    "dial.confirm_delete_rule",
    "dial.confirm_delete_list",
    "dial.delete_failed",
    "dial.list_saved",
    "dial.building",
    "dial.build_progress",
    "dial.done_of",
    "dial.reason.held",
    "dial.reason.next",
    "dial.reason.callback_due",
    "dial.reason.outside_calling_hours",
    "dial.reason.waiting",
    "dial.reason.assigned_to_others",
    "dial.reason.list_done",
    "dial.reason.not_ready",
    "dial.taking",
    "dial.take_failed",
    "dial.pick_outcome",
    "dial.callback_needed",
    "dial.outcome_saved",
    "dial.outcome_failed",
    "dial.released",
    "dial.no_orders",
    "dial.order_pick",
    *(f"dial.kind.{kind}" for kind in KINDS),
    *(f"dial.outcome.{o}" for o in OUTCOMES),
    *(f"call_status.{s}" for s in ("answered", "missed", "busy", "failed")),
)


def _strings(ctx: Ctx) -> dict[str, str]:
    lang = language(ctx.request)
    return {key: translate(key, lang) for key in DIAL_JS_STRINGS}


def _staff_only(ctx: Ctx) -> None:
    if not ctx.principal.sees_everything:
        raise Forbidden("dial rules and building lists are for supervisors and admins")


def _label(ctx: Ctx, key: str, fallback: str) -> str:
    text = translate(key, language(ctx.request))
    return fallback if text == key else text


async def _people(ctx: Ctx) -> list[Manager]:
    return list(
        await ctx.session.scalars(
            select(Manager).where(Manager.is_active.is_(True)).order_by(Manager.name, Manager.login)
        )
    )


# --- rules ------------------------------------------------------------------------------------


@page
async def rules(ctx: Ctx) -> Response:
    _staff_only(ctx)
    found = await rules_api.list_dial_rules(ctx, PageQuery(limit=500))
    return await show(
        ctx, "dial_rules.html", nav="dial", rules=found, templates=await _templates(ctx)
    )


async def _templates(ctx: Ctx) -> list[dict[str, Any]]:
    """The ready-made rules, named in the user's language."""
    return [
        {
            "key": t.key,
            "name": _label(ctx, f"dial.template.{t.key}", t.name),
            "description": _label(ctx, f"dial.template_hint.{t.key}", t.description),
            "tree": t.tree,
        }
        for t in await rules_api.dial_rule_templates(ctx)
    ]


@page
async def rule_builder(ctx: Ctx) -> Response:
    """A new rule (optionally from a template: ``?template=KEY``) or an existing one."""
    _staff_only(ctx)
    rule_id = ctx.request.path_params.get("rule_id")
    rule = await rules_api.get_dial_rule(ctx, int(rule_id)) if rule_id is not None else None
    fields = await rules_api.dial_rule_fields(ctx)
    people = await _people(ctx)
    data: dict[str, Any] = {
        "rule": rule.model_dump(mode="json", include={"id", "name", "description", "tree"})
        if rule
        else None,
        "template": ctx.request.query_params.get("template", "")[:64],
        "fields": [
            {
                **f.model_dump(),
                "label": _label(ctx, f"dial.field.{f.name}", f.name),
                "hint": _label(ctx, f"dial.field_hint.{f.name}", f.description),
            }
            for f in fields
        ],
        "templates": await _templates(ctx),
        "managers": [[p.id, p.name or p.login] for p in people],
        "statuses": [[s, _label(ctx, f"order_status.{s}", s)] for s in ORDER_STATUSES],
        "strings": _strings(ctx),
    }
    return await show(
        ctx,
        "dial_rule.html",
        nav="dial",
        rule=rule,
        templates=data["templates"],
        sorts=SORTS,
        dial=data,
    )


# --- lists ------------------------------------------------------------------------------------


@page
async def lists(ctx: Ctx) -> Response:
    try:
        offset = max(0, int(ctx.request.query_params.get("offset", "0")))
    except ValueError:
        offset = 0
    found = await lists_api.list_dial_lists(ctx, DialListQuery(limit=PAGE_SIZE, offset=offset))
    return await show(
        ctx,
        "dial_lists.html",
        nav="dial",
        lists=found,
        outcomes=OUTCOMES,
        dial={"strings": _strings(ctx)},
        next_offset=offset + PAGE_SIZE if offset + PAGE_SIZE < found.total else None,
        prev_offset=max(0, offset - PAGE_SIZE) if offset else None,
    )


@page
async def build_form(ctx: Ctx) -> Response:
    _staff_only(ctx)
    found = await rules_api.list_dial_rules(ctx, PageQuery(limit=500))
    raw = ctx.request.query_params.get("rule_id", "")
    chosen = int(raw) if raw.isdigit() else None
    defaults = DialListSettings()
    return await show(
        ctx,
        "dial_list_new.html",
        nav="dial",
        rules=found.items,
        chosen=chosen,
        people=await _people(ctx),
        defaults=defaults,
        sorts=SORTS,
        timezones=TIMEZONES,
        dial={"strings": _strings(ctx)},
    )


async def _can_work(ctx: Ctx, list_id: int) -> bool:
    return ctx.principal.sees_everything or await dial_work.is_member(
        ctx.session, list_id, ctx.principal.id
    )


@page
async def list_detail(ctx: Ctx) -> Response:
    list_id = int(ctx.request.path_params["list_id"])
    detail = await lists_api.get_dial_list(ctx, list_id)  # 404, or 403 when not theirs
    return await show(
        ctx,
        "dial_list.html",
        nav="dial",
        item=detail,
        outcomes=OUTCOMES,
        exclusions=EXCLUSIONS,
        can_work=await _can_work(ctx, list_id),
        # Renaming, changing how it is worked and deleting: the API's STAFF roles.
        can_manage=ctx.principal.role in lists_api.STAFF,
        dial={"strings": _strings(ctx), "list_id": list_id, "name": detail.name},
    )


@page
async def work(ctx: Ctx) -> Response:
    list_id = int(ctx.request.path_params["list_id"])
    dial_list = await dial_work.get_list(ctx.session, list_id)
    await dial_work.check_worker(ctx.session, ctx.principal, dial_list)
    detail = await lists_api.get_dial_list(ctx, list_id)
    held = await ctx.session.scalar(
        select(DialListEntry.id)
        .where(
            DialListEntry.list_id == list_id,
            DialListEntry.locked_by_id == ctx.principal.id,
            DialListEntry.state == EntryState.IN_PROGRESS,
        )
        .order_by(DialListEntry.locked_at)
        .limit(1)
    )
    mine = next((m for m in detail.managers if m.manager_id == ctx.principal.id), None)
    return await show(
        ctx,
        "dial_work.html",
        nav="dial",
        item=detail,
        mine=mine,
        outcomes=OUTCOMES,
        dial={
            "strings": _strings(ctx),
            "list_id": list_id,
            "held": held,
            "outcomes": list(OUTCOMES),
        },
    )


routes = [
    Route("/dial-rules", rules, methods=["GET"]),
    Route("/dial-rules/new", rule_builder, methods=["GET"]),
    Route("/dial-rules/{rule_id:int}", rule_builder, methods=["GET"]),
    Route("/dial-lists", lists, methods=["GET"]),
    Route("/dial-lists/new", build_form, methods=["GET"]),
    Route("/dial-lists/{list_id:int}", list_detail, methods=["GET"]),
    Route("/dial-lists/{list_id:int}/work", work, methods=["GET"]),
]
