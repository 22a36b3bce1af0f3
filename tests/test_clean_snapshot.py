"""clean_document gives, line for line, the labels and fields recorded in tests/data/clean_snapshot.json.

The snapshot was written by the code before the throughput work; a rule change that is meant to change
labels regenerates it (.venv/bin/python -m tests.clean_snapshot) in the same commit. This file checks
the project's own inputs; tests_pages/test_clean_snapshot_pages.py checks the third-party dev pages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clean_snapshot import SNAPSHOT, clean_path, is_project_name, project_paths, snapshot_name

EXPECTED = {k: v for k, v in json.loads(SNAPSHOT.read_text(encoding="utf-8")).items() if is_project_name(k)}
PATHS = project_paths()


def test_snapshot_covers_every_input() -> None:
    assert sorted(snapshot_name(p) for p in PATHS) == sorted(EXPECTED)
    assert len(EXPECTED) >= 13  # 5 seeds, 8 side-text fixtures


@pytest.mark.parametrize("path", PATHS, ids=snapshot_name)
def test_clean_document_matches_snapshot(path: Path) -> None:
    assert clean_path(path) == EXPECTED[snapshot_name(path)]
