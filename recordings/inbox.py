"""The PBX's recordings as this service sees them: map the path Asterisk reports into the local
inbox (a shared volume), find the two legs of a MixMonitor ``r()``/``t()`` recording, wait until
Asterisk has finished writing, and remove the sources once they are safely stored."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from recordings.errors import AudioError, RecordingError, UnsafePath
from recordings.wav import read_header

log = logging.getLogger(__name__)

# MixMonitor(${UNIQUEID}.wav,r(${UNIQUEID}-r.wav)t(${UNIQUEID}-t.wav)): the legs sit next to the
# mixed file. "r" is what the recorded channel sends (heard by the PBX), "t" what it is sent.
READ_SUFFIX, SENT_SUFFIX = "-r", "-t"


class InboxMapper:
    def __init__(self, pbx_prefix: str, inbox: Path) -> None:
        prefix = PurePosixPath(pbx_prefix)
        if not prefix.is_absolute():
            raise ValueError(f"the PBX recordings prefix must be absolute: {pbx_prefix!r}")
        self.prefix = prefix
        self.inbox = Path(inbox).resolve()

    def local_path(self, reported: str) -> Path:
        """The local file for a path as the PBX reports it; :class:`UnsafePath` when it is not
        under the prefix, or would leave the inbox (``..``, a symlink pointing out)."""
        if not reported or "\x00" in reported:
            raise UnsafePath("empty or malformed recording path")
        path = PurePosixPath(reported)
        if not path.is_absolute():
            raise UnsafePath(f"{reported!r}: not an absolute path")
        if ".." in path.parts:
            raise UnsafePath(f"{reported!r}: '..' is not allowed in a recording path")
        if path.parts[: len(self.prefix.parts)] != self.prefix.parts:
            raise UnsafePath(f"{reported!r} is not under the PBX prefix {str(self.prefix)!r}")
        rest = path.parts[len(self.prefix.parts) :]
        if not rest:
            raise UnsafePath(f"{reported!r} names the prefix itself, not a file")
        return self.checked(self.inbox.joinpath(*rest), reported)

    def checked(self, local: Path, reported: str) -> Path:
        resolved = local.resolve()
        if not resolved.is_relative_to(self.inbox) or resolved == self.inbox:
            raise UnsafePath(f"{reported!r} leads outside the recordings inbox")
        return resolved

    def legs(self, mixed: Path) -> tuple[Path, Path] | None:
        """The ``-r``/``-t`` leg files beside ``mixed`` when both are there."""
        found = []
        for suffix in (READ_SUFFIX, SENT_SUFFIX):
            leg = mixed.with_name(f"{mixed.stem}{suffix}{mixed.suffix}")
            if not os.path.lexists(leg):
                return None
            found.append(self.checked(leg, str(leg)))
        return found[0], found[1]


@dataclass(frozen=True)
class _State:
    size: int
    mtime_ns: int
    complete: bool


def _state(path: Path) -> _State | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    complete = False
    if stat.st_size > 0:
        try:
            header = read_header(path)
            complete = header is not None and header.complete(stat.st_size)
        except (RecordingError, OSError):
            complete = False
    return _State(stat.st_size, stat.st_mtime_ns, complete)


async def wait_until_stable(
    paths: list[Path],
    *,
    settle: float = 2.0,
    poll: float = 0.25,
    appear_within: float = 5.0,
    give_up_after: float = 600.0,
) -> None:
    """Return once every file is finished: its WAV header gives sizes that match the file
    (Asterisk writes them on close), or, for anything else, it stopped changing for
    ``settle`` seconds. A file that does not show up within ``appear_within`` is left for the
    decoder to report as missing. Raises :class:`AudioError` when a file is still being
    written after ``give_up_after``."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    last: dict[Path, tuple[_State | None, float]] = {}
    while True:
        now = loop.time()
        pending = []
        for path in paths:
            state = await asyncio.to_thread(_state, path)
            previous, since = last.get(path, (None, now))
            if state != previous:
                last[path] = (state, now)
                since = now
            if state is None:
                done = now - start >= appear_within
            elif state.complete:
                done = previous == state
            else:
                done = now - since >= settle
            if not done:
                pending.append(path)
        if not pending:
            return
        if now - start > give_up_after:
            names = ", ".join(p.name for p in pending)
            raise AudioError(
                f"{names}: still being written after {give_up_after:.0f} s", code="busy"
            )
        await asyncio.sleep(poll)


def remove_sources(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        log.debug("removed recording source %s", path)
