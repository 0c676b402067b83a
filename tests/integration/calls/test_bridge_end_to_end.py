"""The whole bridge inside the running service: fake AMI server over TCP → AmiClient → pump →
tracker → call log in the database → REST API. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from callcenter.core.models import Manager, Role
from tests.fakes.threaded_ami import ThreadedAmi, chan, event, wait_until
from tests.integration.conftest import Team, db_call, make_user

CUSTOMER = "+79161234567"


TRUNK = ("PJSIP/anonymous-00000001", "1790000000.1", "1790000000.1")
DESK = ("PJSIP/101-00000002", "1790000000.2", "1790000000.1")


def ringing_events() -> list[dict[str, str]]:
    return [
        event("Newchannel", 0, **chan("", *TRUNK, CallerIDNum="89161234567", ChannelState="4")),
        event("Newchannel", 1, **chan("", *DESK, ChannelState="0")),
        event("DialBegin", 1, **chan("", *TRUNK), **chan("Dest", *DESK), DialString="101"),
    ]


def calls(client: TestClient, team: Team, **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/calls", params=params, headers=team.supervisor.auth)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_inbound_call_lands_in_the_call_log(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    customer = bridged.post(
        "/api/v1/customers",
        json={"name": "Иван Петров", "phones": [CUSTOMER]},
        headers=team.admin.auth,
    ).json()
    ami.push(
        *ringing_events(),
        event("DialEnd", 6, **chan("", *TRUNK), **chan("Dest", *DESK), DialStatus="ANSWER"),
        event("BridgeEnter", 6, **chan("", *TRUNK), BridgeUniqueid="br-1"),
        event("BridgeEnter", 6, **chan("", *DESK), BridgeUniqueid="br-1"),
        event("DeviceStateChange", 6, Device="PJSIP/101", State="INUSE"),
        event("Hangup", 66, **chan("", *DESK), Cause="16"),
        event("Hangup", 66, **chan("", *TRUNK), Cause="16"),
    )
    [call] = wait_until(lambda: [c for c in calls(bridged, team) if c["status"]])
    assert call["linkedid"] == "1790000000.1"
    assert call["direction"] == "in"
    assert call["status"] == "answered"
    assert call["phone"] == CUSTOMER
    assert call["caller_id_raw"] == "89161234567"
    assert call["customer_id"] == customer["id"]
    assert call["manager_id"] == team.op1.id
    assert call["rang_manager_ids"] == [team.op1.id]
    assert (call["wait_seconds"], call["talk_seconds"]) == (6, 60)
    op1 = bridged.get(f"/api/v1/managers/{team.op1.id}", headers=team.op1.auth).json()
    assert op1["device_state"] == "INUSE"
    # The operator who took it sees it in their own log.
    mine = bridged.get("/api/v1/calls", headers=team.op1.auth).json()["items"]
    assert [c["id"] for c in mine] == [call["id"]]


def test_disconnect_mid_call_is_reconciled_on_reconnect(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    ami.push(*ringing_events())
    wait_until(lambda: calls(bridged, team))
    assert calls(bridged, team)[0]["status"] is None  # ringing
    # The call ends while the bridge is away; after the restart the PBX lists no channels.
    ami.server.live_channels = []
    ami.call(ami.server.restart())
    wait_until(lambda: ami.server.logins >= 2)
    [call] = wait_until(lambda: [c for c in calls(bridged, team) if c["status"]])
    assert call["status"] == "missed"
    assert call["ended_at"] is not None


def test_a_malformed_event_does_not_stop_the_bridge(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    ami.push(event("Hangup", 0, Channel="PJSIP/101-00000009"))  # no Uniqueid
    ami.call(ami.server.push_raw(b"\x00\xffnot an AMI message at all\r\n\r\n"))
    ami.push(*ringing_events())
    wait_until(lambda: calls(bridged, team))
    health = bridged.get("/healthz").json()["pbx"]["default"]
    assert health["bad_events"] == 1
    assert health["state"] == "connected"


def originate_script(ami: ThreadedAmi, success: bool, reason: str = "4") -> None:
    def on_action(action: dict[str, str]) -> list[dict[str, str]] | None:
        if action.get("Action") != "Originate":
            return None
        uid = action["ChannelId"]
        manager = ("PJSIP/101-0000000a", uid, uid)
        follow = [event("Newchannel", 0, **chan("", *manager, ChannelState="5"))]
        if success:
            follow += [
                event("Newstate", 3, **chan("", *manager, ChannelState="6")),
                event(
                    "OriginateResponse",
                    3,
                    ActionID=action["ActionID"],
                    Response="Success",
                    Reason=reason,
                    Channel=manager[0],
                    Uniqueid=uid,
                    Linkedid=uid,
                ),
            ]
        else:
            follow += [
                event("Hangup", 2, **chan("", *manager), Cause="17"),
                event(
                    "OriginateResponse",
                    2,
                    ActionID=action["ActionID"],
                    Response="Failure",
                    Reason=reason,
                    Channel="PJSIP/101",
                    Uniqueid=uid,
                    Linkedid=uid,
                ),
            ]
        asyncio.get_running_loop().call_later(
            0.05, lambda: asyncio.ensure_future(ami.server.push(*follow))
        )
        return [{"Response": "Success", "Message": "Originate successfully queued"}]

    ami.server.on_action = on_action


def test_click_to_call(bridged: TestClient, ami: ThreadedAmi, team: Team) -> None:
    originate_script(ami, success=True)
    response = bridged.post(
        "/api/v1/calls/originate", json={"phone": "8 (903) 111-22-33"}, headers=team.op1.auth
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "manager_answered"
    assert body["phone"] == "+79031112233"
    assert body["call_id"].startswith("crm-")
    [sent] = [a for a in ami.server.actions if a.get("Action") == "Originate"]
    assert sent["Channel"] == "PJSIP/101"
    assert sent["Context"] == "from-managers"
    assert sent["Exten"] == "79031112233"
    assert sent["Async"] == "true"
    assert sent["ChannelId"] == body["call_id"]
    [call] = wait_until(lambda: calls(bridged, team))
    assert call["linkedid"] == body["call_id"]
    assert call["direction"] == "out"
    assert call["phone"] == "+79031112233"


def test_click_to_call_when_the_managers_phone_is_busy(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    originate_script(ami, success=False, reason="5")
    response = bridged.post(
        "/api/v1/calls/originate", json={"phone": "+79031112233"}, headers=team.op1.auth
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "originate_failed"
    assert error["details"]["reason"] == "the manager's phone is busy"
    # The Hangup comes before the OriginateResponse that says why: the reason is refined.
    [call] = wait_until(
        lambda: [
            c for c in calls(bridged, team) if c["status_reason"] == error["details"]["reason"]
        ]
    )
    assert call["status"] == "failed"
    assert call["linkedid"] == error["details"]["call_id"]


def test_click_to_call_input_errors(bridged: TestClient, team: Team) -> None:
    no_ext = make_user(bridged, "noext", Role.OPERATOR)
    cases = [
        (team.op1, {"phone": "hello"}, 422, "phone"),
        (team.op1, {"phone": "101"}, 422, "phone"),
        (no_ext, {"phone": "+79031112233"}, 422, "manager_id"),
        (team.op1, {"phone": "+79031112233", "manager_id": team.op2.id}, 403, None),
    ]
    for user, body, status, field in cases:
        response = bridged.post("/api/v1/calls/originate", json=body, headers=user.auth)
        assert response.status_code == status, (body, response.text)
        if field:
            assert response.json()["error"]["details"]["fields"][0]["field"] == field


def test_click_to_call_without_a_pbx_is_503(client: TestClient, team: Team) -> None:
    response = client.post(
        "/api/v1/calls/originate", json={"phone": "+79031112233"}, headers=team.op1.auth
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "pbx_unavailable"


def test_click_to_call_goes_through_a_registered_browser_which_answers_by_itself(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    async def browser_of_op1(session: AsyncSession) -> None:
        manager = await session.get(Manager, team.op1.id)
        assert manager is not None
        manager.softphone_user, manager.softphone_state = "web101", "NOT_INUSE"

    db_call(bridged, browser_of_op1)
    originate_script(ami, success=True)
    channels = []
    for ring in (None, "desk", "browser"):
        ami.server.actions.clear()
        body = {"phone": "+79031112233"} | ({"ring": ring} if ring else {})
        response = bridged.post("/api/v1/calls/originate", json=body, headers=team.op1.auth)
        assert response.status_code == 200, response.text
        [sent] = [a for a in ami.server.actions if a.get("Action") == "Originate"]
        channels.append((sent["Channel"], sent.get("Variable", "")))
    auto = "PJSIP_HEADER(add,Call-Info)=<sip:callcenter>;answer-after=0"
    # By default the registered browser, asked to answer by itself; "desk" rings the desk phone.
    assert channels[0] == ("PJSIP/web101", auto)
    assert channels[1][0] == "PJSIP/101" and "answer-after" not in channels[1][1]
    assert channels[2] == ("PJSIP/web101", auto)
    # A manager with no browser account cannot ask for it, and is told which field is wrong.
    refused = bridged.post(
        "/api/v1/calls/originate",
        json={"phone": "+79031112233", "ring": "browser"},
        headers=team.op2.auth,
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["fields"][0]["field"] == "ring"
