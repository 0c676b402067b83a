"""The browsers' SIP accounts on the real Asterisk: the service writes them and reloads
res_pjsip; the account a manager's session gets registers over WSS; a wrong one is refused."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.softphone.accounts import PREFIX
from tests.asterisk.pbx import Pbx, Sipp
from tests.asterisk.service import Service, run_service, wait_until
from tests.asterisk.softphone.wss_register import WSS, register
from tests.integration.conftest import PASSWORD, web_login

pytestmark = pytest.mark.asterisk


@pytest.fixture
def service(pbx: Pbx, sipp: Sipp, tmp_path: Path) -> Iterator[Service]:
    accounts = pbx.root / "var/lib/asterisk/callcenter/pjsip_softphones.conf"
    yield from run_service(tmp_path, softphone_accounts=str(accounts), softphone_ws_url=WSS)
    accounts.unlink(missing_ok=True)
    pbx.rx("module reload res_pjsip.so")


def test_a_managers_account_registers_over_wss_and_a_wrong_one_does_not(
    service: Service, pbx: Pbx
) -> None:
    assert web_login(service.client, "m101", PASSWORD).status_code == 303
    answer = service.client.get("/api/v1/softphone/account")
    assert answer.status_code == 200, answer.text
    account = answer.json()
    assert account["user"] == f"{PREFIX}101"
    # Every manager with an extension has an endpoint now, with WebRTC media.
    endpoint = wait_until(lambda: "web102" in pbx.rx("pjsip show endpoints") and
                          pbx.rx("pjsip show endpoint web101"))  # fmt: skip
    assert "dtls" in endpoint and "webrtc" in endpoint
    assert asyncio.run(register(account["user"], account["realm"], account["ha1"])) == 200
    wrong = hashlib.md5(f"web101:{account['realm']}:guess".encode()).hexdigest()
    assert asyncio.run(register("web101", account["realm"], wrong)) == 401
    assert "Failed to authenticate" in pbx.log_file.read_text()[-20000:]
    # Another manager's account is not this session's to have: the API has no way to ask.
    other = service.client.get(f"/api/v1/softphone/account?manager_id={service.m102.id}")
    assert other.json()["user"] == "web101"
