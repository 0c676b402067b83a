"""Calls from Asterisk's CEL after a gap, on both databases: the real CEL traces of
tests/fixtures/cel (recorded from the test Asterisk) played into a running service."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from callcenter.calls.call_log import CallRecorder
from callcenter.calls.history import CallHistory, Reconciled, csv_source, table_source
from callcenter.core.models import Call, Task
from pbx_bridge.tracker import TrueTimes
from tests.integration.conftest import Team, db_call

TRACES = Path(__file__).parents[2] / "fixtures" / "cel"
GAP = ("inbound_answered_fallback", "inbound_noanswer", "queue_abandoned")


def history(client: TestClient, source: Path) -> CallHistory:
    services: Any = client.app.state.services  # type: ignore[attr-defined]
    recorder = CallRecorder(services.sessionmaker, "default", "RU")
    recorder.listeners.append(services.callbacks)
    return CallHistory(
        services.sessionmaker,
        recorder,
        csv_source(source),
        monitor_dir="/var/spool/asterisk/monitor",
        lookback_hours=24 * 365 * 30,
    )


def reconcile(client: TestClient, h: CallHistory, *args: Any) -> Reconciled:
    assert client.portal is not None
    return client.portal.call(h.reconcile, *args)


def cel_file(tmp_path: Path, *names: str, garbage: str = "") -> Path:
    path = tmp_path / "callcenter.csv"
    path.write_text("".join((TRACES / f"{n}.csv").read_text() for n in names) + garbage)
    return path


def count(client: TestClient, model: type[Any]) -> int:
    return db_call(client, lambda s: s.scalar(select(func.count()).select_from(model)))


def test_the_calls_of_a_gap_land_once(client: TestClient, team: Team, tmp_path: Path) -> None:
    h = history(client, cel_file(tmp_path, *GAP))
    first = reconcile(client, h)
    assert (first.stored, first.corrected, first.errors) == (3, 0, 0)
    calls = {
        c["linkedid"]: c
        for c in client.get("/api/v1/calls", headers=team.admin.auth).json()["items"]
    }
    answered = calls["1796422682.0"]
    assert answered["status"] == "answered"
    assert answered["manager_id"] == team.op1.id  # op1 has extension 101
    assert answered["line"] == "+74951234567"
    assert answered["phone"] == "+79161234567"
    assert (answered["wait_seconds"], answered["talk_seconds"]) == (1, 3)
    assert answered["started_at"] == "2026-12-04T22:18:02"
    abandoned = next(c for c in calls.values() if c["phone"] == "+79161234568")
    assert (abandoned["status"], abandoned["line"]) == ("missed", "7003")
    # Each missed call is a callback: the no-answer one (its caller talked to 101 before, in
    # the same gap, which does not close a later miss) and the one abandoned in the queue.
    tasks = client.get("/api/v1/tasks", headers=team.admin.auth).json()["items"]
    assert sorted(t["phone"] for t in tasks if t["kind"] == "callback") == [
        "+79161234567",
        "+79161234568",
    ]
    # Again over the same window: nothing changes, nothing doubles.
    again = reconcile(client, h)
    assert (again.stored, again.corrected) == (0, 0)
    assert count(client, Call) == 3 and count(client, Task) == 2


def test_a_call_seen_partly_over_ami_is_merged(client: TestClient, tmp_path: Path) -> None:
    """AMI saw the call begin, then the service died: the stored call is completed in place."""

    async def partial(session: Any) -> None:
        from callcenter.core.models import CallDirection

        session.add(
            Call(pbx="default", linkedid="1796422682.0", direction=CallDirection.IN, route="vip")
        )

    db_call(client, partial)
    result = reconcile(client, history(client, cel_file(tmp_path, "inbound_answered_fallback")))
    assert result.stored == 1
    [call] = db_call(client, _all)
    assert (call.status.value, call.route, call.talk_seconds) == ("answered", "vip", 3)


async def _all(session: Any) -> list[Call]:
    return list(await session.scalars(select(Call)))


def test_a_wrong_end_is_corrected(client: TestClient, tmp_path: Path) -> None:
    h = history(client, cel_file(tmp_path, "inbound_answered_fallback"))
    reconcile(client, h)

    async def spoil(session: Any) -> None:
        call = (await _all(session))[0]
        call.ended_at = call.ended_at.replace(minute=call.ended_at.minute + 1)

    db_call(client, spoil)
    assert reconcile(client, h).corrected == 1
    assert reconcile(client, h).corrected == 0


def test_live_calls_get_their_true_times(client: TestClient, tmp_path: Path) -> None:
    source = tmp_path / "callcenter.csv"
    rows = (TRACES / "inbound_answered.csv").read_text().splitlines(keepends=True)
    source.write_text("".join(r for r in rows if "LINKEDID_END" not in r and "CHAN_END" not in r))
    fed: list[TrueTimes] = []
    h = history(client, source)
    linkedid = rows[0].split(",")[11].strip('"')
    result = reconcile(client, h, (linkedid,), fed.append)
    assert (result.stored, result.adopted) == (0, 1)
    [times] = fed
    assert times.call_id == linkedid and times.answered_by == "101"
    assert times.answered_at is not None and times.answered_at - times.started_at == pytest.approx(
        1.0, abs=0.1
    )


def test_garbled_records_are_logged_and_the_rest_lands(
    client: TestClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    garbage = '"ANSWER","yesterday","","","","","","PJSIP/x-1","","","1.1","1.1","","",""\n\x00\x01broken\n'
    h = history(client, cel_file(tmp_path, "inbound_noanswer", garbage=garbage))
    with caplog.at_level(logging.WARNING, "callcenter.calls.history"):
        result = reconcile(client, h)
    assert (result.stored, result.errors) == (1, 2)
    assert "line 10: event time 'yesterday' is not a number" in caplog.text
    assert "line 11: 1 fields, expected 15" in caplog.text


def test_a_missing_source_says_so(
    client: TestClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "callcenter.calls.history"):
        result = reconcile(client, history(client, tmp_path / "nowhere.csv"))
    assert (result.read, result.errors) == (0, 1)
    assert "no such file" in caplog.text


def test_the_table_cel_pgsql_writes(
    client: TestClient, team: Team, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The same real records in the asterisk_cel table, as cel_pgsql would write them."""
    import csv

    from callcenter.core.models import AsteriskCel
    from pbx_bridge.cel import COLUMNS

    rows = [r for n in GAP for r in csv.reader((TRACES / f"{n}.csv").read_text().splitlines())]

    async def insert(session: Any) -> None:
        for row in rows:
            values = dict(zip(COLUMNS, row, strict=True))
            session.add(AsteriskCel(**{**values, "eventtime": float(values["eventtime"])}))
        session.add(
            AsteriskCel(
                eventtype="ANSWER",
                eventtime=1796422690.0,
                channame="PJSIP/x-1",
                uniqueid="1.1",
                linkedid="no good;",
            )
        )

    db_call(client, insert)
    services: Any = client.app.state.services  # type: ignore[attr-defined]
    recorder = CallRecorder(services.sessionmaker, "default", "RU")
    recorder.listeners.append(services.callbacks)
    h = CallHistory(
        services.sessionmaker,
        recorder,
        table_source(services.sessionmaker),
        lookback_hours=24 * 365 * 30,
    )
    with caplog.at_level(logging.WARNING, "callcenter.calls.history"):
        first = reconcile(client, h)
    assert (first.stored, first.errors) == (3, 1)
    assert "linkedid 'no good;' is not an Asterisk id" in caplog.text
    calls = client.get("/api/v1/calls?line=%2B74951234567", headers=team.admin.auth).json()["items"]
    assert [(c["status"], c["manager_id"], c["talk_seconds"]) for c in calls] == [
        ("answered", team.op1.id, 3)
    ]
    assert reconcile(client, h).stored == 0
