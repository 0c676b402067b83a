"""Saved dial rules: create, edit, delete, and preview who they match (nothing is saved)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.core.errors import ApiError, NotFound
from callcenter.core.models import Customer, DialRule, utcnow
from callcenter.core.schemas import Page, PageQuery
from callcenter.customers.service import customer_out
from callcenter.dial_lists.rule_compiler import compile_rule, sort_order
from callcenter.dial_lists.schemas import DialRuleIn, DialRuleOut, DialRulePatch, PreviewOut
from routing.rules import Node, RuleError, parse_rule, rule_to_json


def rule_error(exc: RuleError, prefix: str = "tree") -> ApiError:
    """A 422 naming the place in the tree and the unknown field, op or bad value."""
    field = f"{prefix}.{exc.path}" if exc.path else prefix
    error = ApiError(
        f"{field}: {exc.message}",
        code="validation_error",
        details={
            "fields": [{"field": field, "message": exc.message}],
            "rule_error": {"path": exc.path, "reason": exc.code, "name": exc.name},
        },
    )
    error.status = 422
    return error


def validate_tree(tree: object, prefix: str = "tree") -> tuple[Node, dict[str, Any]]:
    try:
        node = parse_rule(tree)
    except RuleError as exc:
        raise rule_error(exc, prefix) from None
    return node, rule_to_json(node)


async def get(session: AsyncSession, rule_id: int) -> DialRule:
    rule = await session.get(DialRule, rule_id)
    if rule is None:
        raise NotFound(f"no dial rule with id {rule_id}")
    return rule


async def create(session: AsyncSession, owner_id: int, body: DialRuleIn) -> DialRule:
    _, tree = validate_tree(body.tree)
    rule = DialRule(name=body.name, description=body.description, tree=tree, owner_id=owner_id)
    session.add(rule)
    await session.flush()
    return rule


async def update(session: AsyncSession, rule: DialRule, body: DialRulePatch) -> list[str]:
    changed: list[str] = []
    if body.tree is not None:
        _, tree = validate_tree(body.tree)
        if tree != rule.tree:
            rule.tree = tree
            changed.append("tree")
    for name in ("name", "description"):
        value = getattr(body, name)
        if value is not None and value != getattr(rule, name):
            setattr(rule, name, value)
            changed.append(name)
    if changed:
        rule.updated_at = utcnow()
    await session.flush()
    return changed


async def list_rules(session: AsyncSession, q: PageQuery) -> Page[DialRuleOut]:
    total = await session.scalar(select(func.count(DialRule.id))) or 0
    rows = await session.scalars(
        select(DialRule).order_by(DialRule.id.desc()).limit(q.limit).offset(q.offset)
    )
    return Page(
        items=[DialRuleOut.model_validate(r) for r in rows],
        total=total,
        limit=q.limit,
        offset=q.offset,
    )


async def preview(
    session: AsyncSession, node: Node, now: dt.datetime, limit: int, offset: int, sort: str
) -> PreviewOut:
    started = time.perf_counter()
    condition = compile_rule(node, now)
    count = await session.scalar(select(func.count(Customer.id)).where(condition)) or 0
    rows = await session.scalars(
        select(Customer).where(condition).order_by(*sort_order(sort)).limit(limit).offset(offset)
    )
    items = [customer_out(c) for c in rows]
    took = (time.perf_counter() - started) * 1000
    return PreviewOut(count=count, items=items, limit=limit, offset=offset, took_ms=round(took, 1))
