"""The workplace pages over a real session cookie: search, the customer card, forms with CSRF,
orders with items, tasks; roles as in the API. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.integration.conftest import PASSWORD, Team, User, web_login


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found, html[:500]
    return found.group(1)


def login(client: TestClient, user: User) -> str:
    assert web_login(client, user.login, PASSWORD).status_code == 303
    return csrf_of(client.get("/").text)


def make_customer(client: TestClient, team: Team, **fields: Any) -> dict[str, Any]:
    body = {"name": "Иван Петров", "phones": ["+79161234567"], **fields}
    response = client.post("/api/v1/customers", json=body, headers=team.admin.auth)
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_order(client: TestClient, team: Team, customer_id: int, **fields: Any) -> dict[str, Any]:
    body = {
        "customer_id": customer_id,
        "items": [{"product": "Чайник электрический", "quantity": 1, "price": 2490}],
        **fields,
    }
    response = client.post("/api/v1/orders", json=body, headers=team.admin.auth)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_pages_need_a_login(client: TestClient) -> None:
    for path in ("/", "/customers", "/customers/1", "/tasks", "/orders/new", "/pop/extra"):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/login"), path


def test_the_desk_is_russian_with_the_nav_and_presence(client: TestClient, team: Team) -> None:
    login(client, team.op1)
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="ru">' in page.text
    for text in ("Рабочее место", "Клиенты", "Мои задачи", "Новый заказ", "Выйти"):
        assert text in page.text
    assert 'data-status="available"' in page.text and 'data-status="break"' in page.text
    assert '<script type="module" src="/static/workplace.js"></script>' in page.text
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.text and "My tasks" in english.text
    assert "My tasks" in client.get("/tasks").text  # the choice sticks to the session


def test_search_by_name_phone_and_order_number(client: TestClient, team: Team) -> None:
    customer = make_customer(client, team, manager_id=team.op1.id, tags=["vip"])
    order = make_order(client, team, customer["id"], number="A-77")
    make_customer(client, team, name="Пётр Ёлкин", phones=["+79031112233"])
    login(client, team.supervisor)
    for q in ("петров", "ИВАН", "8 (916) 123-45-67", "79161234567", "A-77"):
        page = client.get("/customers", params={"q": q})
        assert page.status_code == 200
        assert f'href="/customers/{customer["id"]}">Иван Петров</a>' in page.text, q
        assert "Ёлкин" not in page.text, q
    assert "Пётр Ёлкин" in client.get("/customers", params={"q": "ёлкин"}).text
    assert order["number"] == "A-77"


def test_an_operator_searches_their_own_work_and_any_phone(client: TestClient, team: Team) -> None:
    mine = make_customer(client, team, manager_id=team.op1.id)
    other = make_customer(client, team, name="Анна Чужая", phones=["+79031112233"])
    login(client, team.op1)
    assert "Иван Петров" in client.get("/customers").text
    assert "Анна Чужая" not in client.get("/customers").text
    by_phone = client.get("/customers", params={"q": "8 903 111 22 33"})
    assert "Анна Чужая" in by_phone.text and 'class="by-phone"' in by_phone.text
    assert client.get(f"/customers/{other['id']}").status_code == 403
    assert client.get(f"/customers/{mine['id']}").status_code == 200
    unknown = client.get("/customers", params={"q": "+7 926 000-00-00"})
    assert "/customers/new?phone=%2B79260000000" in unknown.text


def test_the_customer_card(client: TestClient, team: Team) -> None:
    customer = make_customer(client, team, tags=["vip", "bad"], manager_id=team.op2.id)
    make_order(client, team, customer["id"], number="A-1")
    client.post(
        "/api/v1/tasks",
        json={"title": "Перезвонить по доставке", "customer_id": customer["id"]},
        headers=team.supervisor.auth,
    )
    login(client, team.supervisor)
    page = client.get(f"/customers/{customer['id']}")
    assert page.status_code == 200
    text = page.text
    assert "<title>Иван Петров · Колл-центр</title>" in text
    assert 'class="marker vip"' in text and "Проблемный" in text
    assert 'data-phone="+79161234567"' in text and "+7 916 123-45-67" in text
    assert "Чайник электрический × 1" in text and "2\u00a0490,00 ₽" in text
    assert "Перезвонить по доставке" in text
    assert "op2" in text  # the personal manager
    assert 'name="csrf_token"' in text


def test_create_a_customer_with_a_form(client: TestClient, team: Team) -> None:
    csrf = login(client, team.op1)
    form = {
        "csrf_token": csrf,
        "name": "Ольга Новикова",
        "phones": "8 (926) 555-44-33\n+7 903 000 11 22",
        "tags": "vip, опт",
        "manager_id": str(team.op1.id),
        "note": "Любит звонки после обеда",
    }
    response = client.post("/customers/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    card = client.get(response.headers["location"])
    assert "Ольга Новикова" in card.text
    created = client.get(
        "/api/v1/customers/lookup", params={"phone": "89265554433"}, headers=team.op1.auth
    ).json()
    assert created["phones"] == ["+79265554433", "+79030001122"]
    assert created["tags"] == ["vip", "опт"]
    assert created["manager_id"] == team.op1.id


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, team: Team) -> None:
    login(client, team.op1)
    response = client.post("/customers/new", data={"name": "X"}, follow_redirects=False)
    assert response.status_code == 403
    assert "Форма устарела" in response.text
    assert client.get("/api/v1/customers", headers=team.admin.auth).json()["total"] == 0


def test_a_bad_phone_is_shown_next_to_the_form_and_the_input_kept(
    client: TestClient, team: Team
) -> None:
    csrf = login(client, team.op1)
    form = {"csrf_token": csrf, "name": "Ольга", "phones": "12345678901234"}
    response = client.post("/customers/new", data=form)
    assert response.status_code == 422
    assert "phones.0" in response.text
    assert "12345678901234" in response.text and 'value="Ольга"' in response.text


def test_edit_a_customer(client: TestClient, team: Team) -> None:
    customer = make_customer(client, team, manager_id=team.op1.id)
    csrf = login(client, team.op1)
    form = {
        "csrf_token": csrf,
        "name": "Иван Петрович Петров",
        "phones": "+79161234567",
        "city": "Казань",
        "manager_id": str(team.op1.id),
        "do_not_call": "on",
    }
    response = client.post(f"/customers/{customer['id']}", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    after = client.get(f"/api/v1/customers/{customer['id']}", headers=team.admin.auth).json()
    assert (after["name"], after["city"], after["do_not_call"]) == (
        "Иван Петрович Петров",
        "Казань",
        True,
    )


def test_create_and_edit_an_order_with_items(client: TestClient, team: Team) -> None:
    customer = make_customer(client, team, manager_id=team.op1.id)
    csrf = login(client, team.op1)
    form = {
        "csrf_token": csrf,
        "customer_id": str(customer["id"]),
        "product": ["Чайник", "Фильтр для воды", ""],
        "quantity": ["2", "1", "1"],
        "price": ["2490,50", "890", ""],
        "status": "approved",
        "comment": "Доставка после 18:00",
    }
    created = client.post("/orders/new", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    page = client.get(created.headers["location"])
    assert "5\u00a0871,00 ₽" in page.text and "Доставка после 18:00" in page.text
    order_id = int(created.headers["location"].rsplit("/", 1)[1])
    edit = {
        "csrf_token": csrf,
        "product": "Чайник",
        "quantity": "1",
        "price": "2490.50",
        "status": "cancelled",
        "comment": "",
    }
    saved = client.post(f"/orders/{order_id}", data=edit, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    order = client.get(f"/api/v1/orders/{order_id}", headers=team.op1.auth).json()
    assert (order["status"], order["total"], len(order["items"])) == ("cancelled", 2490.5, 1)


def test_an_order_for_an_unknown_phone_creates_the_customer(client: TestClient, team: Team) -> None:
    csrf = login(client, team.op1)
    assert 'value="89031112233"' in client.get("/orders/new?phone=89031112233").text
    form = {
        "csrf_token": csrf,
        "phone": "89031112233",
        "customer_name": "Семён Семёнов",
        "product": "Блендер",
        "quantity": "1",
        "price": "3990",
        "status": "new",
    }
    created = client.post("/orders/new", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    assert "Семён Семёнов" in client.get(created.headers["location"]).text


def test_an_order_without_items_is_refused_with_the_form_kept(
    client: TestClient, team: Team
) -> None:
    customer = make_customer(client, team, manager_id=team.op1.id)
    csrf = login(client, team.op1)
    form = {"csrf_token": csrf, "customer_id": str(customer["id"]), "status": "new"}
    response = client.post("/orders/new", data=form)
    assert response.status_code == 422
    assert 'id="order-form"' in response.text and "Иван Петров" in response.text


def test_my_tasks_with_deadlines_overdue_in_red(client: TestClient, team: Team) -> None:
    customer = make_customer(client, team, manager_id=team.op1.id)
    for title, deadline in (
        ("Просроченная", "2020-01-01T09:00:00Z"),
        ("Будущая", "2999-01-01T09:00:00Z"),
    ):
        client.post(
            "/api/v1/tasks",
            json={
                "title": title,
                "deadline": deadline,
                "customer_id": customer["id"],
                "assignee_id": team.op1.id,
            },
            headers=team.supervisor.auth,
        )
    client.post(
        "/api/v1/tasks",
        json={"title": "Чужая", "assignee_id": team.op2.id},
        headers=team.supervisor.auth,
    )
    csrf = login(client, team.op1)
    page = client.get("/tasks").text
    rows = re.findall(r'<tr class="task([^"]*)" data-task-id="(\d+)">\s*<td>([^<]+)', page)
    assert [(cls.strip(), title) for cls, _, title in rows] == [
        ("overdue", "Просроченная"),
        ("", "Будущая"),
    ]
    assert "Чужая" not in page and "просрочена" in page
    overdue_id = rows[0][1]
    done = client.post(
        f"/tasks/{overdue_id}/complete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert "Просроченная" not in client.get("/tasks").text
    assert "Просроченная" in client.get("/tasks?done=1").text


def test_add_a_task_for_a_customer_in_local_time(client: TestClient, team: Team) -> None:
    customer = make_customer(client, team, manager_id=team.op1.id)
    csrf = login(client, team.op1)
    form = {
        "csrf_token": csrf,
        "title": "Уточнить адрес",
        "deadline": "2030-05-01T12:00",
        "tz_offset": "-180",  # Moscow: UTC+3
    }
    response = client.post(
        f"/tasks/new?customer_id={customer['id']}", data=form, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/customers/{customer['id']}"
    [task] = client.get("/api/v1/tasks", headers=team.op1.auth).json()["items"]
    assert (task["title"], task["deadline"], task["customer_id"]) == (
        "Уточнить адрес",
        "2030-05-01T09:00:00",
        customer["id"],
    )


def test_the_pop_extras_follow_the_roles(client: TestClient, team: Team) -> None:
    customer = make_customer(client, team, manager_id=team.op1.id)
    for assignee in (team.op1, team.op2):
        client.post(
            "/api/v1/tasks",
            json={
                "title": f"Задача {assignee.login}",
                "customer_id": customer["id"],
                "assignee_id": assignee.id,
            },
            headers=team.supervisor.auth,
        )
    login(client, team.op1)
    extra = client.get(f"/pop/extra?customer_id={customer['id']}")
    assert extra.status_code == 200
    assert "Задача op1" in extra.text and "Задача op2" not in extra.text
    assert "<html" not in extra.text  # a fragment
    assert client.get("/pop/extra?customer_id=abc").status_code == 422


@pytest.mark.parametrize("path", ["/orders/999", "/customers/999"])
def test_missing_things_are_a_404_page(client: TestClient, team: Team, path: str) -> None:
    login(client, team.supervisor)
    response = client.get(path)
    assert response.status_code == 404
    assert "Не найдено" in response.text
