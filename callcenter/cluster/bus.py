"""``ClusterBus``: events and requests between the instances, over PostgreSQL LISTEN/NOTIFY.

Why PostgreSQL and not Redis: several instances need PostgreSQL anyway, so the bus costs no
component to run, secure and back up; NOTIFY delivers a sending session's messages in the
order it sent them, to every listener, which is the per-call order the pops need; and a busy
contact centre sends a few messages per call (``bench/bench_cluster.py``: 50 calls a second,
none lost, half a millisecond across at the median). What NOTIFY does not do is keep
messages for a listener that was away: an instance that starts, or whose listening
connection broke, runs the ``on_listening`` hooks, with which the hub asks another instance
for the pops as they stand.

Messages are JSON objects ``{"from": <bus id>, "op": …}``. Each instance publishes through one
connection of its own, in order; a message longer than a NOTIFY payload (8000 bytes) goes in
parts that the listeners put together again. An instance ignores its own messages: it has
applied them already.

Requests (``request``) go to every instance; the one able to carry it out (the PBX's leader)
answers, the others raise ``NotMine`` and stay silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import asyncpg

from callcenter.cluster.leadership import close, connect

log = logging.getLogger(__name__)

CHANNEL = "callcenter_events"
PART = 7800  # characters of one NOTIFY payload (ASCII JSON: bytes), under its 8000-byte limit
_NOTIFY = "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p"

Message = dict[str, Any]
Handler = Callable[[Message], None]
Responder = Callable[[Message], Awaitable[Any]]


class NotMine(Exception):
    """This instance cannot carry the request out; another one answers."""


class RemoteError(Exception):
    """The instance that carried a request out answered with an error."""

    def __init__(self, kind: str, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.kind, self.message, self.data = kind, message, data


class ClusterBus:
    def __init__(self, dsn: str, instance: str, *, queue_size: int = 10_000) -> None:
        self.dsn = dsn
        self.instance = instance
        self.id = uuid.uuid4().hex[:12]
        self._handlers: dict[str, list[Handler]] = {}
        self._responders: dict[str, Responder] = {}
        self._out: asyncio.Queue[str] = asyncio.Queue(queue_size)
        self._replies: dict[str, asyncio.Future[Any]] = {}
        self._parts: OrderedDict[str, list[str]] = OrderedDict()
        self._seq = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._serving: set[asyncio.Task[None]] = set()
        self._listening = asyncio.Event()
        self._sender: asyncpg.Connection | None = None
        # Run each time this instance starts listening (again): what it missed, it asks for.
        self.on_listening: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self.received = 0  # messages heard: a reconnect after some says what it asks for

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Listening before this returns (so nothing published after it is missed)."""
        self._tasks = [
            asyncio.create_task(self._listen(), name="cluster-bus-listen"),
            asyncio.create_task(self._send(), name="cluster-bus-send"),
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), 10)

    async def stop(self) -> None:
        for task in [*self._tasks, *self._serving]:
            task.cancel()
        for task in [*self._tasks, *self._serving]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    # --- events -------------------------------------------------------------------------------

    def on(self, op: str, handler: Handler) -> None:
        """Call ``handler`` with every other instance's ``op`` message."""
        self._handlers.setdefault(op, []).append(handler)

    def publish(self, op: str, **fields: Any) -> None:
        """To every other instance; never waits (a full queue drops the message and logs)."""
        text = json.dumps({"from": self.id, "op": op, **fields}, default=str)
        for payload in self._split(text):
            try:
                self._out.put_nowait(payload)
            except asyncio.QueueFull:
                log.warning("cluster bus: %d messages behind; one dropped", self._out.qsize())

    def _split(self, text: str) -> list[str]:
        if len(text) <= PART:
            return [text]
        self._seq += 1
        chunks = [text[i : i + PART] for i in range(0, len(text), PART)]
        return [f"~{self.id}:{self._seq}/{i}/{len(chunks)}|{c}" for i, c in enumerate(chunks)]

    # --- requests -----------------------------------------------------------------------------

    def serve(self, op: str, responder: Responder) -> None:
        """Carry other instances' ``op`` requests out; ``responder`` raises ``NotMine`` when
        this instance cannot."""
        self._responders[op] = responder

    async def request(self, op: str, args: Message, timeout: float) -> Any:
        """Ask whichever instance can; ``RemoteError`` for its error, ``TimeoutError`` when
        none answered in time."""
        rid = uuid.uuid4().hex
        reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._replies[rid] = reply
        try:
            self.publish("rpc", call=op, rid=rid, args=args)
            return await asyncio.wait_for(reply, timeout)
        finally:
            self._replies.pop(rid, None)

    async def _answer(self, message: Message) -> None:
        responder = self._responders[message["call"]]
        reply = {"to": message["from"], "rid": message["rid"]}
        try:
            result = await responder(message.get("args") or {})
        except NotMine:
            return
        except Exception as exc:
            data = getattr(exc, "data", None)
            error = {"kind": type(exc).__name__, "message": str(exc), "data": data}
            self.publish("rpc.reply", **reply, ok=False, error=error)
            return
        self.publish("rpc.reply", **reply, ok=True, result=result)

    def _replied(self, message: Message) -> None:
        future = self._replies.get(message.get("rid", ""))
        if message.get("to") != self.id or future is None or future.done():
            return
        if message.get("ok"):
            future.set_result(message.get("result"))
        else:
            error = message.get("error") or {}
            future.set_exception(
                RemoteError(str(error.get("kind")), str(error.get("message")), error.get("data"))
            )

    # --- the wire -----------------------------------------------------------------------------

    async def _listen(self) -> None:
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await connect(self.dsn, f"{self.instance} bus")
                closed = asyncio.Event()
                conn.add_termination_listener(functools.partial(_set, closed))
                await conn.add_listener(CHANNEL, self._received)
                if self.received:
                    log.warning("cluster bus: listening again; asking for what was missed")
                self._listening.set()
                for hook in self.on_listening:
                    self._spawn(hook())
                while not closed.is_set():  # a dead server is noticed by a query
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(closed.wait(), 5)
                    if not closed.is_set():
                        await conn.fetchval("SELECT 1", timeout=5)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("cluster bus: the listening connection failed: %r", exc)
            except Exception:  # listening goes on, whatever happened
                log.exception("cluster bus: unexpected failure of the listening connection")
            finally:
                self._listening.clear()
                if conn is not None:
                    await close(conn)
            await asyncio.sleep(1)

    async def _send(self) -> None:
        try:
            while True:
                batch = [await self._out.get()]
                while len(batch) < 200 and not self._out.empty():
                    batch.append(self._out.get_nowait())
                await self._notify(batch)
        finally:
            if self._sender is not None:
                await close(self._sender)

    async def _notify(self, batch: list[str]) -> None:
        """One round trip for the batch, in order; lost (and logged) when the database is."""
        try:
            if self._sender is None or self._sender.is_closed():
                self._sender = await connect(self.dsn, f"{self.instance} bus-send")
            await self._sender.execute(_NOTIFY, CHANNEL, batch, timeout=5)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            log.warning("cluster bus: %d messages not sent: %r", len(batch), exc)
            if self._sender is not None:
                self._sender.terminate()
            self._sender = None
            await asyncio.sleep(0.5)

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        text = self._whole(payload) if payload.startswith("~") else payload
        if text is None:
            return
        try:
            message = json.loads(text)
        except ValueError:
            log.warning("cluster bus: a malformed message skipped: %.200r", text)
            return
        if not isinstance(message, dict) or message.get("from") == self.id:
            return
        self.received += 1
        self._dispatch(message)

    def _whole(self, payload: str) -> str | None:
        """A part of a long message; the message once its last part is in."""
        head, _, chunk = payload.partition("|")
        key, _, rest = head[1:].partition("/")
        index_text, _, count_text = rest.partition("/")
        try:
            index, count = int(index_text), int(count_text)
        except ValueError:
            return None
        parts = self._parts.setdefault(key, [])
        if index != len(parts):  # a part went missing: the message is lost
            self._parts.pop(key, None)
            return None
        parts.append(chunk)
        while len(self._parts) > 100:
            self._parts.popitem(last=False)
        if len(parts) < count:
            return None
        del self._parts[key]
        return "".join(parts)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._serving.add(task)
        task.add_done_callback(self._serving.discard)

    def _dispatch(self, message: Message) -> None:
        op = message.get("op")
        if op == "rpc" and message.get("call") in self._responders:
            self._spawn(self._answer(message))
            return
        if op == "rpc.reply":
            self._replied(message)
            return
        for handler in self._handlers.get(str(op), ()):
            try:
                handler(message)
            except Exception:
                log.exception("cluster bus: handling a %s message failed", op)


def _set(event: asyncio.Event, _conn: Any) -> None:
    event.set()
