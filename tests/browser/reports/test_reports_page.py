"""The reports page in real headless Chromium on the hand-computed shop
(tests/integration/reports/fixture.py): a supervisor opens one day, changes the period, sees
the chart's table change to the expected figures and the chart drawn, and follows a number to
the calls behind it."""

from __future__ import annotations

from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # the `playwright` fixture fails (CI) or skips (locally) with the reason
    expect = None  # type: ignore[assignment]

from callcenter.core.models import Role
from tests.browser.conftest import Browser, Shop, log_in
from tests.integration.reports import fixture


def seed(shop: Shop) -> dict[str, Any]:
    shop.user("sup", Role.SUPERVISOR, "100", "Светлана Старшая")
    op1 = shop.user("op1", Role.OPERATOR, "101", "Анна Первая")
    op2 = shop.user("op2", Role.OPERATOR, "102", "Борис Второй")

    async def build() -> fixture.Ids:
        async with shop.live.app.state.services.sessionmaker() as session:
            ids = await fixture.build(session, op1.id, op2.id)
            await session.commit()
            return ids

    ids: fixture.Ids = shop.live.call(build())
    return {"op1": op1, "op2": op2, "ids": ids}


def test_a_supervisor_changes_the_period_and_drills_down_to_the_calls(
    shop: Shop, browser: Browser
) -> None:
    people = seed(shop)
    page = browser()
    log_in(page, shop, "sup")
    page.goto(f"{shop.url}/reports?period=custom&from=2026-11-02&until=2026-11-02")
    trend = page.locator("#report-trend tbody tr")
    expect(trend).to_have_count(1)
    monday = trend.nth(0)
    expect(monday.locator('[data-col="calls"]')).to_have_text("5")
    expect(monday.locator('[data-col="answered_pct"]')).to_have_text("75,0")
    expect(page.locator("#trend-chart")).to_have_attribute("data-drawn", "true")
    op1 = page.locator(f'#report-managers tr[data-manager-id="{people["op1"].id}"]')
    expect(op1.locator('[data-col="inbound_offered"]')).to_have_text("4")  # calls 1-4

    # Two days now: the form, as a supervisor would use it.
    page.fill("#report-until", "2026-11-03")
    page.click('#report-filters button[type="submit"]')
    page.wait_for_url("**until=2026-11-03**")
    expect(trend).to_have_count(2)
    tuesday = trend.nth(1)
    expect(tuesday.locator("th")).to_have_text("03.11")
    expect(tuesday.locator('[data-col="calls"]')).to_have_text("4")
    expect(tuesday.locator('[data-col="answered_pct"]')).to_have_text("50,0")
    expect(tuesday.locator('[data-col="missed"]')).to_have_text("1")
    expect(tuesday.locator('[data-col="prev_calls"]')).to_have_text("1")  # Sunday 1 November
    expect(op1.locator('[data-col="inbound_offered"]')).to_have_text("5")
    expect(op1.locator('[data-col="answered_pct"]')).to_have_text("40,0")
    expect(
        page.locator('#report-managers tr[data-manager-id="team"] [data-col="wait_p90"]')
    ).to_have_text("30")
    expect(page.locator("#trend-chart")).to_have_attribute("data-drawn", "true")

    # op1's one missed call in these two days is call 3 (call 12 is on Wednesday).
    op1.locator('[data-col="inbound_missed"] a').click()
    page.wait_for_url("**/calls?**")
    rows = page.locator("table.calls tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_have_attribute("data-call-id", str(people["ids"].calls[3]))
    expect(page.locator("#calls-total")).to_have_attribute("data-total", "1")
