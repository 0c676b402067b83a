"""The rule compiler, table-driven per field and op, against SQLite and PostgreSQL, with the
expected sets computed by hand (tests/integration/dial_lists/dial_data.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import insert, select

from callcenter.core.db import make_engine, make_sessionmaker
from callcenter.core.models import Customer, Manager
from callcenter.dial_lists.rule_compiler import compile_rule
from routing.rule_templates import TEMPLATES
from routing.rules import parse_rule
from tests.conftest import run_async
from tests.integration.conftest import _clean
from tests.integration.dial_lists.dial_data import (
    CASES,
    NOW,
    TEMPLATE_EXPECTED,
    case_id,
    resolve,
    seed_people,
)

People = tuple[str, dict[str, int]]


async def _seed(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            await session.execute(
                insert(Manager),
                [{"login": login, "password_hash": "-", "name": login} for login in ("op1", "op2")],
            )
            managers = dict((await session.execute(select(Manager.login, Manager.id))).all())
            await seed_people(session, managers)
            await session.commit()
            return managers
    finally:
        await engine.dispose()


async def _names(url: str, rule: dict[str, Any], now: dt.datetime) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            condition = compile_rule(parse_rule(rule), now)
            return set((await conn.scalars(select(Customer.name).where(condition))).all())
    finally:
        await engine.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def people(request: pytest.FixtureRequest) -> Iterator[People]:
    url: str = request.getfixturevalue(f"{request.param}_url")
    run_async(_clean(url))
    yield url, run_async(_seed(url))
    run_async(_clean(url))


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_rule_matches_the_hand_computed_set(people: People, case: tuple[Any, ...]) -> None:
    url, managers = people
    now = case[2] if len(case) > 2 else NOW
    assert run_async(_names(url, resolve(case[0], managers), now)) == case[1]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_ready_made_rules(people: People, template: Any) -> None:
    url, _ = people
    assert run_async(_names(url, template.tree, NOW)) == TEMPLATE_EXPECTED[template.key]


def test_values_are_bound_never_inlined(people: People) -> None:
    hostile = "Москва'; DROP TABLE customers; --"
    url, _ = people
    assert run_async(_names(url, {"field": "city", "op": "=", "value": hostile}, NOW)) == set()
    sql = str(
        select(Customer.id).where(
            compile_rule(parse_rule({"field": "city", "op": "=", "value": hostile}), NOW)
        )
    )
    assert "DROP" not in sql
