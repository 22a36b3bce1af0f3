"""A generated corpus reached through batches, deletions, edits and restores equals a run from scratch
over the final folder: labels, bodies, passages, pairs, events (DESIGN-NOTES: a function of the corpus,
not of its history)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.gen_corpus import PROJECT_SOURCES, Params, generate
from tests.test_corpus_flow import run, tables

pytestmark = pytest.mark.usefixtures("prefect_harness")

# Enough for planted pairs, teaser blocks and side text to cross the batches (about 40 s in all).
DOCS = 400
SEED = 11


def test_history_does_not_change_the_tables(tmp_path: Path) -> None:
    generate(tmp_path / "gen", Params(DOCS, SEED, line_truth=False), PROJECT_SOURCES)
    source = tmp_path / "gen" / "seeds"
    files = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    seeds, warehouse = tmp_path / "seeds", tmp_path / "wh"

    def put(names: list[Path]) -> None:
        for name in names:
            (seeds / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, seeds / name)

    for batch in (files[0::3], files[1::3], files[2::3]):  # every site and pair spread over three runs
        put(batch)
        run(seeds, warehouse)
    deleted = files[5::17]
    for name in deleted:
        (seeds / name).unlink()
    edited = files[7::23]
    for k, name in enumerate(edited):  # an edit that makes the file a copy of another document
        shutil.copyfile(source / files[(k * 31 + 3) % len(files)], seeds / name)
    run(seeds, warehouse)
    put(deleted[::2])  # half of the deleted files come back
    run(seeds, warehouse)
    scratch = tmp_path / "scratch"
    shutil.copytree(seeds, scratch)
    run(scratch, tmp_path / "scratch-wh")
    got, want = tables(warehouse), tables(tmp_path / "scratch-wh")
    # what could differ is there: lines the corpus step relabelled, pairs, multi-report events
    assert sum(1 for r in want["lines"] if r[5] is not None) > 50
    assert len(want["doc_pairs"]) > 10
    assert got.keys() == want.keys()
    for table in want:
        assert got[table] == want[table], table
