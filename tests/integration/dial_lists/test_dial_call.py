"""Working a dial-list entry through the running service and a fake PBX over AMI: the "call"
originates through click-to-call, the call id is linked to the entry, and the PBX's status of
the call lands on the entry beside the manager's outcome. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from callcenter.core.models import DialListEntry
from tests.fakes.threaded_ami import ThreadedAmi, chan, event, wait_until
from tests.integration.calls.test_bridge_end_to_end import originate_script
from tests.integration.conftest import Team, db_call
from tests.integration.dial_lists.test_api_dial_lists import LISTS, build, make_rule

DAYTIME = dt.datetime(2026, 6, 15, 9, 0)  # 12:00 in Moscow


def one_entry_list(client: TestClient, team: Team) -> tuple[int, dict[str, Any]]:
    client.app.state.services.dial_lists.clock = lambda: DAYTIME  # type: ignore[attr-defined]
    response = client.post(
        "/api/v1/customers",
        json={"name": "Иван Петров", "phones": ["8 (903) 111-22-33"]},
        headers=team.admin.auth,
    )
    assert response.status_code == 201, response.text
    rule = make_rule(client, team.supervisor)
    built = build(
        client, team.supervisor, {"rule_id": rule, "name": "calls", "manager_ids": [team.op1.id]}
    )
    card = client.post(f"{LISTS}/{built['id']}/next", headers=team.op1.auth).json()["card"]
    assert card["entry"]["phone"] == "+79031112233"
    return built["id"], card["entry"]


def entry_of(client: TestClient, team: Team, list_id: int, entry_id: int) -> dict[str, Any]:
    url = f"{LISTS}/{list_id}/entries/{entry_id}"
    return dict(client.get(url, headers=team.op1.auth).json()["entry"])


def stored_status(client: TestClient, entry_id: int) -> str | None:
    async def read(session: AsyncSession) -> str | None:
        return await session.scalar(
            select(DialListEntry.call_status).where(DialListEntry.id == entry_id)
        )

    return db_call(client, read)


def test_working_an_entry_originates_and_the_call_status_lands(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    list_id, entry = one_entry_list(bridged, team)
    originate_script(ami, success=True)
    url = f"{LISTS}/{list_id}/entries/{entry['id']}"
    response = bridged.post(f"{url}/call", headers=team.op1.auth)
    assert response.status_code == 200, response.text
    call_id = response.json()["call"]["call_id"]
    assert response.json()["entry"]["call_linkedid"] == call_id
    [sent] = [a for a in ami.server.actions if a.get("Action") == "Originate"]
    assert (sent["Channel"], sent["Exten"]) == ("PJSIP/101", "79031112233")
    # The dialplan dials the customer, whose line is busy; both legs hang up.
    manager = ("PJSIP/101-0000000a", call_id, call_id)
    customer = ("PJSIP/customer-0000000b", "1790000100.2", call_id)
    ami.push(
        event("Newchannel", 4, **chan("", *customer, ChannelState="0")),
        event(
            "DialBegin", 4, **chan("", *manager), **chan("Dest", *customer),
            DialString="79031112233@customer",
        ),
        event("DialEnd", 5, **chan("", *manager), **chan("Dest", *customer), DialStatus="BUSY"),
        event("Hangup", 5, **chan("", *customer), Cause="17"),
        event("Hangup", 6, **chan("", *manager), Cause="16"),
    )  # fmt: skip
    # Straight from the table: the call-log listener stores it, not a read of the entry.
    landed = wait_until(lambda: stored_status(bridged, entry["id"]))
    assert landed == "busy"
    after = bridged.post(
        f"{url}/outcome", json={"outcome": "busy", "note": "занято"}, headers=team.op1.auth
    ).json()
    assert (after["outcome"], after["call_status"], after["state"]) == ("busy", "busy", "pending")
    assert after["call_status_reason"] == "the customer's line is busy"
    [call] = bridged.get("/api/v1/calls", headers=team.supervisor.auth).json()["items"]
    assert (call["linkedid"], call["status"], call["direction"]) == (call_id, "busy", "out")


def test_a_failed_originate_is_recorded_on_the_entry(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    list_id, entry = one_entry_list(bridged, team)
    originate_script(ami, success=False, reason="5")
    url = f"{LISTS}/{list_id}/entries/{entry['id']}"
    response = bridged.post(f"{url}/call", headers=team.op1.auth)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "originate_failed"
    stored = entry_of(bridged, team, list_id, entry["id"])
    assert (stored["call_status"], stored["call_status_reason"]) == (
        "failed",
        "the manager's phone is busy",
    )
    assert stored["call_linkedid"] == response.json()["error"]["details"]["call_id"]
    assert stored["state"] == "in_progress"  # still the manager's, to try again or record


def test_calling_without_a_pbx_is_503(client: TestClient, team: Team) -> None:
    list_id, entry = one_entry_list(client, team)
    response = client.post(f"{LISTS}/{list_id}/entries/{entry['id']}/call", headers=team.op1.auth)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "pbx_unavailable"
