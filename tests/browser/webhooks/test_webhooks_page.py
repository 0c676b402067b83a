"""The admin's webhook pages in real headless Chromium: add an endpoint (its secret shown
once), a refused URL named next to its field, a call reaching a real HTTP receiver signed with
that secret, the delivery log's tries, and "send again"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `playwright` fixture fails (CI) or skips (locally) with the reason
    expect = None  # type: ignore[assignment]

from callcenter.core.models import Role
from tests.browser.conftest import Browser, Shop, log_in
from tests.fakes.threaded_ami import wait_until
from tests.integration.webhooks.test_webhook_delivery import ring, talk_and_hang_up
from tests.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


def test_an_admin_adds_an_endpoint_and_works_the_delivery_log(
    shop: Shop, browser: Browser, receiver: WebhookReceiver
) -> None:
    shop.user("admin", Role.ADMIN, name="Админ")
    shop.user("op1", Role.OPERATOR, "101", "Анна")
    page = browser()
    log_in(page, shop, "admin")
    page.click('nav a[href="/admin/webhooks"]')
    expect(page.locator("h1")).to_have_text("Вебхуки")

    new = page.locator("#webhook-new form")
    new.locator('input[name="name"]').fill("Сайт магазина")
    new.locator('input[name="url"]').fill("http://10.0.0.1/hook")
    new.locator('button[type="submit"]').click()
    expect(new.locator('[data-error-for="url"]')).to_contain_text("not a public address")

    new.locator('input[name="url"]').fill(receiver.url)
    new.locator('button[type="submit"]').click()
    secret = page.locator("#webhook-secret-value")
    expect(secret).to_contain_text("whsec_")
    receiver.secret = secret.inner_text()

    shop.ami.push(*ring(), *talk_and_hang_up())
    wait_until(lambda: len(receiver.taken()) >= 3, timeout=10)
    assert receiver.types() == ["call.ringing", "call.answered", "call.ended"]
    assert all(r.signature_ok for r in receiver.taken())

    page.reload()
    expect(page.locator(".webhook-title")).to_have_text("Сайт магазина")
    assert receiver.secret not in page.content()
    page.click("text=Журнал доставок")
    rows = page.locator("#deliveries tr.delivery")
    expect(rows).to_have_count(3)
    first = rows.nth(2)  # newest first: the ringing is the last row
    expect(first.locator(".delivery-state")).to_have_text("доставлено")
    first.locator('[data-action="details"]').click()
    details = page.locator("tr.delivery-details:not([hidden])")
    expect(details.locator(".delivery-tries")).to_contain_text("HTTP 200")
    expect(details.locator(".delivery-body")).to_contain_text('"call.ringing"')
    first.locator('[data-action="send-again"]').click()
    expect(first.locator(".delivery-state")).to_have_text("поставлено в отправку")
    wait_until(lambda: len(receiver.taken()) >= 4, timeout=10)
    again = receiver.taken()[-1]
    assert again.type == "call.ringing" and again.id == receiver.taken()[0].id
