"""Dial rules (supervisors and admins): CRUD, the fields and ready-made rules a rule builder
offers, and previews of who a rule matches."""

from __future__ import annotations

import datetime as dt

from callcenter.core.api import ApiRouter, Ctx
from callcenter.core.models import Role
from callcenter.core.schemas import Page, PageQuery
from callcenter.dial_lists import rules as service
from callcenter.dial_lists.schemas import (
    DialRuleIn,
    DialRuleOut,
    DialRulePatch,
    PreviewOut,
    PreviewQuery,
    RuleFieldOut,
    RuleTemplateOut,
    TreePreviewIn,
)
from callcenter.services import services_of
from routing.rule_templates import TEMPLATES
from routing.rules import FIELDS

router = ApiRouter()
TAG = "dial-rules"
STAFF = [Role.SUPERVISOR, Role.ADMIN]


def now(ctx: Ctx) -> dt.datetime:
    return services_of(ctx.request).dial_lists.clock()


@router.route(
    "/dial-rules",
    "GET",
    summary="List dial rules",
    tag=TAG,
    query=PageQuery,
    response=Page[DialRuleOut],
    roles=STAFF,
)
async def list_dial_rules(ctx: Ctx, query: PageQuery) -> Page[DialRuleOut]:
    return await service.list_rules(ctx.session, query)


@router.route(
    "/dial-rules",
    "POST",
    summary="Save a dial rule (a tree of conditions)",
    tag=TAG,
    body=DialRuleIn,
    response=DialRuleOut,
    status=201,
    roles=STAFF,
)
async def create_dial_rule(ctx: Ctx, body: DialRuleIn) -> DialRuleOut:
    rule = await service.create(ctx.session, ctx.principal.id, body)
    ctx.audit("dial_rule.create", "dial_rule", rule.id, name=rule.name)
    return DialRuleOut.model_validate(rule)


@router.route(
    "/dial-rules/fields",
    "GET",
    summary="The fields and ops a rule may use",
    tag=TAG,
    response=list[RuleFieldOut],
    roles=STAFF,
)
async def dial_rule_fields(ctx: Ctx) -> list[RuleFieldOut]:
    return [
        RuleFieldOut(
            name=f.name,
            kind=f.kind.value,
            ops=list(f.ops),
            nullable=f.nullable,
            needs_days=f.needs_days,
            description=f.description,
        )
        for f in FIELDS.values()
    ]


@router.route(
    "/dial-rules/templates",
    "GET",
    summary="Ready-made rules to start from",
    tag=TAG,
    response=list[RuleTemplateOut],
    roles=STAFF,
)
async def dial_rule_templates(ctx: Ctx) -> list[RuleTemplateOut]:
    return [
        RuleTemplateOut(key=t.key, name=t.name, description=t.description, tree=t.tree)
        for t in TEMPLATES
    ]


@router.route(
    "/dial-rules/preview",
    "POST",
    summary="Preview an unsaved rule: count and a first page",
    tag=TAG,
    body=TreePreviewIn,
    response=PreviewOut,
    roles=STAFF,
)
async def preview_dial_tree(ctx: Ctx, body: TreePreviewIn) -> PreviewOut:
    node, _ = service.validate_tree(body.tree)
    return await service.preview(ctx.session, node, now(ctx), body.limit, body.offset, body.sort)


@router.route(
    "/dial-rules/{rule_id:int}",
    "GET",
    summary="Read a dial rule",
    tag=TAG,
    response=DialRuleOut,
    roles=STAFF,
)
async def get_dial_rule(ctx: Ctx, rule_id: int) -> DialRuleOut:
    return DialRuleOut.model_validate(await service.get(ctx.session, rule_id))


@router.route(
    "/dial-rules/{rule_id:int}",
    "PATCH",
    summary="Edit a dial rule (lists built from it keep their snapshot)",
    tag=TAG,
    body=DialRulePatch,
    response=DialRuleOut,
    roles=STAFF,
)
async def update_dial_rule(ctx: Ctx, rule_id: int, body: DialRulePatch) -> DialRuleOut:
    rule = await service.get(ctx.session, rule_id)
    changed = await service.update(ctx.session, rule, body)
    if changed:
        ctx.audit("dial_rule.update", "dial_rule", rule.id, changed=changed)
    return DialRuleOut.model_validate(rule)


@router.route(
    "/dial-rules/{rule_id:int}",
    "DELETE",
    summary="Delete a dial rule (its lists stay)",
    tag=TAG,
    status=204,
    roles=STAFF,
)
async def delete_dial_rule(ctx: Ctx, rule_id: int) -> None:
    rule = await service.get(ctx.session, rule_id)
    await ctx.session.delete(rule)
    ctx.audit("dial_rule.delete", "dial_rule", rule_id, name=rule.name)


@router.route(
    "/dial-rules/{rule_id:int}/preview",
    "POST",
    summary="Who the rule matches now: count and a first page; nothing is saved",
    tag=TAG,
    query=PreviewQuery,
    response=PreviewOut,
    roles=STAFF,
)
async def preview_dial_rule(ctx: Ctx, rule_id: int, query: PreviewQuery) -> PreviewOut:
    rule = await service.get(ctx.session, rule_id)
    node, _ = service.validate_tree(rule.tree)
    return await service.preview(ctx.session, node, now(ctx), query.limit, query.offset, query.sort)
