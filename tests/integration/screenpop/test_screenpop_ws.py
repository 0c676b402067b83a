"""``GET /ws`` end to end: calls ring on a fake AMI server over TCP, and the managers' sockets
(Starlette's TestClient) get call.ringing / call.answered / call.ended. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient, WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from tests.fakes.threaded_ami import ThreadedAmi, chan, event, wait_until
from tests.integration.conftest import PASSWORD, Team, User, web_login

CUSTOMER = "+79161234567"
LINKEDID = "1790000000.1"
TRUNK = ("PJSIP/anonymous-00000001", LINKEDID, LINKEDID)
DESK1 = ("PJSIP/101-00000002", "1790000000.2", LINKEDID)
DESK2 = ("PJSIP/102-00000003", "1790000000.3", LINKEDID)


def receive(ws: WebSocketTestSession, timeout: float = 5.0) -> dict[str, Any]:
    async def next_message() -> Any:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(next_message)
    ws._raise_on_close(message)
    return dict(json.loads(message["text"]))


def assert_silent(ws: WebSocketTestSession, wait: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        receive(ws, wait)


@contextmanager
def pops(client: TestClient, user: User) -> Iterator[WebSocketTestSession]:
    with client.websocket_connect(f"/ws?token={user.token}") as ws:
        # The hub knows the socket once the endpoint has subscribed it.
        wait_until(lambda: client.app.state.services.screenpop.connections > 0)  # type: ignore[attr-defined]
        yield ws


def inbound(*desks: tuple[str, str, str], number: str = "89161234567") -> list[dict[str, str]]:
    blocks = [
        event(
            "Newchannel",
            0,
            **chan("", *TRUNK, CallerIDNum=number, ChannelState="4"),
            ChanVariable="CRM_ROUTE=group",
        )
    ]
    for desk in desks:
        blocks.append(event("Newchannel", 1, **chan("", *desk, ChannelState="0")))
    for desk in desks:
        dial = desk[0][6:9]
        blocks.append(
            event("DialBegin", 1, **chan("", *TRUNK), **chan("Dest", *desk), DialString=dial)
        )
    return blocks


def answered_by_first(*desks: tuple[str, str, str]) -> list[dict[str, str]]:
    first, *others = desks
    blocks = [
        event("DialEnd", 5, **chan("", *TRUNK), **chan("Dest", *d), DialStatus="CANCEL")
        for d in others
    ]
    blocks += [event("Hangup", 5, **chan("", *d), Cause="26") for d in others]
    blocks.append(
        event("DialEnd", 5, **chan("", *TRUNK), **chan("Dest", *first), DialStatus="ANSWER")
    )
    return blocks


def hang_up(*channels: tuple[str, str, str]) -> list[dict[str, str]]:
    return [event("Hangup", 60, **chan("", *c), Cause="16") for c in channels]


def shop_customer(client: TestClient, team: Team) -> dict[str, Any]:
    customer = client.post(
        "/api/v1/customers",
        json={"name": "Иван Петров", "phones": [CUSTOMER], "tags": ["vip"]},
        headers=team.admin.auth,
    ).json()
    order = client.post(
        "/api/v1/orders",
        json={
            "customer_id": customer["id"],
            "number": "A-1001",
            "items": [{"product": "Чайник электрический", "quantity": 2, "price": 2490}],
        },
        headers=team.admin.auth,
    )
    assert order.status_code == 201, order.text
    return dict(customer)


# --- authentication -------------------------------------------------------------------------


def closed_with(client: TestClient, url: str, **kwargs: Any) -> int:
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(url, **kwargs) as ws,
    ):
        receive(ws)
    return closed.value.code


def test_no_credentials_or_a_bad_token_is_4401(client: TestClient, team: Team) -> None:
    assert closed_with(client, "/ws") == 4401
    assert closed_with(client, "/ws?token=cct_nonsense") == 4401
    assert closed_with(client, "/ws?token=") == 4401


def test_a_token_or_a_session_cookie_connects(client: TestClient, team: Team) -> None:
    with pops(client, team.op1) as ws:
        assert_silent(ws)
    assert web_login(client, "op2", PASSWORD).status_code == 303
    with client.websocket_connect("/ws", headers={"origin": "http://testserver"}) as ws:
        assert_silent(ws)


def test_a_session_cookie_from_another_site_is_4403(client: TestClient, team: Team) -> None:
    assert web_login(client, "op1", PASSWORD).status_code == 303
    assert closed_with(client, "/ws", headers={"origin": "https://evil.example"}) == 4403
    # A token is not a cookie: any page holding one may connect.
    with client.websocket_connect(
        f"/ws?token={team.op1.token}", headers={"origin": "https://shop.example"}
    ) as ws:
        assert_silent(ws)


def test_the_token_is_kept_out_of_the_log(
    client: TestClient, team: Team, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="uvicorn.error")
    logging.getLogger("uvicorn.error").info(
        '%s - "WebSocket %s" [accepted]', "1.2.3.4", f"/ws?token={team.op1.token}"
    )
    assert team.op1.token not in caplog.text
    assert "token=<redacted>" in caplog.text


# --- calls ----------------------------------------------------------------------------------


def test_a_ring_group_pops_both_and_closes_on_answer(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    customer = shop_customer(bridged, team)
    with (
        pops(bridged, team.op1) as ws1,
        pops(bridged, team.op2) as ws2,
        pops(bridged, team.supervisor) as ws_sup,
    ):
        ami.push(*inbound(DESK1, DESK2))
        for ws in (ws1, ws2):
            pop = receive(ws)
            assert pop["type"] == "call.ringing"
            assert pop["call_id"] == LINKEDID
            assert pop["direction"] == "in"
            assert pop["phone"] == CUSTOMER
            assert pop["route"] == "group"
            card = pop["customer"]
            assert card["id"] == customer["id"]
            assert card["name"] == "Иван Петров"
            assert card["phones"] == [CUSTOMER]
            assert card["tags"] == ["vip"]
            assert (card["orders_count"], card["total_spent"], card["average_check"]) == (
                1,
                4980.0,
                4980.0,
            )
            assert card["segment"] == "vip"
            assert "manager_id" in card
            order = pop["last_order"]
            assert order["number"] == "A-1001"
            assert order["status"] == "new"
            assert order["total"] == 4980.0
            assert order["items"] == [
                {"product": "Чайник электрический", "quantity": 2, "price": 2490.0}
            ]
            assert {"id", "created_at"} <= set(order)
        ami.push(*answered_by_first(DESK1, DESK2))
        for ws in (ws1, ws2):
            assert receive(ws) == {
                "type": "call.answered",
                "call_id": LINKEDID,
                "answered_by": team.op1.id,
            }
        ami.push(*hang_up(DESK1, TRUNK))
        for ws in (ws1, ws2):
            assert receive(ws) == {"type": "call.ended", "call_id": LINKEDID, "status": "answered"}
        assert_silent(ws_sup)  # extension 100 never rang


def test_an_unknown_number_pops_without_a_card(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    with pops(bridged, team.op1) as ws:
        ami.push(*inbound(DESK1, number="+7 (903) 555-00-11"))
        pop = receive(ws)
        assert (pop["phone"], pop["customer"], pop["last_order"]) == ("+79035550011", None, None)
        ami.push(*hang_up(DESK1, TRUNK))
        assert receive(ws) == {"type": "call.ended", "call_id": LINKEDID, "status": "missed"}


def test_one_pop_per_call_and_device(bridged: TestClient, ami: ThreadedAmi, team: Team) -> None:
    with pops(bridged, team.op1) as ws:
        ami.push(*inbound(DESK1))
        assert receive(ws)["type"] == "call.ringing"
        # The same device dialled again for the same call (a re-dial, a retry).
        ami.push(
            event("DialBegin", 2, **chan("", *TRUNK), **chan("Dest", *DESK1), DialString="101")
        )
        ami.push(*answered_by_first(DESK1))
        assert receive(ws)["type"] == "call.answered"


def test_a_reconnecting_browser_gets_the_pops_still_ringing(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    shop_customer(bridged, team)
    with pops(bridged, team.op1) as ws:
        ami.push(*inbound(DESK1, DESK2))
        assert receive(ws)["type"] == "call.ringing"
    hub: Any = bridged.app.state.services.screenpop  # type: ignore[attr-defined]
    wait_until(lambda: hub.connections == 0)
    with pops(bridged, team.op1) as ws:
        replay = receive(ws)
        assert (replay["type"], replay["call_id"]) == ("call.ringing", LINKEDID)
        assert replay["customer"]["name"] == "Иван Петров"
        assert replay["last_order"]["number"] == "A-1001"
        assert_silent(ws)  # once
    ami.push(*answered_by_first(DESK2, DESK1))
    wait_until(lambda: not hub._pops[("default", LINKEDID)].open)
    with pops(bridged, team.op1) as ws:
        assert_silent(ws)  # answered by op2: nothing rings for op1 any more


def click_to_call_script(ami: ThreadedAmi) -> None:
    """What Asterisk sends for an Originate of PJSIP/101: the manager's own phone is dialled
    (DialBegin without a caller), answers, then the dialplan dials the customer."""

    def on_action(action: dict[str, str]) -> list[dict[str, str]] | None:
        if action.get("Action") != "Originate":
            return None
        uid = action["ChannelId"]
        desk = ("PJSIP/101-0000000a", uid, uid)
        follow = [
            event("Newchannel", 0, **chan("", *desk, ChannelState="0")),
            event("DialBegin", 0, **chan("Dest", *desk), DialString="101"),
            event("Newstate", 2, **chan("", *desk, ChannelState="6")),
            event("DialEnd", 2, **chan("Dest", *desk), DialStatus="ANSWER"),
            event(
                "OriginateResponse",
                2,
                ActionID=action["ActionID"],
                Response="Success",
                Reason="4",
                Channel=desk[0],
                Uniqueid=uid,
                Linkedid=uid,
            ),
        ]
        asyncio.get_running_loop().call_later(
            0.05, lambda: asyncio.ensure_future(ami.server.push(*follow))
        )
        return [{"Response": "Success", "Message": "Originate successfully queued"}]

    ami.server.on_action = on_action


def test_click_to_call_pops_the_card_for_the_calling_manager(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    customer = shop_customer(bridged, team)
    click_to_call_script(ami)
    with pops(bridged, team.op1) as ws, pops(bridged, team.op2) as ws2:
        response = bridged.post(
            "/api/v1/calls/originate", json={"phone": "8 916 123-45-67"}, headers=team.op1.auth
        )
        assert response.status_code == 200, response.text
        pop = receive(ws)
        assert pop["type"] == "call.ringing"
        assert pop["call_id"] == response.json()["call_id"]
        assert pop["direction"] == "out"
        assert pop["route"] == "click_to_call"
        assert pop["customer"]["id"] == customer["id"]
        assert pop["last_order"]["number"] == "A-1001"
        assert_silent(ws2)


def test_a_recorded_asterisk_ring_group_trace(
    bridged: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    """Real Asterisk 22 bytes (tests/fixtures/ami): 101 and 102 ring, 102 answers."""
    from tests.fakes.traces import trace_bytes

    customer = shop_customer(bridged, team)
    with pops(bridged, team.op1) as ws1, pops(bridged, team.op2) as ws2:
        ami.call(ami.server.push_raw(trace_bytes("ring_group_second_answers")))
        first = [receive(ws) for ws in (ws1, ws2)]
        assert [p["type"] for p in first] == ["call.ringing", "call.ringing"]
        assert {p["customer"]["id"] for p in first} == {customer["id"]}
        call_id = first[0]["call_id"]
        for ws in (ws1, ws2):
            assert receive(ws) == {
                "type": "call.answered",
                "call_id": call_id,
                "answered_by": team.op2.id,
            }
            assert receive(ws) == {"type": "call.ended", "call_id": call_id, "status": "answered"}


def test_a_socket_that_falls_behind_is_closed_to_resync(client: TestClient, team: Team) -> None:
    hub: Any = client.app.state.services.screenpop  # type: ignore[attr-defined]
    with pops(client, team.op1) as ws:

        async def flood() -> None:  # in one go: the socket's sender gets no turn in between
            for n in range(hub.queue_size + 10):
                hub.ring(
                    ("default", f"c{n}"), team.op1.id, {"type": "call.ringing", "call_id": f"c{n}"}
                )

        assert ws.portal is not None
        ws.portal.call(flood)
        got = 0
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                receive(ws)
                got += 1
        assert closed.value.code == 1013
        assert got == hub.queue_size
    assert hub.dropped == 10
    # Reconnecting, the browser gets every call still ringing for it. (Straight away: more
    # calls ring than its queue holds, so this socket too is closed once they are sent, and
    # may be gone before a look at the hub's connections would see it.)
    with client.websocket_connect(f"/ws?token={team.op1.token}") as ws:
        assert len([receive(ws) for _ in range(hub.queue_size)]) == hub.queue_size
