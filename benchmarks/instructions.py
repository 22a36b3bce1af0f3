"""Instructions per document of flows.shard.build_shard, counted by valgrind (issue 7).

Timings on this shared 2-core machine swing by +-10% between identical runs, more than most single
speed-ups of the per-document code; instruction counts do not. Each checkout is measured twice under
`valgrind --tool=cachegrind --cache-sim=no` (the interpreter's imports and a 20-file warm-up, then
the same plus one build_shard over --docs generated files) and the difference is divided by --docs,
so start-up and imports cancel out. PYTHONHASHSEED is fixed: set and dict orders change the work.
A valgrind run is ~50x slower than a plain one (300 documents: ~30 s).

Run: .venv/bin/python -m benchmarks.instructions [--docs 300] [--repo /path/to/other/checkout ...]
(the current checkout first, then each --repo, e.g. a `git worktree add --detach /tmp/old REV`; a
checkout older than this script needs it copied into its benchmarks/, and a .venv link to this one).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.harness import DEFAULT_SEED, PROJECT, corpus
from benchmarks.shard_profile import CORPUS_DOCS, WARMUP_FILES, seed_files, shard_seconds

DEFAULT_DOCS = 300
HASH_SEED = "0"
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def child(docs: int, seed: int) -> None:
    """Inside valgrind: warm up on the first files, then build one shard of `docs` more (if any)."""
    files = seed_files(corpus(CORPUS_DOCS, seed) / "seeds", WARMUP_FILES + docs)
    shard_seconds(files[:WARMUP_FILES])
    if docs:
        shard_seconds(files[WARMUP_FILES:])


def instructions(repo: Path, docs: int, seed: int) -> int:
    """Instructions valgrind counts for one child run over `docs` documents with `repo`'s code."""
    env = dict(os.environ, PYTHONHASHSEED=HASH_SEED, PYTHONPATH=str(repo))
    cmd = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "benchmarks.instructions",
        "--child",
        str(docs),
        "--seed",
        str(seed),
    ]
    done = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=True)
    match = _REFS.search(done.stderr)
    if match is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(match.group(1).replace(",", ""))


def per_document(repo: Path, docs: int, seed: int) -> float:
    """Instructions a document: the run over `docs` minus the run over none."""
    return (instructions(repo, docs, seed) - instructions(repo, 0, seed)) / docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=DEFAULT_DOCS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repo", type=Path, action="append", default=[], help="another checkout")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(args.child, args.seed)
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt install valgrind)")
    corpus(CORPUS_DOCS, args.seed)  # generated once, outside valgrind
    first = None
    for repo in [PROJECT, *args.repo]:
        count = per_document(repo.resolve(), args.docs, args.seed)
        first = first or count
        print(f"{repo}: {count / 1e6:.2f}M instructions a document ({count / first:.3f}x the first)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
