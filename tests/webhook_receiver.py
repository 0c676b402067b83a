"""A real HTTP server that receives webhooks, as a shop's site would: it checks every signature
with its own HMAC (not the service's code), keeps what came, and answers as a test scripts it
(a status, or a delay past the sender's time-out)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    at: float
    headers: dict[str, str]
    raw: bytes
    signature_ok: bool
    status: int

    @property
    def body(self) -> dict[str, Any]:
        return dict(json.loads(self.raw))

    @property
    def type(self) -> str:
        return str(self.body["type"])

    @property
    def id(self) -> str:
        return str(self.body["id"])


@dataclass
class Script:
    """Answers in turn: a status, or ("sleep", seconds, status); then ``default``."""

    answers: deque[Any] = field(default_factory=deque)
    default: int = 200


class WebhookReceiver:
    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        self.received: list[Received] = []
        # Requests that came in, counted before the answer (which a script may hold back).
        self.arrived = 0
        self.script = Script()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                receiver.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def answer(self, *answers: Any, default: int = 200) -> None:
        with self.lock:
            self.script = Script(deque(answers), default)

    def _next(self) -> Any:
        with self.lock:
            return self.script.answers.popleft() if self.script.answers else self.script.default

    def signed(self, raw: bytes, header: str) -> bool:
        parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
        if "t" not in parts or "v1" not in parts or abs(time.time() - int(parts["t"])) > 300:
            return False
        message = parts["t"].encode() + b"." + raw
        expected = hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts["v1"])

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        raw = request.rfile.read(int(request.headers.get("Content-Length", "0")))
        with self.lock:
            self.arrived += 1
        answer = self._next()
        if isinstance(answer, tuple):
            _, seconds, status = answer
            time.sleep(seconds)
        else:
            status = answer
        ok = self.signed(raw, request.headers.get("X-Callcenter-Signature", ""))
        with self.lock:
            self.received.append(Received(time.time(), dict(request.headers), raw, ok, status))
        try:
            request.send_response(status)
            request.send_header("Content-Type", "text/plain")
            request.end_headers()
            request.wfile.write(b"ok" if status < 300 else b"not now")
        except OSError:
            pass  # the sender gave up waiting

    def taken(self) -> list[Received]:
        """What was answered 2xx, in the order it came."""
        with self.lock:
            return [r for r in self.received if 200 <= r.status < 300]

    def types(self) -> list[str]:
        return [r.type for r in self.taken()]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
