"""Prefect's share of the wall time of a run at 100,000 files, extrapolated from costs measured here.

Measured in one process, as `zhnews run` does it (Prefect's temporary server, the thread runner):
- the server start (once per `zhnews run`);
- one flow run with no tasks;
- per task: a flow submitting K no-op tasks that carry the shard task's options (retries, a cache key,
  a result persisted under a local folder) and a shard's real arguments (SHARD_SIZE seed records),
  minus the empty flow, divided by K;
- the work per file: `process_shard` called directly (no Prefect) over files of the generated corpus.
Extrapolated to N files: Prefect = server + flow + (ceil(N / shard size) + 3) tasks; work = N x per
file. The work left out (scan, match, commit) only adds to the denominator, so the share is an upper
bound.

Run: .venv/bin/python -m benchmarks.prefect_overhead --files 100000 --sample 300 --tasks 100
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.harness import corpus, machine
from benchmarks.workers import subset

# Fixed tasks per run besides the shards: scan, match, commit.
FIXED_TASKS = 3
# Common-line fingerprints a shard task carries at 100,000 files: the generator makes one site per
# 60 pages with about 20 chrome lines each, so ~1,700 sites x 20 lines.
TARGET_SHARE = 0.05  # the bar: Prefect below 5% of the wall time at 100,000 files


def measure_work_per_file(seeds: Path) -> float:
    """Seconds of shard work per file, without Prefect."""
    from flows.scan import scan, seed_files
    from flows.shard import Limits, process_shard

    plan = scan(seeds)
    files = seed_files(plan.to_process, plan.root)
    staging = Path(tempfile.mkdtemp(prefix="zhnews-overhead-"))
    try:
        process_shard(files[:5], "warm", staging, "run", Limits())  # imports, converters
        started = time.perf_counter()
        process_shard(files, "part", staging, "run", Limits())
        return (time.perf_counter() - started) / len(files)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def measure_prefect(tasks: int, shard_size: int) -> tuple[float, float, float]:
    """Seconds: server start, an empty flow run, and the cost of one shard-like task."""
    from prefect import flow, task
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.runners import RunnerChoice, make_task_runner, shard_key_from_parameters
    from flows.scan import SeedFile
    from flows.shard import ShardResult

    results = Path(tempfile.mkdtemp(prefix="zhnews-overhead-results-"))

    @task(retries=2, retry_delay_seconds=1, cache_key_fn=shard_key_from_parameters, persist_result=True)
    def noop_shard(batch: list[SeedFile], cache_key: str) -> ShardResult:
        del batch, cache_key
        return ShardResult("part")

    @flow(task_runner=make_task_runner(RunnerChoice()))
    def shards(count: int) -> int:
        keyed = noop_shard.with_options(result_storage=results)
        batch = [
            SeedFile(f"d/{i}.txt", Path(f"/s/d/{i}.txt"), 5000, i, f"{i:064x}") for i in range(shard_size)
        ]
        futures = [keyed.submit(batch, f"{os.getpid()}-{time.time_ns()}-{n}") for n in range(count)]
        return sum(1 for f in futures if f.result() is not None)

    started = time.perf_counter()
    server = SubprocessASGIServer()
    server.start(timeout=300)
    server_seconds = time.perf_counter() - started
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            shards(0)  # warm: first flow run registers the flow
            started = time.perf_counter()
            shards(0)
            empty = time.perf_counter() - started
            started = time.perf_counter()
            assert shards(tasks) == tasks
            per_task = (time.perf_counter() - started - empty) / tasks
    finally:
        server.stop()
        shutil.rmtree(results, ignore_errors=True)
    return server_seconds, empty, per_task


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=100_000, help="corpus size to extrapolate to")
    parser.add_argument("--sample", type=int, default=300, help="files whose work is timed")
    parser.add_argument("--tasks", type=int, default=100, help="no-op tasks whose cost is timed")
    parser.add_argument("--shard-size", type=int, default=None, help="default: the flow's")
    args = parser.parse_args(argv)
    from flows.process import DEFAULT_SHARD_SIZE

    shard_size = args.shard_size or DEFAULT_SHARD_SIZE
    print(f"machine: {machine()}")
    source = corpus(10_000, line_truth=False) / "seeds"
    per_file = measure_work_per_file(subset(source, args.sample, Path(tempfile.mkdtemp()) / "seeds"))
    server, empty, per_task = measure_prefect(args.tasks, shard_size)
    n_tasks = math.ceil(args.files / shard_size) + FIXED_TASKS
    prefect = server + empty + n_tasks * per_task
    work = args.files * per_file
    share = prefect / (prefect + work)
    print(f"work per file (process_shard, {args.sample} files, no Prefect): {per_file * 1000:.2f} ms")
    print(
        f"Prefect: server start {server:.1f} s, empty flow run {empty:.2f} s, "
        f"per task {per_task * 1000:.1f} ms"
    )
    print(
        f"at {args.files:,} files, shards of {shard_size}: {n_tasks} tasks -> Prefect {prefect:.1f} s, "
        f"work {work:.0f} s, Prefect's share {share:.2%} (bar: {TARGET_SHARE:.0%}; "
        f"without the server start {(empty + n_tasks * per_task) / (prefect + work):.2%})"
    )
    return 0 if share < TARGET_SHARE else 1


if __name__ == "__main__":
    raise SystemExit(main())
