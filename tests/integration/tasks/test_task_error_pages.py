"""What the tasks pages and the live board say when an action is refused: in the reader's
language, not the API's English (which stays in the API, and under "Details" on the page)."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.integration.conftest import Team
from tests.integration.core.test_workplace_pages import csrf_of, login


def said(html: str) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', html, re.S)
    assert found, html
    return found.group(1).strip()


def op2s_task(client: TestClient, team: Team) -> int:
    """A task the supervisor gave op2."""
    body = {"title": "Перезвонить", "assignee_id": team.op2.id}
    response = client.post("/api/v1/tasks", json=body, headers=team.supervisor.auth)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_completing_a_done_task_says_so_in_russian_and_english(
    client: TestClient, team: Team
) -> None:
    task_id = op2s_task(client, team)
    login(client, team.op2)
    csrf = csrf_of(client.get("/tasks").text)
    done = client.post(f"/tasks/{task_id}/complete", data={"csrf_token": csrf})
    assert done.status_code == 200  # back on the list
    again = client.post(f"/tasks/{task_id}/complete?lang=ru", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert said(again.text) == "Эта задача уже выполнена."
    assert "already completed" not in again.text
    again = client.post(f"/tasks/{task_id}/complete?lang=en", data={"csrf_token": csrf})
    assert said(again.text) == "This task is done already."
    # The API keeps its code and message.
    api = client.post(f"/api/v1/tasks/{task_id}/complete", headers=team.op2.auth)
    assert api.json()["error"]["code"] == "already_done"
    assert api.json()["error"]["message"] == f"task {task_id} was already completed"


def test_someone_elses_task_is_refused_in_words_with_the_detail_kept(
    client: TestClient, team: Team
) -> None:
    task_id = op2s_task(client, team)
    login(client, team.op1)
    csrf = csrf_of(client.get("/tasks").text)
    refused = client.post(f"/tasks/{task_id}/complete?lang=ru", data={"csrf_token": csrf})
    assert refused.status_code == 403
    assert said(refused.text) == "У вас нет прав на это действие."
    assert "<summary>Подробности</summary>" in refused.text
    assert '<code lang="en">this task is assigned to someone else</code>' in refused.text
    # An English reader gets the API's own sentence, which is more precise.
    refused = client.post(f"/tasks/{task_id}/complete?lang=en", data={"csrf_token": csrf})
    assert said(refused.text) == "this task is assigned to someone else"
    assert "<details" not in refused.text


def test_the_live_board_tells_an_operator_who_may_see_it(client: TestClient, team: Team) -> None:
    login(client, team.op1)
    page = client.get("/live?lang=ru")
    assert page.status_code == 403
    assert said(page.text) == "Звонки онлайн видят только супервизоры и администраторы."
    assert said(client.get("/live?lang=en").text) == (
        "The live board is for supervisors and administrators."
    )


def test_a_stale_form_says_so_in_the_readers_language(client: TestClient, team: Team) -> None:
    login(client, team.op1)
    client.get("/tasks?lang=en")
    stale = client.post("/tasks/new", data={"csrf_token": "stale", "title": "x"})
    assert stale.status_code == 403
    assert said(stale.text) == "The form has expired; please submit it again."
