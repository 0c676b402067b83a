"""The supervisors' live board in real headless Chromium: an inbound call from the fake PBX
appears ringing, turns to talking on answer with its duration ticking, and goes when it ends;
a manager's presence and phone state show up, in words of the user's language; "Listen" POSTs a WebRTC offer and shows the API's
error (the test PBX has no AudioSocket to send audio)."""

from __future__ import annotations

from typing import Any

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `playwright` fixture fails (CI) or skips (locally) with the reason
    expect = None  # type: ignore[assignment]

from callcenter.core.models import Role
from tests.browser.conftest import Browser, Shop, log_in
from tests.browser.core.test_workplace import DESK1, LINKEDID, PHONE, TRUNK, answer, hang_up, ring
from tests.fakes.threaded_ami import event


@pytest.fixture
def floor(shop: Shop) -> dict[str, Any]:
    admin = shop.user("admin", Role.ADMIN, name="Администратор")
    sup = shop.user("sveta", Role.SUPERVISOR, "100", "Света Супервизорова")
    anna = shop.user("anna", Role.OPERATOR, "101", "Анна Светлова")
    customer = shop.post("/customers", {"name": "Иван Петров", "phones": [PHONE]}, admin)
    return {"admin": admin, "sup": sup, "anna": anna, "customer": customer}


def open_board(page: Any, shop: Shop) -> None:
    log_in(page, shop, "sveta")
    page.click('a[href="/live"]')
    page.wait_for_url(f"{shop.url}/live")
    page.wait_for_selector('body[data-board="open"]')


def test_a_call_appears_rings_talks_and_goes(
    shop: Shop, floor: dict[str, Any], browser: Browser
) -> None:
    page = browser()
    open_board(page, shop)
    expect(page.locator("h1")).to_contain_text("Звонки онлайн")
    expect(page.locator("#live-no-calls")).to_be_visible()
    anna = page.locator(f'#live-managers tr[data-manager-id="{floor["anna"].id}"]')
    expect(anna.locator('[data-slot="name"]')).to_have_text("Анна Светлова")
    expect(anna.locator('[data-slot="status"]')).to_have_text("не в сети")

    ring(shop.ami, DESK1)
    row = page.locator(f'#live-calls tr[data-call-id="{LINKEDID}"]')
    expect(row).to_have_attribute("data-state", "ringing")
    expect(row.locator('[data-slot="direction"]')).to_have_text("входящий")
    expect(row.locator('[data-slot="customer"] a')).to_have_text("Иван Петров")
    expect(row.locator('[data-slot="phone"]')).to_have_text("+7 916 123-45-67")
    expect(row.locator('[data-slot="manager"]')).to_have_text("Анна Светлова")
    expect(row.locator('[data-slot="state"]')).to_have_text("звонит")
    expect(row.locator("button")).to_have_count(0)  # nothing to listen to yet
    expect(page.locator("#live-no-calls")).to_be_hidden()

    answer(shop.ami, DESK1)
    expect(row).to_have_attribute("data-state", "talking")
    expect(row.locator('[data-slot="state"]')).to_have_text("разговор")
    expect(row.locator('[data-slot="duration"]')).to_have_text("00:00")
    expect(row.locator('[data-slot="duration"]')).to_have_text("00:02", timeout=5000)
    expect(row.locator("button.live-listen")).to_have_text("Слушать")

    # The phone's state from the PBX, the presence from the workplace.
    shop.ami.push(event("DeviceStateChange", 5, Device="PJSIP/101", State="INUSE"))
    expect(anna.locator('[data-slot="device"]')).to_have_text("разговаривает")
    response = shop.api.put(
        f"/api/v1/managers/{floor['anna'].id}/status",
        json={"status": "busy"},
        headers=floor["anna"].auth,
    )
    assert response.status_code == 200, response.text
    expect(anna.locator('[data-slot="status"]')).to_have_text("занят")
    expect(anna.locator('[data-slot="device"]')).to_have_text("разговаривает")

    hang_up(shop.ami, TRUNK, DESK1)
    expect(row).to_have_count(0)
    expect(page.locator("#live-no-calls")).to_be_visible()
    expect(page.locator('[data-stat="calls"]')).not_to_have_text("—")


def test_phone_states_are_words_in_the_users_language(
    shop: Shop, floor: dict[str, Any], browser: Browser
) -> None:
    page = browser()
    open_board(page, shop)
    device = page.locator(
        f'#live-managers tr[data-manager-id="{floor["anna"].id}"] [data-slot="device"]'
    )
    expect(device).to_have_text("—")  # nothing heard from the PBX yet
    for ts, (state, words) in enumerate(
        [("NOT_INUSE", "свободен"), ("RINGING", "звонит"), ("ONHOLD", "на удержании")], 1
    ):
        shop.ami.push(event("DeviceStateChange", ts, Device="PJSIP/101", State=state))
        expect(device).to_have_text(words)
        expect(device).to_have_attribute("data-state", state)  # the PBX's own value, kept
    # A state the board has no words for: "unknown", and never markup.
    shop.ami.push(event("DeviceStateChange", 4, Device="PJSIP/101", State="<b>WEIRD</b>"))
    expect(device).to_have_text("неизвестно")
    expect(device.locator("b")).to_have_count(0)

    page.goto(f"{shop.url}/live?lang=en")
    page.wait_for_selector('body[data-board="open"]')
    expect(device).to_have_text("unknown")
    # No desk phone and no browser softphone: nobody can ring this manager, and the board says so.
    shop.ami.push(event("DeviceStateChange", 5, Device="PJSIP/101", State="UNAVAILABLE"))
    expect(device).to_have_text("unreachable: unavailable")
    row = page.locator(f'#live-managers tr[data-manager-id="{floor["anna"].id}"]')
    expect(row).to_have_attribute("data-reachable", "false")
    # The browser registers: reachable again, through it.
    shop.ami.push(event("DeviceStateChange", 6, Device="PJSIP/web101", State="NOT_INUSE"))
    expect(device).to_have_text("unavailable · browser: free")
    expect(device).to_have_attribute("data-softphone", "NOT_INUSE")
    expect(row).to_have_attribute("data-reachable", "true")


def test_a_missed_call_from_a_new_number_waits_as_a_callback_in_russian(
    shop: Shop, floor: dict[str, Any], browser: Browser
) -> None:
    page = browser()
    open_board(page, shop)
    ring(shop.ami, DESK1, number="89035550000")
    hang_up(shop.ami, TRUNK, DESK1)  # nobody answered
    row = page.locator("#live-tasks tr")
    expect(row).to_have_count(1)
    expect(row.locator('[data-slot="title"]')).to_have_text("Перезвонить")
    expect(row.locator('[data-slot="phone"]')).to_have_text("+7 903 555-00-00")

    # The tasks page tells when, on the shop's clock (the PBX's call began 14:13:20 UTC).
    page.goto(f"{shop.url}/tasks")
    task = page.locator("tr.task").first
    expect(task.locator("td").first).to_contain_text("Перезвонить")
    expect(task.locator(".task-event")).to_have_text("Пропущенный звонок: 21.09.2026 17:13 МСК")


def test_listen_posts_the_offer_and_shows_the_apis_error(
    shop: Shop, floor: dict[str, Any], browser: Browser
) -> None:
    page = browser()
    open_board(page, shop)
    ring(shop.ami, DESK1)
    answer(shop.ami, DESK1)
    row = page.locator(f'#live-calls tr[data-call-id="{LINKEDID}"]')
    expect(row).to_have_attribute("data-state", "talking")
    with page.expect_request(f"**/api/v1/live/calls/{LINKEDID}/listen") as posted:
        row.locator("button.live-listen").click()
    request = posted.value
    assert request.method == "POST"
    assert request.headers["x-csrf-token"]
    body = request.post_data_json
    assert body["type"] == "offer"
    assert "m=audio" in body["sdp"]
    assert "a=recvonly" in body["sdp"]
    # The fake PBX never connects the spy's AudioSocket: the API answers with an error.
    error = page.locator("#live-error")
    expect(error).to_be_visible(timeout=15_000)
    # (The fake PBX has no bridged leg to spy on: the API says nobody answered.)
    expect(error).to_have_text("Не удалось подключиться: на звонок ещё не ответили")
    assert error.get_attribute("title")  # the API's own reason, for whoever asks
    expect(row.locator("button.live-listen")).to_be_visible()


def test_operators_see_no_link_to_the_board(
    shop: Shop, floor: dict[str, Any], browser: Browser
) -> None:
    # (GET /live is a 403 for them: tests/integration/live/test_live_board.py.)
    page = browser()
    log_in(page, shop, "anna")
    expect(page.locator('a[href="/customers"]').first).to_be_visible()
    expect(page.locator('a[href="/live"]')).to_have_count(0)
