"""Asterisk AudioSocket: the frame format and an asyncio TCP server.

A frame is a 3-byte header (the kind, then the payload length as a big-endian uint16) and the
payload. Asterisk connects to us (``AudioSocket/HOST:PORT/UUID/c(slin)``), sends the UUID frame
first, then signed linear 16-bit little-endian audio at 8 kHz (320 bytes per 20 ms). A hangup
frame, an error frame or EOF ends the connection; closing it from our side hangs the
AudioSocket channel up.

The server knows nothing of what the audio is for: a consumer registers a UUID and gets an
:class:`AudioSocketSession` whose ``on_audio`` and ``on_end`` callbacks it sets.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

log = logging.getLogger(__name__)

HEADER = struct.Struct(">BH")
SLIN_RATE = 8000
SLIN_FRAME_BYTES = 320  # 20 ms of 8 kHz s16 mono
MAX_PAYLOAD = 8192  # ~256 ms of slin: more than Asterisk ever sends in one frame


class Kind(enum.IntEnum):
    HANGUP = 0x00
    UUID = 0x01
    DTMF = 0x03
    AUDIO = 0x10  # slin, 8 kHz
    ERROR = 0xFF


class AudioSocketError(Exception):
    """The peer broke the protocol; the connection cannot go on. ``frames``: the good frames
    decoded from the same chunk before the fault, still to be handled."""

    def __init__(self, message: str, frames: list[Frame] | None = None) -> None:
        super().__init__(message)
        self.frames = frames or []


@dataclass(frozen=True)
class Frame:
    kind: Kind
    payload: bytes = b""

    @property
    def uuid(self) -> uuid.UUID:
        if self.kind is not Kind.UUID:
            raise AudioSocketError(f"a {self.kind.name} frame carries no UUID")
        return uuid.UUID(bytes=self.payload)

    @property
    def digit(self) -> str:
        return self.payload.decode("ascii", errors="replace")

    @property
    def error_code(self) -> int | None:
        return self.payload[0] if self.payload else None


def encode(kind: Kind, payload: bytes = b"") -> bytes:
    if len(payload) > 0xFFFF:
        raise ValueError(f"an AudioSocket payload is at most 65535 bytes, not {len(payload)}")
    return HEADER.pack(kind, len(payload)) + payload


def uuid_frame(value: uuid.UUID) -> bytes:
    return encode(Kind.UUID, value.bytes)


def audio_frame(pcm: bytes) -> bytes:
    return encode(Kind.AUDIO, pcm)


def hangup_frame() -> bytes:
    return encode(Kind.HANGUP)


class FrameReader:
    """Incremental decoder: ``feed`` any chunk of bytes, get back the complete frames in it.

    Raises :class:`AudioSocketError` on an unknown kind, an oversized payload or a malformed
    UUID frame; after an error the reader refuses further input."""

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self._buffer = bytearray()
        self._broken: str | None = None

    @property
    def pending(self) -> int:
        """Bytes held back, waiting for the rest of a frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        if self._broken:
            raise AudioSocketError(f"the stream is already broken: {self._broken}")
        self._buffer += data
        frames: list[Frame] = []
        offset = 0
        buffer = self._buffer
        while len(buffer) - offset >= HEADER.size:
            raw_kind, length = HEADER.unpack_from(buffer, offset)
            try:
                kind = Kind(raw_kind)
            except ValueError:
                self._fail(f"unknown frame kind 0x{raw_kind:02x} (garbage on the socket?)", frames)
            if length > self.max_payload:
                self._fail(
                    f"{kind.name} frame of {length} bytes is over {self.max_payload}", frames
                )
            if kind is Kind.UUID and length != 16:
                self._fail(f"UUID frame of {length} bytes, not 16", frames)
            if len(buffer) - offset - HEADER.size < length:
                break
            start = offset + HEADER.size
            frames.append(Frame(kind, bytes(buffer[start : start + length])))
            offset = start + length
        del buffer[:offset]
        return frames

    def _fail(self, reason: str, frames: list[Frame]) -> NoReturn:
        self._broken = reason
        self._buffer.clear()
        raise AudioSocketError(reason, frames)


OnAudio = Callable[[bytes], None]
OnEnd = Callable[[str], None]


class AudioSocketSession:
    """One expected AudioSocket connection, matched by its UUID."""

    def __init__(self, server: AudioSocketServer, session_uuid: uuid.UUID) -> None:
        self.server = server
        self.uuid = session_uuid
        self.on_audio: OnAudio | None = None
        self.on_end: OnEnd | None = None
        self.connected = asyncio.Event()
        self.ended = asyncio.Event()
        self.end_reason: str | None = None
        self.frames_in = 0
        self.peer: str | None = None
        self._writer: asyncio.StreamWriter | None = None

    @property
    def live(self) -> bool:
        return self.connected.is_set() and not self.ended.is_set()

    def send_audio(self, pcm: bytes) -> None:
        """Audio towards Asterisk (what the AudioSocket channel "says")."""
        if self._writer is not None and not self.ended.is_set():
            self._writer.write(audio_frame(pcm))

    def close(self, reason: str = "closed by the service") -> None:
        """Hang the AudioSocket channel up (a hangup frame, then close), or, before it has
        connected, refuse its connection when it comes. Idempotent."""
        self.server._forget(self)
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.write(hangup_frame())
            writer.close()
        self._end(reason)

    def _end(self, reason: str) -> None:
        if self.ended.is_set():
            return
        self.end_reason = reason
        self.ended.set()
        callback, self.on_end, self.on_audio = self.on_end, None, None
        if callback is not None:
            try:
                callback(reason)
            except Exception:
                log.exception("AudioSocket %s: on_end callback failed", self.uuid)


class AudioSocketServer:
    def __init__(self, *, first_frame_timeout: float = 5.0, read_size: int = 4096) -> None:
        self.first_frame_timeout = first_frame_timeout
        self.read_size = read_size
        self.sessions: dict[uuid.UUID, AudioSocketSession] = {}
        self.rejected = 0
        self.protocol_errors = 0
        self._server: asyncio.base_events.Server | None = None
        self._handlers: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, host, port)

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        for session in list(self.sessions.values()):
            session.close("the service is stopping")
        if self._server is not None:
            self._server.close()
        for writer in list(self._handlers.values()):
            writer.close()  # the handlers see EOF and finish on their own
        if self._handlers:
            _, stuck = await asyncio.wait(list(self._handlers), timeout=2)
            for task in stuck:
                task.cancel()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def register(self, session_uuid: uuid.UUID | None = None) -> AudioSocketSession:
        session = AudioSocketSession(self, session_uuid or uuid.uuid4())
        if session.uuid in self.sessions:
            raise ValueError(f"AudioSocket session {session.uuid} is already registered")
        self.sessions[session.uuid] = session
        return session

    def _forget(self, session: AudioSocketSession) -> None:
        if self.sessions.get(session.uuid) is session:
            del self.sessions[session.uuid]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers[task] = writer
        peer = writer.get_extra_info("peername")
        session: AudioSocketSession | None = None
        reason = "the connection ended"
        try:
            decoder = FrameReader()
            frames: list[Frame] = []
            fault: AudioSocketError | None = None
            async with asyncio.timeout(self.first_frame_timeout):
                while not frames:
                    data = await reader.read(self.read_size)
                    if not data:
                        return
                    frames, fault = _decode(decoder, data)
                    if fault is not None and not frames:
                        raise fault
            first, rest = frames[0], frames[1:]
            if first.kind is not Kind.UUID:
                raise AudioSocketError(f"the first frame is {first.kind.name}, not UUID")
            session = self.sessions.get(first.uuid)
            if session is None or session.connected.is_set() or session.ended.is_set():
                self.rejected += 1
                log.warning("AudioSocket from %s: unknown or taken UUID %s", peer, first.uuid)
                session = None
                return
            session._writer = writer
            session.peer = str(peer)
            session.connected.set()
            reason = await self._pump(session, decoder, reader, rest, fault)
        except TimeoutError:
            reason = "no UUID frame in time"
            log.warning("AudioSocket from %s: %s", peer, reason)
        except AudioSocketError as exc:
            self.protocol_errors += 1
            reason = f"protocol error: {exc}"
            log.warning("AudioSocket from %s: %s", peer, reason)
        except ConnectionError as exc:
            reason = f"connection error: {exc}"
        finally:
            self._handlers.pop(task, None)
            if session is not None:
                self._forget(session)
                session._writer = None
                session._end(reason)
            with contextlib.suppress(Exception):
                writer.close()

    async def _pump(
        self,
        session: AudioSocketSession,
        decoder: FrameReader,
        reader: asyncio.StreamReader,
        frames: list[Frame],
        fault: AudioSocketError | None,
    ) -> str:
        while True:
            for frame in frames:
                if frame.kind is Kind.AUDIO:
                    session.frames_in += 1
                    if session.on_audio is not None:
                        session.on_audio(frame.payload)
                elif frame.kind is Kind.HANGUP:
                    return "hangup"
                elif frame.kind is Kind.ERROR:
                    return f"error frame from Asterisk (code {frame.error_code})"
                elif frame.kind is Kind.UUID:
                    raise AudioSocketError("a second UUID frame")
                # DTMF: nothing to do for a listener.
            if fault is not None:
                raise fault
            if session.ended.is_set():
                return session.end_reason or "closed"
            data = await reader.read(self.read_size)
            if not data:
                return "eof"
            frames, fault = _decode(decoder, data)


def _decode(decoder: FrameReader, data: bytes) -> tuple[list[Frame], AudioSocketError | None]:
    try:
        return decoder.feed(data), None
    except AudioSocketError as exc:
        return exc.frames, exc
