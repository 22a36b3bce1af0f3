"""Incremental cost: one new file after N processed, against the full cold run (issue 7).

After a full run over N generated documents: a run with nothing changed, then a run with one new
file. Target: the one-new-file run under a tenth of the full run's time at N = 20,000.

With --server every run goes to one Prefect server started beforehand (as scheduled runs under
`zhnews serve` or a user's own server do), so no run pays a temporary server's start; the one-new-file
run is then repeated REPEATS times (the file removed and the warehouse brought back between them),
alternated with a Prefect flow run that does nothing (benchmarks/empty_flow.py: the floor of any run
in a fresh process), and the medians are compared: what the one-new-file run adds to that floor is
its own work.

With --warehouse W --full-seconds S the full run is not repeated: W is a kept warehouse of the same
corpus (e.g. `benchmarks.memory --docs 1000000 --keep` leaves wh-memory-1000000) and S its cold run's
time, so one new file after a million documents costs minutes, not another full run.

Run: .venv/bin/python -m benchmarks.incremental --docs 20000 [--server]
     [--warehouse W --full-seconds S]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.gen_corpus import Params, generate
from benchmarks.harness import (
    PROJECT,
    WORK,
    RunMeasure,
    corpus,
    corpus_parser,
    fresh,
    machine,
    mib,
    one_file_seeds,
    run_zhnews,
)
from flows.serve import local_server

TARGET_SHARE = 0.1  # from the issue: one new file costs under a tenth of the full run
NEW_FOLDER = "zz-incremental"  # sorts after the generated folders; removed after the measurement
NEW_FILE_SEED_OFFSET = 1000  # the new file comes from a corpus of another seed: new text
# One-new-file runs (and empty flow runs) against a running server: the end of a single run swings by
# up to a second with Prefect's flow-run heartbeat (its thread sleeps in 1 s steps and the engine
# joins it), so the median of a few alternated runs is the figure.
REPEATS = 5


@dataclass(frozen=True)
class Incremental:
    """Figures of one incremental measurement."""

    docs: int
    full: RunMeasure
    unchanged: RunMeasure
    one_new: RunMeasure
    fixed: RunMeasure
    one_new_runs: tuple[float, ...] = ()
    empty_flow_runs: tuple[float, ...] = ()

    @property
    def share(self) -> float:
        return self.one_new.seconds / self.full.seconds

    @property
    def share_beyond_fixed(self) -> float:
        """The same share on the time beyond the fixed start cost (a one-file cold run)."""
        beyond_full = max(self.full.seconds - self.fixed.seconds, 1e-9)
        return max(self.one_new.seconds - self.fixed.seconds, 0.0) / beyond_full

    def _median_note(self) -> str:
        return f" (median of {len(self.one_new_runs)})" if len(self.one_new_runs) > 1 else ""

    def floor_lines(self) -> list[str]:
        """The one-new-file runs against empty Prefect flow runs, when both were repeated."""
        if not self.empty_flow_runs:
            return []
        new, empty = statistics.median(self.one_new_runs), statistics.median(self.empty_flow_runs)
        return [
            f"one-new-file runs: {_seconds(self.one_new_runs)}, median {new:.2f} s "
            f"= {new / self.full.seconds:.1%} of the full run",
            f"empty Prefect flow runs (the floor of any run): {_seconds(self.empty_flow_runs)}, "
            f"median {empty:.2f} s = {empty / self.full.seconds:.1%} of the full run",
            f"the one-new-file run beyond that floor: {new - empty:.2f} s "
            f"= {(new - empty) / self.full.seconds:.1%} of the full run",
        ]

    def report(self) -> list[str]:
        return [
            f"fixed start cost (one-file cold run): {self.fixed.seconds:.1f} s",
            f"full cold run over {self.docs:,} documents: {self.full.seconds:.1f} s",
            f"rerun, nothing changed: {self.unchanged.seconds:.1f} s",
            f"rerun, one new file{self._median_note()}: {self.one_new.seconds:.1f} s "
            f"= {self.share:.1%} of the full run (wall) "
            f"(target < {TARGET_SHARE:.0%}: {'met' if self.share < TARGET_SHARE else 'NOT met'}); "
            f"beyond the fixed start cost: {self.share_beyond_fixed:.1%} "
            f"({'met' if self.share_beyond_fixed < TARGET_SHARE else 'NOT met'}); "
            f"peak tree PSS {mib(self.one_new.peak_pss)}, tree RSS {mib(self.one_new.peak_rss)}, "
            f"flow process {mib(self.one_new.peak_flow)}",
            "phases of the one-new-file run:",
            *self.one_new.phase_lines(),
            f"  {self.one_new.summary.replace(chr(10), ' / ')}",
            *self.floor_lines(),
        ]


def _seconds(values: tuple[float, ...]) -> str:
    return ", ".join(f"{v:.2f}" for v in values) + " s"


def empty_flow_seconds(timeout: float) -> float:
    """Wall time of benchmarks.empty_flow in a fresh process, against the API in the environment."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "benchmarks.empty_flow"],
        cwd=PROJECT,
        check=True,
        timeout=timeout,
        capture_output=True,
    )
    return time.perf_counter() - started


def new_file(seed: int) -> Path:
    """One generated document unlike the corpus (another seed), as a file to drop into the seeds."""
    out = fresh(WORK / f"new-file-{seed}")
    generate(out, Params(1, seed + NEW_FILE_SEED_OFFSET, synthetic_clauses=5000))
    return next(p for p in (out / "seeds").rglob("*") if p.is_file())


def measure(
    docs: int,
    seed: int,
    timeout: float,
    warehouse: Path | None = None,
    full: RunMeasure | None = None,
    repeats: int = 1,
) -> Incremental:
    """Full run (unless given), unchanged rerun, one-new-file reruns (each followed by a run that
    removes the file again), alternated with empty flow runs when repeated; the seeds are left as found."""
    seeds = corpus(docs, seed) / "seeds"
    fixed = run_zhnews(one_file_seeds(seeds, WORK / "one-file-seeds"), fresh(WORK / "wh-one-file"), timeout)
    if warehouse is None or full is None:
        warehouse = fresh(WORK / f"wh-full-{docs}-{seed}")
        full = run_zhnews(seeds, warehouse, timeout).check()
    unchanged = run_zhnews(seeds, warehouse, timeout).check()
    added, source = seeds / NEW_FOLDER, new_file(seed)
    runs: list[RunMeasure] = []
    empty: list[float] = []
    for _ in range(repeats):
        if repeats > 1:
            empty.append(empty_flow_seconds(timeout))
        fresh(added)
        shutil.copy2(source, added)
        try:
            runs.append(run_zhnews(seeds, warehouse, timeout).check())
        finally:
            shutil.rmtree(added)
        if repeats > 1:
            run_zhnews(seeds, warehouse, timeout).check()  # the warehouse as before the file came
    one_new = sorted(runs, key=lambda r: r.seconds)[(len(runs) - 1) // 2]  # the median (lower, if even)
    return Incremental(
        docs, full, unchanged, one_new, fixed.check(), tuple(r.seconds for r in runs), tuple(empty)
    )


def main(argv: list[str] | None = None) -> int:
    parser = corpus_parser(__doc__, default_docs=20_000)
    parser.add_argument(
        "--server", action="store_true", help="every run against one Prefect server started beforehand"
    )
    parser.add_argument("--warehouse", type=Path, default=None, help="a kept warehouse of this corpus")
    parser.add_argument("--full-seconds", type=float, default=None, help="its cold run's time, seconds")
    parser.add_argument(
        "--repeats", type=int, default=REPEATS, help="one-new-file and empty flow runs (with --server)"
    )
    args = parser.parse_args(argv)
    if (args.warehouse is None) != (args.full_seconds is None):
        parser.error("--warehouse and --full-seconds go together")
    full = None if args.full_seconds is None else RunMeasure(args.full_seconds, 0, 0, "(kept warehouse)")
    print(f"machine: {machine()}")
    if not args.server:
        print("\n".join(measure(args.docs, args.seed, args.timeout, args.warehouse, full).report()))
        return 0
    with local_server(fresh(WORK / "prefect-home")) as api_url:
        os.environ["PREFECT_API_URL"] = api_url  # the runs inherit it: no temporary server
        try:
            print(f"Prefect server: {api_url}")
            figures = measure(args.docs, args.seed, args.timeout, args.warehouse, full, args.repeats)
            print("\n".join(figures.report()))
        finally:
            del os.environ["PREFECT_API_URL"]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
