"""Dial lists never strand entries: a personal customer of someone who does not work the list
(an admin, a manager deactivated or taken off it) waits in the pool, at build time and at
hand-out time, and ``next`` says ``list_done`` only when no entry waits for anyone. The case
from the issue: 148 regulars whose personal manager was the admin. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from callcenter.core.models import DialListEntry, DialListManager, Manager
from tests.integration.conftest import Team, User, db_call
from tests.integration.core.test_workplace_pages import login
from tests.integration.dial_lists.test_api_dial_lists import LISTS, entries
from tests.integration.dial_lists.test_api_dial_work import (
    DAWN,
    Clock,
    Worker,
    add_customers,
    new_list,
    workers,
)

REGULARS = 148


def admins_regulars(client: TestClient, team: Team, n: int = REGULARS) -> dict[str, int]:
    return add_customers(client, [(f"c{i:03d}", None, team.admin.id) for i in range(n)])


def detail(client: TestClient, list_id: int, user: User) -> dict[str, Any]:
    response = client.get(f"{LISTS}/{list_id}", headers=user.auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


def work_to_the_end(crew: list[Worker], waiting: int) -> dict[str, int]:
    """The crew ask in turn and close what they get until all say ``list_done``; none of them
    hears it while an entry still waits."""
    handed: dict[str, int] = {w.user.login: 0 for w in crew}
    done: set[str] = set()
    while len(done) < len(crew):
        for worker in crew:
            body = worker.next()
            if body["card"] is None:
                assert body["reason"] == "list_done" and waiting == 0, (body, waiting)
                done.add(worker.user.login)
                continue
            worker.outcome(body["card"]["entry"]["id"], "not_interested")
            handed[worker.user.login] += 1
            waiting -= 1
    return handed


def test_the_admins_regulars_wait_in_the_pool_and_get_called(
    client: TestClient, team: Team
) -> None:
    ids = admins_regulars(client, team)
    Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1, team.op2])
    rows = entries(client, list_id, team.supervisor, limit=500)
    assert len(rows) == REGULARS
    assert {(e["manager_id"], e["personal"]) for e in rows} == {(None, False)}
    built = detail(client, list_id, team.supervisor)
    assert built["manager_ids"] == [team.op1.id, team.op2.id]  # the admin did not join
    assert built["waiting"] == {
        "pending": REGULARS,
        "pool": REGULARS,
        "managers": [
            {"manager_id": team.op1.id, "name": "op1", "pending": 0},
            {"manager_id": team.op2.id, "name": "op2", "pending": 0},
        ],
    }
    handed = work_to_the_end(workers(client, list_id, ids, team.op1, team.op2), REGULARS)
    assert handed == {"op1": REGULARS // 2, "op2": REGULARS // 2}
    assert detail(client, list_id, team.supervisor)["waiting"]["pending"] == 0


def as_the_old_builder_left_it(client: TestClient, list_id: int, admin: User) -> None:
    """A list built before the fix: every entry the admin's, who joined the list unchosen."""

    async def run(session: AsyncSession) -> None:
        await session.execute(
            update(DialListEntry)
            .where(DialListEntry.list_id == list_id)
            .values(manager_id=admin.id, personal=True)
        )
        await session.merge(DialListManager(list_id=list_id, manager_id=admin.id, chosen=False))

    db_call(client, run)


def test_a_list_built_before_the_fix_hands_the_admins_entries_out(
    client: TestClient, team: Team
) -> None:
    ids = admins_regulars(client, team)
    Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1, team.op2])
    as_the_old_builder_left_it(client, list_id, team.admin)
    assert {e["manager_id"] for e in entries(client, list_id, team.supervisor)} == {team.admin.id}
    # What waits is shown as the hand-out sees it: all of it in the pool.
    waiting = detail(client, list_id, team.supervisor)["waiting"]
    assert (waiting["pending"], waiting["pool"]) == (REGULARS, REGULARS)
    # Before the fix every operator heard "list_done" here, with 148 entries waiting.
    handed = work_to_the_end(workers(client, list_id, ids, team.op1, team.op2), REGULARS)
    assert sum(handed.values()) == REGULARS and min(handed.values()) > 0


def leaves(client: TestClient, team: Team, list_id: int, user: User, how: str) -> None:
    if how == "deactivated":
        response = client.patch(
            f"/api/v1/managers/{user.id}", json={"is_active": False}, headers=team.admin.auth
        )
        assert response.status_code == 200, response.text
        return

    async def take_off(session: AsyncSession) -> None:
        await session.execute(
            delete(DialListManager).where(
                DialListManager.list_id == list_id, DialListManager.manager_id == user.id
            )
        )

    db_call(client, take_off)


def check_leaving(client: TestClient, team: Team, how: str) -> None:
    ids = add_customers(
        client,
        [("a", None, None), ("b", None, team.op2.id), ("c", None, None), ("d", None, team.op2.id)],
    )
    Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1, team.op2])
    # Spread: a → op1, c → op2; b and d are op2's own. Then op2 leaves.
    leaves(client, team, list_id, team.op2, how)
    waiting = detail(client, list_id, team.supervisor)["waiting"]
    assert waiting == {
        "pending": 4,
        "pool": 3,
        "managers": [{"manager_id": team.op1.id, "name": "op1", "pending": 1}],
    }
    [op1] = workers(client, list_id, ids, team.op1)
    got = []
    while (body := op1.next())["card"] is not None:
        got.append(op1.names[body["card"]["entry"]["customer_id"]])
        op1.outcome(body["card"]["entry"]["id"], "answered")
    assert (got, body["reason"]) == (["a", "b", "c", "d"], "list_done")


def test_a_manager_deactivated_after_the_build_strands_nothing(
    client: TestClient, team: Team
) -> None:
    check_leaving(client, team, "deactivated")


def test_a_manager_taken_off_the_list_strands_nothing(client: TestClient, team: Team) -> None:
    check_leaving(client, team, "taken off")


def test_the_periodic_sweep_pools_stranded_entries(client: TestClient, team: Team) -> None:
    add_customers(client, [("a", None, team.op2.id), ("b", None, team.op2.id)])
    Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1, team.op2])
    jobs = client.app.state.services.dial_lists  # type: ignore[attr-defined]
    assert client.portal is not None
    assert client.portal.call(jobs.sweep) == 0
    leaves(client, team, list_id, team.op2, "deactivated")
    assert client.portal.call(jobs.sweep) == 2
    rows = entries(client, list_id, team.supervisor)
    assert {(e["manager_id"], e["personal"]) for e in rows} == {(None, False)}
    assert client.portal.call(jobs.sweep) == 0


def test_nobody_hears_list_done_while_others_entries_wait(client: TestClient, team: Team) -> None:
    ids = add_customers(client, [("mine", None, team.op1.id), ("theirs", None, team.op2.id)])
    Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1, team.op2])
    op1, op2 = workers(client, list_id, ids, team.op1, team.op2)
    name, entry = op1.take()
    assert name == "mine"
    op1.outcome(entry, "answered")
    body = op1.next()
    assert (body["card"], body["reason"]) == (None, "assigned_to_others")
    assert op2.take()[0] == "theirs"  # op2 holds it: nothing waits for anyone any more
    assert op1.next()["reason"] == "list_done"


def test_the_list_page_shows_what_waits_for_whom(client: TestClient, team: Team) -> None:
    # One call: add_customers numbers its phones from 0 each time.
    add_customers(
        client, [("own", None, team.op1.id)] + [(f"c{i}", None, team.admin.id) for i in range(5)]
    )
    Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1, team.op2], assignment="pool")

    async def op2_named(session: AsyncSession) -> None:
        await session.execute(update(Manager).where(Manager.id == team.op2.id).values(name="Ольга"))

    db_call(client, op2_named)
    login(client, team.supervisor)
    for lang, title, total, pool in (
        ("ru", "Кого ждут звонка", "Ждут звонка: 6", "Общая очередь: любой менеджер списка"),
        ("en", "Waiting to be called", "Waiting to be called: 6", "Common pool: any manager of the list"),
    ):  # fmt: skip
        page = client.get(f"/dial-lists/{list_id}?lang={lang}")
        assert page.status_code == 200
        section = page.text[page.text.index('<section id="dial-waiting">') :]
        section = section[: section.index("</section>")]
        assert title in section and total in section
        assert f'<tr data-waiting-for="{team.op1.id}"><td>op1</td><td>1</td></tr>' in section
        assert f'<tr data-waiting-for="{team.op2.id}"><td>Ольга</td><td>0</td></tr>' in section
        assert f'<tr data-waiting-for="pool"><td>{pool}</td><td>5</td></tr>' in section


def test_a_retry_later_still_counts_as_waiting(client: TestClient, team: Team) -> None:
    """``waiting`` counts every pending entry, due now or later; one in hand is not waiting."""
    ids = add_customers(client, [("a", None, None)])
    clock = Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1], max_attempts=3)
    [op1] = workers(client, list_id, ids, team.op1)
    _, entry = op1.take()
    assert detail(client, list_id, team.supervisor)["waiting"]["pending"] == 0  # in hand
    op1.outcome(entry, "no_answer")
    assert op1.next()["reason"] == "waiting"
    assert detail(client, list_id, team.supervisor)["waiting"]["managers"][0]["pending"] == 1
    clock.advance(dt.timedelta(hours=3))
    assert op1.take()[1] == entry
