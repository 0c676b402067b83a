"""The reports' CSV and XLSX carry the API's numbers; the page shows them with links to the
rows behind them, in both languages; an operator's page has their own row only."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import openpyxl
from starlette.testclient import TestClient

from callcenter.core.models import Role
from callcenter.reports.tables import MANAGER_COLUMNS
from tests.integration.conftest import PASSWORD, Team, make_user, web_login
from tests.integration.reports.test_reports_api import OP1, OP2, PERIOD, TEAM, figures, shop

COLUMNS = [c.key for c in MANAGER_COLUMNS]  # the page's columns, in its order


def shown(row: dict[str, Any]) -> list[Any]:
    return [row[key] for key in COLUMNS]


def export(client: TestClient, who: Any, **params: str) -> bytes:
    response = client.get("/api/v1/reports/export", params={**PERIOD, **params}, headers=who.auth)
    assert response.status_code == 200, response.text
    return response.content


def test_the_csv_has_the_apis_numbers(client: TestClient, team: Team) -> None:
    ids = shop(client, team)
    raw = export(client, team.supervisor, format="csv", report="managers", lang="en")
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Manager", "Inbound offered", "answered"]
    by_name = {r[0]: r[1:] for r in rows[1:]}
    expected = {"op1": OP1, "op2": OP2, "The whole team": TEAM}
    for name, figures_ in expected.items():
        assert by_name[name] == ["" if v is None else str(v) for v in shown(figures_)], name
    assert "Ольга Третья (deactivated)" in by_name
    assert ids.op3


def test_the_lines_csv_in_russian(client: TestClient, team: Team) -> None:
    shop(client, team)
    raw = export(client, team.supervisor, format="csv", report="lines", lang="ru")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Линия", "Название", "Источник", "Поступило"]
    assert "ответ за 20 с, %" in rows[0]
    tverskaya = next(r for r in rows if r[1] == "Тверская")
    assert tverskaya[3:] == ["4", "3", "75.0", "1", "25.0", "50.0", "16.3"]
    assert rows[-1][1] == "Итого" and rows[-1][3] == "6"


def test_the_xlsx_has_a_sheet_per_report_with_numbers_as_numbers(
    client: TestClient, team: Team
) -> None:
    shop(client, team)
    book = openpyxl.load_workbook(io.BytesIO(export(client, team.admin, format="xlsx", lang="en")))
    assert book.sheetnames == ["By manager", "By line", "Load by weekday and hour", "Day by day"]
    managers = {row[0]: row[1:] for row in book["By manager"].iter_rows(values_only=True)}
    assert list(managers["The whole team"]) == shown(TEAM)
    trend = list(book["Day by day"].iter_rows(values_only=True))
    assert trend[1][:4] == ("2026-11-02", 5, 75, 1)
    load = list(book["Load by weekday and hour"].iter_rows(values_only=True))
    assert ("Mon", 10, 2, 0) in load


def test_an_operator_exports_their_own_row_only(client: TestClient, team: Team) -> None:
    shop(client, team)
    rows = list(csv.reader(io.StringIO(export(client, team.op1, lang="en").decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["op1"]
    response = client.get(
        "/api/v1/reports/export", params={**PERIOD, "report": "lines"}, headers=team.op1.auth
    )
    assert response.status_code == 403
    bad = client.get(
        "/api/v1/reports/export", params={**PERIOD, "format": "pdf"}, headers=team.op1.auth
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["fields"][0]["field"] == "format"


def cells(html: str, table: str, row: str) -> dict[str, tuple[str, str | None]]:
    """A table row's cells by column: (the text, the link's URL)."""
    found = re.search(rf'<table[^>]*id="{table}".*?</table>', html, re.S)
    assert found, table
    tr = re.search(rf'<tr data-[a-z-]+="{re.escape(row)}">(.*?)</tr>', found.group(0), re.S)
    assert tr, (table, row)
    out = {}
    for col, inner in re.findall(r'<td data-col="(\w+)">(.*?)</td>', tr.group(1), re.S):
        link = re.search(r'href="([^"]+)"', inner)
        out[col] = (
            re.sub(r"<[^>]+>", "", inner).strip(),
            unescape(link.group(1)) if link else None,
        )
    return out


def test_the_page_shows_the_figures_with_drill_down_links(client: TestClient, team: Team) -> None:
    shop(client, team)
    assert web_login(client, "sup", PASSWORD).status_code == 303
    page = client.get("/reports", params={**PERIOD, "lang": "ru"})
    assert page.status_code == 200, page.text
    op1 = cells(page.text, "report-managers", str(team.op1.id))
    assert op1["answered_pct"][0] == "40,0"  # Russian writes a decimal comma
    assert op1["wait_p90"][0] == "10"
    assert op1["inbound_offered"][0] == "5"
    link = urlsplit(op1["inbound_missed"][1] or "")
    assert link.path == "/calls"
    assert parse_qs(link.query) == {
        "from": ["2026-11-02"], "until": ["2026-11-03"], "manager_id": [str(team.op1.id)],
        "direction": ["in"], "answered": ["false"],
    }  # fmt: skip
    orders = urlsplit(op1["orders_after_call"][1] or "")
    assert (orders.path, parse_qs(orders.query)["after_call_by"]) == ("/orders", [str(team.op1.id)])
    team_row = cells(page.text, "report-managers", "team")
    assert team_row["callback_median_minutes"][0] == "295,0"
    line = cells(page.text, "report-lines", "+74951111111")
    assert line["service_level_pct"][0] == "50,0"
    assert parse_qs(urlsplit(line["service_level_pct"][1] or "").query)["max_wait"] == ["20"]
    assert 'id="report-load-inbound"' in page.text and 'id="trend-chart"' in page.text
    assert "/static/vendor/chart.js/chart.umd.js" in page.text
    english = client.get("/reports", params={**PERIOD, "lang": "en"})
    assert cells(english.text, "report-managers", str(team.op1.id))["answered_pct"][0] == "40.0"
    assert "By manager" in english.text


def test_an_operators_page_and_bad_dates(client: TestClient, team: Team) -> None:
    shop(client, team)
    assert web_login(client, "op2", PASSWORD).status_code == 303
    page = client.get("/reports", params=PERIOD)
    assert page.status_code == 200
    assert f'data-manager-id="{team.op2.id}"' in page.text
    assert f'data-manager-id="{team.op1.id}"' not in page.text
    assert 'id="report-lines"' not in page.text and 'data-manager-id="team"' not in page.text
    bad = client.get("/reports", params={"period": "custom", "from": "2026-11-03",
                                          "until": "2026-11-02"})  # fmt: skip
    assert bad.status_code == 422
    assert re.search(r'name="until"[^>]*><span class="field-error"[^>]*>[^<]*before', bad.text)


def test_a_manager_without_activity_but_taking_calls_has_a_row(
    client: TestClient, team: Team
) -> None:
    shop(client, team)
    new = make_user(client, "op9", Role.OPERATOR, "109")
    body = client.get("/api/v1/reports/managers", params=PERIOD, headers=team.admin.auth).json()
    row = next(r for r in body["rows"] if r["manager_id"] == new.id)
    assert figures(row)["inbound_offered"] == 0 and row["answered_pct"] is None
