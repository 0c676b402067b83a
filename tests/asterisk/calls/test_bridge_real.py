"""The bridge against a real Asterisk 22, with real SIP calls from sipp. Asserts on what
lands in the database, read back through the REST API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.asterisk.pbx import Pbx, Sipp
from tests.asterisk.service import Service, run_service, wait_until
from tests.integration.conftest import User

pytestmark = pytest.mark.asterisk

CUSTOMER = "79161234567"


@pytest.fixture
def service(pbx: Pbx, sipp: Sipp, tmp_path: Path) -> Iterator[Service]:
    yield from run_service(tmp_path)


def operator_calls(service: Service, user: User) -> list[int]:
    items = service.client.get("/api/v1/calls", headers=user.auth).json()["items"]
    return [c["id"] for c in items]


def test_inbound_call_answered_by_a_manager(service: Service, sipp: Sipp) -> None:
    customer = service.client.post(
        "/api/v1/customers",
        json={"name": "Иван Петров", "phones": ["+7 916 123-45-67"]},
        headers=service.sup.auth,
    ).json()
    sipp.uas(5071, "uas_answer", calls=1)
    sipp.call(CUSTOMER, "7001", duration_ms=3000)
    call = service.ended_call()
    assert call["direction"] == "in"
    assert call["status"] == "answered"
    assert call["phone"] == "+79161234567"
    assert call["customer_id"] == customer["id"]
    assert call["manager_id"] == service.m101.id
    assert call["rang_manager_ids"] == [service.m101.id]
    assert call["talk_seconds"] >= 2
    assert 0 <= call["wait_seconds"] <= 5
    assert operator_calls(service, service.m101) == [call["id"]]
    assert operator_calls(service, service.m102) == []


def test_inbound_call_nobody_answers(service: Service, sipp: Sipp) -> None:
    sipp.uas(5071, "uas_noanswer")
    sipp.call(CUSTOMER, "7001", duration_ms=1000, timeout=60, expect_ok=False)
    call = service.ended_call(timeout=60)
    assert call["status"] == "missed"
    assert call["status_reason"] == "nobody answered"
    assert call["manager_id"] is None
    assert call["rang_manager_ids"] == [service.m101.id]
    assert call["wait_seconds"] >= 15


def test_caller_hangs_up_while_ringing(service: Service, sipp: Sipp) -> None:
    sipp.uas(5071, "uas_noanswer")
    sipp.call(CUSTOMER, "7001", scenario="uac_cancel", duration_ms=2000, expect_ok=False)
    call = service.ended_call()
    assert call["status"] == "missed"
    assert call["status_reason"] == "the caller hung up before an answer"
    assert call["talk_seconds"] is None


def test_ring_group_second_phone_answers(service: Service, sipp: Sipp) -> None:
    sipp.uas(5071, "uas_noanswer")
    sipp.uas(5072, "uas_answer", calls=1)
    sipp.call(CUSTOMER, "7000", duration_ms=2000)
    call = service.ended_call()
    assert call["status"] == "answered"
    assert call["manager_id"] == service.m102.id
    assert sorted(call["rang_manager_ids"]) == sorted([service.m101.id, service.m102.id])


def test_click_to_call(service: Service, sipp: Sipp) -> None:
    sipp.uas(5071, "uas_answer", calls=1)  # the manager's phone
    sipp.uas(5080, "uas_answer_hangup", calls=1)  # the customer, who hangs up after a while
    response = service.client.post(
        "/api/v1/calls/originate",
        json={"phone": "8 (903) 111-22-33"},
        headers=service.m101.auth,
    )
    assert response.status_code == 200, response.text
    call_id = response.json()["call_id"]
    call = service.ended_call()
    assert call["linkedid"] == call_id
    assert call["direction"] == "out"
    assert call["phone"] == "+79031112233"
    assert call["status"] == "answered"
    assert call["manager_id"] == service.m101.id


def test_click_to_call_to_an_unavailable_phone(service: Service, sipp: Sipp) -> None:
    response = service.client.post(
        "/api/v1/calls/originate", json={"phone": "+79031112233"}, headers=service.m104.auth
    )
    assert response.status_code == 409, response.text
    reason = response.json()["error"]["details"]["reason"]
    assert reason == "the manager's phone is unavailable"
    call = service.ended_call()
    assert (call["status"], call["status_reason"]) == ("failed", reason)


def test_asterisk_restart_while_connected(service: Service, pbx: Pbx, sipp: Sipp) -> None:
    assert service.pbx()["connects"] == 1
    pbx.rx("core restart now")
    wait_until(lambda: service.pbx()["connects"] >= 2 and service.pbx()["state"] == "connected", 60)
    sipp.uas(5071, "uas_answer", calls=1)
    sipp.call(CUSTOMER, "7001", duration_ms=2000)
    call = service.ended_call()
    assert call["status"] == "answered"
    assert call["manager_id"] == service.m101.id
