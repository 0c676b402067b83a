"""Working a list through the API, with the clock injected: next, calling hours in several
time zones, callbacks first, retries, outcomes, stale locks, progress per manager."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from callcenter.core.models import Customer, CustomerPhone
from tests.integration.conftest import Team, User, db_call
from tests.integration.dial_lists.test_api_dial_lists import LISTS, build, make_rule

# 05:00 UTC: Moscow 08:00 (closed), Vladivostok 15:00, Kaliningrad 07:00 (closed).
DAWN = dt.datetime(2026, 6, 15, 5, 0)
MIN = dt.timedelta(minutes=1)


class Clock:
    def __init__(self, client: TestClient, now: dt.datetime) -> None:
        self.now = now
        client.app.state.services.dial_lists.clock = lambda: self.now  # type: ignore[attr-defined]

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


def add_customers(
    client: TestClient, specs: list[tuple[str, str | None, int | None]]
) -> dict[str, int]:
    """(name, time zone, personal manager id); listed oldest first, so that is the priority."""

    async def run(session: AsyncSession) -> dict[str, int]:
        ids = {}
        for i, (name, zone, manager_id) in enumerate(specs):
            customer = Customer(
                name=name,
                search_name=name,
                timezone=zone,
                manager_id=manager_id,
                created_at=DAWN - dt.timedelta(days=100 - i),
                phones=[CustomerPhone(phone=f"+7903555{i:04d}")],
            )
            session.add(customer)
            await session.flush()
            ids[name] = customer.id
        return ids

    return db_call(client, run)


def new_list(client: TestClient, team: Team, managers: list[User], **settings: Any) -> int:
    rule = make_rule(client, team.supervisor)
    body = {
        "rule_id": rule,
        "name": "work",
        "manager_ids": [m.id for m in managers],
        "settings": {"sort": "created_oldest", **settings},
    }
    return int(build(client, team.supervisor, body)["id"])


class Worker:
    def __init__(self, client: TestClient, list_id: int, user: User, names: dict[int, str]) -> None:
        self.client, self.list_id, self.user, self.names = client, list_id, user, names

    def next(self) -> dict[str, Any]:
        response = self.client.post(f"{LISTS}/{self.list_id}/next", headers=self.user.auth)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def take(self) -> tuple[str, int]:
        """The name of the customer handed out, and the entry id."""
        body = self.next()
        assert body["card"] is not None, body
        entry = body["card"]["entry"]
        return self.names[entry["customer_id"]], int(entry["id"])

    def outcome(
        self, entry_id: int, outcome: str, expect: int = 200, **extra: Any
    ) -> dict[str, Any]:
        response = self.client.post(
            f"{LISTS}/{self.list_id}/entries/{entry_id}/outcome",
            json={"outcome": outcome, **extra},
            headers=self.user.auth,
        )
        assert response.status_code == expect, response.text
        return dict(response.json())


def workers(client: TestClient, list_id: int, ids: dict[str, int], *users: User) -> list[Worker]:
    names = {v: k for k, v in ids.items()}
    return [Worker(client, list_id, u, names) for u in users]


def test_calling_hours_in_the_customers_own_time_zone(client: TestClient, team: Team) -> None:
    ids = add_customers(
        client,
        [
            ("msk", "Europe/Moscow", None),
            ("vlad", "Asia/Vladivostok", None),
            ("kgd", "Europe/Kaliningrad", None),
            ("nozone", None, None),  # the list's default zone: Moscow
        ],
    )
    clock = Clock(client, DAWN)
    list_id = new_list(client, team, [team.op1], assignment="pool")
    [op1] = workers(client, list_id, ids, team.op1)
    name, entry = op1.take()
    assert name == "vlad"  # 15:00 there; the others sleep
    op1.outcome(entry, "answered")
    body = op1.next()
    assert (body["card"], body["reason"]) == (None, "outside_calling_hours")
    assert body["next_at"] == "2026-06-15T06:00:00"  # 09:00 in Moscow
    clock.now = dt.datetime(2026, 6, 15, 6, 0)  # Moscow 09:00, Kaliningrad 08:00
    got = []
    for _ in range(2):
        name, entry = op1.take()
        got.append(name)
        op1.outcome(entry, "answered")
    assert got == ["msk", "nozone"]
    assert op1.next()["reason"] == "outside_calling_hours"
    clock.now = dt.datetime(2026, 6, 15, 7, 0)  # Kaliningrad 09:00
    assert op1.take()[0] == "kgd"
    clock.now = dt.datetime(2026, 6, 15, 18, 0)  # Moscow 21:00: closed again
    assert op1.next()["card"]["entry"]["customer_id"] == ids["kgd"]  # held entries come back


def test_the_default_zone_is_a_list_setting(client: TestClient, team: Team) -> None:
    ids = add_customers(client, [("nozone", None, None)])
    Clock(client, DAWN)
    list_id = new_list(
        client, team, [team.op1], assignment="pool", default_timezone="Asia/Vladivostok"
    )
    [op1] = workers(client, list_id, ids, team.op1)
    body = op1.next()
    assert body["card"]["entry"]["timezone"] == "Asia/Vladivostok"
    assert body["card"]["local_time"] == "2026-06-15T15:00:00"


def test_personal_and_spread_entries_go_to_their_manager(client: TestClient, team: Team) -> None:
    ids = add_customers(
        client, [("a", None, None), ("b", None, team.op2.id), ("c", None, None), ("d", None, None)]
    )
    Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1, team.op2])
    op1, op2 = workers(client, list_id, ids, team.op1, team.op2)
    # Spread in priority order over op1, op2: a → op1, c → op2, d → op1; b is op2's own.
    seen = {}
    # op1 is done first while b and c still wait for op2: not "list_done" for op1 yet.
    for worker, last in ((op1, "assigned_to_others"), (op2, "list_done")):
        names = []
        while (body := worker.next())["card"] is not None:
            names.append(worker.names[body["card"]["entry"]["customer_id"]])
            worker.outcome(body["card"]["entry"]["id"], "not_interested")
        assert body["reason"] == last
        seen[worker.user.login] = names
    assert seen == {"op1": ["a", "d"], "op2": ["b", "c"]}
    assert op1.next()["reason"] == "list_done"


def test_no_answer_and_busy_are_retried_then_given_up(client: TestClient, team: Team) -> None:
    ids = add_customers(client, [("first", None, None), ("second", None, None)])
    clock = Clock(client, DAWN.replace(hour=10))
    list_id = new_list(
        client, team, [team.op1], assignment="pool", max_attempts=2, retry_delay_minutes=60
    )
    [op1] = workers(client, list_id, ids, team.op1)
    name, first = op1.take()
    assert name == "first"
    entry = op1.outcome(first, "no_answer", note="гудки")
    assert (entry["state"], entry["attempts"], entry["outcome"]) == ("pending", 1, "no_answer")
    assert entry["next_attempt_at"] == "2026-06-15T11:00:00"
    name, second = op1.take()
    assert name == "second"  # the first waits for its retry
    op1.outcome(second, "busy")
    body = op1.next()
    assert (body["reason"], body["next_at"]) == ("waiting", "2026-06-15T11:00:00")
    clock.advance(60 * MIN)
    assert op1.take() == ("first", first)
    entry = op1.outcome(first, "no_answer")
    assert (entry["state"], entry["attempts"], entry["note"]) == ("done", 2, "гудки")
    assert op1.take() == ("second", second)
    op1.outcome(second, "answered")
    assert op1.next()["reason"] == "list_done"


def test_due_callbacks_come_first(client: TestClient, team: Team) -> None:
    ids = add_customers(client, [("p1", None, None), ("p2", None, None), ("p3", None, None)])
    clock = Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1, team.op2], assignment="pool")
    op1, op2 = workers(client, list_id, ids, team.op1, team.op2)
    assert op1.take()[0] == "p1"
    name, p2 = op2.take()
    assert name == "p2"
    at = "2026-06-15T13:30:00+03:00"  # 10:30 UTC, in the customer's words
    entry = op2.outcome(p2, "callback", callback_at=at, note="перезвонить после обеда")
    assert (entry["state"], entry["callback_at"]) == ("pending", "2026-06-15T10:30:00")
    release = client.post(
        f"{LISTS}/{list_id}/entries/{op1.take()[1]}/release", headers=team.op1.auth
    )
    assert release.status_code == 200 and release.json()["state"] == "pending"
    clock.advance(31 * MIN)
    body = op1.next()
    assert (op1.names[body["card"]["entry"]["customer_id"]], body["reason"]) == (
        "p2",
        "callback_due",
    )
    op1.outcome(p2, "answered")
    assert op1.take()[0] == "p1"  # then priority order again


def test_outcome_input_errors(client: TestClient, team: Team) -> None:
    ids = add_customers(client, [("a", None, None), ("b", None, None)])
    Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1, team.op2], assignment="pool")
    op1, op2 = workers(client, list_id, ids, team.op1, team.op2)
    _, entry = op1.take()
    other = client.post(
        "/api/v1/orders",
        json={"customer_id": ids["b"], "items": [{"product": "x", "quantity": 1, "price": 10}]},
        headers=team.admin.auth,
    ).json()
    cases = [
        ({"outcome": "callback"}, "callback_at"),
        ({"outcome": "callback", "callback_at": "2026-06-15T09:00:00Z"}, "callback_at"),
        ({"outcome": "answered", "callback_at": "2026-06-16T09:00:00Z"}, "callback_at"),
        ({"outcome": "answered", "order_id": other["id"]}, "order_id"),
        ({"outcome": "ordered", "order_id": other["id"]}, "order_id"),
        ({"outcome": "hung_up"}, "outcome"),
    ]
    for body, field in cases:
        response = op1.outcome(entry, body.pop("outcome"), expect=422, **body)
        assert response["error"]["details"]["fields"][0]["field"] == field, body
    # Only the holder records an outcome.
    conflict = op2.outcome(entry, "answered", expect=409)
    assert conflict["error"]["code"] == "entry_not_held"
    op1.outcome(entry, "answered")
    assert op1.outcome(entry, "answered", expect=409)["error"]["code"] == "entry_not_held"


def test_do_not_call_and_ordered(client: TestClient, team: Team) -> None:
    ids = add_customers(client, [("stop", None, None), ("buyer", None, None)])
    Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1], assignment="pool")
    [op1] = workers(client, list_id, ids, team.op1)
    _, stop = op1.take()
    op1.outcome(stop, "do_not_call", note="просил не звонить")
    customer = client.get(f"/api/v1/customers/{ids['stop']}", headers=team.admin.auth).json()
    assert customer["do_not_call"] is True
    _, buyer = op1.take()
    order = client.post(
        "/api/v1/orders",
        json={
            "customer_id": ids["buyer"],
            "items": [{"product": "Чайник", "quantity": 1, "price": 2490}],
        },
        headers=team.op1.auth,
    ).json()
    entry = op1.outcome(buyer, "ordered", order_id=order["id"])
    assert (entry["state"], entry["order_id"], entry["worked_by_id"]) == (
        "done",
        order["id"],
        team.op1.id,
    )
    detail = client.get(f"{LISTS}/{list_id}", headers=team.supervisor.auth).json()
    assert detail["counts"] == {
        "total": 2, "pending": 0, "in_progress": 0, "done": 2, "remaining": 0,
        "outcomes": {"do_not_call": 1, "ordered": 1}, "ordered": 1, "conversion": 0.5,
    }  # fmt: skip
    [row] = [m for m in detail["managers"] if m["manager_id"] == team.op1.id]
    assert (row["done"], row["ordered"], row["conversion"]) == (2, 1, 0.5)


def test_entries_held_too_long_return_to_the_pool(client: TestClient, team: Team) -> None:
    ids = add_customers(client, [("only", None, None), ("second", None, None)])
    clock = Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1, team.op2], lock_timeout_minutes=30)
    op1, op2 = workers(client, list_id, ids, team.op1, team.op2)
    name, entry = op1.take()  # "only" is op1's (spread); op1 then vanishes
    assert name == "only"
    assert op2.take()[0] == "second"
    op2.outcome(op2.next()["card"]["entry"]["id"], "answered")
    clock.advance(29 * MIN)
    assert op2.next()["reason"] == "list_done"
    clock.advance(2 * MIN)
    # Held 31 minutes: back to the common pool, and op2 gets it.
    assert op2.take() == ("only", entry)
    assert op1.outcome(entry, "answered", expect=409)["error"]["code"] == "entry_not_held"
    assert op1.next()["reason"] == "list_done"


def test_the_periodic_sweep_releases_stale_locks(client: TestClient, team: Team) -> None:
    ids = add_customers(client, [("only", None, team.op1.id)])
    clock = Clock(client, DAWN.replace(hour=10))
    list_id = new_list(client, team, [team.op1, team.op2])
    [op1] = workers(client, list_id, ids, team.op1)
    _, entry = op1.take()
    jobs = client.app.state.services.dial_lists  # type: ignore[attr-defined]
    assert client.portal is not None
    assert client.portal.call(jobs.sweep) == 0
    clock.advance(31 * MIN)
    assert client.portal.call(jobs.sweep) == 1
    back = client.get(f"{LISTS}/{list_id}/entries/{entry}", headers=team.supervisor.auth).json()
    # A personal customer goes back to their own manager, not the pool.
    assert (back["entry"]["state"], back["entry"]["manager_id"]) == ("pending", team.op1.id)


def test_the_card_and_the_entry_visibility(client: TestClient, team: Team) -> None:
    ids = add_customers(client, [("a", "Asia/Omsk", None), ("b", None, None)])
    Clock(client, DAWN.replace(hour=10))
    client.post(
        "/api/v1/orders",
        json={
            "customer_id": ids["a"],
            "items": [{"product": "Тостер", "quantity": 1, "price": 2190}],
        },
        headers=team.admin.auth,
    )
    list_id = new_list(client, team, [team.op1, team.op2])
    op1, _ = workers(client, list_id, ids, team.op1, team.op2)
    card = op1.next()["card"]
    assert card["customer"]["name"] == "a"
    assert card["last_order"]["items"][0]["product"] == "Тостер"
    assert card["local_time"] == "2026-06-15T16:00:00"  # Omsk, UTC+6
    url = f"{LISTS}/{list_id}/entries/{card['entry']['id']}"
    assert client.get(url, headers=team.op1.auth).status_code == 200
    assert client.get(url, headers=team.op2.auth).status_code == 403
    assert client.post(url + "/call", headers=team.op2.auth).status_code == 409
