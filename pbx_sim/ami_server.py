"""The simulator's AMI server: real TCP, Asterisk 22's banner, login with a username and secret,
Ping, Events, CoreShowChannels with its list events, Originate (Async, then OriginateResponse),
Hangup, Logoff; anything else gets ``Response: Error``. Events go to every logged-in session
that asked for them, in the order the PBX made them."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pbx_sim.channels import Chan, core_show_channel
from pbx_sim.wire import MAX_LINE, Action, FramingError, Headers, read_action, render

log = logging.getLogger(__name__)

AMI_VERSION = "11.0.0"  # Asterisk 22's manager protocol version
MAX_QUEUED = 50_000  # messages waiting for a session that does not read


@dataclass
class Handlers:
    """What the PBX behind the server provides."""

    live_channels: Callable[[], list[Chan]]
    # An Originate: returns an error message to refuse it, or None once it is queued.
    originate: Callable[[Action], Awaitable[str | None]]
    hangup: Callable[[str, int], bool]


@dataclass(eq=False)
class _Session:
    writer: asyncio.StreamWriter
    queue: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    authed: bool = False
    events: bool = True
    username: str = ""

    def send(self, data: bytes | None) -> None:
        if self.queue.qsize() >= MAX_QUEUED:
            log.warning("AMI session %s does not read; dropping it", self.username or "-")
            self.writer.close()
            return
        self.queue.put_nowait(data)


class AmiServer:
    def __init__(self, username: str, secret: str, handlers: Handlers) -> None:
        self.username = username
        self._secret = secret
        self.handlers = handlers
        self.started = time.monotonic()
        self.logins = 0
        self.failed_logins = 0
        self._server: asyncio.Server | None = None
        self._sessions: set[_Session] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, sock: socket.socket | None = None
    ) -> None:
        if sock is not None:
            self._server = await asyncio.start_server(self._serve, sock=sock, limit=MAX_LINE)
        else:
            self._server = await asyncio.start_server(self._serve, host, port, limit=MAX_LINE)
        log.info("PBX simulator: AMI on 127.0.0.1:%s", self.port)

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def clients(self) -> int:
        return sum(1 for s in self._sessions if s.authed)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for session in list(self._sessions):
            session.send(None)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def emit(self, headers: Headers) -> None:
        """Send one event to every logged-in session that wants events."""
        data = render(headers)
        for session in self._sessions:
            if session.authed and session.events:
                session.send(data)

    # --- one connection ---------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        session = _Session(writer)
        self._sessions.add(session)
        pump = asyncio.create_task(self._write(session))
        session.send(f"Asterisk Call Manager/{AMI_VERSION}\r\n".encode())
        try:
            while True:
                action = await read_action(reader)
                if action is None:
                    break
                if not await self._handle(session, action):
                    break
        except (FramingError, ConnectionError) as exc:
            log.info("AMI session closed: %s", exc)
        except asyncio.CancelledError:
            pass
        finally:
            self._sessions.discard(session)
            self._tasks.discard(task)
            session.send(None)
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await asyncio.wait_for(pump, 2.0)
            with contextlib.suppress(Exception):
                writer.close()

    async def _write(self, session: _Session) -> None:
        try:
            while True:
                data = await session.queue.get()
                if data is None:
                    break
                session.writer.write(data)
                await session.writer.drain()
        except (ConnectionError, TimeoutError):
            pass
        finally:
            with contextlib.suppress(Exception):
                session.writer.close()

    @staticmethod
    def _reply(session: _Session, action: Action, response: str, *fields: tuple[str, str]) -> None:
        headers: Headers = [("Response", response)]
        if action.action_id:
            headers.append(("ActionID", action.action_id))
        headers.extend(fields)
        session.send(render(headers))

    async def _handle(self, session: _Session, action: Action) -> bool:
        """Answer one action; False closes the connection."""
        name = action.name
        if not name:
            self._reply(session, action, "Error", ("Message", "Missing action in request"))
            return True
        if name == "login":
            return self._login(session, action)
        if name == "logoff":
            self._reply(session, action, "Goodbye", ("Message", "Thanks for all the fish."))
            return False
        if not session.authed:
            self._reply(session, action, "Error", ("Message", "Permission denied"))
            return True
        if name == "ping":
            self._reply(
                session, action, "Success", ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")
            )
        elif name == "events":
            session.events = action.get("EventMask", "on").strip().lower() not in ("off", "none")
            state = "On" if session.events else "Off"
            self._reply(session, action, "Success", ("Events", state))
        elif name == "coreshowchannels":
            self._core_show_channels(session, action)
        elif name == "originate":
            error = await self.handlers.originate(action)
            if error:
                self._reply(session, action, "Error", ("Message", error))
            else:
                self._reply(
                    session, action, "Success", ("Message", "Originate successfully queued")
                )
        elif name == "hangup":
            cause = action.get("Cause", "16")
            found = self.handlers.hangup(
                action.get("Channel"), int(cause) if cause.isdigit() else 16
            )
            if found:
                self._reply(session, action, "Success", ("Message", "Channel Hungup"))
            else:
                self._reply(session, action, "Error", ("Message", "No such channel"))
        else:
            message = (
                f"Invalid/unknown command: {action.get('Action')}. "
                "Use Action: ListCommands to show available commands."
            )
            self._reply(session, action, "Error", ("Message", message))
        return True

    def _login(self, session: _Session, action: Action) -> bool:
        user_ok = hmac.compare_digest(action.get("Username").encode(), self.username.encode())
        secret_ok = hmac.compare_digest(action.get("Secret").encode(), self._secret.encode())
        if not (user_ok and secret_ok):
            self.failed_logins += 1
            # Never the secret in a log line; the name is what an admin needs.
            log.warning("AMI: refused login for %r", action.get("Username")[:64])
            self._reply(session, action, "Error", ("Message", "Authentication failed"))
            return False
        session.authed = True
        session.username = self.username
        session.events = action.get("Events", "on").strip().lower() not in ("off", "none")
        self.logins += 1
        self._reply(session, action, "Success", ("Message", "Authentication accepted"))
        uptime = str(int(time.monotonic() - self.started))
        session.send(
            render(
                [
                    ("Event", "FullyBooted"),
                    ("Privilege", "system,all"),
                    ("Timestamp", f"{time.time():.6f}"),
                    ("Uptime", uptime),
                    ("LastReload", uptime),
                    ("Status", "Fully Booted"),
                ]
            )
        )
        return True

    def _core_show_channels(self, session: _Session, action: Action) -> None:
        channels = self.handlers.live_channels()
        self._reply(
            session,
            action,
            "Success",
            ("EventList", "start"),
            ("Message", "Channels will follow"),
        )
        for chan in channels:
            session.send(render(core_show_channel(chan, action.action_id)))
        session.send(
            render(
                [
                    ("Event", "CoreShowChannelsComplete"),
                    ("ActionID", action.action_id),
                    ("EventList", "Complete"),
                    ("ListItems", str(len(channels))),
                ]
            )
        )
