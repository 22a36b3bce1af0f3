"""Quick benchmark suite (`make bench`): 1,000 generated documents, every figure against its baseline.

Throughput (with the fixed start cost apart), incremental cost and accuracy on the generated truth;
the full-size runs (20,000 documents, peak RSS at 10k-1M) are the separate scripts, see README.md.
"""

from __future__ import annotations

import argparse

from benchmarks import accuracy, incremental, throughput
from benchmarks.harness import machine

QUICK_DOCS = 1000  # about a minute of run time here, plus two Prefect start-ups


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=QUICK_DOCS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=1800, help="time box per run, seconds")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    print("== throughput")
    result = throughput.measure(args.docs, args.seed, args.timeout)
    print("\n".join(result.report()))
    print("== accuracy (on the same run)")
    accuracy.main(
        [
            "--docs",
            str(args.docs),
            "--seed",
            str(args.seed),
            "--warehouse",
            str(result.warehouse),
            "--worst",
            "5",
        ]
    )
    print("== incremental")
    print(
        "\n".join(
            incremental.measure(args.docs, args.seed, args.timeout, result.warehouse, result.full).report()
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
