"""Dial-list rules: a JSON tree of conditions, validated into a typed tree. Pure; the SQL
compiler lives in ``callcenter.dial_rules``, next to the models it reads.

    {"all": [{"field": "days_since_last_order", "op": ">=", "value": 90},
             {"any": [{"field": "total_spent", "op": ">", "value": 10000},
                      {"field": "tags", "op": "contains", "value": "vip"}]}]}

Every error names where it is (``all.1.any.0.op``) and what is wrong with it.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias, TypeGuard

OPS = ("=", "!=", ">", ">=", "<", "<=", "in", "contains")
ORDER_STATUSES = ("new", "approved", "assembling", "delivering", "complete", "cancelled")
MAX_DEPTH = 8
MAX_CONDITIONS = 100
MAX_IN_VALUES = 500
MAX_DAYS = 36_500
_COMPARE = frozenset({"=", "!=", ">", ">=", "<", "<=", "in"})
_TAG = re.compile(r"^[\w\-. ]{1,64}$")


class Kind(enum.StrEnum):
    """What a field's values are; it decides the ops and value types allowed."""

    COUNT = "count"  # a whole number >= 0
    MONEY = "money"  # a number >= 0
    RATIO = "ratio"  # a number >= 0
    DAYS = "days"  # whole days >= 0
    STATUS = "status"  # an order status
    TEXT = "text"
    TAGS = "tags"
    MANAGER = "manager"  # a manager id


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    ops: tuple[str, ...]
    # Some customers have no value (never ordered, no birthday...): they match "= null" and
    # "!= x", and no comparison.
    nullable: bool
    description: str
    needs_days: bool = False


def _field(
    name: str, kind: Kind, ops: frozenset[str], nullable: bool, text: str, days: bool = False
) -> FieldSpec:
    return FieldSpec(name, kind, tuple(o for o in OPS if o in ops), nullable, text, days)


FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        _field("orders_count", Kind.COUNT, _COMPARE, False, "orders bought (not cancelled)"),
        _field("total_spent", Kind.MONEY, _COMPARE, False, "sum of orders bought"),
        _field("average_check", Kind.MONEY, _COMPARE, False, "total_spent / orders_count"),
        _field(
            "days_since_last_order",
            Kind.DAYS,
            _COMPARE,
            True,
            "whole days since the last order bought; null when none",
        ),
        _field(
            "last_order_status",
            Kind.STATUS,
            frozenset({"=", "!=", "in"}),
            True,
            "status of the latest order, cancelled ones too; null when none",
        ),
        _field(
            "cancelled_orders_in_last_days",
            Kind.COUNT,
            _COMPARE,
            False,
            "orders cancelled in the last `days` days (their last change)",
            days=True,
        ),
        _field(
            "birthday_in_days",
            Kind.DAYS,
            _COMPARE,
            True,
            "days until the next birthday, 0 = today (Moscow date); null when unknown",
        ),
        _field(
            "tags",
            Kind.TAGS,
            frozenset({"contains", "in", "!="}),
            False,
            "contains: has the tag; in: has any of them; !=: does not have the tag",
        ),
        _field("city", Kind.TEXT, frozenset({"=", "!=", "in"}), True, "city, exact match"),
        _field(
            "manager_id",
            Kind.MANAGER,
            frozenset({"=", "!=", "in"}),
            True,
            "personal manager; = null: none",
        ),
        _field("created_days_ago", Kind.DAYS, _COMPARE, False, "whole days since created"),
        _field(
            "last_call_days_ago",
            Kind.DAYS,
            _COMPARE,
            True,
            "whole days since the last call in or out, answered or not; null when never",
        ),
        _field(
            "reorder_interval_ratio",
            Kind.RATIO,
            _COMPARE - {"in"},
            True,
            "time since the last order / the usual interval between orders "
            "((last - first) / (orders_count - 1)); >= 1: the usual reorder time has passed; "
            "null with fewer than two orders",
        ),
    )
}

Scalar: TypeAlias = int | Decimal | str | None
Value: TypeAlias = Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Value
    days: int | None = None


@dataclass(frozen=True)
class AllOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Node, ...]


Node: TypeAlias = Condition | AllOf | AnyOf


class RuleError(ValueError):
    """Why a rule is invalid. ``path`` is where (``all.1.op``; empty for the root), ``code``
    what (unknown_field, unknown_op, bad_value, bad_shape, too_big), ``name`` the offender."""

    def __init__(self, path: str, code: str, message: str, name: str | None = None) -> None:
        super().__init__(f"{path or 'rule'}: {message}")
        self.path = path
        self.code = code
        self.message = message
        self.name = name


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def parse_rule(data: object) -> Node:
    """Validate a rule tree from JSON; raises :class:`RuleError` on the first problem."""
    counter = [0]
    return _node(data, "", 1, counter)


def _node(data: object, path: str, depth: int, counter: list[int]) -> Node:
    if not isinstance(data, Mapping):
        raise RuleError(
            path,
            "bad_shape",
            'expected an object: {"all": [...]}, {"any": [...]} or {"field", "op", "value"}',
        )
    if depth > MAX_DEPTH:
        raise RuleError(path, "too_big", f"nested deeper than {MAX_DEPTH} levels")
    groups = [k for k in ("all", "any") if k in data]
    if groups:
        key = groups[0]
        if len(data) != 1:
            extra = sorted(str(k) for k in data if k != key)
            raise RuleError(path, "bad_shape", f'"{key}" stands alone; unexpected {extra}')
        items = data[key]
        here = _join(path, key)
        if not isinstance(items, list):
            raise RuleError(here, "bad_shape", "expected a list of conditions")
        if key == "any" and not items:
            raise RuleError(here, "bad_shape", '"any" needs at least one condition')
        nodes = tuple(
            _node(item, _join(here, i), depth + 1, counter) for i, item in enumerate(items)
        )
        return AllOf(nodes) if key == "all" else AnyOf(nodes)
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise RuleError(path, "too_big", f"more than {MAX_CONDITIONS} conditions")
    return _condition(data, path)


def _condition(data: Mapping[Any, Any], path: str) -> Condition:
    unknown = sorted(str(k) for k in data if k not in ("field", "op", "value", "days"))
    if unknown:
        raise RuleError(
            _join(path, unknown[0]), "bad_shape", f"unknown key {unknown[0]!r}", unknown[0]
        )
    for key in ("field", "op", "value"):
        if key not in data:
            raise RuleError(_join(path, key), "bad_shape", f'missing "{key}"')
    name, op = data["field"], data["op"]
    if not isinstance(name, str) or name not in FIELDS:
        raise RuleError(
            _join(path, "field"),
            "unknown_field",
            f"unknown field {name!r}; fields: {', '.join(FIELDS)}",
            str(name),
        )
    spec = FIELDS[name]
    if not isinstance(op, str) or op not in OPS:
        raise RuleError(
            _join(path, "op"), "unknown_op", f"unknown op {op!r}; ops: {' '.join(OPS)}", str(op)
        )
    if op not in spec.ops:
        raise RuleError(
            _join(path, "op"),
            "unknown_op",
            f"op {op!r} does not apply to {name}; use one of: {' '.join(spec.ops)}",
            op,
        )
    days = _days_param(spec, data, path)
    value = _value(spec, op, data["value"], _join(path, "value"))
    return Condition(name, op, value, days)


def _days_param(spec: FieldSpec, data: Mapping[Any, Any], path: str) -> int | None:
    here = _join(path, "days")
    if not spec.needs_days:
        if "days" in data:
            raise RuleError(here, "bad_shape", f"'days' does not apply to {spec.name}", "days")
        return None
    raw = data.get("days")
    if not _is_int(raw) or not 1 <= raw <= MAX_DAYS:
        raise RuleError(
            here, "bad_value", f'{spec.name} needs "days": a whole number 1..{MAX_DAYS}'
        )
    return int(raw)


def _is_int(raw: object) -> TypeGuard[int]:
    return isinstance(raw, int) and not isinstance(raw, bool)


def _value(spec: FieldSpec, op: str, raw: object, path: str) -> Value:
    if op == "in":
        if not isinstance(raw, list) or not raw:
            raise RuleError(path, "bad_value", f'"in" needs a non-empty list of {_what(spec)}')
        if len(raw) > MAX_IN_VALUES:
            raise RuleError(path, "too_big", f"more than {MAX_IN_VALUES} values")
        values = tuple(_scalar(spec, item, _join(path, i)) for i, item in enumerate(raw))
        if any(v is None for v in values):
            raise RuleError(path, "bad_value", '"in" takes no null; use "= null"')
        return tuple(dict.fromkeys(values))
    if raw is None:
        if not spec.nullable or op not in ("=", "!="):
            why = "never empty" if not spec.nullable else 'only with "=" or "!="'
            raise RuleError(path, "bad_value", f"null: {spec.name} is {why}")
        return None
    return _scalar(spec, raw, path)


def _what(spec: FieldSpec) -> str:
    return {
        Kind.COUNT: "whole numbers >= 0",
        Kind.DAYS: "whole numbers of days >= 0",
        Kind.MONEY: "numbers >= 0",
        Kind.RATIO: "numbers >= 0",
        Kind.STATUS: f"order statuses ({', '.join(ORDER_STATUSES)})",
        Kind.TEXT: "strings",
        Kind.TAGS: "tags",
        Kind.MANAGER: "manager ids",
    }[spec.kind]


def _scalar(spec: FieldSpec, raw: object, path: str) -> Scalar:
    bad = RuleError(path, "bad_value", f"{spec.name} takes {_what(spec)}; got {raw!r}")
    if spec.kind in (Kind.COUNT, Kind.DAYS, Kind.MANAGER):
        if not _is_int(raw) or not 0 <= raw <= 10**9 or (spec.kind is Kind.DAYS and raw > MAX_DAYS):
            raise bad
        return int(raw)
    if spec.kind in (Kind.MONEY, Kind.RATIO):
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise bad
        if not math.isfinite(raw) or not 0 <= raw < 10**14:
            raise bad
        return Decimal(str(raw))
    if not isinstance(raw, str) or not raw.strip():
        raise bad
    text = raw.strip()
    if spec.kind is Kind.STATUS:
        if text not in ORDER_STATUSES:
            raise bad
    elif spec.kind is Kind.TAGS:
        text = text.lower()
        if not _TAG.match(text):
            raise bad
    elif len(text) > 100:
        raise bad
    return text


def rule_to_json(node: Node) -> dict[str, Any]:
    """The canonical JSON of a valid tree (what is stored)."""
    if isinstance(node, AllOf):
        return {"all": [rule_to_json(n) for n in node.items]}
    if isinstance(node, AnyOf):
        return {"any": [rule_to_json(n) for n in node.items]}
    out: dict[str, Any] = {"field": node.field, "op": node.op, "value": _json_value(node.value)}
    if node.days is not None:
        out["days"] = node.days
    return out


def _json_value(value: Value) -> Any:
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def conditions(node: Node) -> list[Condition]:
    if isinstance(node, Condition):
        return [node]
    return [c for item in node.items for c in conditions(item)]
