"""What the public endpoint turns down, and how it says so: in the visitor's language, naming
the field, never telling whose a number or an order is; the limits, the honeypot, CORS for the
shop's origins only. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.integration.conftest import Team
from tests.integration.core.test_workplace_pages import make_customer, make_order
from tests.integration.web_callback.conftest import SHOP, ask, callbacks

VISITOR = "+79031112233"


def refused(response: Any, status: int, field: str | None = None) -> str:
    """The error's words (the field's when one is named)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    if field is None:
        return str(error["message"])
    [named] = error["details"]["fields"]
    assert named["field"] == field, error
    assert error["message"] == named["message"]
    return str(named["message"])


@pytest.mark.parametrize(
    ("phone", "ru", "en"),
    [
        ("hello", "Проверьте номер: нужен полный номер", "Please check the number: we need"),
        ("8 903 111", "Проверьте номер", "Please check the number"),
        ("101", "Проверьте номер", "Please check the number"),  # an internal extension
        ("  ", "Укажите номер телефона.", "Please give your phone number."),
        # Premium-rate and toll-free numbers: a bot must not make the shop dial them.
        ("8 809 505-12-34", "На такой номер мы не звоним", "We cannot call this kind of number"),
        ("8 800 555-35-35", "На такой номер мы не звоним", "We cannot call this kind of number"),
        # A number of another country than the shop's (CALLCENTER_CALLBACK_COUNTRIES).
        ("+380 44 123 4567", "На номера этой страны мы не звоним", "We do not call numbers in"),
    ],
)
def test_a_number_the_shop_cannot_call_is_refused_in_both_languages(
    client: TestClient, team: Team, phone: str, ru: str, en: str
) -> None:
    assert refused(ask(client, {"phone": phone, "lang": "ru"}), 422, "phone").startswith(ru)
    assert refused(ask(client, {"phone": phone, "lang": "en"}), 422, "phone").startswith(en)
    # Without a lang, the browser's Accept-Language says which.
    english = ask(client, {"phone": phone}, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert refused(english, 422, "phone").startswith(en)
    assert callbacks(client, team) == []


def test_an_unknown_order_number_is_refused_without_telling_whose_one_is(
    client: TestClient, team: Team
) -> None:
    customer = make_customer(client, team, phones=["+79161234567"])
    make_order(client, team, customer["id"], number="A-1001")
    message = refused(
        ask(client, {"phone": VISITOR, "order": "A-9999", "lang": "ru"}), 422, "order"
    )
    assert message == "Заказа с таким номером нет. Проверьте номер или оставьте поле пустым."
    assert callbacks(client, team) == []
    # Another customer's order: taken like any, and the answer says nothing of it; the operator
    # is warned not to read its details out.
    taken = ask(client, {"phone": VISITOR, "order": "#A-1001", "lang": "ru"})
    assert taken.status_code == 202, taken.text
    assert "A-1001" not in taken.text and "Иван" not in taken.text
    [task] = callbacks(client, team)
    [event] = task["events"]
    assert (event["order"], event["order_matches"]) == ("A-1001", False)
    assert task["customer_id"] is None


@pytest.mark.parametrize(
    ("body", "field", "ru", "en"),
    [
        (
            {"phone": VISITOR, "name": "Я" * 101},
            "name",
            "Слишком длинно: не больше 100 символов.",
            "Too long: 100 characters at most.",
        ),
        (
            {"phone": "7" * 41},
            "phone",
            "Слишком длинно: не больше 40 символов.",
            "Too long: 40 characters at most.",
        ),
        (
            {"phone": VISITOR, "email": "a@b.c"},
            "email",
            "Такого поля в заявке нет.",
            "A callback request has no such field.",
        ),
        ({"phone": 79031112233}, "phone", "Ожидается текст.", "Text is expected here."),
        ({"name": "Анна"}, "phone", "Укажите номер телефона.", "Please give your phone number."),
    ],
)
def test_bad_fields_are_named(
    client: TestClient, team: Team, body: dict[str, Any], field: str, ru: str, en: str
) -> None:
    assert refused(ask(client, {**body, "lang": "ru"}), 422, field) == ru
    assert refused(ask(client, {**body, "lang": "en"}), 422, field) == en
    assert callbacks(client, team) == []


def test_an_over_long_or_unreadable_body_is_refused(client: TestClient, team: Team) -> None:
    huge = {"phone": VISITOR, "homepage": "", "lang": "ru", "name": "x" * 5000}
    assert refused(ask(client, huge), 413) == "Заявка слишком большая: не больше 4096 байт."
    headers = {"Origin": SHOP, "Content-Type": "application/json", "Accept-Language": "en"}
    chunked = client.post(
        "/api/v1/web-callbacks", content=iter([b'{"phone": "', b"1" * 5000, b'"}']), headers=headers
    )
    assert refused(chunked, 413) == "The request is too large: 4096 bytes at most."
    garbage = client.post("/api/v1/web-callbacks", content=b"{phone", headers=headers)
    assert refused(garbage, 400).startswith("The request could not be read")
    form = client.post(
        "/api/v1/web-callbacks",
        data={"phone": VISITOR},
        headers={"Origin": SHOP, "Accept-Language": "ru"},
    )
    assert refused(form, 415).startswith("Заявка не прочитана: отправьте JSON")
    assert callbacks(client, team) == []


@pytest.mark.parametrize("limits", [{"callback_per_address": 5, "callback_per_phone": 100}])
def test_a_flood_from_one_address_gets_429(client: TestClient, team: Team) -> None:
    for i in range(5):
        assert ask(client, {"phone": f"+7903111220{i}"}).status_code == 202
    flood = ask(client, {"phone": "+79031112209", "lang": "ru"})
    assert refused(flood, 429) == "Слишком много заявок. Попробуйте снова через 10 мин."
    assert 590 <= int(flood.headers["retry-after"]) <= 600
    # The widget on the shop's page may read it (CORS).
    assert flood.headers["access-control-allow-origin"] == SHOP
    assert "retry-after" in flood.headers["access-control-expose-headers"].lower()
    assert len(callbacks(client, team)) == 5


@pytest.mark.parametrize("limits", [{"callback_per_address": 100, "callback_per_phone": 3}])
def test_one_number_is_limited_too(client: TestClient, team: Team) -> None:
    for _ in range(3):
        assert ask(client, {"phone": VISITOR}).status_code == 202
    again = ask(client, {"phone": "8 903 111-22-33", "lang": "en"})
    assert refused(again, 429) == "Too many requests. Please try again in 60 min."
    assert ask(client, {"phone": "+79031112200"}).status_code == 202  # another number may


def test_a_filled_honeypot_looks_taken_and_makes_nothing(
    client: TestClient, team: Team, caplog: pytest.LogCaptureFixture
) -> None:
    made = client.post(
        "/api/v1/webhooks/endpoints",
        json={"name": "shop", "url": "https://shop.example/hook", "events": ["callback.created"]},
        headers=team.admin.auth,
    )
    assert made.status_code == 201, made.text
    with caplog.at_level(logging.WARNING, logger="callcenter.web_callback"):
        bot = ask(client, {"phone": VISITOR, "homepage": "http://spam.example", "lang": "ru"})
    person = ask(client, {"phone": "+79031112200", "lang": "ru"})
    assert bot.status_code == person.status_code == 202
    assert bot.json()["message"] == person.json()["message"]
    assert [t["phone"] for t in callbacks(client, team)] == ["+79031112200"]
    deliveries = client.get("/api/v1/webhooks/deliveries", headers=team.admin.auth).json()
    assert deliveries["total"] == 1
    assert "honeypot" in caplog.text and "testclient" in caplog.text


def test_cors_answers_the_shops_origins_only(client: TestClient, team: Team) -> None:
    ask_first = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    ok = client.options("/api/v1/web-callbacks", headers={"Origin": SHOP, **ask_first})
    assert ok.status_code == 204, ok.text
    assert ok.headers["access-control-allow-origin"] == SHOP
    assert "POST" in ok.headers["access-control-allow-methods"]
    assert ok.headers["access-control-allow-headers"].lower() == "content-type"
    assert "access-control-allow-credentials" not in ok.headers
    assert "origin" in ok.headers["vary"].lower()
    for origin in ("https://evil.example", "http://shop.example", "null"):
        no = client.options("/api/v1/web-callbacks", headers={"Origin": origin, **ask_first})
        assert no.status_code == 403, origin
        assert "access-control-allow-origin" not in no.headers
    # A header the widget never sends is not allowed either.
    odd = {**ask_first, "Access-Control-Request-Headers": "content-type, x-csrf-token"}
    assert (
        client.options("/api/v1/web-callbacks", headers={"Origin": SHOP, **odd}).status_code == 403
    )

    # The request itself: from the shop, readable by its page; from elsewhere, refused unread.
    taken = ask(client, {"phone": VISITOR})
    assert taken.status_code == 202
    assert taken.headers["access-control-allow-origin"] == SHOP
    assert "set-cookie" not in taken.headers
    evil = ask(
        client,
        {"phone": "+79031112200"},
        origin="https://evil.example",
        headers={"Accept-Language": "en"},  # the body is not read: the browser's language
    )
    assert refused(evil, 403) == "Callback requests are not accepted from this website."
    assert "access-control-allow-origin" not in evil.headers
    assert [t["phone"] for t in callbacks(client, team)] == [VISITOR]
    # A shop's own server (no Origin) may ask too.
    assert ask(client, {"phone": "+79031112200"}, origin=None).status_code == 202


def test_the_widgets_labels_come_in_the_visitors_language(client: TestClient) -> None:
    ru = client.get("/api/v1/web-callbacks/form?lang=ru", headers={"Origin": SHOP})
    assert ru.status_code == 200
    assert ru.headers["access-control-allow-origin"] == SHOP
    assert ru.json()["strings"]["send"] == "Перезвоните мне"
    en = client.get(
        "/api/v1/web-callbacks/form", headers={"Origin": SHOP, "Accept-Language": "en-US"}
    )
    assert (en.json()["lang"], en.json()["strings"]["send"]) == ("en", "Call me back")
    evil = client.get("/api/v1/web-callbacks/form", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
