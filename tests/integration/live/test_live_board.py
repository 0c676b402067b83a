"""The supervisors' live board over ``GET /ws?board=1``: the snapshot, then calls, managers'
presence and device state, callback tasks and today's counters as the fake PBX reports calls.
Operators get 403 on /live and no board messages. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from starlette.testclient import TestClient, WebSocketTestSession

from callcenter.core.i18n import LANGUAGES, STRINGS
from callcenter.live.pages import LIVE_JS_STRINGS
from tests.fakes.threaded_ami import T0, ThreadedAmi, chan, event, wait_until
from tests.integration.conftest import PASSWORD, Team, User, web_login
from tests.integration.screenpop.test_screenpop_ws import (
    CUSTOMER,
    DESK1,
    DESK2,
    LINKEDID,
    TRUNK,
    answered_by_first,
    assert_silent,
    hang_up,
    inbound,
    receive,
    shop_customer,
)

MISSED_ID = "1790000100.1"
MISSED_TRUNK = ("PJSIP/anonymous-00000011", MISSED_ID, MISSED_ID)
MISSED_DESK = ("PJSIP/102-00000012", "1790000100.2", MISSED_ID)


@contextmanager
def board(client: TestClient, user: User) -> Iterator[WebSocketTestSession]:
    app: Any = client.app
    before = app.state.services.screenpop.connections
    with client.websocket_connect(f"/ws?token={user.token}&board=1") as ws:
        wait_until(lambda: app.state.services.screenpop.connections > before)
        yield ws


def until(
    ws: WebSocketTestSession, wanted: Callable[[dict[str, Any]], bool], timeout: float = 5.0
) -> dict[str, Any]:
    """The first message that matches, skipping the others (board.* come in any mix)."""
    seen = []
    for _ in range(200):
        try:
            message = receive(ws, timeout)
        except TimeoutError:
            raise AssertionError(f"no such message; got {seen}") from None
        if wanted(message):
            return message
        seen.append(message)
    raise AssertionError(seen)


def call_msg(state: str, call_id: str = LINKEDID) -> Callable[[dict[str, Any]], bool]:
    return lambda m: (
        m["type"] == "board.call"
        and m["call"]["call_id"] == call_id
        and m["call"]["state"] == state
    )


def manager_msg(manager_id: int, **fields: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda m: (
        m["type"] == "board.manager"
        and m["manager"]["id"] == manager_id
        and all(m["manager"].get(k) == v for k, v in fields.items())
    )


def test_the_board_follows_calls_presence_tasks_and_counters(
    team: Team, bridged: TestClient, ami: ThreadedAmi
) -> None:
    customer = shop_customer(bridged, team)
    app: Any = bridged.app
    app.state.services.live_board.clock = lambda: T0 + 100  # the fake PBX's "today"
    with board(bridged, team.supervisor) as ws:
        snapshot = receive(ws)
        assert snapshot["type"] == "board.snapshot"
        assert {"now", "calls", "managers", "tasks", "stats"} <= set(snapshot)
        assert snapshot["calls"] == []
        # Every manager, with presence and device state.
        op1 = {m["id"]: m for m in snapshot["managers"]}[team.op1.id]
        assert (op1["extension"], op1["status"], op1["device_state"]) == ("101", "offline", None)

        ami.push(*inbound(DESK1, DESK2))
        ringing = until(ws, call_msg("ringing"))["call"]
        assert ringing["direction"] == "in"
        assert ringing["phone"] == CUSTOMER
        assert ringing["customer"] == "Иван Петров"
        assert ringing["customer_id"] == customer["id"]
        assert ringing["manager_id"] is None
        assert set(ringing["rang"]) == {team.op1.id, team.op2.id}
        assert isinstance(ringing["since"], float)

        ami.push(*answered_by_first(DESK1, DESK2))
        talking = until(ws, call_msg("talking"))["call"]
        assert talking["manager_id"] == team.op1.id
        assert talking["extension"] == "101"

        ami.push(event("DeviceStateChange", 6, Device="PJSIP/101", State="INUSE"))
        until(ws, manager_msg(team.op1.id, device_state="INUSE"))
        # The browser softphone's state is its own; no desk phone and no browser: unreachable.
        ami.push(event("DeviceStateChange", 6, Device="PJSIP/web102", State="NOT_INUSE"))
        until(ws, manager_msg(team.op2.id, softphone_state="NOT_INUSE", reachable=True))
        ami.push(event("DeviceStateChange", 6, Device="PJSIP/102", State="UNAVAILABLE"))
        ami.push(event("DeviceStateChange", 6, Device="PJSIP/web102", State="UNAVAILABLE"))
        until(ws, manager_msg(team.op2.id, softphone_state="UNAVAILABLE", reachable=False))
        response = bridged.put(
            f"/api/v1/managers/{team.op1.id}/status",
            json={"status": "busy"},
            headers=team.op1.auth,
        )
        assert response.status_code == 200, response.text
        until(ws, manager_msg(team.op1.id, status="busy", device_state="INUSE"))

        # A new board sees the call as it is now.
        with board(bridged, team.admin) as ws_admin:
            late = receive(ws_admin)
            assert late["type"] == "board.snapshot"
            assert [(c["call_id"], c["state"]) for c in late["calls"]] == [(LINKEDID, "talking")]
            mine = {m["id"]: m for m in late["managers"]}
            assert (mine[team.op1.id]["status"], mine[team.op1.id]["device_state"]) == (
                "busy",
                "INUSE",
            )

        ami.push(*hang_up(TRUNK, DESK1))
        until(ws, call_msg("ended"))
        stats = until(ws, lambda m: m["type"] == "board.stats" and m["stats"]["calls"] == 1)
        assert stats["stats"] == {
            "day": "2026-09-21",
            "calls": 1,
            "answered": 1,
            "answered_pct": 100,
            "missed": 0,
            "avg_wait": 5,
            "avg_talk": 55,
        }

        # Nobody answers the next one: a callback task, and the counters move.
        ami.push(
            event(
                "Newchannel",
                70,
                **chan("", *MISSED_TRUNK, CallerIDNum="89165550101", ChannelState="4"),
            ),
            event("Newchannel", 71, **chan("", *MISSED_DESK, ChannelState="0")),
            event(
                "DialBegin",
                71,
                **chan("", *MISSED_TRUNK),
                **chan("Dest", *MISSED_DESK),
                DialString="102",
            ),
        )
        ringing = until(ws, call_msg("ringing", MISSED_ID))["call"]
        assert ringing["customer"] is None
        assert ringing["phone"] == "+79165550101"
        ami.push(
            event(
                "DialEnd",
                90,
                **chan("", *MISSED_TRUNK),
                **chan("Dest", *MISSED_DESK),
                DialStatus="NOANSWER",
            ),
            event("Hangup", 90, **chan("", *MISSED_DESK), Cause="19"),
            event("Hangup", 91, **chan("", *MISSED_TRUNK), Cause="16"),
        )
        until(ws, call_msg("ended", MISSED_ID))
        tasks = until(ws, lambda m: m["type"] == "board.tasks" and m["tasks"])["tasks"]
        assert [t["phone"] for t in tasks] == ["+79165550101"]
        assert tasks[0]["deadline"]
        stats = until(ws, lambda m: m["type"] == "board.stats" and m["stats"]["calls"] == 2)
        assert stats["stats"]["missed"] == 1
        assert stats["stats"]["answered_pct"] == 50


def test_a_board_opened_mid_call_learns_who_is_calling(
    team: Team, bridged: TestClient, ami: ThreadedAmi
) -> None:
    """With no board open the service does no lookups for it; a board that opens later gets
    the caller's name for the calls already ringing."""
    customer = shop_customer(bridged, team)
    app: Any = bridged.app
    with board(bridged, team.op1) as pops:  # an operator's socket is not a board
        ami.push(*inbound(DESK1))
        assert receive(pops)["type"] == "call.ringing"
    wait_until(
        lambda: (
            (app.state.services.screenpop.connections == 0) and app.state.services.live_board.calls
        )
    )
    (entry,) = app.state.services.live_board.calls.values()
    assert entry["customer_id"] is None  # not looked up: nobody was watching
    with board(bridged, team.supervisor) as ws:
        assert receive(ws)["type"] == "board.snapshot"
        named = until(ws, call_msg("ringing"))["call"]
        assert (named["customer_id"], named["customer"]) == (customer["id"], "Иван Петров")


def test_operators_get_no_board(team: Team, bridged: TestClient, ami: ThreadedAmi) -> None:
    assert web_login(bridged, "op1", PASSWORD).status_code == 303
    page = bridged.get("/live")
    assert page.status_code == 403
    assert "/static/live.js" not in page.text
    # ?board=1 on an operator's socket is ignored: their own pops only.
    with board(bridged, team.op1) as ws:
        assert_silent(ws)
        ami.push(*inbound(DESK2))
        assert_silent(ws, 0.5)
        ami.push(*inbound(DESK1)[1:])  # now the operator's own phone rings too
        assert receive(ws)["type"] == "call.ringing"
        assert_silent(ws)
    # The API agrees: no listening for operators.
    response = bridged.post(
        f"/api/v1/live/calls/{LINKEDID}/listen",
        json={"sdp": "v=0", "type": "offer"},
        headers=team.op1.auth,
    )
    assert response.status_code == 403


def test_supervisors_and_admins_get_the_page(team: Team, bridged: TestClient) -> None:
    for login in ("sup", "admin"):
        assert web_login(bridged, login, PASSWORD).status_code == 303
        page = bridged.get("/live")
        assert page.status_code == 200, page.text
        assert "/static/live.js" in page.text
        assert 'href="/live"' in page.text


def test_the_board_scripts_strings_exist_in_every_language() -> None:
    for key in LIVE_JS_STRINGS:
        assert all(STRINGS[key].get(lang) for lang in LANGUAGES), key
