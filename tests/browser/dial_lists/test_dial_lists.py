"""Dial lists in real headless Chromium: a supervisor builds a rule in the builder and watches
the live preview count (a bad value shown next to its condition), saves it and builds a list
that shows up with a progress bar; a manager works it with the keyboard only: N takes the next
customer, C calls (the fake PBX gets the Originate), 1-8 picks the outcome, Enter saves, and the
progress moves."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `playwright` fixture fails (CI) or skips (locally) with the reason
    expect = None  # type: ignore[assignment]

from callcenter.core.models import Role
from tests.browser.conftest import Browser, Shop, log_in
from tests.browser.core.test_workplace import originate_script
from tests.fakes.threaded_ami import wait_until

# 15:00 in Moscow, where customers without a time zone live: inside calling hours whenever the
# test runs.
NOW = dt.datetime.combine(dt.date.today(), dt.time(12, 0))
MARIA, IVAN, PETR = "+79031234501", "+79161234567", "+79261234502"


@pytest.fixture
def team(shop: Shop) -> dict[str, Any]:
    shop.live.app.state.services.dial_lists.clock = lambda: NOW
    admin = shop.user("admin", Role.ADMIN, name="Администратор")
    sup = shop.user("sup", Role.SUPERVISOR, "100", "Светлана Руководитель")
    anna = shop.user("anna", Role.OPERATOR, "101", "Анна Светлова")
    spent = {
        "Мария Соколова": (MARIA, 12000),
        "Иван Петров": (IVAN, 5870),
        "Пётр Ёлкин": (PETR, 300),
    }
    for name, (phone, total) in spent.items():
        customer = shop.post("/customers", {"name": name, "phones": [phone]}, admin)
        shop.post(
            "/orders",
            {
                "customer_id": customer["id"],
                "items": [{"product": "Чайник электрический", "quantity": 1, "price": total}],
            },
            admin,
        )
    return {"admin": admin, "sup": sup, "anna": anna}


def originates(shop: Shop) -> list[dict[str, str]]:
    return [a for a in shop.ami.server.actions if a.get("Action") == "Originate"]


def build_rule_and_list(page: Any, shop: Shop, anna_id: int) -> int:
    page.goto(f"{shop.url}/dial-rules/new")
    count = page.locator("#preview-count")
    # A ready-made rule fills the tree, "days" included.
    page.select_option("#rule-template", "cancelled_recently")
    condition = page.locator('.rule-cond[data-path="all.0"]')
    expect(condition.locator('[data-role="days"]')).to_have_value("30")
    expect(condition.locator('[data-role="field"]')).to_have_value("cancelled_orders_in_last_days")
    expect(count).to_have_attribute("data-count", "0")
    condition.locator(".rule-remove").click()
    expect(page.locator(".rule-empty")).to_have_text("Условий нет: подходят все клиенты.")
    expect(count).to_have_attribute("data-count", "3")
    # A condition of our own: total spent over 1000.
    page.locator('#rule-tree [data-role="add-condition"]').click()
    condition.locator('[data-role="field"]').select_option("total_spent")
    condition.locator('[data-role="op"]').select_option(">")
    condition.locator('[data-role="value"]').fill("много")
    error = condition.locator(".rule-error")
    expect(error).to_contain_text("Значение не подходит. Нужна сумма, 0 или больше.")
    expect(count).to_have_text("Исправьте условие, отмеченное красным.")
    expect(condition.locator('[data-role="value"]')).to_have_attribute("aria-invalid", "true")
    condition.locator('[data-role="value"]').fill("1000")
    expect(count).to_have_attribute("data-count", "2")
    expect(count).to_contain_text("Подходит клиентов: 2")
    expect(error).to_be_hidden()
    expect(page.locator("#preview-table tbody tr td:first-child")).to_have_text(
        ["Мария Соколова", "Иван Петров"]
    )
    page.fill("#rule-name", "Покупали больше чем на 1000 ₽")
    page.click("#rule-save")
    expect(page.locator("#rule-state")).to_have_text("Правило сохранено.")
    rule_id = int(re.sub(r".*/dial-rules/(\d+)$", r"\1", page.url))
    page.click("#rule-build")
    page.wait_for_url(f"{shop.url}/dial-lists/new?rule_id={rule_id}")
    expect(page.locator("#build-rule")).to_have_value(str(rule_id))
    page.fill("#build-name", "Обзвон: больше 1000 ₽")
    page.select_option("#build-managers", str(anna_id))
    page.click('#build-form button[type="submit"]')
    page.wait_for_url(re.compile(r".*/dial-lists/\d+$"))
    list_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator('#dial-build[data-status="ready"]')).to_have_count(1)
    expect(page.locator("#dial-list-name")).to_have_text("Обзвон: больше 1000 ₽")
    bar = page.locator("#dial-progress progress")
    expect(bar).to_have_attribute("max", "2")
    expect(bar).to_have_attribute("value", "0")
    expect(page.locator('tr[data-excluded="matched"] td')).to_have_text("2")
    page.goto(f"{shop.url}/dial-lists")
    row = page.locator(f'tr[data-list-id="{list_id}"]')
    expect(row.locator(".dial-list-link")).to_have_text("Обзвон: больше 1000 ₽")
    expect(row.locator(".dial-progress progress")).to_have_attribute("max", "2")
    expect(row.locator(".dial-progress-text")).to_have_text("0 из 2")
    return list_id


def test_build_a_rule_and_a_list_then_work_it_with_the_keyboard(
    shop: Shop, team: dict[str, Any], browser: Browser
) -> None:
    boss = browser()
    log_in(boss, shop, "sup")
    list_id = build_rule_and_list(boss, shop, team["anna"].id)

    page = browser()
    log_in(page, shop, "anna")
    page.click('nav a[href="/dial-lists"]')
    page.locator(f'tr[data-list-id="{list_id}"] .dial-work-link').click()
    page.wait_for_url(f"{shop.url}/dial-lists/{list_id}/work")
    message = page.locator("#work-message")
    expect(message).to_have_text("Нажмите N, чтобы взять следующего клиента.")
    expect(page.locator("#dial-keys")).to_contain_text("N следующий клиент")

    # N: the highest spender first, on the screen-pop card.
    page.keyboard.press("n")
    card = page.locator("#work-pop .pop")
    expect(card.locator('[data-slot="name"]')).to_have_text("Мария Соколова")
    expect(card.locator('[data-slot="total_spent"]')).to_have_text("12\u00a0000,00 ₽")
    expect(card.locator('[data-slot="order_items"] li')).to_have_text(
        ["Чайник электрический × 1 — 12\u00a0000,00 ₽"]
    )
    expect(page.locator('#work-entry [data-slot="phone"]')).to_have_text("+7 903 123-45-01")
    expect(message).to_contain_text("Мария Соколова: нажмите C, чтобы позвонить")

    # C: the manager's phone is busy, the reason is shown; C again: it rings and answers.
    originate_script(shop.ami, success=False)
    page.keyboard.press("c")
    call_state = page.locator("#work-call-state")
    expect(call_state).to_have_text(
        "Звонок не состоялся: the call was not placed: the manager's phone is busy"
    )
    originate_script(shop.ami, success=True)
    page.keyboard.press("c")
    expect(call_state).to_have_text("Соединяем с +7 903 123-45-01")
    sent = originates(shop)
    assert len(sent) == 2
    assert (sent[-1]["Channel"], sent[-1]["Exten"]) == ("PJSIP/101", "79031234501")
    assert sent[-1]["CallerID"] == '"Мария Соколова" <79031234501>'

    # 1: answered; typing into the note fires no shortcut; Enter in it saves.
    page.keyboard.press("1")
    expect(page.locator('input[name="outcome"][value="answered"]')).to_be_checked()
    page.click("#work-note")
    page.keyboard.type("Всё понравилось, 2 заказа на неделе, call next month")
    expect(page.locator('input[name="outcome"][value="answered"]')).to_be_checked()
    assert len(originates(shop)) == 2
    page.keyboard.press("Enter")
    expect(message).to_have_text("Сохранено: Мария Соколова — Поговорили. N — следующий клиент.")
    expect(page.locator("#work-card")).to_be_hidden()
    expect(page.locator("#work-progress-list .dial-progress-text")).to_have_text("1 из 2")
    expect(page.locator("#work-progress-list progress")).to_have_attribute("value", "1")
    expect(page.locator("#work-progress-mine .dial-progress-text")).to_have_text("1 из 2")

    # The next one; 6: not interested; Enter saves; then the list is done.
    page.keyboard.press("n")
    expect(card.locator('[data-slot="name"]')).to_have_text("Иван Петров")
    page.keyboard.press("6")
    page.keyboard.press("Enter")
    expect(message).to_have_text("Сохранено: Иван Петров — Не интересно. N — следующий клиент.")
    expect(page.locator("#work-progress-list .dial-progress-text")).to_have_text("2 из 2")
    page.keyboard.press("n")
    expect(message).to_have_text("Список пройден: для вас клиентов больше нет.")

    detail = shop.api.get(f"/api/v1/dial-lists/{list_id}", headers=team["sup"].auth).json()
    assert detail["counts"]["done"] == 2
    assert detail["counts"]["outcomes"] == {"answered": 1, "not_interested": 1}
    entries = shop.api.get(
        f"/api/v1/dial-lists/{list_id}/entries", headers=team["sup"].auth
    ).json()["items"]
    first = entries[0]
    assert first["note"] == "Всё понравилось, 2 заказа на неделе, call next month"
    assert first["call_linkedid"] == sent[-1]["ChannelId"]
    # The supervisor's page shows the same progress.
    boss.goto(f"{shop.url}/dial-lists/{list_id}")
    expect(boss.locator("#dial-progress .dial-progress-text")).to_have_text("2 из 2")
    expect(boss.locator('tr[data-outcome="answered"] td')).to_have_text("1")


def api_list(shop: Shop, team: dict[str, Any]) -> int:
    """The same list, built through the API."""
    tree = {"all": [{"field": "total_spent", "op": ">", "value": 1000}]}
    rule = shop.post("/dial-rules", {"name": "больше 1000", "tree": tree}, team["sup"])
    body = {"rule_id": rule["id"], "name": "Перезвоны", "manager_ids": [team["anna"].id]}
    list_id = int(shop.post("/dial-lists", body, team["sup"])["id"])
    url = f"/api/v1/dial-lists/{list_id}"
    wait_until(lambda: shop.api.get(url, headers=team["sup"].auth).json()["status"] == "ready", 10)
    return list_id


def test_callback_time_an_order_and_why_there_is_no_one_to_call(
    shop: Shop, team: dict[str, Any], browser: Browser
) -> None:
    list_id = api_list(shop, team)
    page = browser()
    log_in(page, shop, "anna")
    page.goto(f"{shop.url}/dial-lists/{list_id}/work")
    message = page.locator("#work-message")
    page.keyboard.press("n")
    expect(page.locator('#work-pop [data-slot="name"]')).to_have_text("Мария Соколова")
    # 5: call back; the time field takes the focus. A past time is refused next to it.
    page.keyboard.press("5")
    when = page.locator("#work-callback-at")
    expect(when).to_be_focused()
    yesterday = NOW.date() - dt.timedelta(days=1)
    when.fill(f"{yesterday.isoformat()}T10:00")
    when.press("Enter")
    expect(page.locator('[data-error-for="callback_at"]')).to_have_text(
        "must be in the future, within a year"
    )
    tomorrow = NOW.date() + dt.timedelta(days=1)
    when.fill(f"{tomorrow.isoformat()}T10:00")  # Moscow, the browser's zone
    when.press("Enter")
    expect(message).to_have_text("Сохранено: Мария Соколова — Перезвонить. N — следующий клиент.")

    # 8: ordered. The order taken in another tab shows up with "Refresh"; Enter saves.
    page.keyboard.press("n")
    expect(page.locator('#work-pop [data-slot="name"]')).to_have_text("Иван Петров")
    page.keyboard.press("8")
    expect(page.locator("#work-order")).to_be_visible()
    order = shop.post(
        "/orders",
        # A token is nobody's manager: the page's own form (a session) makes Anna the manager.
        {
            "phone": IVAN,
            "manager_id": team["anna"].id,
            "items": [{"product": "Фильтр для воды", "quantity": 2, "price": 890}],
        },
        team["anna"],
    )
    page.click("#work-order-reload")
    page.select_option("#work-order-id", str(order["id"]))
    page.locator("#work-order-id").press("Enter")
    expect(message).to_have_text("Сохранено: Иван Петров — Оформил заказ. N — следующий клиент.")

    # Nobody is due now: Maria waits for her callback.
    page.keyboard.press("n")
    expect(message).to_contain_text("Все ваши клиенты ждут повторного звонка.")
    # At 23:00 in Moscow it is outside calling hours.
    shop.live.app.state.services.dial_lists.clock = lambda: NOW.replace(hour=20)
    page.keyboard.press("n")
    expect(message).to_contain_text("неподходящее время для звонка")

    items = shop.api.get(f"/api/v1/dial-lists/{list_id}/entries", headers=team["sup"].auth).json()[
        "items"
    ]
    by_outcome = {e["outcome"]: e for e in items}
    assert by_outcome["callback"]["callback_at"] == f"{tomorrow.isoformat()}T07:00:00"
    assert by_outcome["ordered"]["order_id"] == order["id"]
    detail = shop.api.get(f"/api/v1/dial-lists/{list_id}", headers=team["sup"].auth).json()
    assert (detail["counts"]["ordered"], detail["counts"]["conversion"]) == (1, 1.0)


def test_edit_a_lists_settings_then_delete_it(
    shop: Shop, team: dict[str, Any], browser: Browser
) -> None:
    list_id = api_list(shop, team)
    page = browser()
    log_in(page, shop, "sup")
    page.goto(f"{shop.url}/dial-lists/{list_id}")
    form = page.locator("#list-edit")
    attempts = form.locator('input[name="max_attempts"]')
    expect(attempts).to_have_value("3")
    # Out of range: the API's 422 shows next to the field; then a good value is saved.
    attempts.fill("99")
    page.click("#list-save")
    expect(form.locator('[data-error-for="settings.max_attempts"]')).to_be_visible()
    expect(attempts).to_have_attribute("aria-invalid", "true")
    attempts.fill("5")
    page.click("#list-save")
    expect(page.locator("#list-state")).to_have_text("Список сохранён.")
    expect(page.locator('dd[data-setting="max_attempts"]')).to_have_text("5")
    expect(form.locator('[data-error-for="settings.max_attempts"]')).to_be_hidden()
    detail = shop.api.get(f"/api/v1/dial-lists/{list_id}", headers=team["sup"].auth).json()
    assert detail["settings"]["max_attempts"] == 5
    page.reload()
    expect(page.locator("#list-edit input[name=max_attempts]")).to_have_value("5")

    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.click("#list-delete")
    page.wait_for_url(f"{shop.url}/dial-lists")
    assert dialogs and "Перезвоны" in dialogs[0]
    expect(page.locator(f'[data-list-id="{list_id}"]')).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Перезвоны")
    gone = shop.api.get(f"/api/v1/dial-lists/{list_id}", headers=team["sup"].auth)
    assert gone.status_code == 404
