"""``SlinTrack``: an aiortc audio track fed with 8 kHz s16 mono PCM (AudioSocket frames).

Pacing: slot *k* goes out no later than ``t0 + k·20 ms`` and no earlier than one slot before
that. A frame that has arrived is sent at once (within that window), so the relay adds almost
nothing when Asterisk's 20 ms cadence runs steady; a frame that is late is replaced by silence,
so RTP timing holds for the browser's jitter buffer. The buffer is bounded: when it is full the
oldest frame goes, which caps the delay a burst or a faster PBX clock can build up.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections import deque
from collections.abc import Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

RATE = 8000
SAMPLES = 160  # 20 ms
FRAME_BYTES = SAMPLES * 2
PTIME = SAMPLES / RATE
TIME_BASE = fractions.Fraction(1, RATE)
SILENCE = bytes(FRAME_BYTES)


class SlinTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, max_frames: int = 10, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.max_frames = max_frames
        self.clock = clock
        self._buffer: deque[tuple[bytes, int]] = deque()
        self._partial = bytearray()
        self._wake = asyncio.Event()
        self._t0: float | None = None
        self._slot = 0
        self.pushed = 0  # complete 20 ms frames received
        self.sent = 0  # frames with audio handed to the encoder
        self.silent = 0  # slots filled with silence
        self.dropped = 0  # frames dropped (buffer full)
        # Set by benchmarks: called with (pts, sequence number of the pushed frame) per sent
        # frame, so its arrival can be matched with when it was pushed.
        self.on_sent: Callable[[int, int], None] | None = None

    def push(self, pcm: bytes) -> None:
        """Add PCM of any length; it is cut into 20 ms frames (Asterisk sends 320 bytes)."""
        if self.readyState != "live":
            return
        if not self._partial and len(pcm) == FRAME_BYTES:
            self._append(pcm)
        else:
            self._partial += pcm
            while len(self._partial) >= FRAME_BYTES:
                self._append(bytes(self._partial[:FRAME_BYTES]))
                del self._partial[:FRAME_BYTES]
        self._wake.set()

    def _append(self, frame: bytes) -> None:
        if len(self._buffer) >= self.max_frames:
            self._buffer.popleft()
            self.dropped += 1
        self._buffer.append((frame, self.pushed))
        self.pushed += 1

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = self.clock()
        if self._t0 is None:
            self._t0 = now
        deadline = self._t0 + (self._slot + 1) * PTIME
        earliest = deadline - PTIME
        if earliest > now:  # never more than one slot ahead of the clock
            await asyncio.sleep(earliest - now)
        while not self._buffer and self.readyState == "live":
            remaining = deadline - self.clock()
            if remaining <= 0:
                break
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)
            except TimeoutError:
                break
        if self.readyState != "live":
            raise MediaStreamError
        pts = self._slot * SAMPLES
        self._slot += 1
        if self._buffer:
            pcm, seq = self._buffer.popleft()
            self.sent += 1
            if self.on_sent is not None:
                self.on_sent(pts, seq)
        else:
            pcm = SILENCE
            self.silent += 1
        return make_frame(pcm, pts)

    def stop(self) -> None:
        super().stop()
        self._wake.set()


def make_frame(pcm: bytes, pts: int) -> av.AudioFrame:
    frame = av.AudioFrame(format="s16", layout="mono", samples=len(pcm) // 2)
    frame.planes[0].update(pcm)
    frame.sample_rate = RATE
    frame.pts = pts
    frame.time_base = TIME_BASE
    return frame
