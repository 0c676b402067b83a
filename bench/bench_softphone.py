"""The browser softphone on the real test Asterisk.

1. Ring latency: from the INVITE leaving Asterisk for the browser (its time in the pcap that
   ``pjsip set logger pcap`` writes, WSS included; same machine clock) to
   the workplace in headless Chromium showing the call (the softphone's ``data-state`` turning
   "ringing", ``Date.now()``), p50 and p99 over ``--calls``. Baseline in the same calls:
   extension 7011 rings the desk phone (a sipp UAS on UDP) beside the browser, and each leg's
   INVITE-to-180 is compared, browser against desk phone. (AMI's DialBegin is not the moment:
   it reaches a client after the browser has already rung.)
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
import re
import statistics
import struct
import subprocess
import sys
import tempfile
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
from tests.asterisk.pbx import AMI_PORT, AMI_SECRET, AMI_USERNAME, Pbx, Sipp  # noqa: E402
from tests.asterisk.service import wait_until  # noqa: E402
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
        "audiosocket_bind": "127.0.0.1:0",
    }


# --- 1. ring latency ------------------------------------------------------------------------


PCAP = "var/log/asterisk/bench-sip.pcap"  # under the PBX's root; Asterisk writes it
START_LINE = re.compile(rb"(INVITE (?P<uri>\S+) SIP/2\.0|SIP/2\.0 (?P<code>\d{3}) [^\r\n]*)\r\n")
CALL_ID = re.compile(rb"\r\n(?:Call-ID|i):\s*(?P<id>[^\r\n]+)", re.IGNORECASE)
CSEQ = re.compile(rb"\r\nCSeq:\s*\d+\s+(?P<method>\w+)", re.IGNORECASE)


def pcap_packets(data: bytes) -> list[tuple[float, bytes]]:
    """(time, bytes) of each record of a classic little-endian pcap (``pjsip set logger pcap``
    writes one per SIP message it sends or receives, WSS ones included, stamped as it does)."""
    magic = struct.unpack_from("<I", data)[0]
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), hex(magic)
    scale = 1e-6 if magic == 0xA1B2C3D4 else 1e-9
    packets, at = [], 24
    while at + 16 <= len(data):
        sec, frac, size, _ = struct.unpack_from("<IIII", data, at)
        packets.append((sec + frac * scale, data[at + 16 : at + 16 + size]))
        at += 16 + size
    return packets


def leg_of(uri: bytes) -> str | None:
    """The browser's contact is a WebSocket one; the desk phone is the sipp UAS on 5071."""
    if b";transport=ws" in uri.lower():
        return "browser"
    return "desk" if b":5071" in uri else None


def sip_times(data: bytes) -> dict[str, dict[bytes, float]]:
    """{"browser"|"desk": {Call-ID: INVITE sent}, "browser_180"|"desk_180": {Call-ID: 180
    received}}, the legs told apart by their contact (``leg_of``), paired by Call-ID."""
    found: dict[str, dict[bytes, float]] = {k: {} for k in ("browser", "desk", "browser_180",
                                                             "desk_180")}  # fmt: skip
    invites: dict[bytes, str] = {}
    for when, packet in pcap_packets(data):
        start, call_id, cseq = (START_LINE.search(packet), CALL_ID.search(packet),
                                CSEQ.search(packet))  # fmt: skip
        if not (start and call_id and cseq) or cseq["method"] != b"INVITE":
            continue
        if start["uri"]:
            leg = leg_of(start["uri"])
            if leg is None:
                continue  # the customer's INVITE to Asterisk
            invites[call_id["id"]] = leg
            found[leg].setdefault(call_id["id"], when)
        elif start["code"] == b"180" and call_id["id"] in invites:
            found[f"{invites[call_id['id']]}_180"].setdefault(call_id["id"], when)
    return found


def gaps(sent: dict[bytes, float], got: dict[bytes, float]) -> list[float]:
    return [got[k] - sent[k] for k in sent if k in got]


def ring_latency(pbx: Pbx, tmp: Path, calls: int) -> dict[str, list[float]]:
    values = settings_for(pbx, tmp)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, values["database_url"]).result()
        pool.submit(asyncio.run, add_managers(values["database_url"], ["101"])).result()
    live = LiveServer(Settings(_env_file=None, **values)).start()
    wait_until(lambda: connected(live.port), 30)
    sipp = Sipp(log_root=tmp / "sipp")
    pcap = pbx.root / PCAP
    pcap.unlink(missing_ok=True)
    pbx.rx(f"pjsip set logger pcap /{PCAP}")  # names the file; "on" starts the logging
    pbx.rx("pjsip set logger on")
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
        pbx.rx("pjsip set logger off")
        sipp.stop_all()
        live.stop()
    sip = sip_times(pcap.read_bytes())
    browser = sorted(sip["browser"].values())
    assert len(browser) == len(rings) == calls, (len(browser), len(rings), calls)
    return {
        "invite_to_tab": [r - i for i, r in zip(browser, rings, strict=True)],
        "invite_to_180_browser": gaps(sip["browser"], sip["browser_180"]),
        "invite_to_180_desk": gaps(sip["desk"], sip["desk_180"]),
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
        wait_until(lambda: connected(PORT, server), 30)
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


def connected(port: int, process: subprocess.Popen[bytes] | None = None) -> bool:
    """Whether the service on ``port`` is connected to the PBX (its ``process``, when it is
    one of its own, must not have exited meanwhile)."""
    if process is not None and process.poll() is not None:
        raise RuntimeError(f"the service exited with {process.returncode}")
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
