"""The recordings page and the routing settings in real headless Chromium: a supervisor
filters, plays a call (the audio streams over HTTP Range), seeks on the waveform, changes the
speed and scores the call; an admin changes a routing setting; an operator may not."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `playwright` fixture fails (CI) or skips (locally) with the reason
    expect = None  # type: ignore[assignment]

from callcenter.core.models import Call, CallDirection, CallStatus, Role
from recordings.ingest import IngestJob
from tests import wavs
from tests.browser.conftest import Browser, Shop, log_in

PREFIX = "/var/spool/asterisk/monitor"


def add_recording(
    shop: Shop, linkedid: str, seconds: float, *, manager_id: int, direction: str, phone: str
) -> None:
    """A finished call with a WAV the app's own ingest worker turns into a ready MP3."""
    app: Any = shop.live.app
    recordings = app.state.services.recordings
    inbox = Path(app.state.services.settings.var_dir) / "inbox"
    inbox.mkdir(exist_ok=True)
    # The shop's PBX prefix points nowhere: read this test's inbox instead.
    recordings.mapper.prefix = PurePosixPath(PREFIX)
    recordings.mapper.inbox = inbox.resolve()
    wavs.tone(inbox / f"{linkedid}.wav", seconds, freq=330.0)

    async def run() -> None:
        async with app.state.services.sessionmaker() as session:
            start = dt.datetime(2026, 11, 20, 10, 0) + dt.timedelta(minutes=len(linkedid))
            session.add(
                Call(
                    linkedid=linkedid,
                    direction=CallDirection(direction),
                    status=CallStatus.ANSWERED,
                    manager_id=manager_id,
                    phone=phone,
                    started_at=start,
                    answered_at=start + dt.timedelta(seconds=3),
                    ended_at=start + dt.timedelta(seconds=3 + seconds),
                    rang=[],
                )
            )
            await session.commit()
        worker = recordings.worker
        worker.settle, worker.poll = 0.3, 0.05
        await worker.submit(
            IngestJob(pbx="default", call_id=linkedid, source=f"{PREFIX}/{linkedid}.wav")
        )
        await worker.join()

    shop.live.call(run(), timeout=60)


@pytest.fixture
def staff(shop: Shop) -> dict[str, Any]:
    users = {
        "admin": shop.user("admin", Role.ADMIN, name="Администратор"),
        "sup": shop.user("sup", Role.SUPERVISOR, "100", "Светлана Контроль"),
        "anna": shop.user("anna", Role.OPERATOR, "101", "Анна Светлова"),
        "boris": shop.user("boris", Role.OPERATOR, "102", "Борис Громов"),
    }
    add_recording(
        shop, "1790000300.1", 8.0, manager_id=users["anna"].id, direction="in", phone="+79161234567"
    )
    add_recording(
        shop,
        "1790000300.22",
        3.0,
        manager_id=users["boris"].id,
        direction="out",
        phone="+79030001122",
    )
    return users


def audio(page: Any, prop: str) -> Any:
    return page.evaluate(f"document.getElementById('rec-audio').{prop}")


def wait_for(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Poll a JS expression over CDP (``wait_for_function`` evals, which the page's CSP
    forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(50)


def test_a_supervisor_filters_plays_seeks_and_scores(
    shop: Shop, staff: dict[str, Any], browser: Browser
) -> None:
    page = browser()
    log_in(page, shop, "sup")
    page.click('nav a[href="/recordings"]')
    rows = page.locator("#rec-table tbody tr")
    expect(rows).to_have_count(2)
    page.select_option('select[name="direction"]', "in")
    page.click('#rec-filters button[type="submit"]')
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("+7 916 123-45-67")
    expect(rows.first).to_contain_text("Анна Светлова")

    rows.first.locator("button.rec-open").click()
    player = page.locator("#player")
    expect(player).to_be_visible()
    rec_id = player.get_attribute("data-rec-id")
    assert rec_id
    expect(page.locator("#rec-download")).to_have_attribute(
        "href", f"/api/v1/recordings/{rec_id}/audio?download=1"
    )
    wait_for(page, "document.getElementById('rec-audio').readyState >= 1")
    assert 7.5 < audio(page, "duration") < 8.5

    # Play: the position moves, and so does the mark on the waveform.
    page.click("#rec-play")
    wait_for(page, "document.getElementById('rec-audio').currentTime > 0.5")
    assert not audio(page, "paused")
    expect(page.locator("#rec-play")).to_have_text("Пауза")
    assert float(page.get_attribute("#rec-wave", "data-position") or 0) > 0

    # Seek (paused, so only the click moves it): three quarters of the waveform is 6 s of 8.
    page.click("#rec-play")
    wait_for(page, "document.getElementById('rec-audio').paused")
    assert audio(page, "currentTime") < 3
    box = page.locator("#rec-wave").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    wait_for(page, "Math.abs(document.getElementById('rec-audio').currentTime - 6) < 0.3", 3)
    expect(page.locator("#rec-wave")).to_have_attribute(
        "data-position", re.compile(r"^0\.7[45]\d\d$")
    )

    # Speed: 2× from here on, and it keeps playing from the seek.
    page.click('[data-rate="2"]')
    assert audio(page, "playbackRate") == 2
    expect(page.locator('[data-rate="2"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator('[data-rate="1"]')).to_have_attribute("aria-pressed", "false")
    page.click("#rec-play")
    wait_for(page, "document.getElementById('rec-audio').currentTime > 6.5")
    page.click("#rec-play")
    wait_for(page, "document.getElementById('rec-audio').paused")

    # Score and comment, saved through the API with the page's CSRF token.
    page.check('#review-form input[name="score"][value="4"]')
    page.fill('#review-form textarea[name="comment"]', "Вежливо, но без допродажи")
    page.click('#review-form button[type="submit"]')
    expect(page.locator("#review-state")).to_have_text("Сохранено.")
    expect(rows.first.locator(".rec-score")).to_have_text("4")
    saved = shop.api.get(f"/api/v1/recordings/{rec_id}", headers=staff["admin"].auth).json()
    assert saved["review"]["score"] == 4
    assert saved["review"]["comment"] == "Вежливо, но без допродажи"
    assert saved["review"]["reviewed_by_id"] == staff["sup"].id

    # After a reload the score is there, filled into the form.
    page.reload()
    page.locator("#rec-table button.rec-open").first.click()
    expect(page.locator('#review-form input[name="score"][value="4"]')).to_be_checked()


def test_an_admin_changes_a_routing_setting(
    shop: Shop, staff: dict[str, Any], browser: Browser
) -> None:
    page = browser()
    log_in(page, shop, "admin")
    page.click('nav a[href="/admin/routing"]')
    expect(page.locator("h1")).to_have_text("Маршрутизация")
    # A value the API refuses: its 422 shows next to the field.
    page.fill('input[name="ring_at_once"]', "99")
    page.click('#routing-form button[type="submit"]')
    error = page.locator('[data-error-for="ring_at_once"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text("50")
    expect(page.locator('input[name="ring_at_once"]')).to_have_attribute("aria-invalid", "true")

    page.fill('input[name="ring_at_once"]', "5")
    page.select_option('select[name="vip_group"]', [str(staff["anna"].id)])
    page.click('#routing-form button[type="submit"]')
    expect(page.locator("#routing-state")).to_have_text("Сохранено.")
    expect(error).to_be_hidden()
    saved = shop.api.get("/api/v1/settings/routing", headers=staff["admin"].auth).json()
    assert saved["ring_at_once"] == 5
    assert saved["vip_group"] == [staff["anna"].id]
    page.reload()
    expect(page.locator('input[name="ring_at_once"]')).to_have_value("5")


def test_an_operator_gets_403_on_the_routing_page(
    shop: Shop, staff: dict[str, Any], browser: Browser
) -> None:
    page = browser()
    log_in(page, shop, "anna")
    expect(page.locator('nav a[href="/admin/routing"]')).to_have_count(0)
    # With her browser's session cookie (a request, not a navigation: the browser fixture
    # fails a test on the console error a 403 page load logs).
    response = page.request.get(f"{shop.url}/admin/routing")
    assert response.status == 403
    assert "Нет доступа" in response.text()
    # Her own recordings only.
    page.goto(f"{shop.url}/recordings")
    expect(page.locator("#rec-table tbody tr")).to_have_count(1)
    expect(page.locator("#review-form")).to_have_count(0)
