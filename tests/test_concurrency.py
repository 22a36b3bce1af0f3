"""Concurrency: runs on one warehouse never interleave; readers see one complete state at a time."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
from reliability_support import (  # noqa: F401
    PROJECT,
    RUN_TIMEOUT_SECONDS,
    cli_env,
    prefect_api_fixture,
    run_zhnews,
    snapshot,
    zhnews_command,
)

from warehouse.catalog import connect_read_only
from warehouse.store import Warehouse

ADDED = "新华社北京电 国家统计局今天发布数据，前三季度全国规模以上工业增加值同比增长百分之五。\n" * 3
DOCS_SQL = "select doc_id, content_sha256 from documents order by doc_id"
# Seconds the test holds the lock before letting a waiting run through: long enough that the run
# has certainly reached the lock (it answers a busy lock at once, before Prefect starts).
HOLD_SECONDS = 3.0


def change_seeds(seeds: Path) -> None:
    """The second state: one file deleted, one added."""
    sorted(seeds.iterdir())[0].unlink()
    (seeds / "added.txt").write_text(ADDED)


def run_flow(seeds: Path, warehouse: Path) -> None:
    from flows.process import process_seeds

    process_seeds(str(seeds), str(warehouse))


def documents(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(DOCS_SQL).fetchall()


@pytest.mark.usefixtures("prefect_harness")
def test_reader_connection_stays_on_one_version(seeds_dir: Path, warehouse_dir: Path) -> None:
    """A connection opened before a commit reads the version it opened on, in every table and view."""
    run_flow(seeds_dir, warehouse_dir)
    reader = connect_read_only(warehouse_dir)
    try:
        before = documents(reader), reader.execute("select count(*) from events").fetchall()
        change_seeds(seeds_dir)
        run_flow(seeds_dir, warehouse_dir)
        during = documents(reader), reader.execute("select count(*) from events").fetchall()
    finally:
        reader.close()
    fresh = connect_read_only(warehouse_dir)
    try:
        after = documents(fresh)
    finally:
        fresh.close()
    assert during == before
    assert after != before[0]
    assert ("added.txt",) in [row[:1] for row in after]


def test_query_during_a_run_reads_the_last_complete_state(
    tmp_path: Path, seeds_dir: Path, warehouse_dir: Path, prefect_api: str
) -> None:
    """`zhnews query` while a run writes: every answer is the old state or the new one, never an error."""
    env = cli_env(tmp_path / "prefect-home", prefect_api)
    run_flow(seeds_dir, warehouse_dir)
    old = snapshot(warehouse_dir)
    change_seeds(seeds_dir)
    command = zhnews_command("run", "--seeds", str(seeds_dir), "--warehouse", str(warehouse_dir))
    run = subprocess.Popen(command, env=env, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    answers: list[list[dict[str, object]]] = []
    states: list[dict[str, object]] = []
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while run.poll() is None and time.monotonic() < deadline:
        states.append(snapshot(warehouse_dir))
        query = run_zhnews(["query", "--warehouse", str(warehouse_dir), "--format", "json", DOCS_SQL], env)
        assert query.returncode == 0, query.stderr
        answers.append(json.loads(query.stdout))
    _, stderr = run.communicate(timeout=RUN_TIMEOUT_SECONDS)
    assert run.returncode == 0, stderr[-3000:]
    new = snapshot(warehouse_dir)
    assert new != old
    assert all(state in (old, new) for state in states), "a reader saw a state that was never committed"
    doc_ids = {tuple(sorted(str(r["doc_id"]) for r in answer)) for answer in answers}
    expected = {tuple(sorted(str(r[0]) for r in state["documents"])) for state in (old, new)}
    assert doc_ids <= expected
    assert answers, "the run ended before the first query: nothing was tested"


def test_two_runs_at_once_take_turns(tmp_path: Path, seeds_dir: Path, prefect_api: str) -> None:
    """Two runs started together with --wait: one does the work, the other then finds nothing to do."""
    env = cli_env(tmp_path / "prefect-home", prefect_api)
    warehouse = tmp_path / "wh"
    command = zhnews_command("run", "--seeds", str(seeds_dir), "--warehouse", str(warehouse), "--wait", "150")
    runs = [
        subprocess.Popen(
            command, env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [r.communicate(timeout=RUN_TIMEOUT_SECONDS) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], [err[-2000:] for _, err in outputs]
    con = connect_read_only(warehouse)
    try:
        history = con.execute(
            "select files_new, files_unchanged, documents from runs order by finished_at"
        ).fetchall()
        versions = con.execute("select count(distinct run_id) from documents").fetchall()
    finally:
        con.close()
    assert history == [(5, 0, 5), (0, 5, 5)]
    assert versions == [(1,)]


def test_run_waits_for_the_lock_and_then_completes(tmp_path: Path, seeds_dir: Path, prefect_api: str) -> None:
    """With --wait a run blocked by another one starts when the lock is released (not before)."""
    env = cli_env(tmp_path / "prefect-home", prefect_api)
    warehouse = tmp_path / "wh"
    command = zhnews_command("run", "--seeds", str(seeds_dir), "--warehouse", str(warehouse), "--wait", "120")
    with Warehouse(warehouse).lock():
        run = subprocess.Popen(command, env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(HOLD_SECONDS)
        still_waiting = run.poll() is None
        released = time.time()
    _, stderr = run.communicate(timeout=RUN_TIMEOUT_SECONDS)
    assert still_waiting
    assert run.returncode == 0, stderr[-3000:]
    con = connect_read_only(warehouse)
    try:
        started = con.execute("select epoch(started_at) from runs").fetchall()
    finally:
        con.close()
    assert len(started) == 1
    assert float(started[0][0]) >= released - 1.0  # the run's clock starts at the lock, not before
