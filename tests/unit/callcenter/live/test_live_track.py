"""SlinTrack: 20 ms s16 mono 8 kHz frames, silence when late, bounded buffer, re-chunking."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiortc.mediastreams import MediaStreamError

from callcenter.live.track import FRAME_BYTES, SlinTrack

A = b"\x01\x00" * 160
B = b"\x02\x00" * 160


async def test_frames_are_20ms_s16_mono_8k_with_running_pts() -> None:
    track = SlinTrack()
    track.push(A)
    track.push(B)
    first = await track.recv()
    second = await track.recv()
    assert (first.format.name, first.layout.name, first.sample_rate) == ("s16", "mono", 8000)
    assert first.samples == 160
    assert (first.pts, second.pts) == (0, 160)
    assert bytes(first.planes[0])[:FRAME_BYTES] == A
    assert bytes(second.planes[0])[:FRAME_BYTES] == B


async def test_silence_when_a_frame_is_late_and_timing_holds() -> None:
    track = SlinTrack()
    start = time.monotonic()
    frames = [await track.recv() for _ in range(5)]
    elapsed = time.monotonic() - start
    assert all(not any(bytes(f.planes[0])[:FRAME_BYTES]) for f in frames)
    assert [f.pts for f in frames] == [0, 160, 320, 480, 640]
    assert 0.07 <= elapsed <= 0.2  # paced in real time, not faster
    assert track.silent == 5


async def test_a_frame_arriving_mid_slot_goes_out_at_once() -> None:
    track = SlinTrack()
    await track.recv()  # starts the clock
    asyncio.get_running_loop().call_later(0.005, track.push, A)
    start = time.monotonic()
    frame = await track.recv()
    assert bytes(frame.planes[0])[:FRAME_BYTES] == A
    assert time.monotonic() - start < 0.015


async def test_full_buffer_drops_the_oldest() -> None:
    track = SlinTrack(max_frames=3)
    for value in range(5):
        track.push(bytes([value, 0]) * 160)
    assert (track.buffered, track.dropped) == (3, 2)
    frame = await track.recv()
    assert bytes(frame.planes[0])[:2] == b"\x02\x00"


async def test_odd_sized_pushes_are_rechunked() -> None:
    track = SlinTrack()
    data = A + B
    for i in range(0, len(data), 100):
        track.push(data[i : i + 100])
    assert track.pushed == 2
    assert bytes((await track.recv()).planes[0])[:FRAME_BYTES] == A


async def test_stop_ends_recv() -> None:
    track = SlinTrack()
    await track.recv()
    waiter = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0)
    track.stop()
    with pytest.raises(MediaStreamError):
        await waiter
    track.push(A)  # ignored once ended
    assert track.pushed == 0
