"""The shop's working hours on the routing page, in real Chromium: a day off has no times, a
refused day says why beside it, a close at 00:00 is midnight."""

from __future__ import annotations

from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # the `playwright` fixture fails (CI) or skips (locally) with the reason
    expect = None  # type: ignore[assignment]

from callcenter.core.models import Role
from tests.browser.conftest import Browser, Shop, log_in


def test_an_admin_sets_the_working_hours(shop: Shop, browser: Browser) -> None:
    admin = shop.user("admin", Role.ADMIN, name="Администратор")
    page = browser()
    log_in(page, shop, "admin")
    page.goto(f"{shop.url}/admin/routing")
    form = page.locator("#hours-form")
    expect(form.locator('tr[data-day="sun"] th')).to_have_text("Воскресенье")
    # Sunday off: its times are not asked for.
    form.locator('input[name="sun"]').uncheck()
    expect(form.locator('input[name="sun.open"]')).to_be_disabled()
    # A day that closes before it opens is refused, beside that day.
    form.locator('input[name="tue.open"]').fill("18:00")
    form.locator('input[name="tue.close"]').fill("09:00")
    form.locator('button[type="submit"]').click()
    error = form.locator('[data-error-for="tue"]')
    expect(error).to_contain_text("close after it opens")
    # Open till midnight is closing at 00:00.
    form.locator('input[name="tue.close"]').fill("00:00")
    form.locator('button[type="submit"]').click()
    expect(page.locator("#hours-state")).to_have_text("Сохранено.")
    expect(error).to_be_hidden()
    saved: dict[str, Any] = shop.api.get("/api/v1/settings/hours", headers=admin.auth).json()
    assert saved["sun"] is None
    assert saved["tue"] == {"open": "18:00", "close": "00:00"}
    assert saved["mon"] == {"open": "09:00", "close": "21:00"}
    page.reload()
    expect(page.locator('#hours-form input[name="sun"]')).not_to_be_checked()
    expect(page.locator('#hours-form input[name="tue.close"]')).to_have_value("00:00")
