"""The browser softphone on the real test Asterisk.

1. Ring latency: from the INVITE leaving Asterisk for the browser (AMI ``DialBegin`` of the
   ``PJSIP/web101`` leg, read on loopback) to the workplace in headless Chromium showing the
   call (the softphone's ``data-state`` turning "ringing"), p50 and p99 over ``--calls``.
   Baseline in the same calls: extension 7011 rings the desk phone (a sipp UAS on UDP) beside
   the browser, and each leg's time from ``DialBegin`` to its 180 (AMI ``Newstate`` Ringing)
   is compared, browser against desk phone.
2. CPU: the service as its own process (``callcenter serve``), its utime+stime from /proc over
   ``--seconds`` idle with no softphone registered, then with ``--phones`` registered over WSS
   and answering Asterisk's qualify OPTIONS. Media never passes through the service.

Needs root and the test PBX (make asterisk first):

    .venv/bin/python bench/bench_softphone.py [--calls 20] [--phones 50] [--seconds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx2  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import select  # noqa: E402

from callcenter.core.db import make_engine, make_sessionmaker  # noqa: E402
from callcenter.core.migrate import upgrade  # noqa: E402
from callcenter.core.models import Manager, Role  # noqa: E402
from callcenter.core.settings import Settings  # noqa: E402
from callcenter.managers import service as manager_service  # noqa: E402
from callcenter.managers.schemas import ManagerIn  # noqa: E402
from tests.asterisk.pbx import AMI_PORT, AMI_SECRET, AMI_USERNAME, AmiClient, Pbx, Sipp  # noqa: E402
from tests.asterisk.softphone.test_softphone_browser import media_args  # noqa: E402
from tests.asterisk.softphone.wss_register import WSS, stay_registered  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD  # noqa: E402
from tests.fakes.live_server import LiveServer  # noqa: E402

PORT = 18089
ACCOUNTS = "var/lib/asterisk/callcenter/pjsip_softphones.conf"
RING_PROBE = """() => {
  window.__rings = [];
  const root = document.getElementById("softphone");
  new MutationObserver(() => {
    if (root.dataset.state === "ringing") window.__rings.push(Date.now() / 1000);
  }).observe(root, { attributes: true, attributeFilter: ["data-state"] });
}"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


async def add_managers(url: str, extensions: list[str]) -> None:
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        for ext in extensions:
            body = ManagerIn(login=f"m{ext}", password=PASSWORD, role=Role.OPERATOR, extension=ext)
            await manager_service.create(session, body)
        await session.commit()
    await engine.dispose()


def settings_for(pbx: Pbx, tmp: Path) -> dict[str, Any]:
    return {
        "database_url": f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
        "var_dir": str(tmp),
        "secret_key": "bench-softphone-secret",
        "ami_port": AMI_PORT,
        "ami_username": AMI_USERNAME,
        "ami_secret": AMI_SECRET,
        "softphone_accounts": str(pbx.root / ACCOUNTS),
        "softphone_ws_url": WSS,
    }


# --- 1. ring latency ------------------------------------------------------------------------


async def ami_times(stop: threading.Event, out: list[tuple[str, str, float]]) -> None:
    """(event, channel, when received) of every DialBegin and Ringing of the phones' legs."""
    ami = AmiClient()
    await ami.connect(username="crm-unfiltered", secret=AMI_SECRET)
    while not stop.is_set():
        try:
            message = await ami.next_message(0.3)
        except TimeoutError:
            continue
        now = time.time()
        if message.event == "DialBegin":
            out.append(("dial", message.get("DestChannel") or "", now))
        elif message.event == "Newstate" and message.get("ChannelStateDesc") == "Ringing":
            out.append(("ringing", message.get("Channel") or "", now))
    await ami.close()


def leg_times(events: list[tuple[str, str, float]], device: str) -> list[tuple[float, float]]:
    """(DialBegin, 180) of each call's leg to ``device``, in call order."""
    dials = [(ch, t) for kind, ch, t in events if kind == "dial" and ch.startswith(device + "-")]
    rings = {ch: t for kind, ch, t in events if kind == "ringing"}
    return [(t, rings[ch]) for ch, t in dials if ch in rings]


def ring_latency(pbx: Pbx, tmp: Path, calls: int) -> dict[str, list[float]]:
    values = settings_for(pbx, tmp)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, values["database_url"]).result()
        pool.submit(asyncio.run, add_managers(values["database_url"], ["101"])).result()
    live = LiveServer(Settings(_env_file=None, **values)).start()
    sipp = Sipp(log_root=tmp / "sipp")
    events: list[tuple[str, str, float]] = []
    # Playwright's sync API runs a loop in this thread: the AMI reader has a thread of its own.
    stop = threading.Event()
    watcher = threading.Thread(target=asyncio.run, args=(ami_times(stop, events),))
    watcher.start()
    try:
        with sync_playwright() as driver:
            page = open_workplace(driver, live, tmp)
            sipp.uas(5071, "uas_noanswer", calls=calls)
            for n in range(calls):
                number = f"7916{n:07d}"
                sipp.start_call(number, "7011", scenario="uac_cancel", duration_ms=800).wait(30)
                pbx.wait_idle()
            rings = page.evaluate("window.__rings")
    finally:
        stop.set()
        watcher.join(10)
        sipp.stop_all()
        live.stop()
    browser, desk = leg_times(events, "PJSIP/web101"), leg_times(events, "PJSIP/101")
    return {
        "invite_to_tab": [r - d for (d, _), r in zip(browser, rings, strict=False)],
        "invite_to_180_browser": [r - d for d, r in browser],
        "invite_to_180_desk": [r - d for d, r in desk],
    }


def open_workplace(driver: Any, live: LiveServer, tmp: Path) -> Any:
    context = driver.chromium.launch_persistent_context(
        str(tmp / "profile"), executable_path=str(CHROMIUM), headless=True,
        args=CHROMIUM_ARGS + media_args(tmp), ignore_https_errors=True,
    )  # fmt: skip
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{live.url}/login?lang=en")
    page.fill('input[name="login"]', "m101")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_selector('#softphone[data-state="ready"]', timeout=20_000)
    page.evaluate(RING_PROBE)
    time.sleep(1.0)  # the PBX has the contact and the service its device state
    return page


# --- 2. the service's CPU with softphones registered ----------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def idle_cpu(pid: int, seconds: float, accounts: list[tuple[str, str]]) -> float:
    stop = asyncio.Event()
    phones = [asyncio.create_task(stay_registered(u, "callcenter", h, stop)) for u, h in accounts]
    await asyncio.sleep(3.0 if accounts else 0.5)  # registered, device states reported
    before = cpu_seconds(pid)
    await asyncio.sleep(seconds)
    used = cpu_seconds(pid) - before
    stop.set()
    statuses = await asyncio.gather(*phones)
    assert all(s == 200 for s in statuses), statuses
    return used


def service_cpu(pbx: Pbx, tmp: Path, phones: int, seconds: float) -> tuple[float, float]:
    values = settings_for(pbx, tmp)
    extensions = [str(201 + n) for n in range(phones)]
    upgrade(values["database_url"])
    asyncio.run(add_managers(values["database_url"], extensions))
    env = {**os.environ, **{f"CALLCENTER_{k.upper()}": str(v) for k, v in values.items()}}
    env["CALLCENTER_HTTP_BIND"] = f"127.0.0.1:{PORT}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "callcenter"), "serve", "--no-migrate"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not connected(PORT):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the service did not connect to the PBX")
            time.sleep(0.2)
        accounts = asyncio.run(written_accounts(values["database_url"]))
        quiet = asyncio.run(idle_cpu(server.pid, seconds, []))
        busy = asyncio.run(idle_cpu(server.pid, seconds, accounts))
        return quiet, busy
    finally:
        server.terminate()
        server.wait(15)


async def written_accounts(url: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        rows = await session.execute(select(Manager.softphone_user, Manager.softphone_ha1))
        accounts = [(u, h) for u, h in rows if u and h]
    await engine.dispose()
    return accounts


def connected(port: int) -> bool:
    try:
        health = httpx2.get(f"http://127.0.0.1:{port}/healthz").json()
        return bool(health["pbx"]["default"]["state"] == "connected")
    except (httpx2.HTTPError, KeyError, ValueError):
        return False


def report(times: dict[str, list[float]], quiet: float, busy: float, args: Any) -> None:
    for name, values in times.items():
        ms = [v * 1000 for v in values]
        p50, p99 = statistics.median(ms), pct(ms, 99)
        print(f"{name:24} n={len(ms):3}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
    browser = statistics.median(times["invite_to_180_browser"])
    desk = statistics.median(times["invite_to_180_desk"])
    print(f"180 from the browser vs from a desk phone (p50): {browser / desk:.2f}x")
    print(
        f"service CPU over {args.seconds:.0f} s idle: {quiet * 1000:.0f} ms with no softphone, "
        f"{busy * 1000:.0f} ms with {args.phones} registered ({busy / max(quiet, 1e-3):.2f}x; "
        f"{busy / args.seconds * 100:.2f}% of one core)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args()
    pbx = Pbx()
    with pbx.exclusive():
        pbx.setup()
        pbx.start()
        try:
            with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
                times = ring_latency(pbx, Path(a), args.calls)
                quiet, busy = service_cpu(pbx, Path(b), args.phones, args.seconds)
        finally:
            (pbx.root / ACCOUNTS).unlink(missing_ok=True)
            pbx.stop()
    report(times, quiet, busy, args)


if __name__ == "__main__":
    main()
