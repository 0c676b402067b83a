"""Call audio: decode a MixMonitor file (or its two legs), measure it, encode it for browsers.

Everything here blocks (pydub holds whole files in memory and runs ffmpeg): call it from a
worker thread, never on the event loop.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pydub import AudioSegment
from pydub.exceptions import CouldntEncodeError

from recordings.errors import AudioError
from recordings.wav import HEAD_BYTES, is_riff, parse_header

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
PEAK_BUCKETS = 500
FFMPEG_TIMEOUT = 600.0
# The stored file may differ from the decoded source by encoder padding (a few MP3 frames).
DURATION_TOLERANCE = 0.5


@dataclass(frozen=True)
class OutputFormat:
    """What recordings are stored as. MP3 (CBR): see "Recordings" in the README for why."""

    name: str = "mp3"
    ext: str = "mp3"
    content_type: str = "audio/mpeg"
    codec: str = "libmp3lame"
    # Telephone audio is 8 kHz; 16 kHz is the lowest rate of standard (MPEG-2) MP3.
    sample_rate: int = 16_000
    kbps_per_channel: int = 24


MP3 = OutputFormat()


@dataclass(frozen=True)
class Sources:
    """One recording's input: the mixed file, or the two legs (MixMonitor ``r()``/``t()``)."""

    mixed: Path | None = None
    customer: Path | None = None
    manager: Path | None = None

    @property
    def stereo(self) -> bool:
        return self.customer is not None and self.manager is not None

    @property
    def paths(self) -> list[Path]:
        return [p for p in (self.mixed, self.customer, self.manager) if p is not None]


@dataclass(frozen=True)
class AudioInfo:
    format: str
    duration_seconds: float
    channels: int
    peaks: list[float]
    size_bytes: int


# --- decoding -------------------------------------------------------------------------------


def load(path: Path) -> AudioSegment:
    """Decode one source file; raises :class:`AudioError` saying what is wrong with it."""
    name = path.name
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise AudioError(f"{name}: the file does not exist", code="missing") from None
    except OSError as exc:
        raise AudioError(f"{name}: cannot read: {exc.strerror}", code="unreadable") from None
    if not path.is_file():
        raise AudioError(f"{name}: not a regular file", code="corrupt")
    if stat.st_size == 0:
        raise AudioError(f"{name}: the file is empty (0 bytes)", code="empty")
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    if is_riff(head):
        header = parse_header(head, name)
        if header.is_pcm16:
            with path.open("rb") as f:
                f.seek(header.data_offset)
                data = f.read(header.data_end(stat.st_size) - header.data_offset)
            return _pcm16(data, header.channels, header.sample_rate, name)
    return _decode_with_ffmpeg(path)


def _pcm16(data: bytes, channels: int, rate: int, name: str) -> AudioSegment:
    frame = 2 * channels
    data = data[: len(data) - len(data) % frame]
    if not data:
        raise AudioError(f"{name}: a WAV header without any audio", code="no_audio")
    return AudioSegment(data=data, sample_width=2, frame_rate=rate, channels=channels)


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    return lines[-1][:300] if lines else ""


def _decode_with_ffmpeg(path: Path) -> AudioSegment:
    proc = subprocess.run(
        [FFMPEG, "-nostdin", "-v", "error", "-i", f"file:{path}", "-vn"]
        + ["-acodec", "pcm_s16le", "-f", "wav", "-"],
        capture_output=True,
        check=False,
        timeout=FFMPEG_TIMEOUT,
    )
    if proc.returncode != 0 or not is_riff(proc.stdout):
        why = _last_line(proc.stderr) or "no audio stream"
        raise AudioError(f"{path.name}: cannot decode: {why}", code="corrupt")
    header = parse_header(proc.stdout[:HEAD_BYTES], path.name)
    return _pcm16(proc.stdout[header.data_offset :], header.channels, header.sample_rate, path.name)


# --- shaping and measuring ------------------------------------------------------------------


def _mono16(segment: AudioSegment, rate: int) -> AudioSegment:
    return segment.set_channels(1).set_sample_width(2).set_frame_rate(rate)


def _padded(segment: AudioSegment, frames: int) -> AudioSegment:
    missing = frames - int(segment.frame_count())
    if missing <= 0:
        return segment
    return AudioSegment(
        data=segment.raw_data + b"\0" * (missing * segment.frame_width),
        sample_width=segment.sample_width,
        frame_rate=segment.frame_rate,
        channels=segment.channels,
    )


def merge_legs(customer: AudioSegment, manager: AudioSegment) -> AudioSegment:
    """One stereo segment: the customer on the left, the manager on the right.

    The legs start together but rarely end on the same frame, and pydub's
    ``from_mono_audiosegments`` refuses legs of different lengths: pad the shorter with silence.
    """
    rate = max(customer.frame_rate, manager.frame_rate)
    left, right = _mono16(customer, rate), _mono16(manager, rate)
    frames = max(int(left.frame_count()), int(right.frame_count()))
    return AudioSegment.from_mono_audiosegments(_padded(left, frames), _padded(right, frames))


def silence_like(segment: AudioSegment) -> AudioSegment:
    return AudioSegment(
        data=b"\0" * (int(segment.frame_count()) * 2),
        sample_width=2,
        frame_rate=segment.frame_rate,
        channels=1,
    )


def compute_peaks(segment: AudioSegment, buckets: int = PEAK_BUCKETS) -> list[float]:
    """The waveform overview: per bucket the largest absolute sample of any channel, 0..1."""
    frames = int(segment.frame_count())
    if frames == 0 or buckets <= 0:
        return []
    buckets = min(buckets, frames)
    full_scale = float(1 << (8 * segment.sample_width - 1))
    peaks = []
    for i in range(buckets):
        part = segment.get_sample_slice(i * frames // buckets, (i + 1) * frames // buckets)
        peaks.append(round(min(1.0, part.max / full_scale), 3))
    return peaks


# --- encoding and checking ------------------------------------------------------------------


def encode(segment: AudioSegment, out: Path, fmt: OutputFormat = MP3) -> None:
    bitrate = f"{fmt.kbps_per_channel * segment.channels}k"
    try:
        segment.export(
            str(out),
            format=fmt.name,
            codec=fmt.codec,
            bitrate=bitrate,
            parameters=["-ar", str(fmt.sample_rate), "-threads", "1", "-map_metadata", "-1"],
        ).close()
    except CouldntEncodeError as exc:
        why = _last_line(str(exc).encode())
        raise AudioError(f"encoding failed: {why}", code="encode_failed") from None


def probe(path: Path) -> tuple[float, int]:
    """Duration and channels of an encoded file, reading every packet (a cut file shows)."""
    proc = subprocess.run(
        [FFPROBE, "-v", "error", "-count_packets", "-of", "json", "-show_entries"]
        + ["stream=channels,nb_read_packets:format=duration", f"file:{path}"],
        capture_output=True,
        check=False,
        timeout=FFMPEG_TIMEOUT,
    )
    try:
        info = json.loads(proc.stdout or b"{}")
        stream = info["streams"][0]
        duration = float(info["format"]["duration"])
        channels = int(stream["channels"])
        packets = int(stream["nb_read_packets"])
    except (ValueError, KeyError, IndexError, TypeError):
        why = _last_line(proc.stderr) or "no audio stream"
        raise AudioError(f"the stored file does not decode: {why}", code="verify_failed") from None
    if packets == 0 or duration <= 0:
        raise AudioError("the stored file holds no audio", code="verify_failed")
    return duration, channels


def decode_sources(sources: Sources) -> AudioSegment:
    if not sources.stereo:
        if sources.mixed is None:
            raise AudioError("no source file given", code="missing")
        return load(sources.mixed)
    assert sources.customer is not None and sources.manager is not None
    legs: list[AudioSegment | None] = []
    for path in (sources.customer, sources.manager):
        try:
            legs.append(load(path))
        except AudioError as exc:
            if exc.code != "no_audio":
                raise
            legs.append(None)  # one side never said anything: silence on that side
    customer, manager = legs
    if customer is None:
        if manager is None:
            name = sources.customer.name
            raise AudioError(f"{name}: both legs are without audio", code="no_audio")
        customer = silence_like(manager)
    elif manager is None:
        manager = silence_like(customer)
    return merge_legs(customer, manager)


def transcode(
    sources: Sources, out: Path, fmt: OutputFormat = MP3, buckets: int = PEAK_BUCKETS
) -> AudioInfo:
    """Decode, measure, encode into ``out`` and check what was written."""
    segment = decode_sources(sources)
    duration = int(segment.frame_count()) / segment.frame_rate
    peaks = compute_peaks(segment, buckets)
    encode(segment, out, fmt)
    size = out.stat().st_size if out.exists() else 0
    if size == 0:
        raise AudioError("the encoder wrote an empty file", code="verify_failed")
    stored_duration, channels = probe(out)
    if channels != segment.channels or abs(stored_duration - duration) > DURATION_TOLERANCE:
        raise AudioError(
            f"the stored file is {stored_duration:.2f} s, {channels} channel(s); "
            f"expected {duration:.2f} s, {segment.channels}",
            code="verify_failed",
        )
    return AudioInfo(fmt.name, round(duration, 3), segment.channels, peaks, size)
