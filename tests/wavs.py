"""Real WAV files for the recordings tests, written with the stdlib: tones, silence, and the
broken files a PBX leaves behind (empty, header only, unfinished header, cut short)."""

from __future__ import annotations

import math
import struct
import wave
from array import array
from pathlib import Path

RATE = 8000  # MixMonitor's .wav: 16-bit signed linear, 8 kHz, mono


def tone_samples(
    seconds: float, freq: float = 440.0, amplitude: float = 0.5, rate: int = RATE
) -> array[int]:
    n = round(seconds * rate)
    step = 2 * math.pi * freq / rate
    peak = amplitude * 32767
    return array("h", (round(peak * math.sin(step * i)) for i in range(n)))


def write_wav(path: Path, samples: array[int], rate: int = RATE, channels: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


def tone(path: Path, seconds: float, freq: float = 440.0, amplitude: float = 0.5) -> Path:
    return write_wav(path, tone_samples(seconds, freq, amplitude))


def silence(path: Path, seconds: float) -> Path:
    return write_wav(path, array("h", bytes(2 * round(seconds * RATE))))


def header_only(path: Path) -> Path:
    """What MixMonitor leaves for a call nobody answered: 44 bytes, no samples."""
    return write_wav(path, array("h"))


def unfinished(path: Path, seconds: float) -> Path:
    """A WAV as Asterisk writes it while recording: the sizes in the header are still 0."""
    tone(path, seconds)
    data = bytearray(path.read_bytes())
    data[4:8] = struct.pack("<I", 0)
    data[40:44] = struct.pack("<I", 0)
    path.write_bytes(bytes(data))
    return path


def cut(path: Path, keep_bytes: int) -> Path:
    """Truncate a file in place (a header cut mid-way, or samples cut short)."""
    data = path.read_bytes()
    path.write_bytes(data[:keep_bytes])
    return path
