"""A visitor asks on the shop's website to be called back: the callback task (one open per
number), its webhook, the words on the task pages, and within the working hours a free
manager's phone rings and then the visitor's, over the fake PBX. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.testclient import TestClient

from tests.fakes.threaded_ami import ThreadedAmi, wait_until
from tests.integration.calls.test_bridge_end_to_end import originate_script
from tests.integration.conftest import Team
from tests.integration.core.test_workplace_pages import login, make_customer, make_order
from tests.integration.web_callback.conftest import (
    ROUND_THE_CLOCK,
    WEEKDAYS,
    ask,
    available,
    callbacks,
    freeze,
    set_hours,
)

VISITOR = "+79031112233"
CUSTOMER = "+79161234567"


def originates(ami: ThreadedAmi) -> list[dict[str, str]]:
    return [a for a in ami.server.actions if a.get("Action") == "Originate"]


def test_a_request_makes_one_open_callback_for_the_number(client: TestClient, team: Team) -> None:
    set_hours(client, team, ROUND_THE_CLOCK)
    first = ask(client, {"phone": "8 (903) 111-22-33", "name": "Анна", "lang": "ru"})
    assert first.status_code == 202, first.text
    answer = first.json()
    # Open, but nobody can take a call (no PBX here): within the callback deadline.
    assert answer["status"] == "queued"
    assert answer["message"] == (
        "Спасибо! Все менеджеры сейчас заняты — перезвоним в течение 10 мин."
    )
    [task] = callbacks(client, team)
    assert (task["phone"], task["kind"], task["customer_id"]) == (VISITOR, "callback", None)
    assert (task["assignee_id"], task["group_name"]) == (None, "default")
    assert task["title"] == "Перезвонить: +79031112233"  # the name is the visitor's word
    [event] = task["events"]
    assert event == {"what": "website", "at": event["at"], "call_id": None, "name": "Анна"}
    assert dt.datetime.fromisoformat(task["deadline"]) > dt.datetime.fromisoformat(
        task["created_at"]
    )

    # The same number again, written otherwise: the same open callback, one more event.
    again = ask(client, {"phone": "+7 903 111-22-33", "lang": "en"})
    assert again.status_code == 202, again.text
    assert again.json()["message"].startswith("Thank you! Every manager is busy")
    [task] = callbacks(client, team)
    assert [e["what"] for e in task["events"]] == ["website", "website"]

    # The task pages say where it came from, in the reader's language.
    login(client, team.supervisor)
    assert "Просьба перезвонить с сайта: " in client.get("/tasks?lang=ru").text
    assert "Asked on the website to be called back: " in client.get("/tasks?lang=en").text
    audit = client.get("/api/v1/audit?action=web_callback.request", headers=team.admin.auth)
    entries = audit.json()["items"]
    assert [e["details"]["created"] for e in entries] == [False, True]  # newest first
    assert VISITOR not in audit.text and "Анна" not in audit.text


def test_a_customers_request_is_their_personal_managers(client: TestClient, team: Team) -> None:
    set_hours(client, team, ROUND_THE_CLOCK)
    customer = make_customer(client, team, phones=[CUSTOMER], manager_id=team.op2.id)
    order = make_order(client, team, customer["id"], number="A-1001")
    response = ask(client, {"phone": "89161234567", "order": "a-1001"})
    assert response.status_code == 202, response.text
    [task] = callbacks(client, team)
    assert (task["customer_id"], task["assignee_id"], task["group_name"]) == (
        customer["id"],
        team.op2.id,
        None,
    )
    assert task["title"] == "Перезвонить: Иван Петров"
    [event] = task["events"]
    assert (event["order"], event["order_matches"]) == (order["number"], True)
    # The personal manager sees it with the order, and no warning.
    login(client, team.op2)
    page = client.get("/tasks?lang=ru").text
    assert "заказ A-1001" in page and "не этого номера" not in page


def test_the_webhook_tells_the_shop_once(client: TestClient, team: Team) -> None:
    made = client.post(
        "/api/v1/webhooks/endpoints",
        json={"name": "shop", "url": "https://shop.example/hook", "events": ["callback.created"]},
        headers=team.admin.auth,
    )
    assert made.status_code == 201, made.text
    assert ask(client, {"phone": VISITOR}).status_code == 202
    assert ask(client, {"phone": VISITOR}).status_code == 202  # the same open callback
    deliveries = client.get("/api/v1/webhooks/deliveries", headers=team.admin.auth).json()
    [delivery] = deliveries["items"]
    assert delivery["type"] == "callback.created"
    detail = client.get(
        f"/api/v1/webhooks/deliveries/{delivery['id']}", headers=team.admin.auth
    ).json()
    data = detail["body"]["data"]
    [task] = callbacks(client, team)
    assert (data["task_id"], data["phone"], data["source"]) == (task["id"], VISITOR, "website")
    assert (data["call_id"], data["order_number"], data["group"]) == (None, None, "default")


def test_a_free_manager_is_rung_then_the_visitor(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    set_hours(bridged, team, ROUND_THE_CLOCK)
    available(bridged, team, team.op1)
    originate_script(ami, success=True)
    response = ask(bridged, {"phone": "8 903 111-22-33", "lang": "en"})
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["status"] == "calling"
    assert answer["message"] == "Thank you! A manager is calling you now: please pick up."
    [sent] = wait_until(lambda: originates(ami))
    # The click-to-call flow: the manager's phone first, the visitor's number in the dialplan.
    assert (sent["Channel"], sent["Context"], sent["Exten"]) == (
        "PJSIP/101",
        "from-managers",
        "79031112233",
    )
    [task] = callbacks(bridged, team)
    assert (task["assignee_id"], task["group_name"]) == (team.op1.id, None)
    # The call is in the log, and the audit says the website placed it.
    wait_until(
        lambda: bridged.get("/api/v1/audit?action=call.originate", headers=team.admin.auth).json()[
            "items"
        ]
    )
    [entry] = bridged.get("/api/v1/audit?action=call.originate", headers=team.admin.auth).json()[
        "items"
    ]
    assert entry["actor_id"] is None
    assert entry["details"] == {"via": "website", "task_id": task["id"], "manager_id": team.op1.id}
    assert entry["target_id"] == sent["ChannelId"]


def test_the_personal_manager_rings_first(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    set_hours(bridged, team, ROUND_THE_CLOCK)
    make_customer(bridged, team, phones=[CUSTOMER], manager_id=team.op2.id)
    available(bridged, team, team.op1, team.op2)
    originate_script(ami, success=True)
    assert ask(bridged, {"phone": CUSTOMER}).json()["status"] == "calling"
    [sent] = wait_until(lambda: originates(ami))
    assert sent["Channel"] == "PJSIP/102"


def test_a_manager_who_does_not_answer_gives_the_callback_back(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    set_hours(bridged, team, ROUND_THE_CLOCK)
    available(bridged, team, team.op1)
    originate_script(ami, success=False, reason="5")  # the manager's phone is busy
    assert ask(bridged, {"phone": VISITOR}).json()["status"] == "calling"
    wait_until(lambda: originates(ami))
    [task] = wait_until(lambda: [t for t in callbacks(bridged, team) if len(t["events"]) == 2])
    assert (task["assignee_id"], task["group_name"]) == (None, "default")
    assert [e["what"] for e in task["events"]] == ["website", "ring_failed"]
    assert task["events"][1]["manager_id"] == team.op1.id
    assert task["done_at"] is None


def test_nobody_rings_outside_the_working_hours(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    set_hours(bridged, team, WEEKDAYS)
    available(bridged, team, team.op1, team.op2)
    # Saturday 20.06.2026 15:00 in Moscow: the shop opens on Monday 22.06 at 09:00 (06:00 UTC).
    freeze(bridged, dt.datetime(2026, 6, 20, 12, 0, tzinfo=dt.UTC))
    ru = ask(bridged, {"phone": VISITOR, "lang": "ru"}).json()
    assert ru == {
        "status": "closed",
        "message": "Спасибо! Сейчас магазин не работает — перезвоним "
        "в понедельник, 22.06.2026 09:00 МСК.",
        "call_at": "2026-06-22T06:00:00Z",
    }
    en = ask(bridged, {"phone": VISITOR, "lang": "en"}).json()
    assert en["message"] == (
        "Thank you! The shop is closed now: we will call you back on Monday, 22/06/2026 09:00 MSK."
    )
    [task] = callbacks(bridged, team)
    # Due once the shop has opened, by the callback deadline: not late all weekend.
    assert task["deadline"] == "2026-06-22T06:10:00"
    assert (task["assignee_id"], task["group_name"]) == (None, "default")
    assert originates(ami) == []


def test_the_answer_does_not_tell_a_customers_number_from_a_strangers(
    client: TestClient, team: Team
) -> None:
    set_hours(client, team, ROUND_THE_CLOCK)
    make_customer(client, team, phones=[CUSTOMER], manager_id=team.op1.id)

    def answer(phone: str) -> dict[str, Any]:
        response = ask(client, {"phone": phone, "lang": "ru"})
        assert response.status_code == 202, response.text
        return {k: v for k, v in response.json().items() if k != "call_at"}

    assert answer(CUSTOMER) == answer(VISITOR)
