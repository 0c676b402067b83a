"""The browser libraries the service serves itself (callcenter/core/static/vendor/, copied there by
scripts/vendor-js.sh from node_modules): each is the version package.json pins, with its licence.
The version named in the copy's first line must be the pinned one, and the copy must be the
package's file byte for byte (`make test` runs `npm ci`; without node_modules that check fails
under CI=true and skips loudly elsewhere)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_component

REPO = Path(__file__).resolve().parents[4]
VENDOR = REPO / "callcenter" / "core" / "static" / "vendor"
NODE_MODULES = REPO / "node_modules"
# package name -> (the file the pages load, its source in the package, licence files: the
# copy's name -> the file in node_modules)
VENDORED = {
    "libphonenumber-js": (
        "libphonenumber-max.js",
        "bundle/libphonenumber-max.js",
        {
            "LICENSE": "libphonenumber-js/LICENSE",
            "LICENSE.Apache": "libphonenumber-js/LICENSE.Apache",
        },
    ),
    # The bundle inlines @kurkle/color: its licence travels with it.
    "chart.js": (
        "chart.umd.js",
        "dist/chart.umd.js",
        {"LICENSE.md": "chart.js/LICENSE.md", "LICENSE.kurkle-color": "@kurkle/color/LICENSE"},
    ),
}
# Bundled, not copied: JsSIP ships CommonJS only, and vendor-js.sh bundles it with esbuild
# (pinned too). The bundle inlines four more packages, whose licences travel with it.
BUNDLED = {
    "jssip": (
        "jssip.min.js",
        "lib/JsSIP.js",
        {
            "LICENSE.md": "jssip/LICENSE.md",
            "LICENSE.debug": "debug/LICENSE",
            "LICENSE.ms": "ms/license.md",
            "LICENSE.events": "events/LICENSE",
            "LICENSE.sdp-transform": "sdp-transform/LICENSE",
        },
    ),
}
_HEADER = re.compile(r"^/\*! (?P<name>[\w.-]+) (?P<version>\S+) (?P<source>\S+) .*\*/$")


def pinned(name: str) -> str:
    package = json.loads((REPO / "package.json").read_text(encoding="utf-8"))
    version = package["dependencies"][name]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} must be pinned exactly: {version}"
    lock = json.loads((REPO / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][f"node_modules/{name}"]["version"] == version
    return version


def split(path: Path) -> tuple[re.Match[str], bytes]:
    header, _, body = path.read_bytes().partition(b"\n")
    match = _HEADER.match(header.decode("utf-8"))
    assert match, f"{path} has no vendor-js.sh header: {header[:120]!r}"
    return match, body


@pytest.mark.parametrize("name", sorted(VENDORED | BUNDLED))
def test_the_copy_is_the_pinned_version_with_its_licence(name: str) -> None:
    file, source, licences = (VENDORED | BUNDLED)[name]
    header, body = split(VENDOR / name / file)
    assert (header["name"], header["version"], header["source"]) == (name, pinned(name), source)
    assert body.strip()
    for licence in licences:
        assert (VENDOR / name / licence).read_text(encoding="utf-8").strip(), licence


@pytest.mark.parametrize("name", sorted(VENDORED))
def test_the_copy_is_node_modules_file(name: str) -> None:
    package = NODE_MODULES / name
    if not (package / "package.json").exists():
        require_component("node_modules", f"{package} is missing: run npm ci (make js-deps)")
    file, source, licences = VENDORED[name]
    installed = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    assert installed == pinned(name), "node_modules is stale: npm ci"
    _, body = split(VENDOR / name / file)
    assert body == (package / source).read_bytes(), "run scripts/vendor-js.sh and commit"
    for licence, origin in licences.items():
        assert (VENDOR / name / licence).read_bytes() == (NODE_MODULES / origin).read_bytes()


def test_the_bundle_is_what_vendor_js_makes_from_node_modules(tmp_path: Path) -> None:
    """Bundled again from node_modules with the pinned esbuild: the same bytes, every licence."""
    if not (NODE_MODULES / ".bin" / "esbuild").exists() or not shutil.which("node"):
        require_component("node_modules", "esbuild or node is missing: run npm ci (make js-deps)")
    made = subprocess.run(
        [str(REPO / "scripts" / "vendor-js.sh")],
        env={**os.environ, "VENDOR_OUT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    for name, (file, _, licences) in BUNDLED.items():
        assert (tmp_path / name / file).read_bytes() == (VENDOR / name / file).read_bytes(), (
            "run scripts/vendor-js.sh and commit"
        )
        for licence in licences:
            assert (VENDOR / name / licence).read_bytes() == (
                tmp_path / name / licence
            ).read_bytes()
