"""Speed-up of a cold `zhnews run` from 1 to 2 workers (process pool or Dask) on this machine.

Each worker count gets a one-file run first (the fixed cost: Prefect's server, the pool's or the
cluster's start, imports) and then the full run; the speed-up is given on the whole wall time and on
the time beyond the fixed cost (the part that workers can split).

Run: .venv/bin/python -m benchmarks.workers --docs 3000 --runner processes --shard-size 100
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from benchmarks.harness import WORK, corpus, fresh, machine, run_zhnews

# Shards of 100 files give 30 tasks at 3,000 documents: enough that two workers stay busy to the
# end (the last shard of one worker is at most ~3% of the run), few enough that the per-task cost
# stays small (see benchmarks/prefect_overhead.py).
DEFAULT_SHARD_SIZE = 100
DEFAULT_DOCS = 3000
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
    one = subset(source, 1, WORK / "workers-seeds-1")
    extra = ["--runner", args.runner, "--shard-size", str(args.shard_size)]
    timings: dict[int, tuple[float, float]] = {}
    for workers in args.workers:
        options = [*extra, "--workers", str(workers)]
        fixed = run_zhnews(one, fresh(WORK / "workers-wh-1"), args.timeout, *options).check()
        full = run_zhnews(seeds, fresh(WORK / "workers-wh"), args.timeout, *options).check()
        timings[workers] = (full.seconds, fixed.seconds)
        print(
            f"{args.runner} x{workers}: {args.docs:,} docs in {full.seconds:.1f} s "
            f"(one-file run {fixed.seconds:.1f} s; beyond it {full.seconds - fixed.seconds:.1f} s, "
            f"{args.docs / max(full.seconds - fixed.seconds, 1e-9):.0f} docs/s)"
        )
    base_full, base_fixed = timings[args.workers[0]]
    for workers in args.workers[1:]:
        wall, start = timings[workers]
        print(
            f"speed-up x{args.workers[0]} -> x{workers}: {base_full / wall:.2f} on the wall time, "
            f"{(base_full - base_fixed) / max(wall - start, 1e-9):.2f} beyond the fixed cost"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
