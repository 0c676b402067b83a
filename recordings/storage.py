"""Where processed recordings live. Keys are opaque to callers and made here, from a date and a
recording id, never from request input: ``2026/11/25/<recording-id>.mp3``."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from recordings.errors import StorageError

log = logging.getLogger(__name__)

_KEY = re.compile(r"^\d{4}/\d{2}/\d{2}/[A-Za-z0-9_-]{1,64}\.[a-z0-9]{1,8}$")
_SCRATCH = ".partial"


def make_key(created: dt.datetime, recording_id: str, ext: str) -> str:
    key = f"{created:%Y/%m/%d}/{recording_id}.{ext}"
    if not _KEY.match(key):
        raise StorageError(f"cannot make a storage key of {recording_id!r} and {ext!r}")
    return key


class Storage(Protocol):
    def scratch_path(self, ext: str) -> Path:
        """A fresh local path to write a file that :meth:`put_file` will then take."""
        ...

    def put_file(self, src: Path, key: str) -> int:
        """Move ``src`` in under ``key`` atomically (replacing any object there); its size."""
        ...

    def size(self, key: str) -> int: ...

    def open(self, key: str) -> BinaryIO: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> bool:
        """Remove the object; False when it was not there."""
        ...

    def keys(self) -> Iterator[str]: ...

    def discard_partials(self, older_than: float = 0.0) -> int:
        """Remove scratch files left by writers that died; how many were removed."""
        ...


class FilesystemStorage:
    """Files under ``base``, one directory per day. A reader never sees half a file: writers
    fill a scratch file on the same filesystem, fsync it, then rename it into place."""

    def __init__(self, base: Path) -> None:
        self.base = Path(base).resolve()
        self.scratch = self.base / _SCRATCH

    def path(self, key: str) -> Path:
        if not isinstance(key, str) or not _KEY.match(key):
            raise StorageError(f"not a storage key: {key!r}", code="bad_key")
        path = self.base / key
        if not path.resolve().is_relative_to(self.base):
            raise StorageError(f"storage key {key!r} leaves the storage", code="bad_key")
        return path

    def scratch_path(self, ext: str) -> Path:
        self.scratch.mkdir(parents=True, exist_ok=True)
        return self.scratch / f"{uuid.uuid4().hex}.{ext}"

    def put_file(self, src: Path, key: str) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.parent.resolve() != self.scratch:
            # Not ours to move: copy it next to its target first, so the rename stays atomic.
            staged = self.scratch_path(target.suffix.lstrip("."))
            with src.open("rb") as fin, staged.open("wb") as fout:
                while chunk := fin.read(1 << 20):
                    fout.write(chunk)
            src = staged
        with src.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(src, target)
        _fsync_dir(target.parent)
        return target.stat().st_size

    def put_bytes(self, key: str, data: bytes) -> int:
        staged = self.scratch_path(key.rsplit(".", 1)[-1])
        staged.write_bytes(data)
        return self.put_file(staged, key)

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> bool:
        path = self.path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        # Drop the day's (and month's, year's) directory once it is empty.
        parent = path.parent
        while parent != self.base:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
        return True

    def keys(self) -> Iterator[str]:
        if not self.base.is_dir():
            return
        for path in sorted(self.base.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/*")):
            key = path.relative_to(self.base).as_posix()
            if _KEY.match(key):
                yield key

    def discard_partials(self, older_than: float = 0.0) -> int:
        if not self.scratch.is_dir():
            return 0
        removed = 0
        cutoff = time.time() - older_than
        for path in self.scratch.iterdir():
            try:
                if path.stat().st_mtime <= cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        if removed:
            log.info("recordings storage: removed %d partial file(s)", removed)
        return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
