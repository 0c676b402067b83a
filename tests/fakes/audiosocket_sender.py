"""A fake Asterisk AudioSocket channel (TCP client speaking the protocol), and an aiortc client
peer that listens the way a browser does. Used by the integration tests and the bench."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import math
import re
import struct
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from pbx_bridge.audiosocket import FrameReader, Kind, audio_frame, hangup_frame, uuid_frame

DIAL = re.compile(r"^AudioSocket/(?P<host>[^:/]+):(?P<port>\d+)/(?P<uuid>[0-9a-f-]{36})/")


def tone(freq: float, n: int, rate: int = 8000, amplitude: int = 8000, start: int = 0) -> bytes:
    return struct.pack(
        f"<{n}h",
        *(int(amplitude * math.sin(2 * math.pi * freq * (start + i) / rate)) for i in range(n)),
    )


def dominant_hz(pcm: bytes, rate: int) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    spectrum[0] = 0
    return float(np.argmax(spectrum) * rate / len(samples))


@dataclass
class FakeAudioSocket:
    """Connects like chan_audiosocket does and streams a tone in 20 ms frames."""

    host: str
    port: int
    uuid: uuid.UUID
    freq: float = 1000.0
    sent: int = 0
    send_times: list[float] = field(default_factory=list)
    received: list[Kind] = field(default_factory=list)
    # What the service sent as audio: the supervisor's voice, towards Asterisk's spy channel.
    heard: bytearray = field(default_factory=bytearray)
    closed_by_peer: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def for_dial(cls, channel: str, **kwargs: object) -> FakeAudioSocket:
        match = DIAL.match(channel)
        assert match, channel
        return cls(match["host"], int(match["port"]), uuid.UUID(match["uuid"]), **kwargs)  # type: ignore[arg-type]

    async def run(self, seconds: float = 30.0, hangup_after: float | None = None) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        watcher = asyncio.create_task(self._watch(reader))
        try:
            writer.write(uuid_frame(self.uuid))
            start = time.monotonic()
            while not self.closed_by_peer.is_set():
                elapsed = time.monotonic() - start
                if elapsed > seconds or (hangup_after is not None and elapsed > hangup_after):
                    if hangup_after is not None:
                        writer.write(hangup_frame())
                    break
                self.send_times.append(time.monotonic())
                writer.write(audio_frame(tone(self.freq, 160, start=self.sent * 160)))
                self.sent += 1
                await writer.drain()
                await asyncio.sleep(max(0.0, start + self.sent * 0.02 - time.monotonic()))
        except ConnectionError:
            pass
        finally:
            with contextlib.suppress(Exception):
                await writer.drain()
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(watcher, 2)
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _watch(self, reader: asyncio.StreamReader) -> None:
        decoder = FrameReader()
        try:
            while data := await reader.read(4096):
                for frame in decoder.feed(data):
                    self.received.append(frame.kind)
                    if frame.kind is Kind.AUDIO:
                        self.heard += frame.payload
        except ConnectionError:
            pass
        self.closed_by_peer.set()


@dataclass
class ListeningPeer:
    """The browser side: a recvonly audio transceiver; collects what it hears."""

    pc: RTCPeerConnection = field(
        default_factory=lambda: RTCPeerConnection(RTCConfiguration(iceServers=[]))
    )
    pcm: bytearray = field(default_factory=bytearray)
    frames: int = 0
    rate: int = 0
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    got_track: asyncio.Event = field(default_factory=asyncio.Event)
    codec: str = ""

    # A microphone: when set, the peer offers sendrecv and sends this track (a whispering
    # supervisor); else recvonly, as a browser that only listens.
    voice: MediaStreamTrack | None = None

    async def offer(self) -> dict[str, str]:
        if self.voice is not None:
            self.pc.addTrack(self.voice)
        else:
            self.pc.addTransceiver("audio", direction="recvonly")

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.got_track.set()
            asyncio.ensure_future(self._consume(track))

        await self.pc.setLocalDescription(await self.pc.createOffer())
        return {"sdp": self.pc.localDescription.sdp, "type": self.pc.localDescription.type}

    async def answer(self, sdp: str, sdp_type: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=sdp_type))
        found = re.search(r"a=rtpmap:\d+ ([^/\r\n]+)", sdp)
        self.codec = found.group(1) if found else ""

    async def _consume(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                self.frames += 1
                self.rate = frame.sample_rate
                array = frame.to_ndarray()
                if array.shape[0] > 1 or frame.layout.name == "stereo":
                    array = array.reshape(-1, len(frame.layout.channels))[:, 0]
                self.pcm += array.astype("<i2").tobytes()
        except MediaStreamError:
            pass
        finally:
            self.ended.set()

    def last_seconds(self, seconds: float) -> bytes:
        n = int(seconds * self.rate) * 2
        return bytes(self.pcm[-n:])

    async def close(self) -> None:
        await self.pc.close()


class ToneTrack(MediaStreamTrack):
    """A microphone that says one tone, at 8 kHz in 20 ms frames, paced in real time."""

    kind = "audio"

    def __init__(self, freq: float = 600.0) -> None:
        super().__init__()
        self.freq = freq
        self.sent = 0
        self._start: float | None = None

    async def recv(self) -> Any:
        if self._start is None:
            self._start = time.monotonic()
        await asyncio.sleep(max(0.0, self._start + self.sent * 0.02 - time.monotonic()))
        pcm = tone(self.freq, 160, start=self.sent * 160)
        frame = av.AudioFrame(format="s16", layout="mono", samples=160)
        frame.planes[0].update(pcm)
        frame.sample_rate, frame.pts = 8000, self.sent * 160
        frame.time_base = fractions.Fraction(1, 8000)
        self.sent += 1
        return frame
