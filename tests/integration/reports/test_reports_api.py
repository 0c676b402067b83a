"""The reports through the API on the hand-computed shop of fixture.py, on both databases:
every figure below is worked out by hand from the calls, orders and tasks listed there."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from callcenter.core.models import Call, CallStatus
from tests.integration.conftest import Team, db_call
from tests.integration.reports import fixture
from tests.integration.reports.fixture import L1, L2, L3, Ids, at

PERIOD = {"period": "custom", "from": "2026-11-02", "until": "2026-11-03"}
ZERO = {
    "inbound_offered": 0, "inbound_answered": 0, "inbound_missed": 0, "answered_pct": None,
    "outbound_placed": 0, "outbound_connected": 0, "wait_avg": None, "wait_p90": None,
    "talk_total": 0, "talk_avg": None, "callbacks_given": 0, "callbacks_on_time": 0,
    "callbacks_on_time_pct": None, "callback_median_minutes": None, "tasks_given": 0,
    "tasks_closed": 0, "tasks_closed_pct": None, "orders_after_call": 0, "orders": 0,
    "orders_completed": 0, "conversion_pct": None, "orders_share_pct": 0.0,
}  # fmt: skip
OP1 = {
    "inbound_offered": 5, "inbound_answered": 2, "inbound_missed": 1, "answered_pct": 40.0,
    "outbound_placed": 1, "outbound_connected": 1, "wait_avg": 7.5, "wait_p90": 10,
    "talk_total": 1220, "talk_avg": 406.7, "callbacks_given": 2, "callbacks_on_time": 1,
    "callbacks_on_time_pct": 50.0, "callback_median_minutes": 20.0, "tasks_given": 3,
    "tasks_closed": 2, "tasks_closed_pct": 66.7, "orders_after_call": 2, "orders": 2,
    "orders_completed": 2, "conversion_pct": 100.0, "orders_share_pct": 50.0,
}  # fmt: skip
OP2 = {
    "inbound_offered": 4, "inbound_answered": 2, "inbound_missed": 1, "answered_pct": 50.0,
    "outbound_placed": 1, "outbound_connected": 0, "wait_avg": 19.5, "wait_p90": 30,
    "talk_total": 360, "talk_avg": 180.0, "callbacks_given": 1, "callbacks_on_time": 0,
    "callbacks_on_time_pct": 0.0, "callback_median_minutes": 570.0, "tasks_given": 2,
    "tasks_closed": 1, "tasks_closed_pct": 50.0, "orders_after_call": 1, "orders": 2,
    "orders_completed": 0, "conversion_pct": 0.0, "orders_share_pct": 50.0,
}  # fmt: skip
OP3 = {**ZERO, "outbound_placed": 1, "outbound_connected": 1, "talk_total": 100,
       "talk_avg": 100.0}  # fmt: skip
TEAM = {
    "inbound_offered": 6, "inbound_answered": 4, "inbound_missed": 2, "answered_pct": 66.7,
    "outbound_placed": 3, "outbound_connected": 2, "wait_avg": 13.5, "wait_p90": 30,
    "talk_total": 1680, "talk_avg": 280.0, "callbacks_given": 3, "callbacks_on_time": 1,
    "callbacks_on_time_pct": 33.3, "callback_median_minutes": 295.0, "tasks_given": 5,
    "tasks_closed": 3, "tasks_closed_pct": 60.0, "orders_after_call": 3, "orders": 5,
    "orders_completed": 3, "conversion_pct": 60.0, "orders_share_pct": 80.0,
}  # fmt: skip


def shop(client: TestClient, team: Team) -> Ids:
    async def build(session: AsyncSession) -> Ids:
        return await fixture.build(session, team.op1.id, team.op2.id)

    return db_call(client, build)


def figures(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("manager_id", "name", "active")}


def get(client: TestClient, who: Any, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/reports/{path}", params=params, headers=who.auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_per_manager_figures_match_the_hand_computed_shop(client: TestClient, team: Team) -> None:
    ids = shop(client, team)
    body = get(client, team.supervisor, "managers", **PERIOD)
    rows = {r["manager_id"]: r for r in body["rows"]}
    assert set(rows) == {team.op1.id, team.op2.id, ids.op3, team.supervisor.id}
    assert figures(rows[team.op1.id]) == OP1
    assert figures(rows[team.op2.id]) == OP2
    assert figures(rows[ids.op3]) == OP3
    assert rows[ids.op3]["active"] is False and rows[ids.op3]["name"] == "Ольга Третья"
    assert figures(rows[team.supervisor.id]) == ZERO
    assert figures(body["team"]) == TEAM
    assert body["meta"] == {
        "first": "2026-11-02", "last": "2026-11-03", "previous_first": "2026-10-31",
        "previous_last": "2026-11-01", "timezone": "Europe/Moscow", "sl_seconds": 20,
        "order_window_hours": 24,
    }  # fmt: skip


def test_an_operator_sees_only_their_own_row(client: TestClient, team: Team) -> None:
    shop(client, team)
    body = get(client, team.op2, "managers", **PERIOD)
    assert [r["manager_id"] for r in body["rows"]] == [team.op2.id]
    assert figures(body["rows"][0]) == OP2
    assert body["team"] is None
    for path in ("lines", "load", "trend"):
        response = client.get(f"/api/v1/reports/{path}", params=PERIOD, headers=team.op2.auth)
        assert response.status_code == 403, (path, response.text)


def test_per_line_figures_and_the_service_level_threshold(client: TestClient, team: Team) -> None:
    shop(client, team)
    body = get(client, team.supervisor, "lines", **PERIOD)
    rows = {r["line"]: r for r in body["rows"]}
    assert set(rows) == {L1, L2, L3}
    assert rows[L1] == {
        "line": L1, "name": "Тверская", "source": "сайт", "offered": 4, "answered": 3,
        "answered_pct": 75.0, "abandoned": 1, "abandoned_pct": 25.0, "answered_within": 2,
        "service_level_pct": 50.0, "wait_avg": 16.3,
    }  # fmt: skip
    assert rows[L2] == {
        "line": L2, "name": None, "source": None, "offered": 2, "answered": 1,
        "answered_pct": 50.0, "abandoned": 1, "abandoned_pct": 50.0, "answered_within": 1,
        "service_level_pct": 50.0, "wait_avg": 5.0,
    }  # fmt: skip
    assert rows[L3]["name"] == "Авито" and rows[L3]["offered"] == 0
    assert rows[L3]["service_level_pct"] is None
    total = body["total"]
    assert (total["offered"], total["answered"], total["abandoned"]) == (6, 4, 2)
    assert (total["answered_pct"], total["abandoned_pct"]) == (66.7, 33.3)
    assert (total["answered_within"], total["service_level_pct"], total["wait_avg"]) == (
        3, 50.0, 13.5,
    )  # fmt: skip
    wider = get(client, team.supervisor, "lines", **PERIOD, sl_seconds=30)
    rows = {r["line"]: r for r in wider["rows"]}
    assert (rows[L1]["answered_within"], rows[L1]["service_level_pct"]) == (3, 75.0)
    assert wider["total"]["service_level_pct"] == 66.7
    assert wider["meta"]["sl_seconds"] == 30


def test_load_by_weekday_and_hour_on_the_shops_clock(client: TestClient, team: Team) -> None:
    shop(client, team)
    cells = get(client, team.supervisor, "load", **PERIOD)["cells"]
    assert len(cells) == 7 * 24
    busy = {(c["weekday"], c["hour"]): (c["inbound"], c["missed"]) for c in cells if c["inbound"]}
    # Call 4 at 23:50 Monday stays Monday; call 5 at 00:10 Tuesday is Tuesday, though it is
    # still Monday in UTC.
    assert busy == {(1, 10): (2, 0), (1, 11): (1, 1), (1, 23): (1, 0), (2, 0): (1, 1),
                    (2, 9): (1, 0)}  # fmt: skip


def test_trend_day_by_day_against_the_previous_period(client: TestClient, team: Team) -> None:
    shop(client, team)
    body = get(client, team.supervisor, "trend", **PERIOD)
    assert body["days"] == [
        {"day": "2026-11-02", "calls": 5, "inbound": 4, "answered": 3, "answered_pct": 75.0,
         "missed": 1},
        {"day": "2026-11-03", "calls": 4, "inbound": 2, "answered": 1, "answered_pct": 50.0,
         "missed": 1},
    ]  # fmt: skip
    assert body["previous"] == [
        {"day": "2026-10-31", "calls": 0, "inbound": 0, "answered": 0, "answered_pct": None,
         "missed": 0},
        {"day": "2026-11-01", "calls": 1, "inbound": 1, "answered": 1, "answered_pct": 100.0,
         "missed": 0},
    ]  # fmt: skip


def test_a_late_change_to_a_past_call_changes_the_figures(client: TestClient, team: Team) -> None:
    ids = shop(client, team)
    before = get(client, team.supervisor, "managers", **PERIOD)
    assert figures(before["team"]) == TEAM

    async def correct(session: AsyncSession) -> None:
        # Reconciliation learns that op2 did answer call 3 after all...
        await session.execute(
            update(Call)
            .where(Call.id == ids.calls[3])
            .values(status=CallStatus.ANSWERED, manager_id=team.op2.id, talk_seconds=40,
                    answered_at=at(2, 11, 0, 25))
        )  # fmt: skip
        # ...and someone moves call 12 into the period by hand, in plain SQL.
        await session.execute(
            text("UPDATE calls SET started_at = :t WHERE id = :id"),
            {"t": at(3, 23), "id": ids.calls[12]},
        )

    db_call(client, correct)
    after = get(client, team.supervisor, "managers", **PERIOD)
    rows = {r["manager_id"]: r for r in after["rows"]}
    assert rows[team.op2.id]["inbound_answered"] == 3
    assert rows[team.op2.id]["inbound_missed"] == 0
    assert rows[team.op2.id]["wait_p90"] == 30
    assert rows[team.op1.id]["inbound_offered"] == 6  # call 12 rang op1
    assert rows[team.op1.id]["inbound_missed"] == 1  # call 12, no longer call 3
    assert (after["team"]["inbound_offered"], after["team"]["inbound_answered"]) == (7, 5)
    lines = {r["line"]: r for r in get(client, team.supervisor, "lines", **PERIOD)["rows"]}
    assert (lines[L1]["offered"], lines[L1]["answered"], lines[L1]["abandoned"]) == (5, 4, 1)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "custom", "from": "2026-11-03", "until": "2026-11-02"}, "until"),
        ({"period": "custom", "from": "2025-01-01", "until": "2026-11-02"}, "until"),
        ({"period": "custom", "until": "2026-11-02"}, "from"),
        ({"period": "custom", "from": "2026-11-02"}, "until"),
        ({"period": "today", "from": "2026-11-02"}, "period"),
        ({"period": "fortnight"}, "period"),
        ({"period": "custom", "from": "2 ноября", "until": "2026-11-02"}, "from"),
        ({"sl_seconds": "0"}, "sl_seconds"),
        ({"manager": "7"}, "manager"),
    ],
)
def test_bad_periods_and_unknown_filters_get_a_422_naming_the_field(
    client: TestClient, team: Team, params: dict[str, str], field: str
) -> None:
    response = client.get("/api/v1/reports/managers", params=params, headers=team.admin.auth)
    assert response.status_code == 422, response.text
    fields = [f["field"] for f in response.json()["error"]["details"]["fields"]]
    assert fields == [field], response.json()


def test_named_periods_answer(client: TestClient, team: Team) -> None:
    for period in ("today", "yesterday", "this_week", "this_month"):
        body = get(client, team.admin, "trend", period=period)
        assert body["meta"]["last"] >= body["meta"]["first"]
        assert len(body["days"]) == len(body["previous"])
