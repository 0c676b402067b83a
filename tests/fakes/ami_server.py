"""An in-process AMI server over real TCP, for tests: it speaks the wire format, and the test
drives it (push events, drop connections, go silent) the way wazo's fake servers do."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Block = Mapping[str, str]


def render(block: Block) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in block.items()) + "\r\n").encode("utf-8")


def parse_blocks(text: str) -> list[dict[str, str]]:
    blocks = []
    for raw in text.replace("\r\n", "\n").split("\n\n"):
        headers: dict[str, str] = {}
        for line in raw.strip().splitlines():
            key, sep, value = line.partition(": ")
            if sep:
                headers[key] = value
        if headers:
            blocks.append(headers)
    return blocks


@dataclass
class FakeAmiServer:
    username: str = "crm"
    secret: str = "crm-secret"
    live_channels: list[dict[str, str]] = field(default_factory=list)
    answer_pings: bool = True
    # When set, every login is refused with this message (e.g. "Asterisk is shutting down").
    refuse_logins: str | None = None
    on_action: Callable[[dict[str, str]], list[dict[str, str]] | None] | None = None
    actions: list[dict[str, str]] = field(default_factory=list)
    logins: int = 0
    failed_logins: int = 0

    def __post_init__(self) -> None:
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self.logged_in = asyncio.Event()

    async def start(self) -> FakeAmiServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.drop_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def restart(self) -> None:
        """Close the listening socket and the connections, then listen again on the same port."""
        assert self._server is not None
        self._server.close()
        self.drop_all()
        await self._server.wait_closed()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    def drop_all(self) -> None:
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    @property
    def clients(self) -> int:
        return len(self._writers)

    async def push(self, *blocks: Block) -> None:
        await self.push_raw(b"".join(render(b) for b in blocks))

    async def push_raw(self, data: bytes, chunk: int | None = None) -> None:
        for writer in list(self._writers):
            if chunk:
                for i in range(0, len(data), chunk):
                    writer.write(data[i : i + chunk])
                    await writer.drain()
            else:
                writer.write(data)
                await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        authed = False
        try:
            while True:
                raw = await reader.readuntil(b"\r\n\r\n")
                action = parse_blocks(raw.decode("utf-8"))[0]
                self.actions.append(action)
                name = action.get("Action", "").lower()
                action_id = action.get("ActionID", "")
                if name == "login" and self.refuse_logins:
                    writer.write(
                        render(
                            {
                                "Response": "Error",
                                "ActionID": action_id,
                                "Message": self.refuse_logins,
                            }
                        )
                    )
                    await writer.drain()
                    writer.close()
                    return
                if name == "login":
                    if (
                        action.get("Username") == self.username
                        and action.get("Secret") == self.secret
                    ):
                        authed = True
                        self.logins += 1
                        self._writers.add(writer)
                        writer.write(
                            render(
                                {
                                    "Response": "Success",
                                    "ActionID": action_id,
                                    "Message": "Authentication accepted",
                                }
                            )
                        )
                        writer.write(
                            render(
                                {
                                    "Event": "FullyBooted",
                                    "Privilege": "system,all",
                                    "Status": "Fully Booted",
                                }
                            )
                        )
                        self.logged_in.set()
                    else:
                        self.failed_logins += 1
                        writer.write(
                            render(
                                {
                                    "Response": "Error",
                                    "ActionID": action_id,
                                    "Message": "Authentication failed",
                                }
                            )
                        )
                        await writer.drain()
                        writer.close()
                        return
                elif not authed:
                    writer.write(
                        render(
                            {
                                "Response": "Error",
                                "ActionID": action_id,
                                "Message": "Permission denied",
                            }
                        )
                    )
                elif name == "ping":
                    if self.answer_pings:
                        writer.write(
                            render(
                                {
                                    "Response": "Success",
                                    "ActionID": action_id,
                                    "Ping": "Pong",
                                    "Timestamp": "1700000000.000000",
                                }
                            )
                        )
                elif name == "coreshowchannels":
                    writer.write(
                        render(
                            {
                                "Response": "Success",
                                "ActionID": action_id,
                                "EventList": "start",
                                "Message": "Channels will follow",
                            }
                        )
                    )
                    for channel in self.live_channels:
                        writer.write(
                            render({"Event": "CoreShowChannel", "ActionID": action_id, **channel})
                        )
                    writer.write(
                        render(
                            {
                                "Event": "CoreShowChannelsComplete",
                                "ActionID": action_id,
                                "EventList": "Complete",
                                "ListItems": str(len(self.live_channels)),
                            }
                        )
                    )
                else:
                    replies = self.on_action(action) if self.on_action else None
                    if replies is None:
                        replies = [
                            {
                                "Response": "Success",
                                "ActionID": action_id,
                                "Message": f"{action.get('Action')} accepted",
                            }
                        ]
                    for reply in replies:
                        writer.write(render({"ActionID": action_id, **reply}))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()
