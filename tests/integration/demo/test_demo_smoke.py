"""``callcenter demo`` as a newcomer runs it: a subprocess on a free port with its own var
directory, for about 20 s. Through the REST API and the screen-pop WebSocket, logged in as the
demo's managers, calls must be tracked, routed, popped and recorded (a recording that
streams), and a dial list must be there. Then it stops cleanly on Ctrl+C."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from tests.integration.conftest import PASSWORD as TEAM_PASSWORD
from tests.integration.conftest import Team, web_login

PASSWORD = "demo1234"
ROUTES = {"personal_manager", "vip", "bad", "group", "fallback"}
MANAGERS = ("supervisor", "anna", "boris", "vera", "gleb")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.25)


@dataclass
class Demo:
    url: str
    process: subprocess.Popen[bytes]
    output: Path

    def log(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")


@dataclass
class Pops:
    """The screen-pop messages one logged-in manager receives, read in a thread."""

    login: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]


@contextmanager
def running_demo(home: Path, *options: str) -> Iterator[Demo]:
    """``callcenter demo`` in a subprocess of its own session, on a free port, with its var
    directory in ``home``; killed if the test did not stop it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env |= {"CALLCENTER_VAR_DIR": str(home / "var"), "CALLCENTER_HTTP_BIND": f"127.0.0.1:{port}"}
    output = home / "demo.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "callcenter.cli", "demo", "--port", str(port), *options],
            cwd=home,  # no stray .env
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Demo(f"http://127.0.0.1:{port}", process, output)
    try:
        wait_until(lambda: _healthy(running), 90, "the demo answers /healthz")
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    fast = ("--calls-per-minute", "30", "--answer-after", "1", "--talk-seconds", "3")
    with running_demo(tmp_path_factory.mktemp("demo"), "--customers", "300", *fast) as demo:
        yield demo


def _healthy(demo: Demo) -> bool:
    if demo.process.poll() is not None:
        raise AssertionError(f"the demo exited with {demo.process.returncode}:\n{demo.log()}")
    try:
        health = httpx2.get(f"{demo.url}/healthz", timeout=2).json()
    except httpx2.HTTPError:
        return False
    return bool(health["pbx"].get("default", {}).get("state") == "connected")


def log_in(demo: Demo, login: str) -> httpx2.Client:
    client = httpx2.Client(base_url=demo.url, timeout=10)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    done = client.post(
        "/login",
        data={"login": login, "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return client


def listen(demo: Demo, client: httpx2.Client, pops: Pops, stop: threading.Event) -> None:
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    with ws_connect(
        demo.url.replace("http", "ws", 1) + "/ws",
        additional_headers={"Cookie": cookie, "Origin": demo.url},
    ) as socket_:
        while not stop.is_set():
            try:
                pops.messages.append(json.loads(socket_.recv(timeout=0.5)))
            except TimeoutError:
                continue
            except ConnectionClosed:
                return


def test_the_demo_comes_alive(demo: Demo) -> None:
    clients = {login: log_in(demo, login) for login in MANAGERS}
    pops = {login: Pops(login) for login in MANAGERS}
    stop = threading.Event()
    readers = [
        threading.Thread(target=listen, args=(demo, clients[m], pops[m], stop), daemon=True)
        for m in MANAGERS
    ]
    for reader in readers:
        reader.start()
    api = clients["supervisor"]  # sees every call and recording
    try:
        # Tracked and routed: calls in the log, ended, with the routing reason stored.
        def routed_calls() -> list[dict[str, Any]]:
            items = api.get("/api/v1/calls", params={"limit": 200}).json()["items"]
            return [c for c in items if c["status"] and c["route"] in ROUTES]

        calls = wait_until(routed_calls, 25, "ended calls with a route")
        assert all(c["direction"] == "in" for c in calls)
        # Recorded: a ready recording whose audio streams, with HTTP Range.
        ready = wait_until(
            lambda: api.get("/api/v1/recordings", params={"status": "ready"}).json()["items"],
            25,
            "a ready recording",
        )
        audio = api.get(ready[0]["audio_url"])
        assert audio.status_code == 200, audio.text
        assert audio.headers["content-type"] == "audio/mpeg"
        assert len(audio.content) > 4000 and ready[0]["duration_seconds"] > 1
        assert ready[0]["channels"] == 2
        part = api.get(ready[0]["audio_url"], headers={"Range": "bytes=0-99"})
        assert part.status_code == 206 and len(part.content) == 100
        # Popped: some manager's phone rang on their screen, with the card of the caller.
        rings = wait_until(
            lambda: [m for p in pops.values() for m in p.of("call.ringing")], 15, "a pop"
        )
        assert {m["direction"] for m in rings} == {"in"}
        assert any(m["customer"] and m["customer"]["name"] for m in rings)
        assert wait_until(
            lambda: [m for p in pops.values() for m in p.of("call.ended")], 15, "a pop closed"
        )
        # The demo's "Answer": only a ringing phone can be answered, and only your own.
        refused = clients["anna"].post(
            "/api/v1/demo/answer",
            json={"call_id": "1790000000.1"},
            headers={"X-CSRF-Token": _csrf(clients["anna"])},
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "not_ringing"
        assert clients["anna"].post("/api/v1/demo/answer", json={"call_id": "x"}).status_code == 403
        # A dial list, built and ready to work.
        lists = api.get("/api/v1/dial-lists").json()
        assert lists["total"] >= 1
        first = lists["items"][0]
        assert first["status"] == "ready" and first["progress"]["entries"] > 0
    finally:
        stop.set()
        for reader in readers:
            reader.join(5)
        for client in clients.values():
            client.close()
    # Ctrl+C: uvicorn shuts the service and the simulator down cleanly.
    os.killpg(demo.process.pid, signal.SIGINT)
    assert demo.process.wait(20) == 0, demo.log()
    log = demo.log()
    assert f"Open {demo.url}/" in log and "anna" in log and PASSWORD in log
    assert "Traceback" not in log, log


def _csrf(client: httpx2.Client) -> str:
    page = client.get("/")
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def test_outside_the_demo_there_is_no_answer_button(client: TestClient, team: Team) -> None:
    assert web_login(client, "op1", TEAM_PASSWORD).status_code == 303
    page = client.get("/")
    assert page.status_code == 200
    assert "pop-demo-answer" not in page.text and 'id="pop-known"' in page.text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert csrf
    answer = client.post(
        "/api/v1/demo/answer", json={"call_id": "1"}, headers={"X-CSRF-Token": csrf.group(1)}
    )
    assert answer.status_code == 404
