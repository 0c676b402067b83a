"""Routing over FastAGI and missed-call callbacks, through the running service."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from starlette.testclient import TestClient

from tests.fakes.threaded_ami import ThreadedAmi, chan, event, wait_until
from tests.integration.conftest import Team
from tests.integration.routing.test_agi import headers, session

REGULAR = "+79161234567"


def route(client: TestClient, caller: str) -> dict[str, str]:
    port = client.app.state.services.agi.port  # type: ignore[attr-defined]
    return asyncio.run(session(port, headers(caller=caller)))


def status(client: TestClient, team: Team, user: Any, value: str) -> None:
    response = client.put(
        f"/api/v1/managers/{user.id}/status", json={"status": value}, headers=team.admin.auth
    )
    assert response.status_code == 200, response.text


def regular(client: TestClient, team: Team) -> dict[str, Any]:
    response = client.post(
        "/api/v1/customers",
        json={"name": "Пётр Регулярный", "phones": [REGULAR], "manager_id": team.op2.id},
        headers=team.admin.auth,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_routing_decisions_over_fastagi(bridged: TestClient, team: Team) -> None:
    customer = regular(bridged, team)
    settings = {
        "default_group": [team.op1.id, team.op2.id],
        "vip_group": [team.supervisor.id],
        "ring_at_once": 0,
    }
    response = bridged.put("/api/v1/settings/routing", json=settings, headers=team.admin.auth)
    assert response.status_code == 200, response.text
    for user in (team.op1, team.op2, team.supervisor):
        status(bridged, team, user, "available")

    got = route(bridged, "8 (916) 123-45-67")
    assert got == {
        "CRM_DIAL": "PJSIP/102",
        "CRM_ROUTE": "personal_manager",
        "CRM_CUSTOMER_ID": str(customer["id"]),
        "CRM_MANAGER_ID": str(team.op2.id),
    }

    status(bridged, team, team.op2, "break")
    got = route(bridged, REGULAR)
    assert (got["CRM_DIAL"], got["CRM_ROUTE"]) == ("PJSIP/100", "vip")

    got = route(bridged, "+79030000000")  # a new caller
    assert got["CRM_ROUTE"] == "group"
    assert got["CRM_DIAL"] == "PJSIP/101"  # op2 is on a break
    assert got["CRM_CUSTOMER_ID"] == ""

    status(bridged, team, team.op1, "offline")
    assert route(bridged, "+79030000000")["CRM_ROUTE"] == "fallback"


def test_routing_settings_validation(bridged: TestClient, team: Team) -> None:
    bad = bridged.put(
        "/api/v1/settings/routing", json={"vip_group": [999]}, headers=team.admin.auth
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["fields"][0]["field"] == "vip_group.0"
    wrong = bridged.put(
        "/api/v1/settings/routing", json={"ring_at_once": -1}, headers=team.admin.auth
    )
    assert wrong.status_code == 422
    forbidden = bridged.put("/api/v1/settings/routing", json={}, headers=team.supervisor.auth)
    assert forbidden.status_code == 403
    assert (
        bridged.get("/api/v1/settings/routing", headers=team.supervisor.auth).json()[
            "callback_deadline_minutes"
        ]
        == 10
    )


TRUNK_N = 0


def inbound(ami: ThreadedAmi, caller: str, answered: bool) -> None:
    global TRUNK_N
    TRUNK_N += 1
    uid = f"1790000100.{TRUNK_N}"
    trunk = (f"PJSIP/anonymous-{TRUNK_N:08x}", uid, uid)
    desk = (f"PJSIP/101-{TRUNK_N:08x}", uid + "1", uid)
    outcome = "ANSWER" if answered else "NOANSWER"
    ami.push(
        event("Newchannel", 0, **chan("", *trunk, CallerIDNum=caller)),
        event("Newchannel", 1, **chan("", *desk)),
        event("DialBegin", 1, **chan("", *trunk), **chan("Dest", *desk), DialString="101"),
        event("DialEnd", 20, **chan("", *trunk), **chan("Dest", *desk), DialStatus=outcome),
        event("Hangup", 40, **chan("", *desk), Cause="16"),
        event("Hangup", 40, **chan("", *trunk), Cause="16"),
    )


def tasks(client: TestClient, user: Any, **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/tasks", params=params, headers=user.auth)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_missed_calls_become_one_callback_closed_by_a_later_call(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    customer = regular(bridged, team)
    inbound(ami, "89161234567", answered=False)
    [task] = wait_until(lambda: tasks(bridged, team.op2))
    assert task["kind"] == "callback"
    assert task["assignee_id"] == team.op2.id  # the personal manager
    assert task["customer_id"] == customer["id"]
    assert task["phone"] == REGULAR
    assert task["title"] == "Перезвонить: Пётр Регулярный"
    # Due ten minutes after the missed call ended (on the PBX's clock), not after the task
    # was made: a call reconciled after an outage is as late as it really is.
    deadline = dt.datetime.fromisoformat(task["deadline"])
    missed = dt.datetime.fromisoformat(task["events"][0]["at"])
    assert dt.timedelta(minutes=10) <= deadline - missed <= dt.timedelta(minutes=11)

    assert task["note"] == ""  # the history is data: events
    assert [(e["what"], e["call_id"]) for e in task["events"]] == [("missed", task["call_id"])]

    inbound(ami, "+7 916 123 45 67", answered=False)  # again: no second task
    again = wait_until(lambda: tasks(bridged, team.op2)[0]["events"][1:])
    assert again[0]["what"] == "missed_again"
    assert again[0]["call_id"] == tasks(bridged, team.op2)[0]["call_id"] != task["call_id"]
    assert len(tasks(bridged, team.supervisor, open="true")) == 1

    inbound(ami, REGULAR, answered=True)  # they got through: the callback is done
    [done] = wait_until(lambda: tasks(bridged, team.supervisor, open="false"))
    assert done["id"] == task["id"]
    assert [e["what"] for e in done["events"]] == ["missed", "missed_again", "closed"]
    assert done["events"][2]["at"] == done["done_at"][:19]
    assert done["note"] == ""


def test_unknown_callers_callback_goes_to_the_group(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    inbound(ami, "+79035550000", answered=False)
    [task] = wait_until(lambda: tasks(bridged, team.op1))
    assert (task["assignee_id"], task["group_name"]) == (None, "default")
    assert [t["id"] for t in tasks(bridged, team.op2)] == [task["id"]]
    taken = bridged.post(f"/api/v1/tasks/{task['id']}/take", headers=team.op1.auth)
    assert taken.status_code == 200
    assert taken.json()["assignee_id"] == team.op1.id
    assert tasks(bridged, team.op2) == []
    again = bridged.post(f"/api/v1/tasks/{task['id']}/take", headers=team.op2.auth)
    assert again.status_code == 403  # no longer a group task: it is op1's


def test_a_new_callback_pops_to_its_assignee(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    regular(bridged, team)
    with bridged.websocket_connect(f"/ws?token={team.op2.token}") as socket:
        inbound(ami, REGULAR, answered=False)
        while True:
            message = socket.receive_json()
            if message["type"] == "task.created":
                break
    assert message["task"]["assignee_id"] == team.op2.id
    assert message["task"]["phone"] == REGULAR
    assert message["call_id"].startswith("1790000100.")
