"""Ready-made dial-list rules, like the ones e-commerce CRMs ship. A UI offers them as
starting points; each is an ordinary rule tree, edited and saved like any other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from routing.rules import parse_rule


@dataclass(frozen=True)
class RuleTemplate:
    key: str
    name: str
    description: str
    tree: dict[str, Any]


TEMPLATES: tuple[RuleTemplate, ...] = (
    RuleTemplate(
        "no_order_for_days",
        "Нет заказов 90 дней",
        "Bought before, but nothing for N days (change 90 to taste).",
        {"all": [{"field": "days_since_last_order", "op": ">=", "value": 90}]},
    ),
    RuleTemplate(
        "cancelled_recently",
        "Отменили заказ за 30 дней",
        "Cancelled an order in the last 30 days: find out why, offer a replacement.",
        {"all": [{"field": "cancelled_orders_in_last_days", "days": 30, "op": ">=", "value": 1}]},
    ),
    RuleTemplate(
        "birthday_soon",
        "День рождения в ближайшие 7 дней",
        "Birthday today or in the next 7 days.",
        {"all": [{"field": "birthday_in_days", "op": "<=", "value": 7}]},
    ),
    RuleTemplate(
        "reorder_due",
        "Пора повторить заказ",
        "Regular consumption: two orders or more, and more time has passed since the last one "
        "than the customer's usual interval between orders.",
        {
            "all": [
                {"field": "orders_count", "op": ">=", "value": 2},
                {"field": "reorder_interval_ratio", "op": ">=", "value": 1},
            ]
        },
    ),
    RuleTemplate(
        "vip_no_contact",
        "VIP без контакта 60 дней",
        "VIP customers nobody has called, or who have not been called for 60 days.",
        {
            "all": [
                {"field": "tags", "op": "contains", "value": "vip"},
                {
                    "any": [
                        {"field": "last_call_days_ago", "op": ">=", "value": 60},
                        {"field": "last_call_days_ago", "op": "=", "value": None},
                    ]
                },
            ]
        },
    ),
)

for _template in TEMPLATES:  # a broken template is a bug: fail at import, in every test run
    parse_rule(_template.tree)
