"""End-to-end flow tests: the seeds, incremental runs, bad files, the lock, a crash before the switch."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.cli import EXIT_BUSY, main
from flows.process import process_seeds
from warehouse.store import Warehouse, WarehouseBusyError

pytestmark = pytest.mark.usefixtures("prefect_harness")

SEED_SCRIPTS = {
    "000_1225d317e96cbfe0.txt": "traditional",
    "001_f24825251813daa7.txt": "simplified",
    "002_99c907c693dd63b5.txt": "traditional",
    "003_c459d15ed45112de.txt": "traditional",
    "004_4ae39a300e80b9e5.txt": "simplified",
}


def query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read through the catalog, read-only, as a user would."""
    con = duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def run(seeds: Path, warehouse: Path) -> Any:
    return process_seeds(seeds=str(seeds), warehouse=str(warehouse))


def test_seeds_end_to_end(seeds_dir: Path, warehouse_dir: Path) -> None:
    summary = run(seeds_dir, warehouse_dir)
    assert (summary.files_new, summary.files_rejected, summary.documents) == (5, 0, 5)
    rows = query(warehouse_dir, "select doc_id, script, encoding, input_format from documents order by 1")
    assert rows == [(d, s, "utf-8", "text") for d, s in SEED_SCRIPTS.items()]
    assert query(warehouse_dir, "select count(distinct doc_id) from lines") == [(5,)]
    assert query(warehouse_dir, "select count(*) from events") == [(5,)] or query(
        warehouse_dir, "select count(distinct doc_id) from events"
    ) == [(5,)]
    runs = query(warehouse_dir, "select status, files_new, files_unchanged, documents from runs")
    assert runs == [("completed", 5, 0, 5)]


def test_views_work_from_any_directory(
    seeds_dir: Path, warehouse_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(seeds_dir, warehouse_dir)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert query(warehouse_dir, "select count(*) from documents") == [(5,)]
    tables = {r[0] for r in query(warehouse_dir, "select view_name from duckdb_views() where not internal")}
    contract = {
        "documents",
        "lines",
        "side_texts",
        "passages",
        "doc_pairs",
        "events",
        "rejected_files",
        "runs",
    }
    assert contract <= tables


def test_second_run_without_changes_reprocesses_nothing(seeds_dir: Path, warehouse_dir: Path) -> None:
    first = run(seeds_dir, warehouse_dir)
    second = run(seeds_dir, warehouse_dir)
    assert (second.files_new, second.files_changed, second.files_unchanged, second.files_deleted) == (
        0,
        0,
        5,
        0,
    )
    assert query(warehouse_dir, "select distinct run_id from documents") == [(first.run_id,)]
    assert query(warehouse_dir, "select count(*) from runs") == [(2,)]


def test_a_run_with_no_document_added_or_removed_keeps_the_match_tables(
    seeds_dir: Path, warehouse_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing new (a file only touched, a new file rejected): no match step, the same tables."""
    run(seeds_dir, warehouse_dir)
    tables = ("doc_pairs", "events", "passage_links")
    before = {t: query(warehouse_dir, f"select * from {t} order by all") for t in tables}
    assert before["doc_pairs"]  # the seeds hold one overlapping pair: the carried tables are not empty

    def no_match(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the match step ran ({len(args)} arguments, {sorted(kwargs)})")

    monkeypatch.setattr("flows.process.match_step", no_match)
    os.utime(seeds_dir / "001_f24825251813daa7.txt", ns=(1, 1))
    (seeds_dir / "empty.txt").write_bytes(b"")
    again = run(seeds_dir, warehouse_dir)
    assert (again.files_unchanged, again.files_rejected, again.overlaps) == (5, 1, 1)
    assert {t: query(warehouse_dir, f"select * from {t} order by all") for t in tables} == before


def test_add_change_delete_between_runs(seeds_dir: Path, warehouse_dir: Path) -> None:
    first = run(seeds_dir, warehouse_dir)
    lines_before = dict(query(warehouse_dir, "select doc_id, count(*) from lines group by 1"))
    (seeds_dir / "nested" / "dir").mkdir(parents=True)
    added = "nested/dir/new report.txt"
    (seeds_dir / added).write_text(
        "质检总局召开全国计量工作会议。\n会议强调要加强计量基础建设。\n", encoding="utf-8"
    )
    changed = "004_4ae39a300e80b9e5.txt"
    (seeds_dir / changed).write_text("7月25日,聊城召开质量工作会议。\n", encoding="utf-8")
    deleted = "002_99c907c693dd63b5.txt"
    (seeds_dir / deleted).unlink()

    second = run(seeds_dir, warehouse_dir)
    counts = (second.files_new, second.files_changed, second.files_unchanged, second.files_deleted)
    assert counts == (1, 1, 3, 1)
    runs_by_doc = dict(query(warehouse_dir, "select doc_id, run_id from documents"))
    assert runs_by_doc == {
        "000_1225d317e96cbfe0.txt": first.run_id,
        "001_f24825251813daa7.txt": first.run_id,
        "003_c459d15ed45112de.txt": first.run_id,
        changed: second.run_id,
        added: second.run_id,
    }
    lines_after = dict(query(warehouse_dir, "select doc_id, count(*) from lines group by 1"))
    assert deleted not in lines_after
    assert lines_after[changed] == 1
    assert lines_after[added] == 2
    for doc in ("000_1225d317e96cbfe0.txt", "001_f24825251813daa7.txt", "003_c459d15ed45112de.txt"):
        assert lines_after[doc] == lines_before[doc]
    for table in ("passages", "events", "lines", "documents"):
        assert query(warehouse_dir, f"select count(*) from {table} where doc_id = '{deleted}'") == [(0,)]
    assert query(warehouse_dir, f"select text from documents where doc_id = '{changed}'") == [
        ("7月25日,聊城召开质量工作会议。",)
    ]


def test_bad_file_next_to_good_ones(seeds_dir: Path, warehouse_dir: Path) -> None:
    (seeds_dir / "noise.txt").write_bytes(bytes(range(256)) * 40)
    (seeds_dir / "empty.txt").write_bytes(b"")
    summary = run(seeds_dir, warehouse_dir)
    assert (summary.documents, summary.files_rejected) == (5, 2)
    rejected = query(warehouse_dir, "select doc_id, reason from rejected_files order by 1")
    assert rejected == [("empty.txt", "empty_file"), ("noise.txt", "undecodable")]
    # Unchanged rejected files stay rejected on the next run without being read again.
    again = run(seeds_dir, warehouse_dir)
    assert (again.files_unchanged, again.files_rejected) == (7, 0)
    assert query(warehouse_dir, "select count(*) from rejected_files") == [(2,)]
    # Touching a rejected file (after raising a limit, say) makes the next run try it again.
    os.utime(seeds_dir / "noise.txt", ns=(1, 1))
    retried = run(seeds_dir, warehouse_dir)
    assert (retried.files_changed, retried.files_rejected) == (1, 1)
    # Touching a document without changing it reprocesses nothing.
    os.utime(seeds_dir / "001_f24825251813daa7.txt", ns=(1, 1))
    touched = run(seeds_dir, warehouse_dir)
    assert (touched.files_changed, touched.files_unchanged) == (0, 7)
    # ...and the manifest takes its new mtime (so the next run does not hash it again), the others keep theirs
    mtimes = dict(query(warehouse_dir, "select doc_id, mtime_ns from files"))
    assert mtimes["001_f24825251813daa7.txt"] == 1
    assert mtimes["noise.txt"] == 1 and sum(m == 1 for m in mtimes.values()) == 2
    # Fixing a rejected file turns it into a document.
    (seeds_dir / "empty.txt").write_text("市场监管总局发布新版计量法规。\n", encoding="utf-8")
    fixed = run(seeds_dir, warehouse_dir)
    assert (fixed.files_changed, fixed.documents) == (1, 6)
    assert query(warehouse_dir, "select doc_id from rejected_files") == [("noise.txt",)]


def test_second_run_while_one_holds_the_lock(
    seeds_dir: Path, warehouse_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Warehouse(warehouse_dir).lock():
        with pytest.raises(WarehouseBusyError, match="another zhnews run"):
            run(seeds_dir, warehouse_dir)
        code = main(["run", "--seeds", str(seeds_dir), "--warehouse", str(warehouse_dir)])
        assert code == EXIT_BUSY
        assert f"pid {os.getpid()}" in capsys.readouterr().err
    assert run(seeds_dir, warehouse_dir).documents == 5


def test_crash_before_the_switch_leaves_the_previous_state(
    seeds_dir: Path, warehouse_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run(seeds_dir, warehouse_dir)
    (seeds_dir / "004_4ae39a300e80b9e5.txt").unlink()
    (seeds_dir / "extra.txt").write_text("国家标准委发布新国家标准。\n", encoding="utf-8")

    def crash(*_: object) -> None:
        raise KeyboardInterrupt("killed between writing and switching")

    monkeypatch.setattr("warehouse.store._swap_pointer", crash)
    with pytest.raises(BaseException, match="killed between"):
        run(seeds_dir, warehouse_dir)
    docs = [r[0] for r in query(warehouse_dir, "select doc_id from documents order by 1")]
    assert docs == sorted(SEED_SCRIPTS)
    assert query(warehouse_dir, "select run_id from runs") == [(first.run_id,)]
    monkeypatch.undo()
    after = run(seeds_dir, warehouse_dir)
    assert (after.files_new, after.files_deleted, after.documents) == (1, 1, 5)
    versions = sorted(p.name for p in (warehouse_dir / "versions").iterdir())
    assert len(versions) == 2  # the new one and the one before it; the crashed build was removed


def test_query_command_formats(
    seeds_dir: Path, warehouse_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(seeds_dir, warehouse_dir)
    capsys.readouterr()
    sql = "select doc_id, script from documents order by doc_id limit 2"
    assert main(["query", "--warehouse", str(warehouse_dir), "--format", "csv", sql]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "doc_id,script",
        "000_1225d317e96cbfe0.txt,traditional",
        "001_f24825251813daa7.txt,simplified",
    ]
    assert main(["query", "--warehouse", str(warehouse_dir), "drop view documents"]) == 1
    assert "read-only" in capsys.readouterr().err
    assert query(warehouse_dir, "select count(*) from documents") == [(5,)]


def test_only_the_shard_task_computes_a_cache_key(
    seeds_dir: Path, warehouse_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prefect's default cache key pickles and hashes every input: the scan's manifest, the match's
    and the commit's tables (at 1M documents 3.6 s and a 1.3 GB spike for the manifest alone)."""
    from prefect.cache_policies import CachePolicy, CompoundCachePolicy
    from prefect.context import TaskRunContext

    keyed: list[str] = []
    original = CompoundCachePolicy.compute_key

    def recording(self: CachePolicy, task_ctx: TaskRunContext, *args: Any, **kwargs: Any) -> Any:
        keyed.append(task_ctx.task.name)
        return original(self, task_ctx, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(CompoundCachePolicy, "compute_key", recording)
    run(seeds_dir, warehouse_dir)
    assert keyed == []  # the shard task's key comes from its cache_key_fn, not a policy over inputs
