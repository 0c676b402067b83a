"""One service per SQLite database.

SQLite is the embedded default for one instance: two processes on one file would each run
the AMI bridge, the jobs and the webhook sender, and a second ``callcenter demo`` would wipe
the first one's database. So ``callcenter serve`` and ``callcenter demo`` hold an exclusive
lock on ``<database>.instance`` while they run, and a second one stops at start-up with a
message that says what to do. The operating system drops the lock with the process, a
crashed or killed one included. Several instances need PostgreSQL.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

from callcenter.core.db import is_sqlite


class AnotherInstance(Exception):
    pass


def lock_path(database_url: str) -> Path | None:
    """The lock file of a SQLite file database; None for PostgreSQL or an in-memory one."""
    if not is_sqlite(database_url):
        return None
    database = make_url(database_url).database
    if not database or database == ":memory:":
        return None
    return Path(f"{database}.instance")


@contextlib.contextmanager
def sole_instance(database_url: str) -> Iterator[None]:
    """Hold the database's instance lock while inside; ``AnotherInstance`` when another
    process holds it."""
    path = lock_path(database_url)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise AnotherInstance(
                f"another callcenter (process {holder}) is already running on the SQLite "
                f"database {path.with_suffix('').name} ({path.parent}). SQLite serves one "
                "instance; stop that one, or run several on PostgreSQL "
                "(CALLCENTER_DATABASE_URL=postgresql+asyncpg://...)."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor drops the lock
