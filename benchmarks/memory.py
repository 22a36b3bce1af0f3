"""Peak RSS of a cold `zhnews run` at growing corpus sizes (issue 7).

Peak memory of the whole `zhnews run` process tree (the CLI, Prefect's temporary server, the shard
workers), sampled with psutil: PSS (shared pages split among the processes that map them, the
figure the target is judged on), RSS summed over the tree (counts shared pages in every process),
and the flow process's RSS alone. It must grow with the shard size, not with the corpus:
target under 2 GB at 1,000,000 documents. Each size runs on a cold warehouse; the growth per
document between sizes says what a larger corpus would need.

Run: .venv/bin/python -m benchmarks.memory --docs 10000 100000
"""

from __future__ import annotations

import argparse
import itertools

from benchmarks.harness import WORK, RunMeasure, corpus, fresh, machine, mib, run_zhnews

TARGET_PEAK = 2 * 2**30  # from the issue: 1M documents under 2 GB peak RSS
TARGET_DOCS = 1_000_000


def measure(docs: int, seed: int, timeout: float, shard_size: int | None, keep: bool = False) -> RunMeasure:
    """One cold run over a generated corpus of `docs` documents (warm when keep finds a kept warehouse)."""
    seeds = corpus(docs, seed, line_truth=docs <= 100_000) / "seeds"
    extra = ("--shard-size", str(shard_size)) if shard_size else ()
    warehouse = WORK / f"wh-memory-{docs}"
    if not keep:
        fresh(warehouse)
    try:
        return run_zhnews(seeds, warehouse, timeout, *extra).check()
    finally:
        if docs > 100_000 and not keep:
            fresh(warehouse)  # a 1M-document warehouse is gigabytes: do not leave it behind


def growth_lines(points: list[tuple[int, RunMeasure]]) -> list[str]:
    """Per-document growth between consecutive sizes (tree PSS and the flow process), and the 1M
    extrapolation from the last two."""
    lines = []
    for (n0, m0), (n1, m1) in itertools.pairwise(points):
        for name, before, after in (
            ("tree PSS", m0.peak_pss, m1.peak_pss),
            ("tree RSS", m0.peak_rss, m1.peak_rss),
            ("flow process RSS", m0.peak_flow, m1.peak_flow),
        ):
            per_doc = (after - before) / (n1 - n0)
            at_target = after + per_doc * (TARGET_DOCS - n1)
            lines.append(
                f"{n0:,} -> {n1:,}, {name}: {per_doc:,.0f} bytes per added document; "
                f"linear extrapolation to {TARGET_DOCS:,}: {mib(int(at_target))} "
                f"(target < {mib(TARGET_PEAK)}: {'met' if at_target < TARGET_PEAK else 'NOT met'})"
            )
    return lines


def report(docs: int, result: RunMeasure) -> list[str]:
    """One size's figures: the three peaks, the wall time and when each phase ended."""
    verdict = "met" if docs >= TARGET_DOCS and result.peak_pss < TARGET_PEAK else "-"
    return [
        f"{docs:,} documents: {result.seconds:.0f} s; peak tree PSS {mib(result.peak_pss)} "
        f"(target at {TARGET_DOCS:,}: {verdict}), peak tree RSS {mib(result.peak_rss)}, "
        f"peak flow-process RSS {mib(result.peak_flow)}",
        *result.phase_lines(),
        result.summary,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--shard-size", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=3600, help="time box per run, seconds")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the warehouse (and, after a failed run, its shard cache) in place and reuse a kept "
        "one: a retry then skips the cached shards, so its figures are not a cold run's",
    )
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    points: list[tuple[int, RunMeasure]] = []
    for docs in sorted(args.docs):
        result = measure(docs, args.seed, args.timeout, args.shard_size, args.keep)
        points.append((docs, result))
        print("\n".join(report(docs, result)), flush=True)
    print("\n".join(growth_lines(points)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
