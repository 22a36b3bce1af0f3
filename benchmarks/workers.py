"""Speed-up of a cold `zhnews run` from 1 to 2 workers (process pool or Dask) on this machine.

Each worker count runs the same corpus into a fresh warehouse. Two figures: the whole wall time
(Prefect's start, scan, match and commit included, which workers do not split) and the shard phase
(from the first shard submitted to the last one finished, as the run's last progress line says,
worker start-up included), the part that workers share.

Run: .venv/bin/python -m benchmarks.workers --docs 3000 --runner processes --shard-size 100
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import time
from pathlib import Path

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


def timed_run(seeds: Path, warehouse: Path, timeout: float, *extra: str) -> tuple[float, float, float]:
    """Wall seconds of one `zhnews run`, of its shard phase (its last progress line) and of its
    match step."""
    cmd, env = run_command(seeds, warehouse, *extra)
    started = time.perf_counter()
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False, cwd=PROJECT
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"zhnews run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    phases = PROGRESS.findall(done.stdout + done.stderr)
    if not phases:
        raise SystemExit("no progress line in the run's output")
    return wall, float(phases[-1][3]), match_seconds(done.stdout + done.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=DEFAULT_DOCS)
    parser.add_argument("--runner", choices=["processes", "dask", "threads"], default="processes")
    parser.add_argument("--shard-size", type=int, default=DEFAULT_SHARD_SIZE)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--timeout", type=float, default=1800, help="time box per run, seconds")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    source = corpus(max(CORPUS_DOCS, args.docs), line_truth=False) / "seeds"
    seeds = subset(source, args.docs, WORK / f"workers-seeds-{args.docs}")
    timings: dict[int, tuple[float, float, float]] = {}
    for workers in args.workers:
        options = ["--runner", args.runner, "--shard-size", str(args.shard_size), "--workers", str(workers)]
        wall, shards, match = timed_run(seeds, fresh(WORK / "workers-wh"), args.timeout, *options)
        timings[workers] = (wall, shards, match)
        print(
            f"{args.runner} x{workers}: {args.docs:,} docs in {wall:.1f} s wall, "
            f"shard phase {shards:.1f} s ({args.docs / shards:.0f} docs/s), "
            f"match step {match:.1f} s ({match / wall:.0%} of the run)"
        )
    base_wall, base_shards, base_match = timings[args.workers[0]]
    for workers in args.workers[1:]:
        wall, shards, match = timings[workers]
        print(
            f"speed-up x{args.workers[0]} -> x{workers}: {base_wall / wall:.2f} on the wall time, "
            f"{base_shards / shards:.2f} on the shard phase, {base_match / match:.2f} on the match step"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
