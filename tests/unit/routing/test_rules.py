from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from routing.rule_templates import TEMPLATES
from routing.rules import (
    FIELDS,
    OPS,
    AllOf,
    AnyOf,
    Condition,
    RuleError,
    conditions,
    parse_rule,
    rule_to_json,
)


def leaf(field: str, op: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value, **extra}


def test_the_contract_example_parses_into_a_typed_tree() -> None:
    tree = {
        "all": [
            leaf("days_since_last_order", ">=", 90),
            {"any": [leaf("total_spent", ">", 10000), leaf("tags", "contains", "vip")]},
        ]
    }
    node = parse_rule(tree)
    assert node == AllOf(
        (
            Condition("days_since_last_order", ">=", 90),
            AnyOf(
                (
                    Condition("total_spent", ">", Decimal("10000")),
                    Condition("tags", "contains", "vip"),
                )
            ),
        )
    )
    assert rule_to_json(node) == tree


def test_every_contract_field_and_op_is_known() -> None:
    contract = {
        "orders_count", "total_spent", "average_check", "days_since_last_order",
        "last_order_status", "cancelled_orders_in_last_days", "birthday_in_days", "tags",
        "city", "manager_id", "created_days_ago", "last_call_days_ago",
    }  # fmt: skip
    assert contract <= set(FIELDS)
    assert set(OPS) == {"=", "!=", ">", ">=", "<", "<=", "in", "contains"}
    assert set().union(*(f.ops for f in FIELDS.values())) == set(OPS)


@pytest.mark.parametrize(
    ("tree", "canonical"),
    [
        (leaf("tags", "contains", " VIP "), leaf("tags", "contains", "vip")),
        (leaf("tags", "in", ["Vip", "vip", "bad"]), leaf("tags", "in", ["vip", "bad"])),
        (leaf("total_spent", ">", 10.5), leaf("total_spent", ">", 10.5)),
        (leaf("city", "=", " Москва "), leaf("city", "=", "Москва")),
        (leaf("manager_id", "=", None), leaf("manager_id", "=", None)),
        (
            leaf("cancelled_orders_in_last_days", ">=", 1, days=30),
            leaf("cancelled_orders_in_last_days", ">=", 1, days=30),
        ),
        ({"all": []}, {"all": []}),
    ],
)
def test_values_are_normalised(tree: dict[str, Any], canonical: dict[str, Any]) -> None:
    assert rule_to_json(parse_rule(tree)) == canonical


BAD: list[tuple[object, str, str, str | None]] = [
    # (tree, path, reason, name)
    ({"all": [leaf("foo", "=", 1)]}, "all.0.field", "unknown_field", "foo"),
    ({"all": [leaf("orders_count", "~", 1)]}, "all.0.op", "unknown_op", "~"),
    (leaf("tags", ">", "vip"), "op", "unknown_op", ">"),
    (leaf("city", "contains", "Мос"), "op", "unknown_op", "contains"),
    (leaf("orders_count", "=", "3"), "value", "bad_value", None),
    (leaf("orders_count", "=", True), "value", "bad_value", None),
    (leaf("orders_count", "=", -1), "value", "bad_value", None),
    (leaf("orders_count", "=", None), "value", "bad_value", None),
    (leaf("days_since_last_order", ">=", 1.5), "value", "bad_value", None),
    (leaf("total_spent", ">", "lots"), "value", "bad_value", None),
    (leaf("total_spent", ">", float("nan")), "value", "bad_value", None),
    (leaf("last_order_status", "=", "shipped"), "value", "bad_value", None),
    (leaf("tags", "contains", 5), "value", "bad_value", None),
    (leaf("tags", "contains", "no/slash"), "value", "bad_value", None),
    (leaf("manager_id", "=", "x"), "value", "bad_value", None),
    (leaf("city", "in", "Москва"), "value", "bad_value", None),
    (leaf("city", "in", []), "value", "bad_value", None),
    (leaf("city", "in", ["Москва", 3]), "value.1", "bad_value", None),
    (leaf("city", "in", ["Москва", None]), "value.1", "bad_value", None),
    (leaf("days_since_last_order", ">", None), "value", "bad_value", None),
    (leaf("cancelled_orders_in_last_days", ">=", 1), "days", "bad_value", None),
    (leaf("cancelled_orders_in_last_days", ">=", 1, days=0), "days", "bad_value", None),
    (leaf("orders_count", ">=", 1, days=30), "days", "bad_shape", "days"),
    ({"field": "orders_count", "op": "="}, "value", "bad_shape", None),
    ({"field": "orders_count", "op": "=", "value": 1, "x": 2}, "x", "bad_shape", "x"),
    ({"all": "nope"}, "all", "bad_shape", None),
    ({"any": []}, "any", "bad_shape", None),
    ({"all": [], "any": []}, "", "bad_shape", None),
    ([leaf("orders_count", "=", 1)], "", "bad_shape", None),
    ({"all": [{"any": [{"all": [3]}]}]}, "all.0.any.0.all.0", "bad_shape", None),
    ({"all": [leaf("orders_count", "=", i) for i in range(101)]}, "all.100", "too_big", None),
]


def _nested(depth: int) -> dict[str, Any]:
    tree: dict[str, Any] = leaf("orders_count", "=", 1)
    for _ in range(depth):
        tree = {"all": [tree]}
    return tree


@pytest.mark.parametrize(("tree", "path", "reason", "name"), BAD, ids=lambda v: str(v)[:40])
def test_errors_name_the_place_and_the_offender(
    tree: object, path: str, reason: str, name: str | None
) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(tree)
    assert (caught.value.path, caught.value.code) == (path, reason), caught.value
    if name is not None:
        assert caught.value.name == name
        assert repr(name) in str(caught.value)


def test_too_deep() -> None:
    parse_rule(_nested(7))
    with pytest.raises(RuleError) as caught:
        parse_rule(_nested(8))
    assert caught.value.code == "too_big"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_templates_are_valid_rules(template: object) -> None:
    node = parse_rule(template.tree)  # type: ignore[attr-defined]
    assert rule_to_json(node) == template.tree  # type: ignore[attr-defined]
    assert conditions(node)
