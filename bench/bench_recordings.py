"""Recordings: transcode speed, time to first byte of a Range request, storage per minute.

- Transcode: our whole pipeline (decode, peaks, encode to MP3, ffprobe check) on a synthetic
  call of speech-like noise bursts at 8 kHz, pinned to one core, as a multiple of real time;
  baseline in the same run: a bare ``ffmpeg`` CLI encoding the same file with the same
  settings. The ratio says what our pipeline costs on top of the encoder.
- Range TTFB: a real uvicorn serving the app (bearer auth, a database read, the file); the
  time from sending ``GET .../audio`` with a random ``Range`` to the first body byte; baseline:
  Starlette's own ``FileResponse`` serving the same file from another uvicorn.
- Storage: bytes per minute of call, mono and stereo (two legs), next to the WAV the PBX
  writes and to Opus at a similar quality.

    .venv/bin/python bench/bench_recordings.py [--minutes 5] [--runs 5] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn  # noqa: E402
from sqlalchemy import select  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.responses import FileResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from callcenter.app import create_app  # noqa: E402
from callcenter.core.db import make_engine, make_sessionmaker
from callcenter.core.migrate import upgrade
from callcenter.core.models import Call, CallDirection, CallStatus, Recording, Role
from callcenter.core.settings import Settings
from callcenter.managers import service as manager_service
from callcenter.managers.schemas import ManagerIn
from callcenter.recordings.jobs import DbJobStore
from recordings import audio  # noqa: E402
from recordings.inbox import InboxMapper  # noqa: E402
from recordings.ingest import IngestJob, IngestWorker  # noqa: E402
from recordings.storage import FilesystemStorage  # noqa: E402
from tests.wavs import RATE, write_wav  # noqa: E402

PREFIX = "/var/spool/asterisk/monitor"


def speech_like(seconds: float, seed: int) -> array[int]:
    """Bursts of filtered noise and a wandering pitch, with pauses: closer to speech than a
    pure tone (which an MP3 encoder squeezes unrealistically well)."""
    rng = random.Random(seed)
    out = array("h")
    t = 0
    while len(out) < seconds * RATE:
        burst = int(rng.uniform(0.15, 0.6) * RATE)
        pause = int(rng.uniform(0.05, 0.4) * RATE)
        pitch, amp, prev = rng.uniform(90, 250), rng.uniform(0.1, 0.6), 0.0
        for i in range(burst):
            env = math.sin(math.pi * i / burst)
            prev = 0.7 * prev + 0.3 * rng.uniform(-1, 1)
            voice = math.sin(2 * math.pi * pitch * (t + i) / RATE)
            out.append(int(32767 * amp * env * (0.6 * voice + 0.4 * prev)))
        out.extend(int(300 * rng.uniform(-1, 1)) for _ in range(pause))
        t += burst + pause
    return out[: int(seconds * RATE)]


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ffmpeg_cli(src: Path, out: Path, channels: int) -> None:
    kbps = audio.MP3.kbps_per_channel * channels
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-threads", "1", "-i", str(src)]
        + ["-ar", str(audio.MP3.sample_rate), "-c:a", "libmp3lame", "-b:a", f"{kbps}k", str(out)],
        check=True,
    )


def opus_bytes(src: Path, out: Path, channels: int) -> int:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-c:a", "libopus"]
        + ["-b:a", f"{16 * channels}k", "-application", "voip", str(out)],
        check=True,
    )
    return out.stat().st_size


# --- Range requests over real HTTP ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def ttfb(port: int, path: str, headers: dict[str, str], size: int, n: int) -> list[float]:
    rng = random.Random(7)
    times = []
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(n):
        start = rng.randrange(0, size - 1)
        end = min(size - 1, start + 65535)
        begin = time.perf_counter()
        conn.request("GET", path, headers={**headers, "Range": f"bytes={start}-{end}"})
        response = conn.getresponse()
        response.read(1)
        times.append(time.perf_counter() - begin)
        response.read()
        assert response.status == 206, response.status
    conn.close()
    return times


async def prepare_service(tmp: Path, wav: Path) -> tuple[Settings, str, str]:
    """A database with a user, a call, and the call's recording ingested by the real worker."""
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    await asyncio.to_thread(upgrade, url)
    inbox = tmp / "inbox"
    inbox.mkdir()
    (inbox / "call.wav").write_bytes(wav.read_bytes())
    settings = Settings(
        _env_file=None,
        database_url=url,
        var_dir=tmp,
        secret_key="bench",
        recordings_dir=tmp / "store",
        recordings_inbox=str(inbox),
    )
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        manager = await manager_service.create(
            session, ManagerIn(login="sup", password="bench-pass-1", role=Role.SUPERVISOR)
        )
        _, token = await manager_service.create_token(session, manager, "bench")
        session.add(
            Call(linkedid="1.1", direction=CallDirection.IN, status=CallStatus.ANSWERED, rang=[])
        )
        await session.commit()
    worker = IngestWorker(
        DbJobStore(sessionmaker),
        FilesystemStorage(settings.recordings_dir),
        InboxMapper(PREFIX, inbox),
    )
    await worker.start()
    await worker.submit(IngestJob("default", "1.1", f"{PREFIX}/call.wav"))
    await worker.join()
    await worker.stop()
    async with sessionmaker() as session:
        public_id = await session.scalar(select(Recording.public_id))
    assert public_id is not None
    await engine.dispose()
    return settings, token, public_id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})  # ffmpeg children inherit it: one core for everything
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        print(f"making {args.minutes:g} min of speech-like 8 kHz audio (and a second leg)...")
        mono = write_wav(tmp / "call.wav", speech_like(seconds, 1))
        leg_t = write_wav(tmp / "call-t.wav", speech_like(seconds - 3, 2))

        ours, bare = [], []
        for run in range(args.runs):
            out = tmp / f"ours{run}.mp3"
            ours.append(timed(lambda o=out: audio.transcode(audio.Sources(mixed=mono), o)))
            bare.append(timed(lambda: ffmpeg_cli(mono, tmp / "bare.mp3", 1)))
            print(f"run {run + 1}: ours {ours[-1]:.2f} s, ffmpeg CLI {bare[-1]:.2f} s")
        info = audio.transcode(audio.Sources(mixed=mono), tmp / "mono.mp3")
        stereo = audio.transcode(audio.Sources(customer=mono, manager=leg_t), tmp / "st.mp3")
        stereo_wav = tmp / "stereo.wav"
        audio.merge_legs(audio.load(mono), audio.load(leg_t)).export(str(stereo_wav), "wav")
        med_ours, med_bare = statistics.median(ours), statistics.median(bare)

        settings, token, public_id = asyncio.run(prepare_service(tmp, mono))
        bare_app = Starlette(
            routes=[Route("/f", lambda _r: FileResponse(tmp / "mono.mp3"), methods=["GET"])]
        )
        size = info.size_bytes
        with Served(create_app(settings)) as svc, Served(bare_app) as plain:
            path = f"/api/v1/recordings/{public_id}/audio"
            auth = {"Authorization": f"Bearer {token}"}
            ttfb(svc.port, path, auth, size, 10)  # warm up
            ours_ttfb = ttfb(svc.port, path, auth, size, args.requests)
            plain_ttfb = ttfb(plain.port, "/f", {}, size, args.requests)

        per_min = 60 / seconds
        print(f"\ncall length: {seconds:.0f} s, pinned to CPU {core}, medians of {args.runs} runs")
        print(f"transcode, our pipeline: {seconds / med_ours:,.0f}x real time ({med_ours:.2f} s)")
        print(
            f"transcode, bare ffmpeg CLI: {seconds / med_bare:,.0f}x real time ({med_bare:.2f} s)"
        )
        print(f"ratio our time / ffmpeg CLI time: {med_ours / med_bare:.2f}")
        q = statistics.quantiles
        print(
            f"Range TTFB, our endpoint: median {statistics.median(ours_ttfb) * 1000:.2f} ms, "
            f"p95 {q(ours_ttfb, n=20)[18] * 1000:.2f} ms ({args.requests} requests)"
        )
        plain_p95 = q(plain_ttfb, n=20)[18] * 1000
        print(
            f"Range TTFB, Starlette FileResponse: median "
            f"{statistics.median(plain_ttfb) * 1000:.2f} ms, p95 {plain_p95:.2f} ms"
        )
        print(
            f"ratio TTFB ours / FileResponse: "
            f"{statistics.median(ours_ttfb) / statistics.median(plain_ttfb):.2f}"
        )
        print("storage per minute of call:")
        print(f"  MP3 mono (stored):   {info.size_bytes * per_min / 1024:7.1f} KiB")
        print(f"  MP3 stereo (stored): {stereo.size_bytes * per_min / 1024:7.1f} KiB")
        print(
            f"  WAV from the PBX:    {mono.stat().st_size * per_min / 1024:7.1f} KiB mono, "
            f"{stereo_wav.stat().st_size * per_min / 1024:.1f} KiB stereo"
        )
        print(
            f"  Opus 16k/ch (compared): {opus_bytes(mono, tmp / 'o.ogg', 1) * per_min / 1024:.1f} "
            f"KiB mono, {opus_bytes(stereo_wav, tmp / 'o2.ogg', 2) * per_min / 1024:.1f} KiB stereo"
        )


if __name__ == "__main__":
    main()
