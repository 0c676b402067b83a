"""Drive the real test PBX: Asterisk 22 in a Debian sid chroot, sipp phones and callers, raw AMI.

- ``Pbx``: build/start/stop through ``scripts/asterisk/*.sh``; ``rx()`` runs a CLI command.
- ``Sipp``: sipp UAS processes standing for phones (``uas(5071)`` is manager 101's phone) and UAC
  callers into 127.0.0.1:5060.
- ``AmiClient``: a raw asyncio AMI client that keeps every byte received after the login
  response (``raw``), which is how ``tests/fixtures/ami/*.txt`` are recorded.

No pytest import here: ``record_traces.py`` uses it as a plain script.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import os
import random
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCRIPTS = REPO / "scripts" / "asterisk"
SCENARIOS = HERE / "sipp"
ROOT = Path(os.environ.get("CALLCENTER_ASTERISK_ROOT", "/var/cache/callcenter/asterisk-sid"))

SIP_HOST, SIP_PORT = "127.0.0.1", 5060
AMI_HOST, AMI_PORT = "127.0.0.1", 5038
AMI_USERNAME, AMI_SECRET = "crm", "crm-secret"
# Static contacts in the test overlay tests/asterisk/conf/pjsip_local.conf; "customer" is the
# trunk's contact (the far end of every call to a customer).
PHONE_PORTS = {"101": 5071, "102": 5072, "103": 5073, "104": 5074, "customer": 5080}


class PbxError(RuntimeError):
    """The PBX, sipp or AMI did not do what was asked; the message says why."""


# --------------------------------------------------------------------------- Asterisk


class Pbx:
    def __init__(self, root: Path = ROOT) -> None:
        self.root = root
        self.monitor_dir = root / "var/spool/asterisk/monitor"
        self.log_file = root / "var/log/asterisk/console.log"

    @contextlib.contextmanager
    def exclusive(self, timeout: float = 900) -> Iterator[None]:
        """Hold the PBX for this process: one test session or recorder at a time per machine
        (they share fixed ports, and one session's start/stop would kill the other's calls)."""
        path = Path(f"{self.root}.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as lock:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise PbxError(
                            f"another session has held {path} for {timeout:.0f}s"
                        ) from None
                    time.sleep(0.5)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _run(self, script: str, *args: str, timeout: float) -> str:
        env = {**os.environ, "CALLCENTER_ASTERISK_ROOT": str(self.root)}
        try:
            proc = subprocess.run(
                [str(SCRIPTS / script), *args],
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PbxError(f"{script} {' '.join(args)} timed out after {timeout:.0f}s") from exc
        if proc.returncode != 0:
            raise PbxError(
                f"{script} {' '.join(args)} failed (exit {proc.returncode}):\n"
                f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
            )
        return proc.stdout

    def setup(self, timeout: float = 900) -> str:
        """Build the sid root once (about a minute cold); instant when it exists."""
        return self._run("setup.sh", timeout=timeout)

    def start(self, timeout: float = 120) -> str:
        return self._run("pbx.sh", "start", timeout=timeout)

    def stop(self, timeout: float = 60) -> str:
        return self._run("pbx.sh", "stop", timeout=timeout)

    def restart(self, timeout: float = 120) -> str:
        return self._run("pbx.sh", "restart", timeout=timeout)

    def rx(self, command: str, timeout: float = 15) -> str:
        return self._run("pbx.sh", "rx", command, timeout=timeout)

    def active_channels(self) -> int:
        out = self.rx("core show channels count")
        for line in out.splitlines():
            if "active channel" in line:
                return int(line.split()[0])
        raise PbxError(f"unexpected 'core show channels count' output: {out!r}")

    def wait_idle(self, timeout: float = 40) -> None:
        """Wait until no channel is left (a Dial timeout or SIP timer can take a while)."""
        deadline = time.monotonic() + timeout
        while (n := self.active_channels()) != 0:
            if time.monotonic() > deadline:
                raise PbxError(
                    f"{n} channels still up after {timeout:.0f}s:\n" + self.rx("core show channels")
                )
            time.sleep(0.25)

    def hangup_all(self) -> None:
        """Hang up every channel (leftovers of a test whose phones died without a BYE)."""
        self.rx("channel request hangup all")
        self.wait_idle(10)

    def recordings(self) -> set[Path]:
        return set(self.monitor_dir.glob("*.wav")) if self.monitor_dir.is_dir() else set()


# --------------------------------------------------------------------------- sipp


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_udp_block(size: int = 4, lo: int = 40000, hi: int = 59000) -> int:
    """An even base port with ``size`` consecutive free UDP ports (sipp media uses mp..mp+3)."""
    for _ in range(200):
        base = random.randrange(lo, hi, 2)
        if all(_udp_free(base + i) for i in range(size)):
            return base
    raise PbxError("no free UDP port block for sipp")


def _udp_bound(port: int) -> bool:
    """Is some socket bound to UDP ``port`` (any address)? Read from /proc/net/udp*."""
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        if any(line.split()[1].rsplit(":", 1)[1] == f"{port:04X}" for line in lines):
            return True
    return False


@dataclass
class SippProcess:
    """One running sipp; ``stop()`` or ``wait()`` always reaps it."""

    name: str
    argv: list[str]
    log_dir: Path
    proc: subprocess.Popen[bytes]
    out_path: Path

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    def log(self, tail: int = 4000) -> str:
        parts = []
        for path in sorted(self.log_dir.glob("*")):
            text = path.read_text(errors="replace").strip()
            if text:
                parts.append(f"--- {path.name}\n{text[-tail:]}")
        return "\n".join(parts)

    def wait(self, timeout: float = 60, expect_ok: bool = True) -> int:
        """Wait for sipp to finish; with ``expect_ok`` a failed call raises with the log."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            self.stop()
            raise PbxError(
                f"sipp {self.name} still running after {timeout:.0f}s\n{self.log()}"
            ) from exc
        if expect_ok and rc != 0:
            raise PbxError(f"sipp {self.name} failed (exit {rc}; 1 = a call failed)\n{self.log()}")
        return rc

    def stop(self, timeout: float = 5) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        return self.proc.returncode

    def __enter__(self) -> SippProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Sipp:
    """sipp phones (UAS) and callers (UAC); every process it started is stopped by ``stop_all``."""

    _seq = itertools.count(1)

    def __init__(self, log_root: Path | None = None, binary: str = "sipp") -> None:
        self.binary = binary
        self.log_root = log_root or Path(tempfile.mkdtemp(prefix="callcenter-sipp-"))
        self.processes: list[SippProcess] = []

    def _spawn(self, name: str, args: list[str]) -> SippProcess:
        log_dir = self.log_root / f"{next(self._seq):03d}-{name}"
        log_dir.mkdir(parents=True)
        out_path = log_dir / "screen.log"
        argv = [
            self.binary,
            *args,
            "-nostdin",
            "-trace_err",
            "-error_file",
            str(log_dir / "errors.log"),
        ]
        with out_path.open("wb") as out:
            proc = subprocess.Popen(
                argv, cwd=log_dir, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )
        sp = SippProcess(name, argv, log_dir, proc, out_path)
        self.processes.append(sp)
        return sp

    def uas(
        self,
        port: int,
        scenario: str = "uas_answer",
        calls: int | None = None,
        ready_timeout: float = 5,
    ) -> SippProcess:
        """A phone on 127.0.0.1:``port`` (5071 = manager 101, 5080 = the customer).

        ``scenario``: uas_answer, uas_noanswer or uas_busy. ``calls``: exit after that many.
        """
        args = [
            "-sf",
            str(SCENARIOS / f"{scenario}.xml"),
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-mp",
            str(_free_udp_block()),
            "-aa",
        ]
        if calls is not None:
            args += ["-m", str(calls)]
        sp = self._spawn(f"{scenario}-{port}", args)
        deadline = time.monotonic() + ready_timeout
        while not _udp_bound(port):
            if sp.proc.poll() is not None:
                raise PbxError(f"sipp UAS on {port} exited at once (port taken?)\n{sp.log()}")
            if time.monotonic() > deadline:
                sp.stop()
                raise PbxError(f"sipp UAS did not bind 127.0.0.1:{port} in {ready_timeout}s")
            time.sleep(0.05)
        return sp

    def start_call(
        self,
        caller: str,
        dialled: str,
        scenario: str = "uac_call",
        duration_ms: int = 3000,
        target: str = f"{SIP_HOST}:{SIP_PORT}",
        timeout_s: int = 90,
        keys: dict[str, str] | None = None,
    ) -> SippProcess:
        """One call from ``caller`` to ``dialled``; returns at once.

        uac_call: talks ``duration_ms`` after the answer, then BYE (busy/no answer end cleanly).
        uac_cancel: hangs up ``duration_ms`` after the 180 Ringing.
        ``keys``: [name] in the scenario, replaced before sipp reads it (sipp's own -key does not
        reach the attributes of actions, such as rtp_stream's file).
        """
        sip_port = _free_udp_block(1, 30000, 39000)
        path = SCENARIOS / f"{scenario}.xml"
        if keys:
            text = path.read_text(encoding="iso-8859-1")
            for key, value in keys.items():
                text = text.replace(f"[{key}]", value)
            self.log_root.mkdir(parents=True, exist_ok=True)
            path = self.log_root / f"{scenario}-{next(self._seq):03d}.xml"
            path.write_text(text, encoding="iso-8859-1")
        args = [
            target,
            "-sf",
            str(path),
            "-s",
            dialled,
            "-key",
            "caller",
            caller,
            "-i",
            "127.0.0.1",
            "-p",
            str(sip_port),
            "-mp",
            str(_free_udp_block()),
            "-d",
            str(duration_ms),
            "-m",
            "1",
            "-timeout",
            f"{timeout_s}s",
            "-timeout_error",
        ]
        return self._spawn(f"{scenario}-{caller}-to-{dialled}", args)

    def call(
        self,
        caller: str,
        dialled: str,
        scenario: str = "uac_call",
        duration_ms: int = 3000,
        timeout: float = 90,
        expect_ok: bool = True,
    ) -> int:
        """Place a call and wait for it to end; returns sipp's exit code."""
        sp = self.start_call(caller, dialled, scenario, duration_ms, timeout_s=int(timeout))
        return sp.wait(timeout + 5, expect_ok=expect_ok)

    def stop_all(self) -> None:
        for sp in self.processes:
            sp.stop()
        self.processes.clear()


# --------------------------------------------------------------------------- AMI


@dataclass
class AmiMessage:
    """One ``\\r\\n\\r\\n``-terminated AMI block; headers keep order and repeats (ChanVariable)."""

    raw: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def parse(cls, raw: bytes) -> AmiMessage:
        headers = []
        for line in raw.decode("utf-8", errors="replace").split("\r\n"):
            if not line:
                continue
            key, sep, value = line.partition(":")
            headers.append((key.strip(), value.strip()) if sep else ("", line))
        return cls(raw, headers)

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.headers:
            if k.lower() == key.lower():
                return v
        return default

    def get_all(self, key: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == key.lower()]

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    @property
    def event(self) -> str | None:
        return self.get("Event")

    def __repr__(self) -> str:
        return f"AmiMessage({dict(self.headers)!r})"


class AmiClient:
    """Minimal AMI client over asyncio streams. Everything after the login response lands in
    ``raw`` (bytes exactly as received) and, parsed, in ``messages``."""

    def __init__(self) -> None:
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.greeting = ""
        self.raw = bytearray()
        self.messages: list[AmiMessage] = []
        self._cursor = 0
        self._ids = itertools.count(1)

    async def connect(
        self,
        host: str = AMI_HOST,
        port: int = AMI_PORT,
        username: str = AMI_USERNAME,
        secret: str = AMI_SECRET,
        timeout: float = 10,
    ) -> None:
        try:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), timeout
            )
            greeting = await asyncio.wait_for(self.reader.readuntil(b"\r\n"), timeout)
            self.greeting = greeting.decode()
            self._send(
                {"Action": "Login", "Username": username, "Secret": secret, "ActionID": "login"}
            )
            block = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
            resp = AmiMessage.parse(block)
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
            await self.close()
            raise PbxError(f"AMI {host}:{port}: cannot log in: {exc!r}") from exc
        if resp.get("Response") != "Success":
            await self.close()
            raise PbxError(f"AMI login as {username!r} refused: {resp.get('Message')}")

    def _send(self, headers: dict[str, str]) -> None:
        assert self.writer is not None
        data = "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.writer.write(data.encode())

    async def send_action(self, action: str, **headers: str) -> str:
        """Send an action; returns its ActionID (responses arrive through ``next_message``)."""
        action_id = headers.pop("ActionID", None) or f"{action.lower()}-{next(self._ids)}"
        self._send({"Action": action, "ActionID": action_id, **headers})
        assert self.writer is not None
        await self.writer.drain()
        return action_id

    async def _read_one(self, timeout: float) -> AmiMessage:
        assert self.reader is not None
        block = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        self.raw += block
        msg = AmiMessage.parse(block)
        self.messages.append(msg)
        return msg

    async def next_message(self, timeout: float = 10) -> AmiMessage:
        """The next message not handed out yet (reads from the socket when needed)."""
        if self._cursor >= len(self.messages):
            await self._read_one(timeout)
        msg = self.messages[self._cursor]
        self._cursor += 1
        return msg

    async def wait_for(
        self, predicate: Callable[[AmiMessage], bool], timeout: float = 30
    ) -> AmiMessage:
        """Skip ahead to the next message matching ``predicate``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise PbxError(
                    f"AMI: no matching message within {timeout:.0f}s; "
                    f"last events: {[m.event for m in self.messages[-15:]]}"
                )
            try:
                msg = await self.next_message(remaining)
            except TimeoutError:
                continue
            if predicate(msg):
                return msg

    async def wait_event(self, event: str, timeout: float = 30, **match: str) -> AmiMessage:
        """Next ``event`` whose headers equal ``match`` (a value ending in ``*`` is a prefix)."""

        def pred(m: AmiMessage) -> bool:
            if m.event != event:
                return False
            for k, v in match.items():
                got = m.get(k) or ""
                if not (got.startswith(v[:-1]) if v.endswith("*") else got == v):
                    return False
            return True

        return await self.wait_for(pred, timeout)

    async def drain(self, quiet: float = 1.0, limit: float = 30) -> None:
        """Read until nothing arrived for ``quiet`` seconds (or EOF)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + limit
        while loop.time() < end:
            try:
                await self._read_one(quiet)
            except (TimeoutError, asyncio.IncompleteReadError):
                return

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.writer = None
