"""Webhooks end to end: AMI events over TCP → the call log → the outbox → a real HTTP receiver
that checks every signature. Retries, order, time-outs, the pause, "send again", the SSRF guard
at connect time, and the events of callbacks and orders. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.testclient import TestClient

from callcenter.app import create_app
from callcenter.core.models import Role
from callcenter.core.settings import Settings
from tests.fakes.threaded_ami import ThreadedAmi, chan, event, wait_until
from tests.integration.conftest import Team, make_user, pbx_state
from tests.integration.webhooks.conftest import add_endpoint
from tests.webhook_receiver import WebhookReceiver

CALL_EVENTS = ["call.ringing", "call.answered", "call.ended", "call.missed"]
TRUNK = ("PJSIP/anonymous-00000001", "1790000000.1", "1790000000.1")
DESK = ("PJSIP/101-00000002", "1790000000.2", "1790000000.1")
CUSTOMER = "+79161234567"
LINE = "+74951234567"
USERS = [
    ("admin", Role.ADMIN),
    ("sup", Role.SUPERVISOR),
    ("op1", Role.OPERATOR),
    ("op2", Role.OPERATOR),
]


def ring(trunk: tuple[str, str, str] = TRUNK, desk: tuple[str, str, str] = DESK) -> list[Any]:
    return [
        event(
            "Newchannel", 0,
            **chan("", *trunk, CallerIDNum="89161234567", ChannelState="4", Exten="74951234567"),
        ),
        event("Newchannel", 1, **chan("", *desk, ChannelState="0")),
        event("DialBegin", 1, **chan("", *trunk), **chan("Dest", *desk), DialString="101"),
    ]  # fmt: skip


def talk_and_hang_up(
    trunk: tuple[str, str, str] = TRUNK, desk: tuple[str, str, str] = DESK
) -> list[Any]:
    return [
        event("DialEnd", 6, **chan("", *trunk), **chan("Dest", *desk), DialStatus="ANSWER"),
        event("BridgeEnter", 6, **chan("", *trunk), BridgeUniqueid="br-1"),
        event("BridgeEnter", 6, **chan("", *desk), BridgeUniqueid="br-1"),
        event("Hangup", 66, **chan("", *desk), Cause="16"),
        event("Hangup", 66, **chan("", *trunk), Cause="16"),
    ]


def nobody_answers() -> list[Any]:
    return [
        event("DialEnd", 20, **chan("", *TRUNK), **chan("Dest", *DESK), DialStatus="NOANSWER"),
        event("Hangup", 20, **chan("", *DESK), Cause="19"),
        event("Hangup", 21, **chan("", *TRUNK), Cause="16"),
    ]


def line_and_customer(client: TestClient, team: Team, source: str) -> dict[str, Any]:
    """The line Тверская of ``source``, and a customer who calls from CUSTOMER."""
    line = client.post(
        "/api/v1/lines",
        json={"number": LINE, "name": "Тверская", "source": source},
        headers=team.admin.auth,
    )
    assert line.status_code == 201, line.text
    return dict(
        client.post(
            "/api/v1/customers",
            json={"name": "Иван", "phones": [CUSTOMER]},
            headers=team.admin.auth,
        ).json()
    )


def deliveries(client: TestClient, team: Team, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/webhooks/deliveries", params=params, headers=team.admin.auth)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_a_call_reaches_the_shop_signed_and_in_order(
    bridged: TestClient, ami: ThreadedAmi, team: Team, receiver: WebhookReceiver
) -> None:
    add_endpoint(bridged, team, receiver.url, CALL_EVENTS)
    customer = line_and_customer(bridged, team, "Яндекс Директ")
    ami.push(*ring(), *talk_and_hang_up())
    wait_until(lambda: len(receiver.taken()) >= 3, timeout=10)
    taken = receiver.taken()
    assert [r.type for r in taken] == ["call.ringing", "call.answered", "call.ended"]
    assert all(r.signature_ok for r in taken)
    assert [r.headers["X-Callcenter-Event"] for r in taken] == [r.type for r in taken]
    assert len({r.id for r in taken}) == 3
    ended = taken[-1].body
    assert set(ended) == {"id", "type", "created_at", "data"}
    data = ended["data"]
    assert data["call_id"] == "1790000000.1"
    assert (data["phone"], data["customer_id"]) == (CUSTOMER, customer["id"])
    assert (data["line"], data["line_name"], data["line_source"]) == (
        LINE,
        "Тверская",
        "Яндекс Директ",
    )
    assert (data["manager_id"], data["manager_extension"]) == (team.op1.id, "101")
    assert (data["status"], data["wait_seconds"], data["talk_seconds"]) == ("answered", 6, 60)
    assert data["started_at"] == "2026-09-21T14:13:20Z"  # T0 of the AMI trace, in UTC
    assert receiver.types().count("call.missed") == 0


def test_a_missed_call_tells_of_the_miss_and_the_callback(
    bridged: TestClient, ami: ThreadedAmi, team: Team, receiver: WebhookReceiver
) -> None:
    add_endpoint(bridged, team, receiver.url, [*CALL_EVENTS, "callback.created"])
    ami.push(*ring(), *nobody_answers())
    wait_until(lambda: len(receiver.taken()) >= 4, timeout=10)
    types = receiver.types()
    # One call's events in order; the callback is a key of its own.
    assert [t for t in types if t.startswith("call.")] == [
        "call.ringing",
        "call.ended",
        "call.missed",
    ]
    [callback] = [r.body["data"] for r in receiver.taken() if r.type == "callback.created"]
    assert callback["phone"] == CUSTOMER
    assert callback["call_id"] == "1790000000.1"
    task = bridged.get(f"/api/v1/tasks/{callback['task_id']}", headers=team.admin.auth).json()
    assert task["kind"] == "callback"


def test_retries_keep_the_order_and_every_try_is_logged(
    bridged: TestClient, ami: ThreadedAmi, team: Team, receiver: WebhookReceiver
) -> None:
    receiver.answer(500, 503)
    add_endpoint(bridged, team, receiver.url, CALL_EVENTS)
    ami.push(*ring(), *talk_and_hang_up())
    wait_until(lambda: len(receiver.taken()) >= 3, timeout=10)
    assert receiver.types() == ["call.ringing", "call.answered", "call.ended"]
    assert [r.status for r in receiver.received[:3]] == [500, 503, 200]
    assert receiver.received[0].id == receiver.received[2].id  # the same event, retried
    assert receiver.received[0].raw == receiver.received[2].raw
    first = deliveries(bridged, team, type="call.ringing")[0]
    detail = bridged.get(
        f"/api/v1/webhooks/deliveries/{first['id']}", headers=team.admin.auth
    ).json()
    assert [t["status_code"] for t in detail["tries"]] == [200, 503, 500]  # newest first
    assert detail["state"] == "delivered" and detail["attempts"] == 3
    assert detail["body"]["id"] == receiver.received[0].id


def test_a_receiver_that_does_not_answer_in_time_gets_it_again(
    bridged: TestClient, ami: ThreadedAmi, team: Team, receiver: WebhookReceiver
) -> None:
    receiver.answer(("sleep", 2.5, 200))
    add_endpoint(bridged, team, receiver.url, ["call.ringing"])
    ami.push(*ring())
    wait_until(lambda: len(receiver.received) >= 2, timeout=10)
    [delivery] = deliveries(bridged, team)
    wait_until(lambda: deliveries(bridged, team)[0]["state"] == "delivered")
    detail = bridged.get(
        f"/api/v1/webhooks/deliveries/{delivery['id']}", headers=team.admin.auth
    ).json()
    assert detail["tries"][-1]["error"] == "no answer within 1 s"
    # The late answer and the retry are one event: the shop drops the second by its id.
    wait_until(lambda: len(receiver.received) >= 2 and receiver.received[0].raw, timeout=5)
    assert receiver.received[0].id == receiver.received[1].id
    assert receiver.received[0].raw == receiver.received[1].raw


def test_an_endpoint_failing_for_long_is_paused_and_loses_nothing(
    settings: Settings, ami: ThreadedAmi, receiver: WebhookReceiver
) -> None:
    receiver.answer(default=500)
    with own_app(settings, ami, webhook_give_up_hours=1 / 3600) as (client, team):
        endpoint = add_endpoint(client, team, receiver.url, CALL_EVENTS)
        path = f"/api/v1/webhooks/endpoints/{endpoint['id']}"
        ami.push(*ring(), *talk_and_hang_up())
        paused = wait_until(
            lambda: (e := client.get(path, headers=team.admin.auth).json())["paused_at"] and e,
            timeout=10,
        )
        assert paused["paused_reason"] == "HTTP 500"
        assert paused["pending"] == 3 and paused["failed"] == 0
        tries = len(receiver.received)
        time.sleep(0.5)
        assert len(receiver.received) == tries  # nothing is sent while paused
        receiver.answer(default=200)
        resumed = client.post(f"{path}/resume", headers=team.admin.auth)
        assert resumed.status_code == 200 and resumed.json()["paused_at"] is None
        wait_until(lambda: len(receiver.taken()) >= 3, timeout=10)
    assert receiver.types() == ["call.ringing", "call.answered", "call.ended"]


def test_send_again_sends_the_same_event(
    bridged: TestClient, ami: ThreadedAmi, team: Team, receiver: WebhookReceiver
) -> None:
    add_endpoint(bridged, team, receiver.url, ["call.ringing"])
    ami.push(*ring())
    wait_until(lambda: receiver.taken(), timeout=10)
    [delivery] = wait_until(
        lambda: [d for d in deliveries(bridged, team) if d["state"] == "delivered"]
    )
    again = bridged.post(
        f"/api/v1/webhooks/deliveries/{delivery['id']}/send-again", headers=team.admin.auth
    )
    assert again.status_code == 200, again.text
    wait_until(lambda: len(receiver.taken()) >= 2, timeout=10)
    first, second = receiver.taken()
    assert (first.id, first.raw) == (second.id, second.raw)


def test_a_name_that_resolves_to_loopback_is_refused_when_connecting(
    settings: Settings, ami: ThreadedAmi, receiver: WebhookReceiver
) -> None:
    """With the default settings (no allow-list) a host name passes the URL check, and the
    address it resolves to is refused when connecting: the SSRF guard of DNS rebinding."""
    with own_app(settings, ami, webhook_allow="") as (client, team):
        port = receiver.url.split(":")[2].split("/")[0]
        add_endpoint(client, team, f"http://localhost:{port}/hook", ["call.ringing"])
        ami.push(*ring())
        [delivery] = wait_until(lambda: [d for d in deliveries(client, team) if d["attempts"]])
    assert delivery["state"] == "pending"
    assert delivery["last_error"].startswith("refused: localhost resolves to no public address")
    assert receiver.received == []


@contextmanager
def own_app(
    settings: Settings, ami: ThreadedAmi, **overrides: Any
) -> Iterator[tuple[TestClient, Team]]:
    """A service of its own with these settings, bridged to the fake PBX, and its team."""
    configured = settings.model_copy(
        update={"ami_username": "crm", "ami_port": ami.server.port, **overrides}
    )
    configured.ami_secret = type(settings.ami_secret)("crm-secret")
    with TestClient(create_app(configured)) as client:
        team = Team(*(make_user(client, login, role) for login, role in USERS))
        wait_until(lambda: pbx_state(client) == "connected")
        yield client, team


def test_an_order_after_a_call_and_the_callback_a_call_closed(
    bridged: TestClient, ami: ThreadedAmi, team: Team, receiver: WebhookReceiver
) -> None:
    add_endpoint(bridged, team, receiver.url, ["order.created", "callback.closed"])
    customer = line_and_customer(bridged, team, "Авито")
    other = bridged.post(
        "/api/v1/customers", json={"name": "Пётр", "phones": ["+79160000001"]},
        headers=team.admin.auth,
    ).json()  # fmt: skip
    ami.push(*ring(), *nobody_answers())
    second = ("PJSIP/anonymous-00000003", "1790000100.3", "1790000100.3")
    desk = ("PJSIP/101-00000004", "1790000100.4", "1790000100.3")
    ami.push(*ring(second, desk), *talk_and_hang_up(second, desk))
    wait_until(lambda: "callback.closed" in receiver.types(), timeout=10)
    item = {"product": "Чайник", "quantity": 1, "price": 2490}
    for who in (customer, other):  # only the first had a call before the order
        made = bridged.post(
            "/api/v1/orders",
            json={"customer_id": who["id"], "items": [item], "created_at": "2026-09-21T15:00:00Z"},
            headers=team.op1.auth,
        )
        assert made.status_code == 201, made.text
    wait_until(lambda: "order.created" in receiver.types(), timeout=10)
    [order] = [r.body["data"] for r in receiver.taken() if r.type == "order.created"]
    assert order["customer_id"] == customer["id"]
    assert (order["call_id"], order["line_source"]) == ("1790000100.3", "Авито")
    assert order["call_manager_id"] == team.op1.id
    assert receiver.types().count("order.created") == 1


def test_the_sender_process_comes_back_after_it_is_killed(
    bridged: TestClient, ami: ThreadedAmi, team: Team, receiver: WebhookReceiver
) -> None:
    add_endpoint(bridged, team, receiver.url, ["call.ringing"])
    ami.push(*ring())
    wait_until(lambda: receiver.taken(), timeout=10)
    relay = bridged.app.state.services.webhooks  # type: ignore[attr-defined]
    first = relay.process.pid
    os.kill(first, signal.SIGKILL)
    second = ("PJSIP/anonymous-00000003", "1790000100.3", "1790000100.3")
    desk = ("PJSIP/101-00000004", "1790000100.4", "1790000100.3")
    ami.push(*ring(second, desk))
    calls = lambda: list(dict.fromkeys(r.body["data"]["call_id"] for r in receiver.taken()))  # noqa: E731
    wait_until(lambda: len(calls()) >= 2, timeout=20)
    # The first may come twice (killed before it wrote the answer down): at least once.
    assert calls() == ["1790000000.1", "1790000100.3"]
    assert relay.process.pid != first
