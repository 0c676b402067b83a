"""The dial-list pages over a real session cookie: the rule builder, the lists with progress
bars, a list's figures, building a list, the work mode; roles as in the API, CSRF on the
cookie-authenticated API calls the pages make. SQLite and PostgreSQL."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from starlette.testclient import TestClient

from callcenter.core.i18n import LANGUAGES, STRINGS
from callcenter.core.models import Role
from callcenter.dial_lists.pages import DIAL_JS_STRINGS, EXCLUSIONS, OUTCOMES, SORTS
from routing.rule_templates import TEMPLATES
from routing.rules import FIELDS
from tests.integration.conftest import Team, User, make_user
from tests.integration.core.test_workplace_pages import login
from tests.integration.dial_lists.test_api_dial_lists import LISTS, build, make_rule, setup

PAGES = ("/dial-lists", "/dial-lists/new", "/dial-lists/1", "/dial-lists/1/work")
STAFF_PAGES = ("/dial-rules", "/dial-rules/new", "/dial-rules/1", "/dial-lists/new")


def page_data(text: str) -> dict[str, Any]:
    """The JSON the page hands to its script (static/dial_*.js)."""
    found = re.search(r'<script type="application/json" id="dial-data">(.*?)</script>', text, re.S)
    assert found, text[:500]
    return dict(json.loads(html.unescape(found.group(1))))


def progress_bars(text: str) -> list[tuple[int, int]]:
    """(value, max) of every progress bar of done entries."""
    return [
        (int(v), int(m))
        for m, v in re.findall(
            r'<span class="dial-progress"><progress max="(\d+)" value="(\d+)"', text
        )
    ]


def op1_list(client: TestClient, team: Team) -> dict[str, Any]:
    """A ready list worked by op1 alone: boris, dasha, kira (gleb, op2's own, left out)."""
    setup(client, team)
    tree = {"all": [{"field": "manager_id", "op": "!=", "value": team.op2.id}]}
    rule = make_rule(client, team.supervisor, tree)
    body = {"rule_id": rule, "name": "Вернуть ушедших", "manager_ids": [team.op1.id]}
    return build(client, team.supervisor, body)


def take_and_record(client: TestClient, list_id: int, user: User, outcome: str) -> int:
    taken = client.post(f"{LISTS}/{list_id}/next", headers=user.auth)
    assert taken.status_code == 200, taken.text
    entry = taken.json()["card"]["entry"]["id"]
    done = client.post(
        f"{LISTS}/{list_id}/entries/{entry}/outcome", json={"outcome": outcome}, headers=user.auth
    )
    assert done.status_code == 200, done.text
    return int(entry)


def test_the_pages_need_a_login(client: TestClient) -> None:
    for path in (*PAGES, *STAFF_PAGES):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/login"), path


def test_rules_and_building_are_for_supervisors_and_admins(client: TestClient, team: Team) -> None:
    rule = make_rule(client, team.supervisor)
    login(client, team.op1)
    for path in ("/dial-rules", "/dial-rules/new", f"/dial-rules/{rule}", "/dial-lists/new"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Нет доступа" in response.text, path
    lists = client.get("/dial-lists")
    assert lists.status_code == 200
    assert 'href="/dial-lists/new"' not in lists.text
    assert "Списков обзвона пока нет." in lists.text
    assert 'href="/dial-lists" aria-current="page">Обзвон</a>' in lists.text


def test_the_rule_builder_offers_every_field_and_the_templates(
    client: TestClient, team: Team
) -> None:
    login(client, team.supervisor)
    page = client.get("/dial-rules/new?template=cancelled_recently")
    assert page.status_code == 200
    assert '<script type="module" src="/static/dial_rules.js"></script>' in page.text
    assert "Новое правило" in page.text and 'id="preview-count"' in page.text
    data = page_data(page.text)
    fields = {f["name"]: f for f in data["fields"]}
    assert set(fields) == set(FIELDS)
    assert fields["cancelled_orders_in_last_days"]["needs_days"] is True
    assert fields["cancelled_orders_in_last_days"]["label"] == "Отменённых заказов"
    assert fields["tags"]["ops"] == ["!=", "in", "contains"]
    assert [t["key"] for t in data["templates"]] == [t.key for t in TEMPLATES]
    assert data["template"] == "cancelled_recently"
    assert data["rule"] is None
    assert [team.op1.id, "op1"] in data["managers"]
    assert ["cancelled", "отменён"] in data["statuses"]
    assert data["strings"]["dial.preview_count"] == "Подходит клиентов: {count} ({ms} мс)"
    for template in data["templates"]:
        assert f'<option value="{template["key"]}"' in page.text
    english = client.get("/dial-rules/new?lang=en")
    assert page_data(english.text)["strings"]["dial.all"] == "all of (AND)"
    assert "New rule" in english.text


def test_the_builder_edits_a_saved_rule_and_lists_the_rules(client: TestClient, team: Team) -> None:
    tree = {
        "any": [
            {"field": "cancelled_orders_in_last_days", "days": 14, "op": ">=", "value": 1},
            {"field": "tags", "op": "contains", "value": "vip"},
        ]
    }
    rule = make_rule(client, team.supervisor, tree)
    login(client, team.admin)
    page = client.get(f"/dial-rules/{rule}")
    assert page.status_code == 200
    assert page_data(page.text)["rule"] == {
        "id": rule,
        "name": "rule",
        "description": "",
        "tree": tree,
    }
    assert f'href="/dial-lists/new?rule_id={rule}"' in page.text
    assert '<button type="button" class="danger" id="rule-delete">' in page.text
    # A rule not saved yet has nothing to delete.
    assert 'id="rule-delete" hidden>' in client.get("/dial-rules/new").text
    assert client.get("/dial-rules/999").status_code == 404
    listing = client.get("/dial-rules")
    assert f'href="/dial-rules/{rule}">rule</a>' in listing.text
    assert 'href="/dial-rules/new?template=birthday_soon">День рождения в ближайшие 7 дней' in (
        listing.text
    )


def test_the_preview_and_saving_from_the_page_need_the_csrf_token(
    client: TestClient, team: Team
) -> None:
    setup(client, team)
    csrf = login(client, team.supervisor)
    tree = {"all": [{"field": "tags", "op": "contains", "value": "vip"}]}
    for url, body in (
        ("/api/v1/dial-rules/preview", {"tree": tree}),
        ("/api/v1/dial-rules", {"name": "VIP", "tree": tree}),
    ):
        refused = client.post(url, json=body)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "csrf_failed"
    assert client.get("/api/v1/dial-rules", headers=team.admin.auth).json()["total"] == 0
    ok = client.post(
        "/api/v1/dial-rules/preview", json={"tree": tree}, headers={"X-CSRF-Token": csrf}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["count"] == 2  # anna, gleb
    bad_tree = {"all": [tree["all"][0], {"field": "total_spent", "op": ">", "value": "много"}]}
    bad = client.post(
        "/api/v1/dial-rules/preview", json={"tree": bad_tree}, headers={"X-CSRF-Token": csrf}
    )
    assert bad.status_code == 422
    # What the builder needs to put the error next to the second condition's value.
    assert bad.json()["error"]["details"]["rule_error"]["path"] == "all.1.value"
    assert bad.json()["error"]["details"]["rule_error"]["reason"] == "bad_value"
    saved = client.post(
        "/api/v1/dial-rules", json={"name": "VIP", "tree": tree}, headers={"X-CSRF-Token": csrf}
    )
    assert saved.status_code == 201, saved.text


def test_the_build_form(client: TestClient, team: Team) -> None:
    login(client, team.supervisor)
    empty = client.get("/dial-lists/new")
    assert empty.status_code == 200
    assert 'id="dial-no-rules"' in empty.text and 'id="build-form"' not in empty.text
    rule = make_rule(client, team.supervisor)
    page = client.get(f"/dial-lists/new?rule_id={rule}")
    assert page.status_code == 200
    assert f'<option value="{rule}" selected>rule</option>' in page.text
    for user in (team.op1, team.op2):
        assert f'<option value="{user.id}">{user.login} · ' in page.text
    assert 'name="call_from" value="09:00"' in page.text
    assert 'name="call_until" value="21:00"' in page.text
    assert 'value="Europe/Moscow"' in page.text
    assert 'name="max_attempts" min="1" max="20" step="1" value="3"' in page.text
    for key in SORTS:
        assert f'<option value="{key}"' in page.text
    for name in ("settings.call_from", "manager_ids", "settings.max_entries", "name"):
        assert f'data-error-for="{name}"' in page.text
    assert "Часы звонков" in page.text and "по местному времени клиента" in page.text


def test_the_lists_page_shows_progress_bars_that_move(client: TestClient, team: Team) -> None:
    built = op1_list(client, team)
    list_id = built["id"]
    login(client, team.supervisor)
    page = client.get("/dial-lists")
    assert page.status_code == 200
    row = re.search(
        rf'<tr data-list-id="{list_id}" data-status="ready">(.*?)</tr>', page.text, re.S
    )
    assert row, page.text
    assert "Вернуть ушедших" in row.group(1) and "готов" in row.group(1)
    assert progress_bars(row.group(1)) == [(0, 3)]
    assert f'href="/dial-lists/{list_id}/work"' in row.group(1)
    take_and_record(client, list_id, team.op1, "ordered")
    row = re.search(
        rf'<tr data-list-id="{list_id}" data-status="ready">(.*?)</tr>',
        client.get("/dial-lists").text,
        re.S,
    )
    assert row
    assert progress_bars(row.group(1)) == [(1, 3)]
    assert "Оформил заказ: 1" in row.group(1)
    assert "100,0&nbsp;%" in row.group(1)
    # op1 works on it and sees it; an operator who is not on it does not.
    login(client, team.op1)
    assert "Вернуть ушедших" in client.get("/dial-lists").text
    outsider = make_user(client, "op3", Role.OPERATOR, "103")
    login(client, outsider)
    assert "Вернуть ушедших" not in client.get("/dial-lists").text


def test_the_list_detail_with_exclusions_outcomes_and_managers(
    client: TestClient, team: Team
) -> None:
    built = op1_list(client, team)
    list_id = built["id"]
    take_and_record(client, list_id, team.op1, "answered")
    take_and_record(client, list_id, team.op1, "not_interested")
    login(client, team.supervisor)
    page = client.get(f"/dial-lists/{list_id}")
    assert page.status_code == 200
    text = page.text
    assert "<title>Вернуть ушедших · Обзвон · Колл-центр</title>" in text
    # matched: everyone but gleb (8); left out: ivan, vera, anna, petr, olga.
    counts = dict(re.findall(r'<tr data-excluded="(\w+)"><th>[^<]*</th><td>(\d+)</td>', text))
    assert counts == {
        "matched": "8",
        "do_not_call": "1",
        "tag": "1",
        "recently_called": "1",
        "no_phone": "1",
        "duplicate_phone": "1",
        "over_limit": "0",
        "entries": "3",
    }
    assert set(EXCLUSIONS) < set(counts)
    outcomes = dict(re.findall(r'<tr data-outcome="(\w+)"><th>[^<]*</th><td>(\d+)</td>', text))
    assert set(outcomes) == set(OUTCOMES)
    assert (outcomes["answered"], outcomes["not_interested"], outcomes["busy"]) == ("1", "1", "0")
    assert '<dd data-count="done">2</dd>' in text and '<dd data-count="remaining">1</dd>' in text
    rows = re.findall(r'<tr data-manager-id="(\w+)">', text)
    assert rows == [str(team.op1.id)]
    assert progress_bars(text) == [(2, 3), (2, 3)]  # the list, op1's row
    assert "09:00–21:00" in text and "поровну между менеджерами" in text
    assert f'href="/dial-lists/{list_id}/work"' in text
    # Supervisors (as the API's PATCH and DELETE) may edit and delete it, prefilled.
    assert '<form id="list-edit"' in text and 'id="list-delete"' in text
    assert 'name="call_from" value="09:00"' in text
    assert re.search(r'name="max_attempts"[^>]* value="3"', text)
    assert page_data(text)["name"] == "Вернуть ушедших"
    # op1 sees their own row; an outsider nothing; an unknown list is a 404.
    login(client, team.op1)
    mine = client.get(f"/dial-lists/{list_id}")
    assert mine.status_code == 200
    assert 'id="list-edit"' not in mine.text and 'id="list-delete"' not in mine.text
    assert re.findall(r'<tr data-manager-id="(\w+)">', mine.text) == [str(team.op1.id)]
    assert "Вы видите только свою строку" in mine.text
    outsider = make_user(client, "op3", Role.OPERATOR, "103")
    login(client, outsider)
    assert client.get(f"/dial-lists/{list_id}").status_code == 403
    assert client.get("/dial-lists/999").status_code == 404


def test_the_work_page_for_the_lists_managers(client: TestClient, team: Team) -> None:
    built = op1_list(client, team)
    list_id = built["id"]
    csrf = login(client, team.op1)
    page = client.get(f"/dial-lists/{list_id}/work")
    assert page.status_code == 200
    text = page.text
    assert "Работать по списку: Вернуть ушедших" in text
    assert "<kbd>N</kbd> следующий клиент" in text and "<kbd>Enter</kbd> сохранить итог" in text
    radios = re.findall(r'<input type="radio" name="outcome" value="(\w+)" data-key="(\d)">', text)
    assert radios == [(o, str(i)) for i, o in enumerate(OUTCOMES, 1)]
    assert '<template id="pop-known">' in text  # the screen-pop card the entry is shown in
    data = page_data(text)
    assert (data["list_id"], data["held"]) == (list_id, None)
    assert (
        data["strings"]["dial.reason.list_done"] == "Список пройден: для вас клиентов больше нет."
    )
    # The page's own writes go through the API with the session: the CSRF header is needed.
    assert client.post(f"{LISTS}/{list_id}/next").status_code == 403
    taken = client.post(f"{LISTS}/{list_id}/next", headers={"X-CSRF-Token": csrf})
    assert taken.status_code == 200, taken.text
    entry = taken.json()["card"]["entry"]["id"]
    # After a reload the entry in hand comes back.
    assert page_data(client.get(f"/dial-lists/{list_id}/work").text)["held"] == entry
    # Supervisors may work any list; an operator who is not on it may not.
    login(client, team.supervisor)
    assert client.get(f"/dial-lists/{list_id}/work").status_code == 200
    outsider = make_user(client, "op3", Role.OPERATOR, "103")
    login(client, outsider)
    refused = client.get(f"/dial-lists/{list_id}/work")
    assert refused.status_code == 403
    assert "you are not on this dial list" in refused.text


def test_every_dial_string_is_in_both_languages() -> None:
    keys = {
        *DIAL_JS_STRINGS,
        *(f"dial.field.{name}" for name in FIELDS),
        *(f"dial.field_hint.{name}" for name in FIELDS),
        *(f"dial.template.{t.key}" for t in TEMPLATES),
        *(f"dial.template_hint.{t.key}" for t in TEMPLATES),
        *(f"dial.sort.{key}" for key in SORTS),
        *(f"dial.excluded.{key}" for key in EXCLUSIONS),
        *(f"dial.outcome.{key}" for key in OUTCOMES),
        "dial.assignment.spread",
        "dial.assignment.pool",
        "dial.status.building",
        "dial.status.ready",
        "dial.status.failed",
    }
    for key in sorted(keys):
        assert key in STRINGS, key
        for lang in LANGUAGES:
            assert STRINGS[key].get(lang), (key, lang)
        assert re.search("[а-яё]", STRINGS[key]["ru"], re.I), key


def test_no_page_shows_an_untranslated_key(client: TestClient, team: Team) -> None:
    built = op1_list(client, team)
    take_and_record(client, built["id"], team.op1, "answered")
    login(client, team.supervisor)
    paths = (
        "/dial-lists",
        f"/dial-lists/{built['id']}",
        f"/dial-lists/{built['id']}/work",
        f"/dial-lists/new?rule_id={built['rule_id']}",
        "/dial-rules",
        f"/dial-rules/{built['rule_id']}",
    )
    for lang in LANGUAGES:
        for path in paths:
            page = client.get(path, params={"lang": lang})
            assert page.status_code == 200, (path, lang)
            shown = re.sub(
                r'<script type="application/json".*?</script>', "", page.text, flags=re.S
            )
            assert not re.search(r"\b(dial|call_status|order_status)\.(?!js\b)\w+", shown), (
                path,
                lang,
            )
            assert f'<html lang="{lang}">' in page.text
