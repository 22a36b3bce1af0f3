"""A rules version per document and per run: documents made by other rules are read again (issue 19)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from flows.process import process_seeds
from tests.test_corpus_flow import tables
from warehouse.bookkeeping import RunSummary

pytestmark = pytest.mark.usefixtures("prefect_harness")


def run(seeds: Path, warehouse: Path, version: str, keep_stale: bool = False) -> RunSummary:
    return process_seeds(
        seeds=str(seeds), warehouse=str(warehouse), rules_version=version, keep_stale=keep_stale
    )


def versions(warehouse: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True)
    try:
        return con.execute(
            "select d.rules_version, f.rules_version, count(*) from documents_base d join files f "
            "using (doc_id) group by all order by all"
        ).fetchall()
    finally:
        con.close()


def test_new_rules_read_exactly_the_stale_files_again(tmp_path: Path, seeds_dir: Path) -> None:
    warehouse = tmp_path / "wh"
    first = run(seeds_dir, warehouse, "v1")
    assert (first.files_new, first.files_stale) == (5, 0)
    assert versions(warehouse) == [("v1", "v1", 5)]
    # a new file under the new rules, then the upgrade: the five old files are stale
    shutil.copyfile(seeds_dir / "002_99c907c693dd63b5.txt", seeds_dir / "copy.txt")
    kept = run(seeds_dir, warehouse, "v2", keep_stale=True)
    assert (kept.files_new, kept.files_changed, kept.files_kept_stale) == (1, 0, 5)
    assert versions(warehouse) == [("v1", "v1", 5), ("v2", "v2", 1)]
    upgraded = run(seeds_dir, warehouse, "v2")
    assert (upgraded.files_changed, upgraded.files_stale, upgraded.files_unchanged) == (5, 5, 1)
    assert versions(warehouse) == [("v2", "v2", 6)]
    again = run(seeds_dir, warehouse, "v2")
    assert (again.files_changed, again.files_stale) == (0, 0)
    scratch = tmp_path / "scratch"
    run(seeds_dir, scratch, "v2")
    assert tables(warehouse) == tables(scratch)
    con = duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True)
    try:
        runs = con.execute("select rules_version, files_stale from runs order by run_id").fetchall()
    finally:
        con.close()
    assert runs == [("v1", 0), ("v2", 0), ("v2", 5), ("v2", 0)]
