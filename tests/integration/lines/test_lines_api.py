"""Lines through the API and the admin page: who may edit, clear errors, the audit trail."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.integration.conftest import PASSWORD, Team, web_login


def test_admin_names_a_line_and_everyone_reads_it(client: TestClient, team: Team) -> None:
    created = client.post(
        "/api/v1/lines",
        json={
            "number": "8 (495) 123-45-67",
            "name": "  Магазин на Тверской ",
            "source": "Тверская",
            "group": [team.op1.id, team.op1.id, team.op2.id],
        },
        headers=team.admin.auth,
    )
    assert created.status_code == 201, created.text
    line = created.json()
    assert (line["number"], line["name"], line["source"]) == (
        "+74951234567",
        "Магазин на Тверской",
        "Тверская",
    )
    assert line["group"] == [team.op1.id, team.op2.id]
    # A PBX extension is a line too (a test or internal number), kept as it is.
    ext = client.post(
        "/api/v1/lines", json={"number": "7003", "name": "Очередь"}, headers=team.admin.auth
    )
    assert ext.status_code == 201 and ext.json()["number"] == "7003"
    listed = client.get("/api/v1/lines", headers=team.op1.auth).json()["items"]
    assert [item["name"] for item in listed] == ["Магазин на Тверской", "Очередь"]
    changed = client.put(
        f"/api/v1/lines/{line['id']}",
        json={"number": "+74951234567", "name": "Тверская"},
        headers=team.admin.auth,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["group"] == []
    audit = client.get("/api/v1/audit?action=line.update", headers=team.admin.auth).json()
    assert [a["target_id"] for a in audit["items"]] == [str(line["id"])]
    gone = client.delete(f"/api/v1/lines/{line['id']}", headers=team.admin.auth)
    assert gone.status_code == 204
    assert [
        i["number"] for i in client.get("/api/v1/lines", headers=team.admin.auth).json()["items"]
    ] == ["7003"]


def test_bad_lines_get_clear_errors(client: TestClient, team: Team) -> None:
    def post(body: dict[str, object], who: str = "admin") -> tuple[int, dict[str, object]]:
        r = client.post("/api/v1/lines", json=body, headers=getattr(team, who).auth)
        return r.status_code, r.json().get("error", {})

    status, error = post({"number": "call us!", "name": "x"})
    assert status == 422 and "digits only" in str(error)
    status, error = post({"number": "+7 (495)", "name": "x"})
    assert status == 422 and "not a valid phone number" in str(error)
    status, error = post({"number": "84951234567", "name": ""})
    assert status == 422 and "name" in str(error)
    status, error = post({"number": "84951234567", "name": "a", "group": [999999]})
    assert status == 422 and "group.0" in str(error)
    assert post({"number": "84951234567", "name": "a"})[0] == 201
    status, error = post({"number": "+7 495 123 45 67", "name": "b"})
    assert status == 409 and "already exists" in str(error)
    assert post({"number": "84957654321", "name": "c"}, "supervisor")[0] == 403
    assert post({"number": "84957654321", "name": "c"}, "op1")[0] == 403
    missing = client.put(
        "/api/v1/lines/999999", json={"number": "1", "name": "x"}, headers=team.admin.auth
    )
    assert missing.status_code == 404


def test_the_lines_page(client: TestClient, team: Team) -> None:
    client.post(
        "/api/v1/lines",
        json={"number": "84951234567", "name": "<b>Тверская</b>"},
        headers=team.admin.auth,
    )
    web_login(client, "admin", PASSWORD)
    page = client.get("/admin/lines")
    assert page.status_code == 200
    assert "&lt;b&gt;Тверская&lt;/b&gt;" in page.text and "<b>Тверская" not in page.text
    assert 'data-action="delete"' in page.text
    client.cookies.clear()
    web_login(client, "op1", PASSWORD)
    assert client.get("/admin/lines").status_code == 403
