"""A cold run over ~800 real HTML pages: `zhnews run` against the pipeline a user would assemble.

The seeds: every dev page, once as saved and once saved again with a changed first line, copied to
about 800 files (each copy's first line changed again, so no two files have the same bytes). The
assembled pipeline: trafilatura for the body, OpenCC for Traditional to Simplified, datasketch
MinHash LSH for near-duplicates, over two worker processes, its rows written to Parquet. Both are
timed as fresh processes (interpreter start and imports included), alternately, in the same run.

Run: .venv/bin/python -m benchmarks.pages800 [--files 800] [--rounds 3]
The target (issue 20): zhnews at least 3x faster.
"""

from __future__ import annotations

import argparse
import multiprocessing
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.devpages import DEV_PAGES
from benchmarks.harness import PROJECT, WORK, fresh, machine, run_zhnews

DEFAULT_FILES = 800
# The assembled pipeline's pool: two worker processes, one per core of this machine.
BASELINE_PROCESSES = 2
# datasketch settings a user would start from: 128 permutations, Jaccard 0.8 over character
# 5-grams (the overlap benchmark's baseline, benchmarks/overlap.py).
NUM_PERM = 128
LSH_THRESHOLD = 0.8
SHINGLE = 5
RUN_TIMEOUT = 1800.0


def dev_pages() -> list[Path]:
    """Every dev page (gne and trafilatura-eval)."""
    return sorted(DEV_PAGES.glob("*/*.html"))


def resaved(raw: bytes, copy: int) -> bytes:
    """The page saved again: its first line changed (a comment naming the copy goes before it)."""
    return f"<!-- saved again, copy {copy} -->\n".encode("ascii") + raw


def make_seeds(target: Path, files: int) -> int:
    """About `files` seed files: each page as saved and saved again, copied until the count is reached."""
    fresh(target)
    pages = dev_pages()
    written = copy = 0
    while written < files:
        folder = target / f"copy_{copy:02d}"
        folder.mkdir()
        for page in pages:
            raw = page.read_bytes()
            variants = (raw if copy == 0 else resaved(raw, 1000 + copy), resaved(raw, copy))
            for n, variant in enumerate(variants):
                if written == files:
                    return written
                (folder / f"{page.parent.name}_{page.stem}_{n}.html").write_bytes(variant)
                written += 1
        copy += 1
    return written


def _extract(path: str) -> tuple[str, str, Any]:
    """One file through trafilatura and OpenCC, and its MinHash (runs in a pool worker)."""
    import opencc
    import trafilatura
    from datasketch import MinHash

    raw = Path(path).read_bytes()
    text = trafilatura.extract(raw, include_comments=False) or ""
    simplified = opencc.OpenCC("t2s").convert(text)
    minhash = MinHash(num_perm=NUM_PERM)
    flat = "".join(simplified.split())
    for i in range(max(len(flat) - SHINGLE + 1, 1)):
        minhash.update(flat[i : i + SHINGLE].encode("utf-8"))
    return path, simplified, minhash


def assembled(seeds: Path, out: Path) -> None:
    """The assembled pipeline: extract in a pool, then LSH pairs, documents and pairs to Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasketch import MinHashLSH

    files = sorted(str(p) for p in seeds.rglob("*.html"))
    with multiprocessing.get_context("fork").Pool(BASELINE_PROCESSES) as pool:
        rows = pool.map(_extract, files, chunksize=8)
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    pairs: list[tuple[str, str]] = []
    for path, _, minhash in rows:
        pairs += [(other, path) for other in lsh.query(minhash)]
        lsh.insert(path, minhash)
    fresh(out)
    pq.write_table(
        pa.table({"doc_id": [r[0] for r in rows], "text": [r[1] for r in rows]}), out / "documents.parquet"
    )
    pair_table = pa.table({"doc_a": [a for a, _ in pairs], "doc_b": [b for _, b in pairs]})
    pq.write_table(pair_table, out / "pairs.parquet")


def time_assembled(seeds: Path, out: Path) -> float:
    """Wall seconds of the assembled pipeline as a fresh process (its start and imports included)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.pages800", "--assembled", str(seeds), str(out)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"assembled pipeline failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def main() -> int:
    """Alternate cold runs of both pipelines and print each one's best and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=DEFAULT_FILES)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--assembled", nargs=2, metavar=("SEEDS", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("extra", nargs="*", help="options passed to zhnews run (e.g. --shard-size 100)")
    args = parser.parse_args()
    if args.assembled:
        assembled(Path(args.assembled[0]), Path(args.assembled[1]))
        return 0
    if not DEV_PAGES.exists():
        print(f"dev pages not found at {DEV_PAGES} (set ZHNEWS_DEV_PAGES)", file=sys.stderr)
        return 1
    print(machine())
    seeds = WORK / "pages800" / "seeds"
    count = make_seeds(seeds, args.files)
    print(f"{count} seed files from {len(dev_pages())} dev pages in {seeds}")
    ours: list[float] = []
    theirs: list[float] = []
    for round_no in range(args.rounds):
        warehouse = fresh(WORK / "pages800" / "warehouse")
        measure = run_zhnews(seeds, warehouse, RUN_TIMEOUT, *args.extra).check()
        ours.append(measure.seconds)
        theirs.append(time_assembled(seeds, WORK / "pages800" / "assembled"))
        print(f"round {round_no + 1}: zhnews {ours[-1]:6.1f} s   assembled {theirs[-1]:6.1f} s")
    best_ours, best_theirs = min(ours), min(theirs)
    print(f"best: zhnews {best_ours:.1f} s ({count / best_ours:.0f} files/s), assembled {best_theirs:.1f} s")
    print(f"ratio assembled/zhnews: {best_theirs / best_ours:.2f}x (target 3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
