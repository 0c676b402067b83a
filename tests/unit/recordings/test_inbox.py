"""From the path Asterisk reports to a file in the inbox, safely; and waiting for it to be done."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from recordings.errors import AudioError, UnsafePath
from recordings.inbox import InboxMapper, remove_sources, wait_until_stable
from tests import wavs

PREFIX = "/var/spool/asterisk/monitor"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


@pytest.fixture
def mapper(inbox: Path) -> InboxMapper:
    return InboxMapper(PREFIX, inbox)


@pytest.mark.parametrize(
    ("reported", "local"),
    [
        (f"{PREFIX}/1795628741.4.wav", "1795628741.4.wav"),
        (f"{PREFIX}/2026/11/x.wav", "2026/11/x.wav"),
        (f"{PREFIX}//./x.wav", "x.wav"),
    ],
)
def test_paths_under_the_prefix_map_into_the_inbox(
    mapper: InboxMapper, inbox: Path, reported: str, local: str
) -> None:
    assert mapper.local_path(reported) == inbox.resolve() / local


def test_a_prefix_with_a_trailing_slash_works_the_same(inbox: Path) -> None:
    mapper = InboxMapper(PREFIX + "/", inbox)
    assert mapper.local_path(f"{PREFIX}/a.wav") == inbox.resolve() / "a.wav"


@pytest.mark.parametrize(
    ("reported", "why"),
    [
        ("/etc/passwd", "not under the PBX prefix"),
        (f"{PREFIX}2/a.wav", "not under the PBX prefix"),  # a sibling directory, same start
        ("/var/spool/asterisk/a.wav", "not under the PBX prefix"),
        (f"{PREFIX}/../../../../etc/shadow", "'..' is not allowed"),
        (f"{PREFIX}/sub/../../x.wav", "'..' is not allowed"),
        ("monitor/a.wav", "not an absolute path"),
        ("", "empty"),
        (f"{PREFIX}/a\x00.wav", "malformed"),
        (PREFIX, "names the prefix itself"),
    ],
)
def test_paths_that_would_leave_the_inbox_are_rejected(
    mapper: InboxMapper, reported: str, why: str
) -> None:
    with pytest.raises(UnsafePath) as caught:
        mapper.local_path(reported)
    assert why in caught.value.reason
    assert caught.value.code == "unsafe_path"


def test_a_symlink_out_of_the_inbox_is_rejected(
    mapper: InboxMapper, inbox: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.wav"
    wavs.tone(secret, 0.1)
    (inbox / "evil.wav").symlink_to(secret)
    (inbox / "evil-dir").symlink_to(tmp_path)
    with pytest.raises(UnsafePath, match="outside the recordings inbox"):
        mapper.local_path(f"{PREFIX}/evil.wav")
    with pytest.raises(UnsafePath, match="outside the recordings inbox"):
        mapper.local_path(f"{PREFIX}/evil-dir/secret.wav")


def test_legs_are_found_only_when_both_are_there(mapper: InboxMapper, inbox: Path) -> None:
    mixed = mapper.local_path(f"{PREFIX}/call.wav")
    assert mapper.legs(mixed) is None
    wavs.tone(inbox / "call-r.wav", 0.1)
    assert mapper.legs(mixed) is None
    wavs.tone(inbox / "call-t.wav", 0.1)
    assert mapper.legs(mixed) == (inbox.resolve() / "call-r.wav", inbox.resolve() / "call-t.wav")


def test_a_leg_symlinked_out_of_the_inbox_is_rejected(
    mapper: InboxMapper, inbox: Path, tmp_path: Path
) -> None:
    wavs.tone(inbox / "call-r.wav", 0.1)
    (inbox / "call-t.wav").symlink_to(wavs.tone(tmp_path / "other.wav", 0.1))
    with pytest.raises(UnsafePath):
        mapper.legs(inbox / "call.wav")


def test_the_prefix_must_be_absolute(inbox: Path) -> None:
    with pytest.raises(ValueError, match="absolute"):
        InboxMapper("var/spool", inbox)


# --- waiting for Asterisk to finish the file ------------------------------------------------


async def timed(coro: object) -> float:
    start = time.monotonic()
    await coro  # type: ignore[misc]
    return time.monotonic() - start


async def test_a_finished_wav_is_taken_at_once(tmp_path: Path) -> None:
    path = wavs.tone(tmp_path / "done.wav", 1.0)
    took = await timed(wait_until_stable([path], settle=5.0, poll=0.05))
    assert took < 1.0


async def test_an_unfinished_header_waits_until_the_file_settles(tmp_path: Path) -> None:
    path = wavs.unfinished(tmp_path / "open.wav", 1.0)
    took = await timed(wait_until_stable([path], settle=0.5, poll=0.05))
    assert 0.5 <= took < 2.0


async def test_a_growing_file_is_waited_for(tmp_path: Path) -> None:
    path = wavs.unfinished(tmp_path / "growing.wav", 0.1)

    async def keep_writing() -> None:
        for _ in range(8):
            await asyncio.sleep(0.1)
            with path.open("ab") as f:
                f.write(bytes(1600))
            os.utime(path)

    writer = asyncio.create_task(keep_writing())
    took = await timed(wait_until_stable([path], settle=0.4, poll=0.05))
    await writer
    assert took >= 0.8 + 0.4 - 0.1  # the writes, then the settle time


async def test_a_missing_file_is_given_time_to_appear(tmp_path: Path) -> None:
    path = tmp_path / "late.wav"
    asyncio.get_running_loop().call_later(0.3, lambda: wavs.tone(path, 0.5))
    await wait_until_stable([path], settle=5.0, poll=0.05, appear_within=3.0)
    assert path.exists()
    took = await timed(
        wait_until_stable([tmp_path / "never.wav"], settle=5.0, poll=0.05, appear_within=0.3)
    )
    assert 0.3 <= took < 1.0


async def test_a_file_written_forever_gives_up_with_a_reason(tmp_path: Path) -> None:
    path = wavs.unfinished(tmp_path / "busy.wav", 0.1)

    async def keep_writing() -> None:
        while True:
            await asyncio.sleep(0.03)
            with path.open("ab") as f:
                f.write(b"\0\0")

    writer = asyncio.create_task(keep_writing())
    try:
        with pytest.raises(AudioError) as caught:
            await wait_until_stable([path], settle=0.5, poll=0.05, give_up_after=0.4)
    finally:
        writer.cancel()
    assert caught.value.code == "busy"
    assert "busy.wav: still being written" in caught.value.reason


def test_remove_sources_ignores_files_already_gone(tmp_path: Path) -> None:
    here = wavs.tone(tmp_path / "a.wav", 0.1)
    remove_sources([here, tmp_path / "gone.wav"])
    assert not here.exists()
