"""Crash safety: a run killed at any moment leaves the last complete state, and the next run completes.

Two tests. One SIGKILLs real `zhnews run` processes at random moments of a run. The other replays a
recorded commit and SIGKILLs it just before each of its file operations in turn (every write, link,
rename and pointer swap), which random kills would rarely hit.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
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

from warehouse.store import Replacements, Warehouse

# Kills of real runs: each costs a CLI start (~10 s here), so a handful keeps the test under a minute.
KILLS = 4
# Seed of the kill moments; set ZHNEWS_CRASH_SEED to replay a failure's exact schedule.
CRASH_SEED = int(os.environ.get("ZHNEWS_CRASH_SEED", "20241122"))
# Kill points spread over a recorded commit, plus its last operations: the trace of a commit ends
# with unlink, symlink, rename (the pointer swap), fsync, removal of the old version and the catalog.
KILL_POINTS_SPREAD = 10
KILL_POINTS_TAIL = 8
NEW_ARTICLE = (
    "新华社北京电 国家统计局今天发布数据，前三季度全国规模以上工业增加值同比增长百分之五。\n"
    "国家统计局新闻发言人表示，工业生产稳中有升，高技术制造业增长较快，新动能持续壮大。\n"
    "分行业看，四十一个大类行业中有三十五个行业增加值保持同比增长，增长面超过八成。\n"
)


def commit_kill_points(operations: int, seed: int) -> list[int]:
    """Every STEP-th file operation of a commit (offset by the seed), and each of the last ones.

    A commit has ~60 operations and each kill point costs a forked process, a copy of the warehouse
    and its catalog (~1.5 s here); ten spread points plus the tail (pointer swap, fsync, clean-up,
    catalog) keep the test near 30 s. ZHNEWS_CRASH_SEED shifts the spread to the operations between.
    """
    step = max(1, -(-operations // KILL_POINTS_SPREAD))
    spread = range(1 + seed % step, operations + 1, step)
    tail = range(max(1, operations - KILL_POINTS_TAIL + 1), operations + 1)
    return sorted(set(spread) | set(tail))


def change_seeds(seeds: Path) -> None:
    """The second run's input: one file edited, one deleted, one added."""
    files = sorted(p for p in seeds.iterdir() if p.is_file())
    files[0].write_text(files[0].read_text() + "\n" + NEW_ARTICLE)
    files[1].unlink()
    (seeds / "added.txt").write_text(NEW_ARTICLE * 2)


def run_flow(seeds: Path, warehouse: Path) -> None:
    """An uninterrupted run in this process (the session's Prefect harness)."""
    from flows.process import process_seeds

    process_seeds(str(seeds), str(warehouse))


def states_differ(got: Mapping[str, object], want: Mapping[str, object]) -> list[str]:
    """Names of views whose rows differ (short failure messages instead of whole tables)."""
    return sorted(v for v in set(got) | set(want) if got.get(v) != want.get(v))


def test_sigkill_during_zhnews_run(tmp_path: Path, seeds_dir: Path, prefect_api: str) -> None:
    """Kill `zhnews run` at random moments: views keep a complete state, and the next run ends well."""
    env = cli_env(tmp_path / "prefect-home", prefect_api)
    warehouse, reference = tmp_path / "wh", tmp_path / "reference"
    started = time.monotonic()
    first = run_zhnews(["run", "--seeds", str(seeds_dir), "--warehouse", str(warehouse)], env)
    duration = time.monotonic() - started
    assert first.returncode == 0, first.stderr[-3000:]
    state_a = snapshot(warehouse, skip=frozenset({"runs"}))
    run_flow(seeds_dir, reference)
    change_seeds(seeds_dir)
    run_flow(seeds_dir, reference)
    state_b = snapshot(reference, skip=frozenset({"runs"}))
    assert states_differ(state_a, state_b) != []

    rng = random.Random(CRASH_SEED)
    delays = [duration * (k + rng.random()) / KILLS for k in range(KILLS)]  # one per slice of the run
    command = zhnews_command("run", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
    for delay in delays:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=PROJECT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the run and every process it started
            process.wait()
        state = snapshot(warehouse, skip=frozenset({"runs"}))
        assert state in (state_a, state_b), (
            f"after a kill at {delay:.1f} s (seed {CRASH_SEED}) these views show neither the last "
            f"complete state nor the new one: {states_differ(state, state_b)}"
        )
    last = run_zhnews(["run", "--seeds", str(seeds_dir), "--warehouse", str(warehouse)], env)
    assert last.returncode == 0, last.stderr[-3000:]
    assert states_differ(snapshot(warehouse, skip=frozenset({"runs"})), state_b) == []


# Kill points of the recorded commit.


def _record_commit(seeds: Path, warehouse: Path, record: Path) -> dict[str, Any]:
    """Run the flow once and keep what its commit wrote: staged files, removed documents, whole tables."""
    spec: dict[str, Any] = {"record": str(record)}
    real_build, real_publish = Warehouse.build_version, Warehouse.publish

    def build_version(
        store: Warehouse,
        run_id: str,
        staged: Mapping[str, Sequence[Path]],
        rewrite_parts: Mapping[str, Sequence[str]],
        removed_docs: Sequence[str],
        replacements: Replacements | None = None,
    ) -> Path:
        swap = replacements or Replacements()
        for table, by_part in swap.parts.items():
            (record / "replaced" / table).mkdir(parents=True, exist_ok=True)
            for part, part_swap in by_part.items():
                shutil.copyfile(part_swap.rows, record / "replaced" / table / f"{part}.parquet")
        for table, files in staged.items():
            (record / "staged" / table).mkdir(parents=True, exist_ok=True)
            for path in files:
                shutil.copyfile(path, record / "staged" / table / path.name)
        spec.update(
            run_id=run_id,
            staged={t: [p.name for p in files] for t, files in staged.items()},
            rewrite={t: sorted(parts) for t, parts in rewrite_parts.items()},
            removed=sorted(removed_docs),
            replaced={t: {p: list(ps.doc_ids) for p, ps in parts.items()} for t, parts in swap.parts.items()},
        )
        return real_build(store, run_id, staged, rewrite_parts, removed_docs, replacements)

    def publish(store: Warehouse, version: Path, whole: Mapping[str, pa.Table]) -> None:
        (record / "whole").mkdir(parents=True, exist_ok=True)
        for table, data in whole.items():
            pq.write_table(data, record / "whole" / f"{table}.parquet")
        spec["whole"] = sorted(whole)
        real_publish(store, version, whole)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Warehouse, "build_version", build_version)
        patch.setattr(Warehouse, "publish", publish)
        run_flow(seeds, warehouse)
    return spec


def _replay(spec: dict[str, Any], phase: str, kill_points: list[int]) -> tuple[dict[str, int], str]:
    """Run crash_replay.py for these kill points; exit codes by kill point, and the script's output."""
    path = Path(spec["out"]) / f"spec-{phase}.json"
    path.write_text(json.dumps({**spec, "phase": phase, "kill_points": kill_points}))
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("crash_replay.py")), str(path)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    return {k: int(v) for k, v in json.loads(lines[-1]).items()}, done.stdout + done.stderr


@pytest.mark.usefixtures("prefect_harness")
def test_sigkill_before_every_file_operation_of_a_commit(tmp_path: Path, seeds_dir: Path) -> None:
    """Whatever step a commit dies at, the views read the old state or the new one, and a rerun completes."""
    before, after, out = tmp_path / "before", tmp_path / "after", tmp_path / "out"
    out.mkdir()
    run_flow(seeds_dir, before)
    state_a = snapshot(before)
    shutil.copytree(before, after, symlinks=True)
    change_seeds(seeds_dir)
    spec = _record_commit(seeds_dir, after, tmp_path / "record")
    spec.update(before=str(before), out=str(out))
    state_b = snapshot(after)

    never, output = _replay(spec, "crash", [10**6])
    assert never == {str(10**6): 0}, output
    operations = int(output.strip().splitlines()[-2])  # printed by the child that was not killed
    shutil.rmtree(out / f"kill_{10**6:03d}")
    kill_points = commit_kill_points(operations, CRASH_SEED)
    codes, output = _replay(spec, "crash", kill_points)
    assert set(codes.values()) == {-signal.SIGKILL}, output

    showing_old, bad = [], {}
    for n in kill_points:
        state = snapshot(out / f"kill_{n:03d}")
        if state == state_a:
            showing_old.append(n)
        elif state != state_b:
            bad[n] = states_differ(state, state_a)
    assert bad == {}, f"kill points that left neither state ({operations} operations): {bad}"
    assert showing_old, "no kill point fell before the pointer swap: the replay did not crash early"

    codes, output = _replay(spec, "resume", showing_old)
    assert set(codes.values()) == {0}, output
    resumed = {n: states_differ(snapshot(out / f"kill_{n:03d}"), state_b) for n in showing_old}
    assert {n: d for n, d in resumed.items() if d} == {}
