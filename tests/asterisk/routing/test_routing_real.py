"""Routing on the real PBX: the dialplan asks our FastAGI server where to send each call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.core.models import Role
from tests.asterisk.pbx import Pbx, Sipp
from tests.asterisk.service import Service, run_service, wait_until
from tests.integration.conftest import make_user

pytestmark = pytest.mark.asterisk

REGULAR = "79161234567"
SHOP_NUMBER = "74950000000"  # not a test extension: the from-trunk _X. route with AGI


@pytest.fixture
def routed(pbx: Pbx, sipp: Sipp, tmp_path: Path) -> Iterator[Service]:
    yield from run_service(tmp_path)


@pytest.fixture
def agi_down(pbx: Pbx, sipp: Sipp, tmp_path: Path) -> Iterator[Service]:
    yield from run_service(
        tmp_path, agi_bind=""
    )  # the service's FastAGI is not there: connection refused


def shop(service: Service) -> dict[str, Any]:
    """A regular whose personal manager is 103; the default group is 101 alone."""
    client, sup = service.client, service.sup
    m103 = make_user(client, "m103", Role.OPERATOR, "103")
    admin = make_user(client, "boss", Role.ADMIN)
    for manager in (service.m101, service.m102, m103):
        response = client.put(
            f"/api/v1/managers/{manager.id}/status",
            json={"status": "available"},
            headers=admin.auth,
        )
        assert response.status_code == 200, response.text
    client.put(
        "/api/v1/settings/routing",
        json={"default_group": [service.m101.id], "ring_at_once": 0},
        headers=admin.auth,
    ).raise_for_status()
    customer = client.post(
        "/api/v1/customers",
        json={"name": "Пётр Постоянный", "phones": [REGULAR], "manager_id": m103.id},
        headers=sup.auth,
    ).json()
    return {"m103": m103, "admin": admin, "customer": customer}


def test_a_regular_reaches_their_personal_manager(routed: Service, sipp: Sipp) -> None:
    s = shop(routed)
    sipp.uas(5073, "uas_answer", calls=1)  # manager 103's phone
    sipp.call(REGULAR, SHOP_NUMBER, duration_ms=2000)
    call = routed.ended_call()
    assert (call["status"], call["route"]) == ("answered", "personal_manager")
    assert call["manager_id"] == s["m103"].id
    assert call["customer_id"] == s["customer"]["id"]


def test_personal_manager_on_a_break_the_group_gets_the_call(routed: Service, sipp: Sipp) -> None:
    s = shop(routed)
    routed.client.put(
        f"/api/v1/managers/{s['m103'].id}/status",
        json={"status": "break"},
        headers=s["admin"].auth,
    ).raise_for_status()
    sipp.uas(5071, "uas_answer", calls=1)  # manager 101, the default group
    sipp.call(REGULAR, SHOP_NUMBER, duration_ms=2000)
    call = routed.ended_call()
    assert (call["status"], call["route"]) == ("answered", "group")
    assert call["manager_id"] == routed.m101.id
    assert call["rang_manager_ids"] == [routed.m101.id]


def test_with_routing_down_the_dialplan_fallback_still_reaches_the_group(
    agi_down: Service, sipp: Sipp
) -> None:
    shop(agi_down)
    sipp.uas(5071, "uas_noanswer")
    sipp.uas(5072, "uas_answer", calls=1)
    sipp.call(REGULAR, SHOP_NUMBER, duration_ms=2000)
    call = agi_down.ended_call()
    assert call["status"] == "answered"
    assert call["route"] is None  # nobody routed it: the dialplan's DEFAULT_GROUP did
    assert call["manager_id"] == agi_down.m102.id
    assert sorted(call["rang_manager_ids"]) == sorted([agi_down.m101.id, agi_down.m102.id])


def test_an_unanswered_call_creates_exactly_one_callback(routed: Service, sipp: Sipp) -> None:
    s = shop(routed)
    sipp.uas(5073, "uas_noanswer")
    sipp.call(REGULAR, SHOP_NUMBER, duration_ms=1000, timeout=60, expect_ok=False)
    call = routed.ended_call(timeout=60)
    assert call["status"] == "missed"
    # The personal manager did not answer: the sample dialplan then rang the fallback group.
    assert sorted(call["rang_manager_ids"]) == sorted(
        [s["m103"].id, routed.m101.id, routed.m102.id]
    )

    def callbacks() -> list[dict[str, Any]]:
        response = routed.client.get("/api/v1/tasks", headers=routed.sup.auth)
        return [t for t in response.json()["items"] if t["kind"] == "callback"]

    [task] = wait_until(callbacks)
    assert task["assignee_id"] == s["m103"].id
    assert task["call_id"] == call["id"]
    assert task["customer_id"] == s["customer"]["id"]
    assert len(callbacks()) == 1
