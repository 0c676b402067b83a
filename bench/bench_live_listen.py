"""Live listening relay: added latency (AudioSocket frame in → RTP out) and CPU per listener.

The service side (this process): the real AudioSocketServer, SlinTrack and one aiortc
RTCPeerConnection per listener, answering like ListenService (send-only, PCMU preferred).
The PBX and browser side (a child process, so its CPU is not counted): per listener a fake
AudioSocket channel streaming 20 ms slin frames in real time, and an aiortc client peer.

Latency: every 10th frame is a loud 1 kHz burst among silent frames. The child stamps the
burst as it writes it to the AudioSocket TCP socket and stamps the first loud RTP packet as it
reaches the client's receiver (before its jitter buffer); both stamps use one clock.

CPU: this process's CPU time over the measuring window / wall time / listeners.

    .venv/bin/python bench/bench_live_listen.py                   # 20 listeners, 15 s
    .venv/bin/python bench/bench_live_listen.py --listeners 1 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing as mp
import statistics
import struct
import time
import uuid
from multiprocessing.connection import Connection
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

from callcenter.live.listen import PREFERRED_CODECS
from callcenter.live.track import SlinTrack
from pbx_bridge.audiosocket import AudioSocketServer, audio_frame, hangup_frame, uuid_frame

BURST_EVERY = 10
LOUD = struct.pack(
    "<160h", *(int(12000 * math.sin(2 * math.pi * 1000 * i / 8000)) for i in range(160))
)
QUIET = bytes(320)


def _ulaw_magnitude(byte: int) -> int:
    u = ~byte & 0xFF
    exponent, mantissa = (u >> 4) & 0x07, u & 0x0F
    return ((mantissa << 3) + 0x84 << exponent) - 0x84


ULAW = [_ulaw_magnitude(b) for b in range(256)]


# --- the PBX and browser side (child process) -----------------------------------------------


async def _sender(port: int, session: uuid.UUID, seconds: float, sent: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(uuid_frame(session))
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        loud = n % BURST_EVERY == 0
        if loud:
            sent.append(time.monotonic())
        writer.write(audio_frame(LOUD if loud else QUIET))
        await writer.drain()
        n += 1
        await asyncio.sleep(max(0.0, start + n * 0.02 - time.monotonic()))
    writer.write(hangup_frame())
    await writer.drain()
    writer.close()


async def _child_main(conn: Connection, listeners: int, seconds: float) -> None:
    pcs = [RTCPeerConnection(RTCConfiguration(iceServers=[])) for _ in range(listeners)]
    onsets: list[list[float]] = [[] for _ in range(listeners)]
    offers = []
    for pc in pcs:
        pc.addTransceiver("audio", direction="recvonly")
        pc.on("track", lambda track: asyncio.ensure_future(_drain(track)))
        await pc.setLocalDescription(await pc.createOffer())
        offers.append(pc.localDescription.sdp)
    conn.send(offers)
    port, answers, uuids = conn.recv()
    for i, (pc, answer) in enumerate(zip(pcs, answers, strict=True)):
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        receiver = pc.getTransceivers()[0].receiver
        _stamp(receiver, onsets[i])
    await asyncio.sleep(0.5)  # DTLS up
    sent: list[list[float]] = [[] for _ in range(listeners)]
    await asyncio.gather(
        *(_sender(port, uuid.UUID(u), seconds, sent[i]) for i, u in enumerate(uuids))
    )
    await asyncio.sleep(0.5)
    latencies: list[float] = []
    for burst_times, onset_times in zip(sent, onsets, strict=True):
        for onset in onset_times:
            before = [t for t in burst_times if t <= onset]
            if before and onset - before[-1] < BURST_EVERY * 0.02:
                latencies.append((onset - before[-1]) * 1000)
    for pc in pcs:
        await pc.close()
    conn.send(latencies)


def _stamp(receiver: Any, onsets: list[float]) -> None:
    original = receiver._handle_rtp_packet
    state = {"loud": False}

    async def handle(packet: Any, arrival_time_ms: int) -> None:
        now = time.monotonic()
        payload = packet.payload
        loud = sum(ULAW[b] for b in payload) / max(1, len(payload)) > 2000
        if loud and not state["loud"]:
            onsets.append(now)
        state["loud"] = loud
        await original(packet, arrival_time_ms)

    receiver._handle_rtp_packet = handle


async def _drain(track: Any) -> None:
    try:
        while True:
            await track.recv()
    except Exception:
        return


def child(conn: Connection, listeners: int, seconds: float) -> None:
    asyncio.run(_child_main(conn, listeners, seconds))


# --- the service side (this process) --------------------------------------------------------


async def _answer(sdp: str, server: AudioSocketServer) -> tuple[RTCPeerConnection, str, str]:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    session = server.register()
    track = SlinTrack()
    session.on_audio = track.push
    transceiver = pc.addTransceiver(track, direction="sendonly")
    caps = RTCRtpSender.getCapabilities("audio").codecs
    preferred = [c for m in PREFERRED_CODECS for c in caps if c.mimeType == m]
    transceiver.setCodecPreferences(preferred + [c for c in caps if c not in preferred])
    await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    return pc, pc.localDescription.sdp, str(session.uuid)


async def main(listeners: int, seconds: float) -> dict[str, Any]:
    server = AudioSocketServer()
    await server.start("127.0.0.1", 0)
    ctx = mp.get_context("spawn")
    parent, child_conn = ctx.Pipe()
    proc = ctx.Process(target=child, args=(child_conn, listeners, seconds + 2), daemon=True)
    proc.start()
    loop = asyncio.get_running_loop()
    offers = await loop.run_in_executor(None, parent.recv)
    answered = [await _answer(sdp, server) for sdp in offers]
    parent.send((server.port, [a[1] for a in answered], [a[2] for a in answered]))
    await asyncio.sleep(2.0)  # DTLS and the first frames: not measured
    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    latencies = sorted(await loop.run_in_executor(None, parent.recv))
    for pc, _, _ in answered:
        await pc.close()
    await server.stop()
    proc.join(10)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else -1

    return {
        "listeners": listeners,
        "bursts": len(latencies),
        "latency_ms_p50": round(pct(0.50), 2),
        "latency_ms_p99": round(pct(0.99), 2),
        "latency_ms_mean": round(statistics.fmean(latencies), 2) if latencies else None,
        "cpu_percent_total": round(100 * cpu / wall, 1),
        "cpu_percent_per_listener": round(100 * cpu / wall / listeners, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listeners", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    for key, value in asyncio.run(main(args.listeners, args.seconds)).items():
        print(f"{key:>26}: {value}")
