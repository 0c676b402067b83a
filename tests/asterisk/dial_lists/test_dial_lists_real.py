"""Working a dial list against a real Asterisk 22: "call" rings the manager's sipp phone, then
the customer's (sipp on 5080); the call's real status lands on the entry beside the outcome."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.asterisk.pbx import Pbx, Sipp
from tests.asterisk.service import Service, run_service, wait_until

pytestmark = pytest.mark.asterisk

DAYTIME = dt.datetime(2026, 6, 15, 9, 0)  # 12:00 in Moscow: within calling hours


@pytest.fixture
def service(pbx: Pbx, sipp: Sipp, tmp_path: Path) -> Iterator[Service]:
    yield from run_service(tmp_path)


def take_entry(service: Service) -> tuple[str, dict[str, Any]]:
    client, sup, m101 = service.client, service.sup, service.m101
    client.app.state.services.dial_lists.clock = lambda: DAYTIME  # type: ignore[attr-defined]
    customer = client.post(
        "/api/v1/customers",
        json={"name": "Иван Петров", "phones": ["8 (903) 111-22-33"]},
        headers=sup.auth,
    )
    assert customer.status_code == 201, customer.text
    rule = client.post(
        "/api/v1/dial-rules", json={"name": "all", "tree": {"all": []}}, headers=sup.auth
    ).json()
    created = client.post(
        "/api/v1/dial-lists",
        json={"rule_id": rule["id"], "name": "real", "manager_ids": [m101.id]},
        headers=sup.auth,
    ).json()
    url = f"/api/v1/dial-lists/{created['id']}"
    wait_until(lambda: client.get(url, headers=sup.auth).json()["status"] == "ready")
    card = client.post(f"{url}/next", headers=m101.auth).json()["card"]
    assert card["customer"]["id"] == customer.json()["id"]
    return f"{url}/entries/{card['entry']['id']}", card["entry"]


def entry_status(service: Service, url: str) -> str | None:
    entry = service.client.get(url, headers=service.m101.auth).json()["entry"]
    return entry["call_status"]  # type: ignore[no-any-return]


def test_working_an_entry_places_a_real_call(service: Service, sipp: Sipp) -> None:
    url, _ = take_entry(service)
    sipp.uas(5071, "uas_answer", calls=1)  # manager 101's phone
    sipp.uas(5080, "uas_answer_hangup", calls=1)  # the customer answers, hangs up later
    response = service.client.post(f"{url}/call", headers=service.m101.auth)
    assert response.status_code == 200, response.text
    call_id = response.json()["call"]["call_id"]
    assert response.json()["entry"]["call_linkedid"] == call_id
    call = service.ended_call()
    assert (call["linkedid"], call["status"], call["direction"]) == (call_id, "answered", "out")
    assert call["phone"] == "+79031112233"
    assert wait_until(lambda: entry_status(service, url)) == "answered"
    entry = service.client.post(
        f"{url}/outcome",
        json={"outcome": "not_interested", "note": "уже купил"},
        headers=service.m101.auth,
    ).json()
    assert (entry["state"], entry["outcome"], entry["call_status"]) == (
        "done",
        "not_interested",
        "answered",
    )
    assert entry["attempts"] == 1


def test_a_busy_customer_is_retried(service: Service, sipp: Sipp) -> None:
    url, _ = take_entry(service)
    sipp.uas(5071, "uas_answer", calls=1)
    sipp.uas(5080, "uas_busy", calls=1)
    response = service.client.post(f"{url}/call", headers=service.m101.auth)
    assert response.status_code == 200, response.text
    call = service.ended_call()
    assert (call["status"], call["status_reason"]) == ("busy", "the customer's line is busy")
    assert wait_until(lambda: entry_status(service, url)) == "busy"
    entry = service.client.post(
        f"{url}/outcome", json={"outcome": "busy"}, headers=service.m101.auth
    ).json()
    assert (entry["state"], entry["outcome"], entry["call_status"]) == ("pending", "busy", "busy")
    assert entry["next_attempt_at"] == "2026-06-15T11:00:00"  # two hours later, by default
