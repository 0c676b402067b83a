"""``callcenter demo`` in real headless Chromium: the front page sends a newcomer to log in, a
demo manager logs in, the simulator's calls ring on the page, "Answer" picks one up, and the
call ends up answered by that manager in the call log."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # the `playwright` fixture fails (CI) or skips (locally) with the reason
    expect = None  # type: ignore[assignment]

from callcenter.core.i18n import translate
from tests.browser.conftest import Browser
from tests.integration.demo.test_demo_smoke import PASSWORD, Demo, running_demo


def log_in(page: Any, demo: Demo, login: str) -> None:
    page.goto(f"{demo.url}/")
    expect(page).to_have_url(f"{demo.url}/login")
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{demo.url}/")
    page.wait_for_selector('body[data-ws="open"]')


def answer_a_call(page: Any) -> str:
    """Press "Answer" on a ringing pop; a caller may hang up just before the click, so a few
    calls get a chance. Returns the answered call's id."""
    for _ in range(4):
        pop = page.locator(".pop:not(.answered)").first
        expect(pop).to_be_visible(timeout=30_000)
        call_id = str(pop.get_attribute("data-call-id"))
        button = pop.locator(".pop-demo-answer")
        expect(button).to_have_text(translate("demo.answer"))
        button.click()
        mine = page.locator(f'.pop.answered[data-call-id="{call_id}"]')
        try:
            expect(mine).to_be_visible(timeout=5_000)
        except AssertionError:
            page.locator(f'.pop[data-call-id="{call_id}"] .pop-close').click(timeout=1_000)
            continue
        return call_id
    raise AssertionError("no ringing pop could be answered")


def test_a_call_rings_in_the_page_and_is_answered_there(
    playwright: Any, browser: Browser, tmp_path: Path
) -> None:
    # The simulator would take a minute to answer by itself: only the click answers.
    options = ("--customers", "300", "--calls-per-minute", "30", "--answer-after", "60")
    with running_demo(tmp_path, *options, "--talk-seconds", "3") as demo:
        page = browser()
        log_in(page, demo, "anna")
        call_id = answer_a_call(page)
        pop = page.locator(f'.pop[data-call-id="{call_id}"]')
        expect(pop.locator('[data-slot="state"]')).to_have_text(translate("pop.answered_by_you"))
        expect(pop.locator(".pop-demo-answer")).to_have_count(0)
        expect(pop).to_have_count(0, timeout=15_000)  # the call ended: its pop closes

        me = page.request.get(f"{demo.url}/api/v1/me").json()
        calls = page.request.get(f"{demo.url}/api/v1/calls?limit=200").json()["items"]
        [call] = [c for c in calls if c["linkedid"] == call_id]
        assert call["status"] == "answered"
        assert call["manager_id"] == me["manager"]["id"]
        assert re.fullmatch(r"\+7\d{10}", call["phone"] or ""), call
