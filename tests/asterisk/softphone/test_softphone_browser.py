"""The browser's softphone for real: the workplace in headless Chromium (fake microphone
playing a known tone) registers with JsSIP over WSS to the real Asterisk, a sipp customer's
call rings it, the operator answers, audio flows both ways, and either side hangs up; a
supervisor in a second Chromium whispers and barges in from the live board."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import pytest
from pydub import AudioSegment

from callcenter.core.migrate import upgrade
from callcenter.core.models import Role
from callcenter.core.settings import Settings
from tests.asterisk.pbx import AMI_PORT, AMI_SECRET, AMI_USERNAME, Pbx, Sipp
from tests.asterisk.rtp_sniffer import RtpSniffer
from tests.asterisk.service import wait_until
from tests.asterisk.softphone.wss_register import WSS
from tests.browser.conftest import PASSWORD, Browser, Shop
from tests.fakes.live_server import LiveServer
from tests.wavs import tone

pytestmark = pytest.mark.asterisk

CUSTOMER = "79161234567"
PBX_PREFIX = "/var/spool/asterisk/monitor"
TONE_HZ = 440


@pytest.fixture
def shop(pbx: Pbx, sipp: Sipp, tmp_path: Path) -> Iterator[Shop]:
    """The whole service under uvicorn (Chromium needs a real HTTP server), bridged to the
    real PBX, with the softphones' accounts file where the PBX includes it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'softphone.db'}"
    with ThreadPoolExecutor(1) as pool:  # Playwright's loop runs in this thread
        pool.submit(upgrade, url).result()
    accounts = pbx.root / "var/lib/asterisk/callcenter/pjsip_softphones.conf"
    settings = Settings(
        _env_file=None,
        database_url=url,
        var_dir=tmp_path,
        secret_key="softphone-test-secret",
        ami_port=AMI_PORT,
        ami_username=AMI_USERNAME,
        ami_secret=AMI_SECRET,
        agi_budget_ms=1000,
        softphone_accounts=str(accounts),
        softphone_ws_url=WSS,
        recordings_pbx_prefix=PBX_PREFIX,
        recordings_inbox=str(pbx.monitor_dir),
        recordings_dir=tmp_path / "recordings",
        audiosocket_bind="127.0.0.1:0",
    )
    live = LiveServer(settings).start()
    api = httpx2.Client(base_url=live.url, timeout=30)
    try:
        wait_until(lambda: api.get("/healthz").json()["pbx"]["default"]["state"] == "connected")
        shop = Shop(live, None, api)  # type: ignore[arg-type]  # the PBX is the real one
        shop.user("sup", Role.SUPERVISOR)
        shop.user("m101", Role.OPERATOR, "101", name="Анна")
        shop.user("m102", Role.OPERATOR, "102", name="Борис")
        yield shop
    finally:
        api.close()
        live.stop()
        accounts.unlink(missing_ok=True)
        pbx.rx("module reload res_pjsip.so")


def media_args(tmp_path: Path, hz: float = TONE_HZ) -> list[str]:
    """Chromium with a microphone that plays a ``hz`` tone (440 Hz: the manager's), asked no
    questions."""
    wav = tone(tmp_path / f"microphone-{hz:g}.wav", 5.0, hz, 0.5)
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]


def workplace(browser: Browser, shop: Shop, tmp_path: Path, login: str, hz: float = TONE_HZ) -> Any:
    page = browser(args=media_args(tmp_path, hz), ignore_https_errors=True)
    page.goto(f"{shop.url}/login?lang=en")
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{shop.url}/")
    return page


def phone_state(page: Any, state: str, timeout: float = 20_000) -> str:
    page.wait_for_selector(f'#softphone[data-state="{state}"]', timeout=timeout)
    return str(page.text_content("#softphone-state"))


def registered(pbx: Pbx, user: str) -> bool:
    return bool(re.search(rf"Contact:\s+{user}/\S+\s+\S+\s+(Avail|NonQual|Unknown)",
                          pbx.rx(f"pjsip show aor {user}")))  # fmt: skip


# The remote stream's loudness, measured in the page with WebAudio over half a second.
LOUDNESS = """async () => {
  const stream = document.getElementById("softphone-audio").srcObject;
  if (!stream) return -1;
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let loudest = 0;
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 50));
    analyser.getFloatTimeDomainData(samples);
    const rms = Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length);
    loudest = Math.max(loudest, rms);
  }
  await context.close();
  return loudest;
}"""


def call_of(shop: Shop) -> dict[str, Any]:
    sup = shop.users["sup"]

    def ended() -> dict[str, Any] | None:
        items = shop.api.get("/api/v1/calls", headers=sup.auth).json()["items"]
        done = [c for c in items if c["status"]]
        return done[0] if done else None

    call: dict[str, Any] = wait_until(ended, 40)
    return call


def recording_sides(shop: Shop, call_id: int) -> tuple[AudioSegment, AudioSegment]:
    sup = shop.users["sup"]

    def settled() -> dict[str, Any] | None:
        call = shop.api.get(f"/api/v1/calls/{call_id}", headers=sup.auth).json()
        return call if call["recording_status"] in ("ready", "failed") else None

    call = wait_until(settled, 40)
    assert call["recording_status"] == "ready", call["recording_error"]
    meta = shop.api.get(f"/api/v1/recordings/{call['recording_id']}", headers=sup.auth).json()
    audio = shop.api.get(meta["audio_url"], headers=sup.auth)
    customer, manager = AudioSegment.from_file(
        io.BytesIO(audio.content), format="mp3"
    ).split_to_mono()
    return customer, manager


def test_a_customer_call_rings_the_browser_which_answers_and_hears_the_customer(
    shop: Shop, browser: Browser, pbx: Pbx, sipp: Sipp, tmp_path: Path
) -> None:
    page = workplace(browser, shop, tmp_path, "m101")
    assert phone_state(page, "ready") == "ready for calls"
    wait_until(lambda: registered(pbx, "web101"))

    # 7011 rings the desk phone (nothing answers there) and the browser, as the group does.
    sipp.start_call(CUSTOMER, "7011", scenario="uac_call", duration_ms=5000)
    # The caller as the PBX gives it (the pop beside it shows the customer's card).
    assert phone_state(page, "ringing") == f"Incoming call: {CUSTOMER}"
    page.click('#softphone [data-phone="answer"]')
    assert phone_state(page, "talking").startswith("On a call:")
    # The customer's audio (sipp plays recorded speech) reaches the browser.
    loudness = wait_until(lambda: (v := page.evaluate(LOUDNESS)) > 0.01 and v, 10)
    assert loudness > 0.01
    # The customer hangs up: the phone is ready again, and says the call ended.
    assert phone_state(page, "ready", 30_000) == "ready for calls"
    page.wait_for_selector(".toast:has-text('Call ended')")

    call = call_of(shop)
    assert call["status"] == "answered" and call["manager_id"] == shop.users["m101"].id
    # Both ways: the customer's side and the browser's (the fake microphone's tone) are heard.
    customer, manager = recording_sides(shop, call["id"])
    assert customer.max > 1000 and manager.max > 1000, (customer.max, manager.max)


def test_the_operator_hangs_up_from_the_browser(
    shop: Shop, browser: Browser, pbx: Pbx, sipp: Sipp, tmp_path: Path
) -> None:
    page = workplace(browser, shop, tmp_path, "m101")
    phone_state(page, "ready")
    wait_until(lambda: registered(pbx, "web101"))
    caller = sipp.start_call(CUSTOMER, "7011", scenario="uac_until_bye", timeout_s=60)
    phone_state(page, "ringing")
    page.click('#softphone [data-phone="answer"]')
    phone_state(page, "talking")
    # Mute and hold are there during the call, and come back as they were.
    page.click('#softphone [data-phone="mute"]')
    assert page.get_attribute('#softphone [data-phone="mute"]', "aria-pressed") == "true"
    page.click('#softphone [data-phone="mute"]')
    page.click('#softphone [data-phone="hangup"]')
    phone_state(page, "ready")
    # sipp got the BYE and answered it: its scenario ends well.
    assert caller.wait(20) == 0
    assert call_of(shop)["talk_seconds"] is not None


def test_a_wrong_account_and_an_ended_session_each_say_so(
    shop: Shop, browser: Browser, pbx: Pbx, tmp_path: Path
) -> None:
    page = workplace(browser, shop, tmp_path, "m101")
    phone_state(page, "ready")

    # The next page gets an account whose password is not the one Asterisk has.
    def wrong_account(route: Any) -> None:
        answer = route.fetch()
        body = answer.json()
        body["ha1"] = "0" * 32
        route.fulfill(response=answer, json=body)

    page.route("**/api/v1/softphone/account", wrong_account)
    page.goto(f"{shop.url}/tasks")
    assert "refused the phone's account" in phone_state(page, "error")
    assert not registered(pbx, "web101")
    # The session ends: the next attempt says to log in again, and stops trying.
    page.unroute("**/api/v1/softphone/account")
    page.context.clear_cookies()
    page.wait_for_selector("#softphone-state:has-text('Your session has ended')", timeout=20_000)


def test_a_second_tab_waits_and_a_second_browser_is_refused(
    shop: Shop, browser: Browser, pbx: Pbx, sipp: Sipp, tmp_path: Path
) -> None:
    first = workplace(browser, shop, tmp_path, "m101")
    phone_state(first, "ready")
    second = first.context.new_page()
    second.goto(f"{shop.url}/customers")
    assert phone_state(second, "other_tab") == "the phone is working in another tab"
    # While the first tab is on a call, the phone does not move.
    sipp.start_call(CUSTOMER, "7011", scenario="uac_until_bye", timeout_s=60)
    phone_state(first, "ringing")
    first.click('#softphone [data-phone="answer"]')
    phone_state(first, "talking")
    second.click("#softphone-take-over")
    second.wait_for_selector("#softphone-state:has-text('another tab is on a call')")
    assert first.get_attribute("#softphone", "data-state") == "talking"
    first.click('#softphone [data-phone="hangup"]')
    phone_state(first, "ready")
    # After it, it moves when asked, and the first tab says where it went.
    second.click("#softphone-take-over")
    assert phone_state(second, "ready") == "ready for calls"
    assert phone_state(first, "other_tab") == "the phone moved to another tab"
    wait_until(lambda: registered(pbx, "web101"))
    # Another browser of the same manager is refused by Asterisk, and says so.
    elsewhere = workplace(browser, shop, tmp_path, "m101")
    assert "already connected in another browser" in phone_state(elsewhere, "error")


def test_click_to_call_goes_through_the_browser_which_answers_by_itself(
    shop: Shop, browser: Browser, pbx: Pbx, sipp: Sipp, tmp_path: Path
) -> None:
    sup, m101 = shop.users["sup"], shop.users["m101"]
    customer = shop.post("/customers", {"name": "Иван Петров", "phones": ["+79031112233"]}, sup)
    page = workplace(browser, shop, tmp_path, "m101")
    phone_state(page, "ready")

    def browser_state() -> str | None:
        me = shop.api.get(f"/api/v1/managers/{m101.id}", headers=sup.auth).json()
        return me["softphone_state"]  # type: ignore[no-any-return]

    assert wait_until(lambda: browser_state() == "NOT_INUSE")
    # No desk phone answers on 5071: the call can only be placed through the browser.
    customer_phone = sipp.uas(5080, "uas_answer_hangup", calls=1)
    page.goto(f"{shop.url}/customers?q=%2B79031112233")  # found by phone, as operators do
    page.click("button.call")
    # Answered by itself: the operator clicked, their own leg does not ring.
    assert phone_state(page, "talking").startswith("On a call:")
    assert page.get_attribute('#softphone [data-phone="answer"]', "hidden") is not None
    assert customer_phone.wait(30) == 0
    phone_state(page, "ready")
    call = call_of(shop)
    assert (call["direction"], call["status"], call["phone"]) == ("out", "answered", "+79031112233")
    assert call["manager_id"] == m101.id and call["customer_id"] == customer["id"]


def test_a_blind_transfer_to_a_colleagues_browser_and_the_call_log_follows(
    shop: Shop, browser: Browser, pbx: Pbx, sipp: Sipp, tmp_path: Path
) -> None:
    anna = workplace(browser, shop, tmp_path, "m101")
    boris = workplace(browser, shop, tmp_path, "m102")
    phone_state(anna, "ready")
    phone_state(boris, "ready")
    wait_until(lambda: registered(pbx, "web101") and registered(pbx, "web102"))
    caller = sipp.start_call(CUSTOMER, "7011", scenario="uac_until_bye", timeout_s=60)
    phone_state(anna, "ringing")
    anna.click('#softphone [data-phone="answer"]')
    phone_state(anna, "talking")
    # A typo gets a plain message, and nothing is sent.
    anna.fill("#softphone-transfer input[name=target]", "10a")
    anna.click("#softphone-transfer button[type=submit]")
    assert (
        anna.text_content('[data-error-for="target"]') == "Type a manager's extension: digits only"
    )
    assert anna.get_attribute("#softphone", "data-state") == "talking"
    anna.fill("#softphone-transfer input[name=target]", "102")
    anna.click("#softphone-transfer button[type=submit]")
    # Anna's leg ends; Boris's browser rings with the customer, and he answers.
    assert phone_state(anna, "ready") == "ready for calls"
    assert CUSTOMER in phone_state(boris, "ringing")
    boris.click('#softphone [data-phone="answer"]')
    phone_state(boris, "talking")
    loudness = wait_until(lambda: (v := boris.evaluate(LOUDNESS)) > 0.01 and v, 10)
    assert loudness > 0.01
    boris.click('#softphone [data-phone="hangup"]')
    assert caller.wait(20) == 0
    call = call_of(shop)
    # The customer's call is one call in the log, ending with the colleague who took it.
    assert call["manager_id"] == shop.users["m102"].id, call


# The strongest frequency the softphone's remote stream carries now, and its loudness.
DOMINANT = """async () => {
  const stream = document.getElementById("softphone-audio").srcObject;
  if (!stream) return null;
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  context.createMediaStreamSource(stream).connect(analyser);
  await new Promise((r) => setTimeout(r, 400));
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  const samples = new Float32Array(analyser.fftSize);
  analyser.getFloatTimeDomainData(samples);
  const rms = Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length);
  let best = 1;
  for (let i = 2; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
  const hz = best * context.sampleRate / analyser.fftSize;
  await context.close();
  return { hz: hz, rms: rms };
}"""
SUPERVISOR_HZ = 600.0


def tone_share(pcm: bytes, hz: float, rate: int = 8000) -> float:
    """The share of 16-bit PCM's energy within 25 Hz of ``hz``."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(float)
    assert len(samples) > rate // 2, f"only {len(samples)} samples heard"
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    spectrum[freqs < 50] = 0
    return float(spectrum[np.abs(freqs - hz) < 25].sum() / max(spectrum.sum(), 1e-9))


def switch(board: Any, row: Any, mode: str, says: str) -> float:
    """Press the live board's ``mode`` button; when the PBX has the new spy, return the time."""
    with board.expect_response(lambda r: r.request.method == "PUT") as answered:
        row.locator(f'button.live-mode[data-mode="{mode}"]').click()
    assert answered.value.status == 200, answered.value.text()
    pressed = row.locator(f'button.live-mode[data-mode="{mode}"][aria-pressed="true"]')
    pressed.wait_for()
    assert row.locator(".live-mode-now").text_content() == says
    return time.monotonic()


def test_whisper_reaches_the_manager_only_and_barge_both_sides(
    shop: Shop, browser: Browser, pbx: Pbx, sipp: Sipp, tmp_path: Path
) -> None:
    page = workplace(browser, shop, tmp_path, "m101")
    phone_state(page, "ready")
    wait_until(lambda: registered(pbx, "web101"))
    # The customer says nothing: what the manager hears is only what the supervisor says.
    silence = tmp_path / "silence.alaw"
    silence.write_bytes(b"\xd5" * 8000)  # one second of G.711a silence, looped
    caller = sipp.start_call(
        CUSTOMER, "7011", scenario="uac_silent_until_bye", timeout_s=90,
        keys={"silence": str(silence)},
    )  # fmt: skip
    sniffer = RtpSniffer(int(caller.argv[caller.argv.index("-mp") + 1])).start()
    phone_state(page, "ringing")
    page.click('#softphone [data-phone="answer"]')
    phone_state(page, "talking")
    sup = shop.users["sup"]

    def live_call() -> dict[str, Any] | None:
        items = shop.api.get("/api/v1/calls", headers=sup.auth).json()["items"]
        return next((c for c in items if c["manager_id"] and not c["status"]), None)

    call = wait_until(live_call)
    # The supervisor on the live board, in a second Chromium whose microphone plays 600 Hz.
    board = workplace(browser, shop, tmp_path, "sup", SUPERVISOR_HZ)
    board.goto(f"{shop.url}/live")
    row = board.locator(f'#live-calls tr[data-call-id="{call["linkedid"]}"]')
    row.locator("button.live-listen").click()
    board.wait_for_selector(f'body[data-listening="{call["linkedid"]}"]', timeout=20_000)
    row.locator('button.live-mode[data-mode="listen"][aria-pressed="true"]').wait_for()
    time.sleep(1.5)
    # Listening only: the manager hears nothing of the supervisor.
    assert page.evaluate(DOMINANT)["rms"] < 0.005
    assert row.locator(".live-mode-now").text_content() == "Listening: nobody hears you"
    whispered = switch(board, row, "whisper", "Only the manager hears you")
    heard = wait_until(lambda: (d := page.evaluate(DOMINANT))["rms"] > 0.01 and d, 10)
    assert abs(heard["hz"] - SUPERVISOR_HZ) < 20, heard
    time.sleep(2.5)
    barged = switch(board, row, "barge", "Both sides hear you")
    time.sleep(2.5)
    heard = page.evaluate(DOMINANT)
    assert abs(heard["hz"] - SUPERVISOR_HZ) < 20, heard
    # Switching never dropped the call, nor the supervisor's connection.
    assert page.get_attribute("#softphone", "data-state") == "talking" and caller.running
    assert board.get_attribute("body", "data-listening") == call["linkedid"]
    page.click('#softphone [data-phone="hangup"]')
    ended = time.monotonic()
    assert caller.wait(20) == 0
    sniffer.stop()
    # What the customer heard, off the wire (a recording would not tell: MixMonitor takes the
    # channel's audio before ChanSpy mixes the supervisor in): the manager's own tone while
    # the supervisor whispered, the supervisor too once they barged in.
    whisper = tone_share(sniffer.pcm(whispered + 0.8, barged - 0.3), SUPERVISOR_HZ)
    barge = tone_share(sniffer.pcm(barged + 0.8, ended - 0.3), SUPERVISOR_HZ)
    assert whisper < 0.02 and barge > 0.05 and barge > 10 * whisper, (whisper, barge)
    modes = shop.api.get("/api/v1/audit", params={"action": "call.listen_mode"}, headers=sup.auth)
    assert [e["details"]["mode"] for e in modes.json()["items"]] == ["barge", "whisper"]
