"""pbx_bridge, routing, recordings and the PBX simulator (pbx_sim) never import callcenter."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("package", ["pbx_bridge", "routing", "recordings", "pbx_sim"])
def test_edge_packages_do_not_import_callcenter(package: str) -> None:
    files = list((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] != "callcenter", f"{path}: imports {name}"
