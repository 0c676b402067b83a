"""Each manager's browser account: written into the file Asterisk includes, handed to the
manager's own browser session only, never in a log (both databases)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from callcenter.app import create_app
from callcenter.core.models import Role
from callcenter.core.settings import Settings
from tests.integration.conftest import PASSWORD, make_user, web_login

WS = "wss://pbx.shop.test:8089/ws"


@pytest.fixture
def accounts(tmp_path: Path) -> Path:
    return tmp_path / "asterisk" / "pjsip_softphones.conf"


@pytest.fixture
def phone_client(settings: Settings, accounts: Path) -> TestClient:
    on = settings.model_copy(update={"softphone_accounts": str(accounts), "softphone_ws_url": WS})
    with TestClient(create_app(on)) as client:
        yield client  # type: ignore[misc]


def test_a_manager_gets_their_own_account_and_asterisk_gets_the_file(
    phone_client: TestClient, accounts: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # the service logs at INFO; drivers echo SQL at DEBUG
    op = make_user(phone_client, "op1", Role.OPERATOR, "101")
    assert web_login(phone_client, "op1", PASSWORD).status_code == 303
    answer = phone_client.get("/api/v1/softphone/account")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    account = answer.json()
    assert (account["user"], account["uri"], account["ws_url"]) == (
        "web101", "sip:web101@pbx.shop.test", WS,
    )  # fmt: skip
    assert account["realm"] == "callcenter" and len(account["ha1"]) == 32
    text = accounts.read_text()
    assert "[web101](manager-webrtc)" in text and f"md5_cred = {account['ha1']}" in text
    assert accounts.stat().st_mode & 0o777 == 0o640
    again = phone_client.get("/api/v1/softphone/account").json()
    assert again["ha1"] == account["ha1"]  # the same account, not a new one each time
    assert all(account["ha1"] not in r.getMessage() for r in caplog.records)
    # An integration token is not a browser: no SIP credential for it.
    token = phone_client.get("/api/v1/softphone/account", headers=op.auth)
    assert token.status_code == 403


def test_a_new_extension_gets_a_new_secret_and_the_old_endpoint_goes(
    phone_client: TestClient, accounts: Path
) -> None:
    admin = make_user(phone_client, "admin", Role.ADMIN)
    op = make_user(phone_client, "op2", Role.OPERATOR, "102")
    assert web_login(phone_client, "op2", PASSWORD).status_code == 303
    before = phone_client.get("/api/v1/softphone/account").json()
    moved = phone_client.patch(
        f"/api/v1/managers/{op.id}", json={"extension": "105"}, headers=admin.auth
    )
    assert moved.status_code == 200, moved.text
    after = phone_client.get("/api/v1/softphone/account").json()
    assert after["user"] == "web105" and after["ha1"] != before["ha1"]
    text = accounts.read_text()
    assert "[web105](manager-webrtc)" in text and "web102" not in text


def test_no_extension_and_no_softphone_are_plain_answers(
    phone_client: TestClient, client: TestClient
) -> None:
    make_user(phone_client, "boss", Role.SUPERVISOR)
    assert web_login(phone_client, "boss", PASSWORD).status_code == 303
    none = phone_client.get("/api/v1/softphone/account")
    assert none.status_code == 409 and none.json()["error"]["code"] == "no_extension"
    make_user(client, "op3", Role.OPERATOR, "103")
    assert web_login(client, "op3", PASSWORD).status_code == 303
    off = client.get("/api/v1/softphone/account")
    assert off.status_code == 503
    assert "CALLCENTER_SOFTPHONE_ACCOUNTS" in off.json()["error"]["message"]


def page_data(client: TestClient) -> dict[str, object]:
    page = client.get("/")
    assert page.status_code == 200, page.text
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', page.text)
    assert found, page.text
    return dict(json.loads(found[1]))


def test_the_workplace_carries_the_phone_for_who_takes_calls_and_lets_it_reach_asterisk(
    phone_client: TestClient,
) -> None:
    make_user(phone_client, "op1", Role.OPERATOR, "101")
    make_user(phone_client, "sup1", Role.SUPERVISOR)
    assert web_login(phone_client, "op1", PASSWORD).status_code == 303
    assert page_data(phone_client)["softphone"] is True
    page = phone_client.get("/").text
    assert 'id="softphone"' in page and 'data-dtmf="#"' in page
    # The page may open a WebSocket to Asterisk's WSS origin, and to nowhere else.
    policy = phone_client.get("/").headers["content-security-policy"]
    assert "connect-src 'self' wss://pbx.shop.test:8089;" in policy
    phone_client.cookies.clear()
    # A supervisor without an extension takes no calls: no phone on their page.
    assert web_login(phone_client, "sup1", PASSWORD).status_code == 303
    assert page_data(phone_client)["softphone"] is False
    assert 'id="softphone"' not in phone_client.get("/").text


def test_without_softphones_the_page_has_no_phone_and_no_foreign_origin(
    client: TestClient,
) -> None:
    make_user(client, "op1", Role.OPERATOR, "101")
    assert web_login(client, "op1", PASSWORD).status_code == 303
    assert page_data(client)["softphone"] is False
    assert client.get("/").headers["content-security-policy"] == (
        "default-src 'self'; connect-src 'self'; frame-ancestors 'none'"
    )
