"""clean_document gives, line for line, the labels and fields the snapshot records for the dev pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clean_snapshot import SNAPSHOT, clean_path, dev_page_paths, is_project_name, snapshot_name

EXPECTED = {
    k: v for k, v in json.loads(SNAPSHOT.read_text(encoding="utf-8")).items() if not is_project_name(k)
}
PATHS = dev_page_paths()


def test_snapshot_covers_every_page() -> None:
    assert sorted(snapshot_name(p) for p in PATHS) == sorted(EXPECTED)
    assert len(EXPECTED) >= 66  # 62 gne pages, 4 trafilatura-eval pages


@pytest.mark.parametrize("path", PATHS, ids=snapshot_name)
def test_clean_document_matches_snapshot(path: Path) -> None:
    assert clean_path(path) == EXPECTED[snapshot_name(path)]
