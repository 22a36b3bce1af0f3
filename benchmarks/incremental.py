"""Incremental cost: one new file after N processed, against the full cold run (issue 7).

After a full run over N generated documents: a run with nothing changed, then a run with one new
file. Target: the one-new-file run under a tenth of the full run's time at N = 20,000.

With --server every run goes to one Prefect server started beforehand (as scheduled runs under
`zhnews serve` or a user's own server do), so no run pays a temporary server's start.

With --warehouse W --full-seconds S the full run is not repeated: W is a kept warehouse of the same
corpus (e.g. `benchmarks.memory --docs 1000000 --keep` leaves wh-memory-1000000) and S its cold run's
time, so one new file after a million documents costs minutes, not another full run.

Run: .venv/bin/python -m benchmarks.incremental --docs 20000 [--server]
     [--warehouse W --full-seconds S]
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from benchmarks.gen_corpus import Params, generate
from benchmarks.harness import (
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


@dataclass(frozen=True)
class Incremental:
    """Figures of one incremental measurement."""

    docs: int
    full: RunMeasure
    unchanged: RunMeasure
    one_new: RunMeasure
    fixed: RunMeasure

    @property
    def share(self) -> float:
        return self.one_new.seconds / self.full.seconds

    @property
    def share_beyond_fixed(self) -> float:
        """The same share on the time beyond the fixed start cost (a one-file cold run)."""
        beyond_full = max(self.full.seconds - self.fixed.seconds, 1e-9)
        return max(self.one_new.seconds - self.fixed.seconds, 0.0) / beyond_full

    def report(self) -> list[str]:
        return [
            f"fixed start cost (one-file cold run): {self.fixed.seconds:.1f} s",
            f"full cold run over {self.docs:,} documents: {self.full.seconds:.1f} s",
            f"rerun, nothing changed: {self.unchanged.seconds:.1f} s",
            f"rerun, one new file: {self.one_new.seconds:.1f} s = {self.share:.1%} of the full run (wall) "
            f"(target < {TARGET_SHARE:.0%}: {'met' if self.share < TARGET_SHARE else 'NOT met'}); "
            f"beyond the fixed start cost: {self.share_beyond_fixed:.1%} "
            f"({'met' if self.share_beyond_fixed < TARGET_SHARE else 'NOT met'}); "
            f"peak tree PSS {mib(self.one_new.peak_pss)}, tree RSS {mib(self.one_new.peak_rss)}, "
            f"flow process {mib(self.one_new.peak_flow)}",
            "phases of the one-new-file run:",
            *self.one_new.phase_lines(),
            f"  {self.one_new.summary.replace(chr(10), ' / ')}",
        ]


def new_file(seed: int) -> Path:
    """One generated document unlike the corpus (another seed), as a file to drop into the seeds."""
    out = fresh(WORK / f"new-file-{seed}")
    generate(out, Params(1, seed + NEW_FILE_SEED_OFFSET, synthetic_clauses=5000))
    return next(p for p in (out / "seeds").rglob("*") if p.is_file())


def measure(
    docs: int, seed: int, timeout: float, warehouse: Path | None = None, full: RunMeasure | None = None
) -> Incremental:
    """Full run (unless given), unchanged rerun, one-new-file rerun; the seeds are left as found."""
    seeds = corpus(docs, seed) / "seeds"
    fixed = run_zhnews(one_file_seeds(seeds, WORK / "one-file-seeds"), fresh(WORK / "wh-one-file"), timeout)
    if warehouse is None or full is None:
        warehouse = fresh(WORK / f"wh-full-{docs}-{seed}")
        full = run_zhnews(seeds, warehouse, timeout).check()
    unchanged = run_zhnews(seeds, warehouse, timeout).check()
    added = seeds / NEW_FOLDER
    fresh(added)
    shutil.copy2(new_file(seed), added)
    try:
        one_new = run_zhnews(seeds, warehouse, timeout).check()
    finally:
        shutil.rmtree(added)
    return Incremental(docs, full, unchanged, one_new, fixed.check())


def main(argv: list[str] | None = None) -> int:
    parser = corpus_parser(__doc__, default_docs=20_000)
    parser.add_argument(
        "--server", action="store_true", help="every run against one Prefect server started beforehand"
    )
    parser.add_argument("--warehouse", type=Path, default=None, help="a kept warehouse of this corpus")
    parser.add_argument("--full-seconds", type=float, default=None, help="its cold run's time, seconds")
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
            print("\n".join(measure(args.docs, args.seed, args.timeout, args.warehouse, full).report()))
        finally:
            del os.environ["PREFECT_API_URL"]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
