"""Every number on the reports page leads to exactly the calls, tasks or orders behind it: each
link is followed, and the list it opens has the figure's count (both databases)."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient

from tests.integration.conftest import PASSWORD, Team, web_login
from tests.integration.reports.test_reports_api import OP1, OP2, PERIOD, TEAM, shop
from tests.integration.reports.test_reports_export_and_page import cells

# The figure that counts the rows behind each column's link: a share links to its numerator,
# an average to the rows it averages.
BEHIND = {
    "answered_pct": "inbound_answered",
    "wait_avg": "inbound_answered",
    "wait_p90": "inbound_answered",
    "talk_avg": "talk_calls",
    "talk_total": "talk_calls",
    "callbacks_on_time_pct": "callbacks_on_time",
    "callback_median_minutes": "callbacks_closed",
    "tasks_closed_pct": "tasks_closed",
    "conversion_pct": "orders_completed",
    "orders_share_pct": "orders",
}
# Worked out from fixture.py: op1 talked on calls 1, 4 and 7; op2 on 2 and 6; the team adds
# op3's call 9. Closed callbacks: T1 (op1) and T2 (op2).
EXTRA = {
    "op1": {"talk_calls": 3, "callbacks_closed": 1},
    "op2": {"talk_calls": 2, "callbacks_closed": 1},
    "team": {"talk_calls": 6, "callbacks_closed": 2},
}
TOTAL = re.compile(r'id="(?:calls|tasks|orders)-total" data-total="(\d+)"')


def total_behind(client: TestClient, url: str) -> int:
    page = client.get(url)
    assert page.status_code == 200, (url, page.text[:500])
    found = TOTAL.search(page.text)
    assert found, url
    return int(found.group(1))


def follow_every_link(client: TestClient, row: dict[str, tuple[str, str | None]],
                      expected: dict[str, Any], behind: dict[str, str] = BEHIND) -> int:  # fmt: skip
    """Follow each link of a report's row; ``expected`` holds the counts by column (or by
    the figure ``behind`` names for it)."""
    followed = 0
    for column, (_, url) in row.items():
        if url is None:
            continue
        key = behind.get(column, column)
        assert total_behind(client, url) == expected[key], (column, url)
        followed += 1
    return followed


def test_every_managers_number_opens_its_rows(client: TestClient, team: Team) -> None:
    shop(client, team)
    assert web_login(client, "sup", PASSWORD).status_code == 303
    html = client.get("/reports", params=PERIOD).text
    rows = {"op1": (str(team.op1.id), OP1), "op2": (str(team.op2.id), OP2), "team": ("team", TEAM)}
    for name, (row_id, figures) in rows.items():
        row = cells(html, "report-managers", row_id)
        followed = follow_every_link(client, row, {**figures, **EXTRA[name]})
        assert followed >= 15, name  # every non-zero figure has its link


def test_every_lines_number_opens_its_calls(client: TestClient, team: Team) -> None:
    shop(client, team)
    assert web_login(client, "sup", PASSWORD).status_code == 303
    html = client.get("/reports", params=PERIOD).text
    tverskaya = {"offered": 4, "answered": 3, "answered_pct": 3, "abandoned": 1,
                 "abandoned_pct": 1, "service_level_pct": 2, "wait_avg": 3}  # fmt: skip
    assert (
        follow_every_link(client, cells(html, "report-lines", "+74951111111"), tverskaya, {}) == 7
    )
    total = {"offered": 6, "answered": 4, "answered_pct": 4, "abandoned": 2, "abandoned_pct": 2,
             "service_level_pct": 3, "wait_avg": 4}  # fmt: skip
    assert follow_every_link(client, cells(html, "report-lines", "total"), total, {}) == 7


def test_the_load_and_the_trend_open_their_calls(client: TestClient, team: Team) -> None:
    shop(client, team)
    assert web_login(client, "sup", PASSWORD).status_code == 303
    html = client.get("/reports", params=PERIOD).text
    heat = re.search(r'id="report-load-inbound".*?</table>', html, re.S)
    assert heat
    monday = re.search(r'<tr data-weekday="1">(.*?)</tr>', heat.group(0), re.S)
    assert monday
    ten = re.search(r'data-hour="10"><a href="([^"]+)">2</a>', monday.group(1))
    assert ten, "Monday 10:00 has calls 1 and 2"
    assert total_behind(client, ten.group(1).replace("&amp;", "&")) == 2
    trend = re.search(r'<tr data-day="2026-11-03"(.*?)</tr>', html, re.S)
    assert trend
    links = dict(re.findall(r'data-col="(\w+)"><a href="([^"]+)"', trend.group(1)))
    # Tuesday: calls 5, 6, 7 and 8; inbound answered: 6; missed: 5.
    expected = {"calls": 4, "answered_pct": 1, "missed": 1}
    assert {k: total_behind(client, v.replace("&amp;", "&")) for k, v in links.items()
            if k in expected} == expected  # fmt: skip


def test_an_operator_follows_their_own_numbers_and_no_one_elses(
    client: TestClient, team: Team
) -> None:
    shop(client, team)
    assert web_login(client, "op2", PASSWORD).status_code == 303
    html = client.get("/reports", params=PERIOD).text
    row = cells(html, "report-managers", str(team.op2.id))
    assert follow_every_link(client, row, {**OP2, **EXTRA["op2"]}) >= 12
    for path, name in (("/calls", "answered_by"), ("/tasks", "assignee_id"),
                       ("/orders", "after_call_by")):  # fmt: skip
        other = client.get(path, params={**PERIOD, name: str(team.op1.id)})
        assert other.status_code == 403, path


def test_bad_filters_on_the_lists_name_the_field(client: TestClient, team: Team) -> None:
    assert web_login(client, "sup", PASSWORD).status_code == 303
    for path in ("/calls", "/tasks", "/orders"):
        inverted = client.get(path, params={"from": "2026-11-03", "until": "2026-11-02"})
        assert inverted.status_code == 422, path
        assert re.search(r'name="until"[^>]*><span class="field-error"', inverted.text), path
        garbage = client.get(path, params={"from": "2 ноября"})
        assert garbage.status_code == 422 and "2026-11-02" in garbage.text, path
    hour = client.get("/calls", params={"hour": "25", "from": "2026-11-02"})
    assert hour.status_code == 422
    assert "<code>hour</code>" in hour.text  # a kept filter: named in the form's errors
    state = client.get("/tasks", params={"state": "someday"})
    assert state.status_code == 422 and 'name="state"' in state.text


def test_the_lists_say_what_they_hold_in_both_languages(client: TestClient, team: Team) -> None:
    shop(client, team)
    assert web_login(client, "sup", PASSWORD).status_code == 303
    after = {**PERIOD, "after_call_by": str(team.op1.id)}
    english = client.get("/orders", params={**after, "lang": "en"}).text
    numbers = re.findall(r'<a href="/orders/\d+">(O\d)</a>', english)
    assert sorted(numbers) == ["O1", "O4"]  # after calls 1 and 7, both op1's
    assert "after a call with op1 (within 24 h before the order)" in english
    russian = client.get("/orders", params={**after, "lang": "ru"}).text
    assert "после звонка op1 (за 24 ч до заказа)" in russian and "Найдено заказов: 2" in russian
    late = client.get("/tasks", params={**PERIOD, "state": "late", "lang": "en"}).text
    # T2 was done after its deadline; T3 is open past it. T5 has no deadline.
    assert re.search(r'data-total="2">Tasks found: 2', late)
    assert "selected>late or overdue" in late
