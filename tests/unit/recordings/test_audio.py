"""Transcoding real WAV files with pydub + ffmpeg: duration, peaks, stereo legs, broken files."""

from __future__ import annotations

import subprocess
from array import array
from pathlib import Path

import pytest
from pydub import AudioSegment

from recordings import audio
from recordings.audio import MP3, AudioInfo, Sources
from recordings.errors import AudioError
from tests import wavs


def transcode(tmp_path: Path, **sources: Path) -> tuple[AudioInfo, Path]:
    out = tmp_path / "out.mp3"
    return audio.transcode(Sources(**sources), out), out


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def decoded(path: Path) -> AudioSegment:
    return AudioSegment.from_file(str(path), format="mp3")


def test_a_tone_becomes_a_playable_mp3(tmp_path: Path) -> None:
    info, out = transcode(tmp_path, mixed=wavs.tone(tmp_path / "a.wav", 3.0, amplitude=0.5))
    assert info.format == "mp3"
    assert info.channels == 1
    assert info.duration_seconds == pytest.approx(3.0, abs=0.001)
    assert info.size_bytes == out.stat().st_size > 0
    head = out.read_bytes()[:3]
    assert head == b"ID3" or head[0] == 0xFF  # an ID3 tag or an MPEG frame sync
    back = decoded(out)
    assert back.frame_rate == MP3.sample_rate
    assert back.channels == 1
    assert len(back) / 1000 == pytest.approx(3.0, abs=0.15)
    # 24 kbit/s: about 9 KB for three seconds, far below the 48 KB of the WAV.
    assert info.size_bytes < 12_000
    assert len(info.peaks) == audio.PEAK_BUCKETS
    assert max(info.peaks) == pytest.approx(0.5, abs=0.01)
    assert min(info.peaks) > 0.4  # a steady tone is loud in every bucket


def test_peaks_follow_the_loudness(tmp_path: Path) -> None:
    quiet = array("h", bytes(2 * wavs.RATE))  # 1 s of silence
    loud = wavs.tone_samples(1.0, amplitude=0.8)
    info, _ = transcode(tmp_path, mixed=wavs.write_wav(tmp_path / "a.wav", quiet + loud))
    half = len(info.peaks) // 2
    assert max(info.peaks[: half - 1]) == 0.0
    assert min(info.peaks[half + 1 :]) == pytest.approx(0.8, abs=0.01)
    assert all(0.0 <= p <= 1.0 for p in info.peaks)


def test_silence_is_a_valid_recording(tmp_path: Path) -> None:
    info, _ = transcode(tmp_path, mixed=wavs.silence(tmp_path / "s.wav", 2.0))
    assert info.duration_seconds == pytest.approx(2.0)
    assert set(info.peaks) == {0.0}


def test_peaks_of_a_very_short_file_have_one_bucket_per_frame() -> None:
    segment = AudioSegment(
        data=array("h", [0, 16384, -32768]).tobytes(), sample_width=2, frame_rate=8000, channels=1
    )
    assert audio.compute_peaks(segment, 500) == [0.0, 0.5, 1.0]
    assert audio.compute_peaks(segment, 0) == []


def test_two_legs_become_one_stereo_file_customer_left(tmp_path: Path) -> None:
    customer = wavs.tone(tmp_path / "x-r.wav", 2.0, freq=440, amplitude=0.6)
    manager = wavs.tone(tmp_path / "x-t.wav", 1.5, freq=1000, amplitude=0.3)  # hung up first
    info, out = transcode(tmp_path, mixed=tmp_path / "x.wav", customer=customer, manager=manager)
    assert info.channels == 2
    assert info.duration_seconds == pytest.approx(2.0)  # the longer leg, the other padded
    left, right = decoded(out).split_to_mono()
    assert left.max / 32768 == pytest.approx(0.6, abs=0.08)
    assert right[:1400].max / 32768 == pytest.approx(0.3, abs=0.08)
    assert right[1600:].max / 32768 < 0.05  # padded with silence after its leg ended


def test_merge_pads_legs_of_different_length_and_rate() -> None:
    short = AudioSegment(data=b"\x10\x00" * 800, sample_width=2, frame_rate=8000, channels=1)
    long = AudioSegment(data=b"\x20\x00" * 3200, sample_width=2, frame_rate=16000, channels=1)
    merged = audio.merge_legs(short, long)
    assert (merged.channels, merged.frame_rate, int(merged.frame_count())) == (2, 16000, 3200)
    # pydub alone refuses legs of different lengths: the reason the legs are padded first.
    with pytest.raises(ValueError):
        AudioSegment.from_mono_audiosegments(short.set_frame_rate(16000), long)


def test_a_silent_leg_becomes_silence_on_its_side(tmp_path: Path) -> None:
    customer = wavs.tone(tmp_path / "x-r.wav", 1.0, amplitude=0.5)
    manager = wavs.header_only(tmp_path / "x-t.wav")
    info, out = transcode(tmp_path, customer=customer, manager=manager)
    assert info.channels == 2
    left, right = decoded(out).split_to_mono()
    assert left.max > 10_000 and right.max < 500


def test_an_unfinished_header_still_gives_all_the_audio(tmp_path: Path) -> None:
    info, _ = transcode(tmp_path, mixed=wavs.unfinished(tmp_path / "u.wav", 2.0))
    assert info.duration_seconds == pytest.approx(2.0)


def test_samples_cut_short_give_what_is_there(tmp_path: Path) -> None:
    path = wavs.cut(wavs.tone(tmp_path / "c.wav", 2.0), 44 + 2 * 4000 + 1)  # odd byte too
    info, _ = transcode(tmp_path, mixed=path)
    assert info.duration_seconds == pytest.approx(0.5)


def test_other_codecs_go_through_ffmpeg(tmp_path: Path) -> None:
    src = wavs.tone(tmp_path / "pcm.wav", 1.5)
    alaw = tmp_path / "alaw.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(src), "-c:a", "pcm_alaw", str(alaw)], check=True
    )
    info, _ = transcode(tmp_path, mixed=alaw)
    assert info.duration_seconds == pytest.approx(1.5, abs=0.01)
    assert max(info.peaks) == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        (lambda p: p, "missing", "does not exist"),
        (lambda p: write(p, b""), "empty", "empty (0 bytes)"),
        (wavs.header_only, "no_audio", "without any audio"),
        (lambda p: wavs.cut(wavs.tone(p, 1.0), 20), "truncated", "truncated WAV header"),
        (lambda p: wavs.cut(wavs.tone(p, 1.0), 10), "truncated", "truncated WAV header"),
        (lambda p: write(p, b"this is no audio at all " * 40), "corrupt", "cannot decode"),
        (
            lambda p: write(p, b"RIFF\x10\x00\x00\x00WAVEjunk" + bytes(30)),
            "truncated",
            "no data chunk",
        ),
    ],
    ids=["missing", "zero-bytes", "header-only", "cut-header", "cut-riff", "garbage", "no-data"],
)
def test_broken_files_raise_a_clear_reason(
    tmp_path: Path, make: object, code: str, words: str
) -> None:
    path = tmp_path / "broken.wav"
    make(path)  # type: ignore[operator]
    with pytest.raises(AudioError) as caught:
        transcode(tmp_path, mixed=path)
    assert caught.value.code == code
    assert words in caught.value.reason
    assert "broken.wav" in caught.value.reason
    assert not (tmp_path / "out.mp3").exists() or (tmp_path / "out.mp3").stat().st_size == 0


def test_no_audio_codes_are_the_ones_an_unanswered_call_leaves() -> None:
    assert AudioError("x", code="no_audio").no_audio
    assert AudioError("x", code="empty").no_audio
    assert not AudioError("x", code="corrupt").no_audio


def test_probe_rejects_a_file_that_is_not_audio(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(AudioError) as caught:
        audio.probe(bad)
    assert caught.value.code == "verify_failed"
