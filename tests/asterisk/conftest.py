"""Real-PBX tier: Asterisk 22 (Debian sid chroot) + sipp, on loopback. Needs root.

The session fixture ``pbx`` builds the chroot once (scripts/asterisk/setup.sh, cached under
/var/cache/callcenter) and starts Asterisk; under CI=true a failure fails the run, locally it
skips loudly (tests.conftest.require_component).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator

import pytest

from tests.asterisk.pbx import Pbx, PbxError, Sipp
from tests.conftest import require_component


def pytest_configure(config: pytest.Config) -> None:
    # Also registered in pyproject.toml; repeated here so this directory runs on its own.
    config.addinivalue_line(
        "markers", "asterisk: needs a real Asterisk (Debian sid chroot), sipp and root"
    )


@pytest.fixture(scope="session")
def pbx() -> Iterator[Pbx]:
    if os.geteuid() != 0:
        require_component("Asterisk", "the real-PBX tests need root (debootstrap, chroot, mount)")
    if shutil.which("sipp") is None and shutil.which("apt-get") is None:
        require_component("sipp", "not installed and no apt-get to install sip-tester")
    pbx = Pbx()
    with contextlib.ExitStack() as stack:
        problem = None
        try:
            stack.enter_context(pbx.exclusive())  # another session on this machine waits
            pbx.setup()  # also installs sipp (sip-tester) and debootstrap when missing
            stack.callback(pbx.stop)
            pbx.start()
        except (PbxError, OSError) as exc:
            problem = f"could not build or start the test PBX: {exc}"
        if problem:
            require_component("Asterisk", problem)
        yield pbx


@pytest.fixture
def sipp(pbx: Pbx, tmp_path) -> Iterator[Sipp]:  # type: ignore[no-untyped-def]
    """sipp phones and callers for one test; all stopped afterwards, and the PBX left idle."""
    s = Sipp(log_root=tmp_path / "sipp")
    try:
        yield s
    finally:
        s.stop_all()
        try:
            pbx.wait_idle()
        except PbxError:
            pbx.hangup_all()  # so the next test starts clean, and still report it
            raise
