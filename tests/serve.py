"""``callcenter serve`` as its own process, so that a test can kill it like a real one
(SIGKILL: no shutdown runs) and start it again on the same database."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
from websockets.sync.client import ClientConnection

from tests.fakes.threaded_ami import wait_until

# The console script of the environment running the tests.
CALLCENTER = shutil.which("callcenter", path=str(Path(sys.executable).parent)) or "callcenter"


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fake_pbx(port: int) -> dict[str, str]:
    """The settings that bridge a service to the fake AMI server (tests/fakes/ami_server.py)
    on ``port``, with FastAGI on a free port."""
    return {
        "CALLCENTER_AMI_PORT": str(port),
        "CALLCENTER_AMI_USERNAME": "crm",
        "CALLCENTER_AMI_SECRET": "crm-secret",
        "CALLCENTER_AGI_BIND": "127.0.0.1:0",
    }


class Serve:
    def __init__(self, tmp_path: Path, **env: str) -> None:
        """A service on a fresh SQLite database in ``tmp_path``; ``env`` adds or overrides
        its ``CALLCENTER_*`` variables."""
        self.tmp = tmp_path
        self.port = free_tcp_port()
        self.env = {
            **os.environ,
            "CALLCENTER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
            "CALLCENTER_HTTP_BIND": f"127.0.0.1:{self.port}",
            "CALLCENTER_VAR_DIR": str(tmp_path),
            "CALLCENTER_AUDIOSOCKET_BIND": "",
            "CALLCENTER_RECORDINGS_DIR": str(tmp_path / "recordings"),
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [CALLCENTER, *args], env=self.env, capture_output=True, timeout=60, check=True
        )
        return done.stdout.decode()

    def token(self, login: str, role: str, extension: str | None = None) -> str:
        """A new user of ``role`` (with a phone's ``extension``) and an API token of theirs."""
        phone = ("--extension", extension) if extension else ()
        self.cli("users", "add", login, "--role", role, *phone, "--password", f"{login}-password-1")
        return self.cli("tokens", "create", login).strip().split()[-1]

    def start(self, *, standby: bool = False) -> None:
        """Start, and wait until its PBX is connected, or (``standby``, several instances)
        until it knows which other instance leads it."""
        self.launch()
        wait_until(self.standing_by if standby else self.connected, timeout=30)

    def launch(self) -> None:
        """Start the process and return at once."""
        with (self.tmp / "serve.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [CALLCENTER, "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def health(self) -> dict[str, Any] | None:
        """Its /healthz; None while it does not answer (an AssertionError once it exited)."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            log = (self.tmp / "serve.log").read_text(errors="replace")[-3000:]
            raise AssertionError(f"the service exited with {self.proc.returncode}:\n{log}")
        try:
            health: dict[str, Any] = httpx2.get(f"{self.url}/healthz", timeout=2).json()
        except httpx2.HTTPError:
            return None
        return health

    def connected(self) -> bool:
        """Whether it answers and its PBX is connected."""
        health = self.health()
        return health is not None and health["pbx"]["default"]["state"] == "connected"

    def standing_by(self) -> bool:
        """Whether it answers and another instance leads its PBX."""
        pbx = (self.health() or {}).get("pbx", {}).get("default", {})
        return pbx.get("leader") is False and bool(pbx.get("leader_instance"))

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)

    def request(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        response = httpx2.request(
            method,
            f"{self.url}{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
            **kwargs,
        )
        assert response.status_code < 300, response.text
        return response.json()

    def get(self, path: str, token: str) -> Any:
        return self.request("GET", path, token)


def ws_frames(ws: ClientConnection, seconds: float) -> list[dict[str, Any]]:
    """Every JSON frame a WebSocket gets within ``seconds``."""
    got, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            got.append(json.loads(ws.recv(timeout=left)))
        except TimeoutError:
            break
    return got
