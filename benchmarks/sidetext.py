"""Throughput of transforms.sidetext.find_side_blocks on seed-like documents.

Run: .venv/bin/python -m benchmarks.sidetext

Two workloads: article-only pages (seeds 002 and 004, converted; most of a corpus, which the
vocabulary pre-check sends home after one regex scan) and pages carrying a profile (seed 001's
40 paragraphs, which go through the full bigram analysis). Prints documents and characters per
second for each.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path

from transforms.script import to_simplified
from transforms.sidetext import find_side_blocks

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
# Enough repetitions for a stable figure in about a second per workload on this machine.
REPEATS = 2000
_PINYIN_RE = re.compile(r"(?<=[\u3400-\u9fff])\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹ]+\)")


def _paragraphs(prefix: str, skip: int) -> list[str]:
    """Non-empty lines of a seed after its first skip lines, pinyin removed, in Simplified."""
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    lines = path.read_text(encoding="utf-8").splitlines()[skip:]
    return [to_simplified(_PINYIN_RE.sub("", line)).strip() for line in lines if line.strip()]


def _measure(name: str, docs: Sequence[tuple[str | None, list[str]]]) -> None:
    """Run the detector over docs REPEATS times and print the rate."""
    chars = sum(len(p) for _, paragraphs in docs for p in paragraphs) * REPEATS
    found = 0
    started = time.perf_counter()
    for _ in range(REPEATS):
        for title, paragraphs in docs:
            found += len(find_side_blocks(title, paragraphs))
    elapsed = time.perf_counter() - started
    count = len(docs) * REPEATS
    print(
        f"{name:14s} {count:6d} docs {elapsed:6.2f} s  {count / elapsed:9.0f} docs/s  "
        f"{chars / elapsed / 1e6:6.2f} M chars/s  blocks found {found}"
    )


def main() -> None:
    """Print throughput for article-only and profile-carrying documents."""
    article_only = [(None, _paragraphs("004", 0)), (None, _paragraphs("002", 9))]
    lines_001 = _paragraphs("001", 0)
    with_profile = [(lines_001[0], lines_001[2:])]
    _measure("article only", article_only)
    _measure("with profile", with_profile)


if __name__ == "__main__":
    main()
