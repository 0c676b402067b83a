"""FilesystemStorage: date layout, atomic writes, keys never taken from outside."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from recordings.errors import StorageError
from recordings.storage import FilesystemStorage, Storage, make_key

DAY = dt.datetime(2026, 11, 25, 18, 30)
RID = "3f1c9a6e-9b1d-4c55-a7a4-2f0b8f1d2c3e"


def test_keys_are_laid_out_by_day() -> None:
    assert make_key(DAY, RID, "mp3") == f"2026/11/25/{RID}.mp3"
    with pytest.raises(StorageError):
        make_key(DAY, "../../etc/passwd", "mp3")
    with pytest.raises(StorageError):
        make_key(DAY, RID, "mp3/../x")


def test_put_open_size_delete(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path / "rec")
    key = make_key(DAY, RID, "mp3")
    assert not storage.exists(key)
    assert storage.put_bytes(key, b"abc" * 100) == 300
    assert storage.exists(key)
    assert storage.size(key) == 300
    with storage.open(key) as f:
        assert f.read() == b"abc" * 100
    assert (tmp_path / "rec" / "2026" / "11" / "25" / f"{RID}.mp3").is_file()
    assert list(storage.keys()) == [key]
    assert storage.delete(key) is True
    assert storage.delete(key) is False
    # The empty day, month and year directories go too.
    assert not (tmp_path / "rec" / "2026").exists()
    assert list(storage.keys()) == []


def test_it_is_a_storage(tmp_path: Path) -> None:
    storage: Storage = FilesystemStorage(tmp_path)
    assert storage is not None


def test_put_file_moves_a_scratch_file_and_copies_anything_else(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path / "rec")
    scratch = storage.scratch_path("mp3")
    scratch.write_bytes(b"1" * 10)
    key = make_key(DAY, RID, "mp3")
    assert storage.put_file(scratch, key) == 10
    assert not scratch.exists()
    outside = tmp_path / "elsewhere.mp3"
    outside.write_bytes(b"2" * 20)
    assert storage.put_file(outside, key) == 20  # replaces
    assert outside.exists()  # not ours: copied, not moved
    with storage.open(key) as f:
        assert f.read() == b"2" * 20
    assert list(storage.scratch.iterdir()) == []


def test_a_reader_never_sees_half_a_file(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path / "rec")
    key = make_key(DAY, RID, "mp3")
    versions = [bytes([n]) * 200_000 for n in range(1, 30)]
    storage.put_bytes(key, versions[0])
    seen: list[bytes] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            with storage.open(key) as f:
                seen.append(f.read())

    reader = threading.Thread(target=read)
    reader.start()
    for data in versions[1:]:
        storage.put_bytes(key, data)
    stop.set()
    reader.join()
    assert seen
    assert all(data in versions for data in seen)


@pytest.mark.parametrize(
    "key",
    [
        "../secret.mp3",
        "/etc/passwd",
        "2026/11/25/../../../../etc/passwd",
        "2026/11/25/a b.mp3",
        "2026/11/25/x.mp3\x00",
        "2026/11/25",
        "",
    ],
)
def test_bad_keys_are_refused(tmp_path: Path, key: str) -> None:
    storage = FilesystemStorage(tmp_path)
    for op in (storage.size, storage.open, storage.exists, storage.delete):
        with pytest.raises(StorageError) as caught:
            op(key)
        assert caught.value.code == "bad_key"


def test_partials_left_by_a_dead_writer_are_discarded(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path)
    storage.scratch_path("mp3").write_bytes(b"half")
    storage.scratch_path("mp3").write_bytes(b"half")
    assert storage.discard_partials(older_than=3600) == 0
    assert storage.discard_partials() == 2
    assert list(storage.keys()) == []
