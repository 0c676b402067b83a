"""``AmiClient``: one AMI connection on panoramisk that survives Asterisk restarts.

panoramisk gives us the framing of actions and their responses (``Action``, ``Message``,
``AMIProtocol``). Around it we own what it gets wrong (see the project's pitfalls list):
UTF-8 split across TCP reads, one bad message killing a whole chunk, endless silent retries on
a wrong secret, a Ping nobody checks, and events lost while disconnected. Events go onto one
``asyncio.Queue`` as ``(received_at, headers)``; after every login a :class:`Resync` item
with the live channels follows, so the consumer can reconcile.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import enum
import logging
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from panoramisk import actions
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from pbx_bridge import events as ev
from pbx_bridge.tracker import Resync

log = logging.getLogger(__name__)

_EOM = "\r\n\r\n"
MAX_MESSAGE_CHARS = 1_000_000


class AmiError(Exception):
    pass


class AmiAuthError(AmiError):
    """The PBX refused our login: retrying with the same secret cannot help."""


class AmiNotConnected(AmiError):
    pass


class AmiState(enum.StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    AUTH_FAILED = "auth_failed"
    STOPPED = "stopped"


@dataclass(frozen=True)
class AmiConfig:
    host: str
    port: int
    username: str
    secret: str
    name: str = "default"
    connect_timeout: float = 5.0
    ping_interval: float = 10.0
    ping_timeout: float = 5.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    action_timeout: float = 10.0

    def __repr__(self) -> str:  # never the secret
        return f"AmiConfig(name={self.name!r}, host={self.host!r}, port={self.port})"


class AmiProtocol(AMIProtocol):  # type: ignore[misc]
    """panoramisk's protocol with incremental UTF-8 decoding and per-message isolation."""

    # Set to None by panoramisk's __init__, to the banner's version once it is read.
    version: str | None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self.encoding = "utf-8"

    def data_received(self, data: bytes) -> None:
        stream = getattr(self.factory, "save_stream", None)
        if stream is not None:
            stream.write(data)
        self._buffer += self._decoder.decode(data)
        if self.version is None and "\r\n" in self._buffer:
            first, _, rest = self._buffer.partition("\r\n")
            if first.startswith("Asterisk Call Manager/"):
                self.version = first.partition("/")[2].strip()
                self._buffer = rest
        *blocks, self._buffer = self._buffer.split(_EOM)
        if len(self._buffer) > MAX_MESSAGE_CHARS:
            log.error("AMI message over %d characters without an end; dropped", MAX_MESSAGE_CHARS)
            self._buffer = ""
        for block in blocks:
            self._handle_block(block)

    def _handle_block(self, block: str) -> None:
        text = block.strip()
        if not text:
            return
        try:
            message = Message.from_line(text)
            if message is None:
                log.warning(
                    "AMI: ignoring a block that is neither event nor response: %.200r", text
                )
                return
            self.handle_message(message)
        except Exception:
            log.exception("AMI: skipping a message that could not be handled: %.200r", text)


class _Factory:
    """What panoramisk's protocol expects of its owner."""

    forgetable_actions = ("ping", "login")

    def __init__(self, client: AmiClient) -> None:
        self.client = client
        self.awaiting_actions: deque[Any] = deque()
        self.save_stream = client.save_stream

    def dispatch(self, message: Message) -> list[str]:
        # Trivial on purpose: an exception here would lose the rest of the TCP chunk.
        self.client.queue.put_nowait((time.time(), dict(message)))
        return []

    def connection_lost(self, exc: object) -> None:
        self.client._connection_lost(exc)
        _fail_all(self.awaiting_actions)
        self.awaiting_actions.clear()


def _fail_all(pending: Any) -> None:
    """Fail the futures of actions that can no longer be answered, instead of letting their
    callers wait for a timeout."""
    for action in list(pending):
        future = action.future
        if not future.done():
            future.set_exception(AmiNotConnected("the AMI connection was lost"))
            future.add_done_callback(lambda f: f.exception())


class AmiClient:
    def __init__(self, config: AmiConfig, save_stream: Any = None) -> None:
        self.config = config
        self.save_stream = save_stream
        self.queue: asyncio.Queue[tuple[float, Any]] = asyncio.Queue()
        self.state = AmiState.DISCONNECTED
        self.last_error: str | None = None
        self.connects = 0
        self._protocol: AmiProtocol | None = None
        self._lost: asyncio.Event = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.get_running_loop().create_task(
            self.run(), name=f"ami-{self.config.name}"
        )
        return self._task

    async def stop(self) -> None:
        self._stopping = True
        self._close_transport()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.state = AmiState.STOPPED

    async def run(self) -> None:
        """Connect, log in, re-sync, keep alive; reconnect with capped exponential backoff."""
        delay = self.config.backoff_initial
        attempt = 0
        where = f"{self.config.host}:{self.config.port}"
        while not self._stopping:
            attempt += 1
            self.state = AmiState.CONNECTING
            try:
                await self._session()
                delay = self.config.backoff_initial
                attempt = 0
                if self._stopping:
                    break
                log.warning("AMI %s: connection to %s lost; reconnecting", self.config.name, where)
                continue
            except AmiAuthError as exc:
                self.state = AmiState.AUTH_FAILED
                self.last_error = str(exc)
                log.error(
                    "AMI %s: login to %s as %r refused (%s); check the AMI username and "
                    "secret; not retrying",
                    self.config.name,
                    where,
                    self.config.username,
                    exc,
                )
                return
            except (OSError, TimeoutError, AmiError) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "AMI %s: cannot reach %s (%s); attempt %d, next in %.1f s",
                    self.config.name,
                    where,
                    self.last_error,
                    attempt,
                    delay,
                )
            finally:
                self._close_transport()
                if self.state is not AmiState.AUTH_FAILED:
                    self.state = AmiState.DISCONNECTED
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.backoff_max)

    async def _session(self) -> None:
        loop = asyncio.get_running_loop()
        factory = _Factory(self)
        self._lost = asyncio.Event()
        _, protocol = await asyncio.wait_for(
            loop.create_connection(AmiProtocol, self.config.host, self.config.port),
            self.config.connect_timeout,
        )
        protocol.factory = factory
        protocol.log = log
        self._protocol = protocol
        response = await self.send_action(
            {
                "Action": "Login",
                "Username": self.config.username,
                "Secret": self.config.secret,
                "Events": "on",
            },
            connected_only=False,
        )
        if not response.success:
            message = str(response.get("Message") or "login refused")
            # Only a refused secret is final; "Asterisk is shutting down" (a restart in
            # progress) and the like are worth another try.
            if "authentication" in message.lower():
                raise AmiAuthError(message)
            raise AmiError(f"login refused: {message}")
        self.state = AmiState.CONNECTED
        self.connects += 1
        self.last_error = None
        log.info("AMI %s: logged in to %s:%s", self.config.name, self.config.host, self.config.port)
        await self._resync()
        watchdog = asyncio.create_task(self._watchdog())
        try:
            await self._lost.wait()
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog

    async def _resync(self) -> None:
        replies = await self.send_action({"Action": "CoreShowChannels"}, as_list=True)
        channels: list[ev.CoreShowChannel] = []
        for reply in replies if isinstance(replies, list) else [replies]:
            if str(reply.get("Event", "")).lower() != "coreshowchannel":
                continue
            try:
                parsed = ev.parse_event(reply, time.time())
            except ev.MalformedEvent as exc:
                log.warning("AMI %s: bad CoreShowChannel skipped: %s", self.config.name, exc)
                continue
            if isinstance(parsed, ev.CoreShowChannel):
                channels.append(parsed)
        log.info("AMI %s: re-sync found %d live channels", self.config.name, len(channels))
        self.queue.put_nowait((time.time(), Resync(time.time(), tuple(channels))))

    async def _watchdog(self) -> None:
        """panoramisk's Ping never checks the answer; a half-open socket must not go unseen."""
        while True:
            await asyncio.sleep(self.config.ping_interval)
            try:
                await self.send_action({"Action": "Ping"}, timeout=self.config.ping_timeout)
            except (TimeoutError, AmiError) as exc:
                log.warning(
                    "AMI %s: no answer to Ping in %.0f s (%s); reconnecting",
                    self.config.name,
                    self.config.ping_timeout,
                    type(exc).__name__,
                )
                self._close_transport()
                self._lost.set()
                return

    def _connection_lost(self, exc: object) -> None:
        self._lost.set()

    def _close_transport(self) -> None:
        protocol, self._protocol = self._protocol, None
        if protocol is not None:
            _fail_all(protocol.responses.values())
            protocol.responses.clear()
            if not protocol.closed:
                protocol.closed = True
                with contextlib.suppress(Exception):
                    protocol.transport.close()

    # --- actions ----------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.state is AmiState.CONNECTED and self._protocol is not None

    async def send_action(
        self,
        action: Mapping[str, Any],
        *,
        as_list: bool = False,
        timeout: float | None = None,
        connected_only: bool = True,
    ) -> Any:
        protocol = self._protocol
        if protocol is None or protocol.closed or (connected_only and not self.connected):
            raise AmiNotConnected(f"AMI {self.config.name} is not connected")
        name = str(action.get("Action", "")).lower()
        # panoramisk chooses the class by the presence of a Command key.
        klass = actions.Command if name == "command" else actions.Action
        msg = klass(dict(action), as_list=as_list)
        future = protocol.send(msg, as_list=as_list)
        try:
            return await asyncio.wait_for(
                asyncio.shield(future), timeout or self.config.action_timeout
            )
        except TimeoutError:
            protocol.responses.pop(msg.id, None)
            raise

    async def originate(
        self,
        *,
        channel: str,
        context: str,
        exten: str,
        caller_id: str,
        channel_id: str,
        action_id: str,
        timeout_ms: int = 30_000,
        variables: Mapping[str, str] | None = None,
    ) -> Message:
        """Queue an Originate. Always ``Async: true`` (without it panoramisk crashes); the
        outcome arrives later as an OriginateResponse event with our ``action_id``."""
        action: dict[str, Any] = {
            "Action": "Originate",
            "ActionID": action_id,
            "Channel": channel,
            "Context": context,
            "Exten": exten,
            "Priority": "1",
            "CallerID": caller_id,
            "Timeout": str(timeout_ms),
            "ChannelId": channel_id,
            "Async": "true",
        }
        if variables:
            action["Variable"] = [f"{k}={v}" for k, v in variables.items()]
        response = await self.send_action(action)
        if not response.success:
            raise AmiError(str(response.get("Message") or "Originate refused"))
        return response
