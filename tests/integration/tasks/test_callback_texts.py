"""A callback's texts on the pages: in the reader's language, the missed call's time on the
shop's clock (CALLCENTER_TIMEZONE), from the events the API keeps as data."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from callcenter.core.settings import Settings
from tests.fakes.threaded_ami import ThreadedAmi, wait_until
from tests.integration.conftest import Team
from tests.integration.core.test_workplace_pages import login
from tests.integration.routing.test_routing_callbacks import REGULAR, inbound, regular, tasks

# The fake PBX's calls start at T0 = 1 790 000 000: 2026-09-21 14:13:20 UTC.


@pytest.fixture
def shop_zone() -> str:
    return "Europe/Moscow"


@pytest.fixture
def settings(settings: Settings, shop_zone: str) -> Settings:
    return settings.model_copy(update={"timezone": shop_zone})


@pytest.fixture
def missed(bridged: TestClient, ami: ThreadedAmi, team: Team) -> Iterator[TestClient]:
    """A regular customer of op2's called and nobody answered: op2 has a callback."""
    regular(bridged, team)
    inbound(ami, REGULAR, answered=False)
    wait_until(lambda: tasks(bridged, team.op2))
    login(bridged, team.op2)
    yield bridged


def task_cell(html: str) -> str:
    found = re.search(r'<tr class="task[^"]*" data-task-id="\d+">\s*<td>(.*?)</td>', html, re.S)
    assert found, html
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_a_callback_reads_in_russian_on_moscow_time(missed: TestClient) -> None:
    cell = task_cell(missed.get("/tasks?lang=ru").text)
    assert cell.startswith("Перезвонить · +7 916 123-45-67")
    assert "Пропущенный звонок: 21.09.2026 17:13 МСК" in cell
    assert "missed" not in cell.lower() and "UTC" not in cell
    # The desk shows the same words.
    assert "Пропущенный звонок: 21.09.2026 17:13 МСК" in task_cell(missed.get("/").text)


def test_the_same_callback_reads_in_english_for_an_english_reader(missed: TestClient) -> None:
    cell = task_cell(missed.get("/tasks?lang=en").text)
    assert cell.startswith("Call back · +7 916 123-45-67")
    assert "Missed call: 21/09/2026 17:13 MSK" in cell
    assert "Перезвонить" not in cell


@pytest.mark.parametrize("shop_zone", ["Asia/Yekaterinburg"])
def test_the_time_is_on_the_shops_clock(missed: TestClient) -> None:
    assert "Пропущенный звонок: 21.09.2026 19:13 +05" in task_cell(missed.get("/tasks").text)
    assert "Missed call: 21/09/2026 19:13 +05" in task_cell(missed.get("/tasks?lang=en").text)


def test_more_missed_calls_and_the_closing_call_are_lines_of_their_own(
    missed: TestClient, ami: ThreadedAmi, team: Team
) -> None:
    inbound(ami, REGULAR, answered=False)
    wait_until(lambda: len(tasks(missed, team.op2)[0]["events"]) == 2)
    cell = task_cell(missed.get("/tasks?lang=ru").text)
    assert "Пропущенный звонок: 21.09.2026 17:13 МСК" in cell
    assert "Ещё один пропущенный звонок: 21.09.2026 17:13 МСК" in cell

    inbound(ami, REGULAR, answered=True)
    wait_until(lambda: tasks(missed, team.op2, open="false"))
    done = missed.get("/tasks?done=1&lang=en").text
    assert re.search(r"Closed by a call: \d\d/\d\d/\d{4} \d\d:\d\d MSK", task_cell(done))
    assert "Закрыта после разговора:" in task_cell(missed.get("/tasks?done=1&lang=ru").text)


def test_the_api_keeps_the_title_and_gives_the_history_as_data(
    missed: TestClient, team: Team
) -> None:
    [task] = tasks(missed, team.op2)
    assert task["title"] == "Перезвонить: Пётр Регулярный"  # as before: the shop's language
    assert task["note"] == ""
    assert task["events"] == [
        {"what": "missed", "at": "2026-09-21T14:13:20", "call_id": task["call_id"]}
    ]


def test_a_manual_tasks_title_and_note_show_as_written(client: TestClient, team: Team) -> None:
    body = {"title": "Уточнить адрес", "note": "после 18:00"}
    assert client.post("/api/v1/tasks", json=body, headers=team.op1.auth).status_code == 201
    login(client, team.op1)
    assert task_cell(client.get("/tasks?lang=en").text) == "Уточнить адрес после 18:00"
