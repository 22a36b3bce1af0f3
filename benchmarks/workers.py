"""Speed-up of a cold `zhnews run` from 1 to 2 workers (process pool, Dask, or a Dask cluster of
separate processes) on this machine.

Each worker count runs the same corpus into a fresh warehouse. Three figures: the whole wall time
(Prefect's start, scan, match and commit included, which workers do not split), the shard phase
(from the first shard submitted to the last one finished, as the run's last progress line says,
worker start-up included) and the match step (version built -> match-events finished).

--runner cluster starts, for each worker count, a Prefect server, a `dask scheduler` and that many
`dask worker --nthreads 1` processes (benchmarks/cluster.py), and runs with --dask-address: each worker
stands for a machine of one core (a match job's DuckDB gets one thread there), so the speed-up is
that of adding a machine. The server is up before the run starts, as a cluster's would be.

Run: .venv/bin/python -m benchmarks.workers --docs 3000 --runner processes --shard-size 100
     .venv/bin/python -m benchmarks.workers --docs 20000 --runner cluster --shard-size 1000
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import time
from pathlib import Path

from benchmarks.cluster import local_cluster
from benchmarks.harness import PROJECT, WORK, corpus, fresh, machine, run_command

# Shards of 100 files give 30 tasks at 3,000 documents: enough that two workers stay busy to the
# end (the last shard of one worker is at most ~3% of the run), few enough that the per-task cost
# stays small (see benchmarks/prefect_overhead.py).
DEFAULT_SHARD_SIZE = 100
DEFAULT_DOCS = 3000
PROGRESS = re.compile(r"progress: (\d+)/(\d+) files, (\d+) documents in ([\d.]+) s")
# The match step: from the new version built (its last step before matching) to match-events done.
LOG_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d+) \|")
MATCH_START, MATCH_END = "built", "match-events"
CORPUS_DOCS = 10000  # the generated corpus the subset is taken from (made once, then reused)


def subset(source: Path, docs: int, target: Path) -> Path:
    """A seeds folder of the first `docs` files of a corpus, hard-linked (no copying)."""
    fresh(target)
    files = sorted(p for p in source.rglob("*") if p.is_file())[:docs]
    for path in files:
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, dest)
    return target


def _seconds(line: str) -> float | None:
    """Seconds since midnight of a Prefect log line, or None for another line."""
    found = LOG_TIME.match(line)
    return int(found[1]) * 3600 + int(found[2]) * 60 + float(found[3]) if found else None


def match_seconds(output: str) -> float:
    """The match step's seconds in a run's log: version built -> match-events finished."""
    start = end = None
    for line in output.splitlines():
        at = _seconds(line)
        if at is not None and MATCH_START in line and "version" in line:
            start = at
        elif at is not None and MATCH_END in line and "Finished" in line:
            end = at
    return end - start if start is not None and end is not None else float("nan")


def timed_run(
    seeds: Path, warehouse: Path, timeout: float, *extra: str, api_url: str | None = None
) -> tuple[float, float, float]:
    """Wall seconds of one `zhnews run`, of its shard phase (its last progress line) and of its
    match step (api_url: a Prefect server to report to instead of the run's own). The run's log is
    kept beside the warehouse (<warehouse>.log), the last run's of each worker count."""
    cmd, env = run_command(seeds, warehouse, *extra)
    if api_url is not None:
        env["PREFECT_API_URL"] = api_url
    started = time.perf_counter()
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False, cwd=PROJECT
    )
    wall = time.perf_counter() - started
    (warehouse.parent / f"{warehouse.name}.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        raise SystemExit(f"zhnews run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    phases = PROGRESS.findall(done.stdout + done.stderr)
    if not phases:
        raise SystemExit("no progress line in the run's output")
    return wall, float(phases[-1][3]), match_seconds(done.stdout + done.stderr)


def run_with(
    runner: str, workers: int, seeds: Path, shard_size: int, timeout: float
) -> tuple[float, float, float]:
    """One timed cold run on `workers` workers of the runner (cluster: a cluster started for it)."""
    warehouse = fresh(WORK / f"workers-wh-{runner}-x{workers}")
    sized = ["--shard-size", str(shard_size)]
    if runner != "cluster":
        return timed_run(seeds, warehouse, timeout, "--runner", runner, "--workers", str(workers), *sized)
    root = fresh(WORK / "workers-cluster")
    env = dict(os.environ, PREFECT_HOME=str(root / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    with local_cluster(root, env, workers) as cluster:
        options = ["--runner", "dask", "--dask-address", cluster.address, *sized]
        return timed_run(seeds, warehouse, timeout, *options, api_url=cluster.api_url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=DEFAULT_DOCS)
    parser.add_argument("--runner", choices=["processes", "dask", "threads", "cluster"], default="processes")
    parser.add_argument("--shard-size", type=int, default=DEFAULT_SHARD_SIZE)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--timeout", type=float, default=1800, help="time box per run, seconds")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each worker count, alternating")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    source = corpus(max(CORPUS_DOCS, args.docs), line_truth=False) / "seeds"
    seeds = subset(source, args.docs, WORK / f"workers-seeds-{args.docs}")
    timings: dict[int, list[tuple[float, float, float]]] = {w: [] for w in args.workers}
    for _ in range(args.rounds):  # worker counts alternate, so a load swing touches both
        for workers in args.workers:
            wall, shards, match = run_with(args.runner, workers, seeds, args.shard_size, args.timeout)
            timings[workers].append((wall, shards, match))
            print(
                f"{args.runner} x{workers}: {args.docs:,} docs in {wall:.1f} s wall, "
                f"shard phase {shards:.1f} s ({args.docs / shards:.0f} docs/s), "
                f"match step {match:.1f} s ({match / wall:.0%} of the run)",
                flush=True,
            )
    mean = {w: [statistics.mean(t[k] for t in runs) for k in range(3)] for w, runs in timings.items()}
    base_wall, base_shards, base_match = mean[args.workers[0]]
    for workers in args.workers[1:]:
        wall, shards, match = mean[workers]
        print(
            f"speed-up x{args.workers[0]} -> x{workers} (means of {args.rounds}): {base_wall / wall:.2f} on "
            f"the wall time, {base_shards / shards:.2f} on the shard phase, {base_match / match:.2f} on the "
            "match step"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
