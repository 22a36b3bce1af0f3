"""The corpus step rebuilds relabelled documents a batch of whole part files at a time (a job of the
workers), and writes each part's new rows once: the batch size and the workers change its memory and
its speed, never its rows."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.scan import scan, seed_files
from flows.shard import Limits, process_shard
from tests.test_corpus_flow import corpus, write
from tests.test_matching_columnar import RecordingSpread
from warehouse.corpus import CorpusStep, corpus_step, part_batches, part_rows
from warehouse.runs import run_batches
from warehouse.schema import PER_DOCUMENT


def _located(parts: dict[str, list[str]]) -> pa.Table:
    """part_rows of documents in some part files."""
    rows = [(doc, part) for part, docs in parts.items() for doc in docs]
    return part_rows(pa.table({"doc_id": [d for d, _ in rows], "part": [p for _, p in rows]}), new=True)


@pytest.mark.parametrize(
    ("batch_docs", "expected"),
    [
        (1, [["p1"], ["p2"], ["p3"]]),  # a part is never split, however small the batch
        (3, [["p1"], ["p2", "p3"]]),  # a batch closes once it holds batch_docs documents
        (4, [["p1", "p2"], ["p3"]]),
        (100, [["p1", "p2", "p3"]]),
    ],
)
def test_batches_hold_whole_parts(batch_docs: int, expected: list[list[str]]) -> None:
    located = _located({"p2": ["d", "e"], "p1": ["a", "c", "b"], "p3": ["f"]})
    batches = part_batches(located, batch_docs)
    assert [sorted(set(b.column("part").to_pylist())) for b in batches] == expected
    assert sorted(d for b in batches for d in b.column("doc_id").to_pylist()) == list("abcdef")


@pytest.mark.parametrize(
    ("keys", "batch_rows", "expected"),
    [
        ([], 2, []),
        (["a", "a", "b", "c", "c", "c"], 1, [(0, 2), (2, 1), (3, 3)]),
        (["a", "a", "b", "c", "c", "c"], 3, [(0, 3), (3, 3)]),
        (["a", "a", "b", "c", "c", "c"], 4, [(0, 6)]),  # the last batch takes what is left
        (["a", "b", "b", "b", "b", "c"], 2, [(0, 5), (5, 1)]),  # a long run is never split
    ],
)
def test_run_batches(keys: list[str], batch_rows: int, expected: list[tuple[int, int]]) -> None:
    assert run_batches(pa.array(keys, pa.string()), batch_rows) == expected


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[Path]], pa.Table]:
    """The corpus-flow pages cleaned in three shards: their staging folder, files and part_rows."""
    root = tmp_path_factory.mktemp("batches")
    seeds = root / "seeds"
    write(seeds, corpus())
    plan = scan(seeds)
    staged: dict[str, list[Path]] = {table: [] for table in PER_DOCUMENT}
    outcomes = []
    for k in range(3):
        batch = plan.to_process.slice(3 * k, 3)
        result = process_shard(seed_files(batch, plan.root), f"part-{k}", root / "staging", "run", Limits())
        for table, path in result.staged.items():
            staged.setdefault(table, []).append(path)
        rows = result.read_outcomes()
        outcomes.append(rows.append_column("part", pa.repeat(pa.scalar(f"part-{k}"), rows.num_rows)))
    return root, staged, part_rows(pa.concat_tables(outcomes), new=True)


def _swapped_rows(step: CorpusStep) -> dict[tuple[str, str], tuple[tuple[str, ...], list[dict[str, object]]]]:
    """Each (table, part) the step replaces: the documents replaced and their new rows."""
    return {
        (table, part): (swap.doc_ids, pq.read_table(swap.rows).to_pylist())
        for table, by_part in step.replacements.parts.items()
        for part, swap in by_part.items()
    }


def test_the_batch_size_changes_no_row(
    shards: tuple[Path, dict[str, list[Path]], pa.Table], tmp_path: Path
) -> None:
    _, staged, parts = shards
    stored: dict[str, list[Path]] = {table: [] for table in PER_DOCUMENT}
    steps = {
        n: corpus_step(stored, staged, set(), parts, tmp_path / f"batch-{n}", "run", batch_docs=n)
        for n in (1, 1000)
    }
    # two workers: the five documents cut into jobs for both, whole parts each
    spread = RecordingSpread(parts=2)
    steps[2] = corpus_step(stored, staged, set(), parts, tmp_path / "workers", "run", spread)
    assert spread.jobs == {"corpus-count": 1, "corpus-rebuild": 2}
    # the teasers of the test_corpus_flow pages (the story's reports share their quote: kept): page
    # 3's were dropped by its own rules already, and pages 1 and 5 called them captions, which are
    # not in the body, so only the bodies of pages 0, 2 and 4 change
    relabelled = [f"site/{k}.txt" for k in (0, 1, 2, 4, 5)]
    text_changed = [f"site/{k}.txt" for k in (0, 2, 4)]
    for step in steps.values():
        assert (step.relabelled, step.text_changed, step.stored) == (relabelled, text_changed, [])
    # the site pages sit in parts 0 and 1 (the files in name order: site/0-2, site/3-5, story)
    assert sorted(steps[1].replacements.parts["lines"]) == ["part-0", "part-1"]
    assert _swapped_rows(steps[1]) == _swapped_rows(steps[1000]) == _swapped_rows(steps[2])
    lines = _swapped_rows(steps[1])[("lines", "part-0")][1]
    dropped = {r["text"]: r["reason"] for r in lines if r["page_label"] is not None}
    assert str(dropped["订购本报即时新闻：短信发送ZX到10086"]).startswith("repeated_unrelated_line:docs=4,")
