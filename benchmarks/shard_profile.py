"""Per-document cost of flows.shard.build_shard against OpenCC t2s alone over the same files (issue 7).

Runs in one process over the same files, one after the other: the baseline (read + decode + t2s, as
benchmarks.throughput measures it), then build_shard (read, decode, clean, sign passages, write the
staged Parquet), each timed best of --rounds after a warm-up (dictionaries, script tables, pypinyin),
then once more under cProfile to print the top functions by own time and by cumulative time. Times
are the process's CPU time (wall time swings with the other jobs of a shared machine); the files
are read from the page cache after the warm-up, so CPU time is nearly all of the work.

Files: the first --docs files of a generated corpus (mixed text/HTML, GBK/Big5, Traditional) and,
with --dev, the HTML dev pages as a second set.

Run: .venv/bin/python -m benchmarks.shard_profile [--docs 1000] [--dev] [--top 25] [--rounds 2]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import opencc

from benchmarks.devpages import DEV_PAGES
from benchmarks.harness import DEFAULT_SEED, corpus
from benchmarks.throughput import decode
from flows.scan import SeedFile
from flows.shard import Limits, ShardJob, build_shard

# The corpus the issue measures (20,000 generated documents, seed 7); its first files are a fair
# mix of the generator's formats because the generator draws them at random per document.
CORPUS_DOCS = 20000
DEFAULT_DOCS = 1000
# Files used to warm up the process before timing (loads OpenCC, the script tables, pypinyin).
WARMUP_FILES = 20
DEFAULT_TOP = 25
DEFAULT_ROUNDS = 2
# The target for the whole pipeline against OpenCC alone.
TARGET_RATIO = 4.0


def seed_files(root: Path, limit: int | None = None) -> list[SeedFile]:
    """Regular files under root as the scan lists them (the hash is not needed by build_shard)."""
    paths = sorted(p for p in root.rglob("*") if p.is_file())[:limit]
    out = []
    for path in paths:
        state = path.stat()
        out.append(SeedFile(str(path.relative_to(root)), path, state.st_size, state.st_mtime_ns, ""))
    return out


def opencc_seconds(files: Sequence[SeedFile]) -> float:
    """CPU seconds to read, decode and convert (t2s) every file: the baseline of issue 7."""
    converter = opencc.OpenCC("t2s")
    started = time.process_time()
    for seed in files:
        converter.convert(decode(seed.path.read_bytes()))
    return time.process_time() - started


def shard_seconds(files: Sequence[SeedFile], profiler: cProfile.Profile | None = None) -> float:
    """CPU seconds of one build_shard over the files, staging into a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        job = ShardJob("profile", Limits(), "part", Path(tmp))
        started = time.process_time()
        if profiler is not None:
            profiler.enable()
        build_shard(files, job, lambda _: None)
        if profiler is not None:
            profiler.disable()
        return time.process_time() - started


def best(rounds: int, files: Sequence[SeedFile], run: str) -> float:
    """Fastest of several timings (the machine is shared: the minimum is the stable figure)."""
    timings = [opencc_seconds(files) if run == "opencc" else shard_seconds(files) for _ in range(rounds)]
    return min(timings)


def top_functions(profiler: cProfile.Profile, sort: str, top: int) -> str:
    """The profile's top lines in one sort order."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats(sort).print_stats(top)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[start:])


def report(name: str, files: Sequence[SeedFile], rounds: int, top: int) -> None:
    """Baseline and build_shard per document, their ratio, and the profile of one more shard run."""
    shard_seconds(files[:WARMUP_FILES])
    baseline = best(rounds, files, "opencc")
    shard = best(rounds, files, "shard")
    n = len(files)
    print(f"== {name}: {n:,} files")
    print(f"OpenCC t2s alone (read + decode + convert): {baseline / n * 1e3:.3f} CPU ms/doc")
    print(f"build_shard: {shard / n * 1e3:.3f} CPU ms/doc")
    ratio = shard / baseline
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"ratio build_shard / OpenCC: {ratio:.1f}x (target <= {TARGET_RATIO:g}x: {verdict})")
    if not top:
        return
    profiler = cProfile.Profile()
    shard_seconds(files, profiler)
    for sort in ("tottime", "cumulative"):
        print(f"-- top {top} by {sort} (under cProfile, times inflated)")
        print(top_functions(profiler, sort, top))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=DEFAULT_DOCS, help="files of the generated corpus")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--dev", action="store_true", help="also profile the dev pages")
    parser.add_argument("--top", type=int, default=DEFAULT_TOP)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    args = parser.parse_args(argv)
    if args.docs:
        files = seed_files(corpus(CORPUS_DOCS, args.seed) / "seeds", args.docs)
        report("generated corpus", files, args.rounds, args.top)
    if args.dev:
        report("dev pages", seed_files(DEV_PAGES), args.rounds, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
