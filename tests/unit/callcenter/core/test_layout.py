"""The layout by feature holds: every feature is a package with its wiring in feature.py,
and a page names a template or a script by its file name alone, so names are unique across
the features' folders."""

from __future__ import annotations

import importlib
from collections import Counter
from pathlib import Path

import pytest

from callcenter.app import FEATURES
from callcenter.core.feature import Feature
from callcenter.core.pages import feature_dirs

PACKAGE = Path(__file__).resolve().parents[4] / "callcenter"
SHARED = {"core", "migrations", "demo", "csv_import", "__pycache__"}


@pytest.mark.parametrize("kind", ["templates", "static"])
def test_file_names_are_unique_across_features(kind: str) -> None:
    names = Counter(p.name for folder in feature_dirs(kind) for p in folder.iterdir() if p.is_file())
    assert names, kind
    assert [name for name, n in names.items() if n > 1] == []


def test_every_feature_folder_is_wired_into_the_app() -> None:
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name not in SHARED)
    assert len(folders) >= 10
    for folder in folders:
        module = importlib.import_module(f"callcenter.{folder}.feature")
        features = [v for v in vars(module).values() if isinstance(v, Feature)]
        assert features, folder
        assert all(f in FEATURES for f in features), folder


def test_nothing_loose_at_the_top_of_the_package() -> None:
    loose = {p.name for p in PACKAGE.glob("*.py")}
    assert loose == {"__init__.py", "app.py", "cli.py", "services.py"}
