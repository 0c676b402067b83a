"""The dial list's hot path, ``next`` and ``outcome``, in round trips: each statement costs
more in Python than in the database, so an extra one is a regression. And the one query that
replaced get_list + check_worker + the entry or held-entry probe answers as they did, in the
same order: no list 404, not on it 403, no such entry 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from callcenter.core.models import ApiToken
from tests.integration.conftest import Team, db_call
from tests.integration.dial_lists.test_api_dial_lists import LISTS, make_user_outsider
from tests.integration.dial_lists.test_api_dial_work import (
    DAWN,
    Clock,
    add_customers,
    new_list,
    workers,
)


@contextmanager
def statements(client: TestClient) -> Iterator[list[str]]:
    """The statements the app sends while inside: ``SELECT``, or ``UPDATE table`` and such."""
    seen: list[str] = []
    engine = client.app.state.services.engine.sync_engine  # type: ignore[attr-defined]

    def record(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        words = sql.split()
        verb = words[0].upper()
        table = {"UPDATE": 1, "INSERT": 2, "DELETE": 2}.get(verb)
        seen.append(verb if table is None else f"{verb} {words[table]}")

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_next_and_outcome_in_four_statements_each(client: TestClient, team: Team) -> None:
    ids = add_customers(client, [("a", None, None), ("b", "Asia/Vladivostok", None)])
    Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1], assignment="pool")
    [op1] = workers(client, list_id, ids, team.op1)
    client.get("/api/v1/me", headers=team.op1.auth)  # a token's first use in a minute is noted

    with statements(client) as sent:
        body = op1.next()
    assert body["reason"] == "next"
    # The token's manager; the list with membership and any held entry; the claim; the card.
    assert sent == ["SELECT", "SELECT", "UPDATE dial_list_entries", "SELECT"]

    with statements(client) as sent:
        again = op1.next()
    assert again["reason"] == "held" and again["card"]["entry"] == body["card"]["entry"]
    assert sent == ["SELECT", "SELECT", "SELECT"]

    with statements(client) as sent:
        op1.outcome(body["card"]["entry"]["id"], "answered")
    assert sent == ["SELECT", "SELECT", "INSERT audit_log", "UPDATE dial_list_entries"]


def test_the_token_is_marked_used_once_a_minute(client: TestClient, team: Team) -> None:
    async def last_used(session: AsyncSession) -> dt.datetime | None:
        return await session.scalar(
            select(ApiToken.last_used_at).where(ApiToken.manager_id == team.op1.id)
        )

    assert db_call(client, last_used) is None
    with statements(client) as sent:
        assert client.get("/api/v1/me", headers=team.op1.auth).status_code == 200
    assert sent[:2] == ["SELECT", "UPDATE api_tokens"]
    first = db_call(client, last_used)
    assert first is not None
    with statements(client) as sent:
        assert client.get("/api/v1/me", headers=team.op1.auth).status_code == 200
    assert "UPDATE api_tokens" not in sent
    assert db_call(client, last_used) == first


def test_who_may_work_a_list_and_which_entry(client: TestClient, team: Team) -> None:
    ids = add_customers(client, [("a", None, None), ("b", None, None)])
    Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1], assignment="pool")
    other_list = new_list(client, team, [team.op1], assignment="pool")
    [op1] = workers(client, list_id, ids, team.op1)
    _, entry = op1.take()
    [op1_other] = workers(client, other_list, ids, team.op1)
    _, foreign = op1_other.take()
    outsider = make_user_outsider(client)

    def post(path: str, user: Any, **kw: Any) -> tuple[int, str]:
        response = client.post(f"{LISTS}/{path}", headers=user.auth, **kw)
        return response.status_code, response.json()["error"]["code"] if response.is_error else ""

    answered = {"json": {"outcome": "answered"}}
    # No such list comes first, even for someone on no list at all.
    assert post("999999/next", outsider) == (404, "not_found")
    assert post(f"999999/entries/{entry}/outcome", outsider, **answered) == (404, "not_found")
    # Then membership, before the entry is looked at.
    assert post(f"{list_id}/next", outsider) == (403, "forbidden")
    assert post(f"{list_id}/entries/999999/outcome", outsider, **answered) == (403, "forbidden")
    # Then the entry: none, or another list's.
    assert post(f"{list_id}/entries/999999/outcome", team.op1, **answered) == (404, "not_found")
    assert post(f"{list_id}/entries/{foreign}/outcome", team.op1, **answered) == (
        404,
        "not_found",
    )
    # A supervisor works any list, and may give back any entry; only the holder records.
    assert post(f"{list_id}/entries/{entry}/outcome", team.supervisor, **answered) == (
        409,
        "entry_not_held",
    )
    assert post(f"{list_id}/entries/{entry}/release", team.supervisor) == (200, "")
    taken = client.post(f"{LISTS}/{list_id}/next", headers=team.supervisor.auth).json()
    assert taken["card"]["entry"]["id"] == entry  # given back, first in line again
    # op1's entry on the other list is still theirs, held there and only there.
    again = op1_other.next()
    assert (again["reason"], again["card"]["entry"]["id"]) == ("held", foreign)
    assert op1.take()[0] == "b"
