"""Recordings the way MixMonitor leaves them: 8 kHz 16-bit mono WAV files (the mix, and each
direction beside it), written with the standard library. The "conversation" is synthesised:
two voices taking turns, each a run of syllables (a few harmonics of a wandering pitch under a
soft envelope) over a faint line hiss, after the short beep of a recording notice. Nothing is
downloaded."""

from __future__ import annotations

import math
import os
import random
import sys
import wave
from array import array
from pathlib import Path

RATE = 8000
_FULL = 32767


def _syllable(out: array[int], rng: random.Random, f0: float, loudness: float) -> None:
    seconds = rng.uniform(0.09, 0.28)
    n = int(seconds * RATE)
    # A vowel colour: how strong the first harmonics are.
    weights = [1.0, rng.uniform(0.3, 0.9), rng.uniform(0.1, 0.6), rng.uniform(0.05, 0.3)]
    norm = sum(weights)
    glide = rng.uniform(-0.25, 0.25)  # the pitch rises or falls over the syllable
    phase = 0.0
    two_pi = 2 * math.pi
    for i in range(n):
        t = i / n
        envelope = math.sin(math.pi * t) ** 1.5
        freq = f0 * (1 + glide * (t - 0.5))
        phase += two_pi * freq / RATE
        value = sum(w * math.sin(k * phase) for k, w in enumerate(weights, start=1)) / norm
        out.append(int(value * envelope * loudness * _FULL))


def _silence(out: array[int], seconds: float) -> None:
    out.extend([0] * int(seconds * RATE))


def _pad(out: array[int], length: int) -> None:
    out.extend([0] * max(0, length - len(out)))


def _turn(out: array[int], rng: random.Random, f0: float, seconds: float) -> None:
    end = len(out) + int(seconds * RATE)
    while len(out) < end:
        for _ in range(rng.randrange(1, 5)):  # a word
            _syllable(out, rng, f0 * rng.uniform(0.9, 1.12), rng.uniform(0.25, 0.5))
            _silence(out, rng.uniform(0.01, 0.05))
        _silence(out, rng.uniform(0.08, 0.3))


def conversation(seconds: float, seed: int) -> tuple[bytes, bytes]:
    """``seconds`` of two people talking in turns, as the two directions of the recorded
    channel (16-bit little-endian PCM at 8 kHz): what it says, and what it hears. The one it
    hears, who answered the call, speaks first, after the beep of a recording notice."""
    rng = random.Random(seed)
    total = int(seconds * RATE)
    says: array[int] = array("h")
    hears: array[int] = array("h")
    for i in range(int(0.35 * RATE)):  # "this call is recorded": heard by the caller
        hears.append(int(0.3 * _FULL * math.sin(2 * math.pi * 1000 * i / RATE)))
    _silence(hears, 0.3)
    _pad(says, len(hears))
    voices = [rng.choice([110.0, 125.0, 190.0, 215.0]), rng.choice([120.0, 180.0, 205.0])]
    speaker = 1
    while len(says) < total:
        talking, quiet = (hears, says) if speaker else (says, hears)
        _turn(talking, rng, voices[speaker], rng.uniform(1.2, 4.0))
        _silence(talking, rng.uniform(0.2, 0.6))
        _pad(quiet, len(talking))
        speaker = 1 - speaker
    legs = []
    for leg in (says, hears):
        _pad(leg, total)
        del leg[total:]
        for i in range(total):  # line hiss
            leg[i] = max(-_FULL, min(_FULL, leg[i] + rng.randint(-100, 100)))
        legs.append(leg)
    return _pcm(legs[0]), _pcm(legs[1])


def mix(first: bytes, second: bytes) -> bytes:
    a, b = array("h"), array("h")
    a.frombytes(first)
    b.frombytes(second)
    return array("h", (max(-_FULL, min(_FULL, x + y)) for x, y in zip(a, b, strict=True))).tobytes()


def _pcm(samples: array[int]) -> bytes:
    if sys.byteorder != "little":
        samples.byteswap()
    return samples.tobytes()


def write_wav(path: Path, pcm: bytes) -> None:
    """Write the file whole under a scratch name, then rename it into place: a reader sees
    either the previous file or the finished one (with its sizes in the header)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.part")
    with wave.open(str(scratch), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm)
    os.replace(scratch, path)


def write_recording(mixed: Path, seconds: float, seed: int) -> None:
    """MixMonitor's ``b r() t()``: the mixed file, and beside it ``-r`` (what the recorded
    channel says) and ``-t`` (what it hears)."""
    says, hears = conversation(seconds, seed)
    for suffix, pcm in (("-r", says), ("-t", hears)):
        write_wav(mixed.with_name(f"{mixed.stem}{suffix}{mixed.suffix}"), pcm)
    write_wav(mixed, mix(says, hears))


def write_header_only(mixed: Path) -> None:
    """What MixMonitor leaves for a call nobody answered: 44-byte headers, no samples."""
    for suffix in ("-r", "-t", ""):
        write_wav(mixed.with_name(f"{mixed.stem}{suffix}{mixed.suffix}"), b"")
