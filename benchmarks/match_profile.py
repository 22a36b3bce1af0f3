"""CPU time per phase of the match step (match_corpus) over a stored warehouse's current version (issue 7).

A cold match: every document of the version is new, nothing carried over (what a first run does);
with --new N only every (documents / N)-th document is new (the incremental path: band hashes kept
to the buckets of new documents), still without previous tables.
Each phase (a function of the match package's stage modules, or of an older single matching module,
that match_corpus calls) is wrapped to add up its CPU time (time.process_time: the process's
threads, DuckDB's included; wall time swings with the other jobs of the shared machine). Prints the
phases, the counts of MatchStats and an md5 of each result table, so two implementations can be
compared for identical results in one session: --impl loads an older single-file matching module
(e.g. `git show 23173d1:warehouse/matching.py > /tmp/matching_old.py`), `--impl package` is the
current warehouse.match, and --rounds alternates the given implementations.

Run: .venv/bin/python -m benchmarks.match_profile --warehouse /tmp/zhnews-bench/wh-memory-10000
         [--impl /tmp/matching_old.py --impl package] [--rounds 1] [--profile]
         [--from-cache] (a warehouse whose run failed in the match step: its cached shards)
         [--parts N] (each stage cut into N jobs, as on N workers, but run here one after another)
         [--join-rows-per-pass N] (the candidate join in the passes a larger corpus would make)
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import hashlib
import importlib
import importlib.util
import io
import pstats
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.match.config import MatchConfig
from warehouse.spread import InProcess

# Functions timed as phases where a module has them (the stage modules of warehouse.match, and the
# names of the older single module; nested calls count in both the caller and the callee).
PHASES = (
    # warehouse.match
    "find_candidates",
    "plan_search",
    "split_bands",
    "count_buckets",
    "same_passages",
    "join_buckets",
    "pair_candidates",
    "passage_df",
    "_docs_of",
    "passage_matches",
    "judge",
    "judge_pairs",
    "events_of",
    "passage_links",
    # the single matching module (before session 9)
    "_define_sources",
    "_collect_bands",
    "_same_passages",
    "_candidate_pairs",
    "_passage_df",
    "_df_from_hot",
    "_df_from_band_rows",
    "_verify",
    "_judge_batch",
    "judge_pair",
    "build_events",
    "build_passage_links",
)
# The modules of the current package whose functions are timed (a name imported into step.py is
# timed there, where match_corpus looks it up).
PACKAGE_MODULES = (
    "warehouse.match.step",
    "warehouse.match.candidates",
    "warehouse.match.verify",
    "warehouse.match.verdict",
    "warehouse.match.events",
    "warehouse.match.passages",
)
DEFAULT_TOP = 25


@dataclass(frozen=True)
class Impl:
    """An implementation of the match step: where match_corpus is, and the modules whose phases are timed."""

    label: str
    entry: ModuleType  # has match_corpus
    modules: tuple[ModuleType, ...]


def load_impl(spec: str) -> Impl:
    """`package`: the current warehouse.match; else an older single matching module from a file, under
    its own name (two versions can live in one process)."""
    if spec == "package":
        modules = tuple(importlib.import_module(m) for m in PACKAGE_MODULES)
        return Impl("warehouse.match", modules[0], modules)
    path = Path(spec)
    name = f"matching_impl_{hashlib.md5(str(path.resolve()).encode()).hexdigest()[:8]}"
    loader = importlib.util.spec_from_file_location(name, path)
    if loader is None or loader.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(loader)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    loader.loader.exec_module(module)
    return Impl(str(path), module, (module,))


def inputs(warehouse: Path, from_cache: bool = False) -> tuple[list[Path], pa.Table]:
    """Passage files and the (doc_id, text_chars) table of the current version, as the flow passes them;
    from_cache: of the shards a failed run left in the warehouse's shard cache instead (no version)."""
    tables = [(warehouse / "current").resolve()]
    if from_cache:
        tables = sorted(p for p in (warehouse / ".cache" / "shards").iterdir() if p.is_dir())
    documents = pa.concat_tables(
        pq.read_table(path, columns=["doc_id", "text_chars"])
        for table in tables
        for path in sorted((table / "documents_base").glob("*.parquet"))
    )
    return sorted(p for t in tables for p in (t / "passage_index").glob("*.parquet")), documents


def table_md5(table: pa.Table) -> str:
    """md5 of a table's rows in their order (the IPC stream bytes of one chunk per column)."""
    sink = io.BytesIO()
    combined = table.combine_chunks()
    with pa.ipc.new_stream(sink, combined.schema) as writer:
        writer.write_table(combined)
    return hashlib.md5(sink.getvalue()).hexdigest()


def _timed(fn: Callable[..., Any], totals: dict[str, float], counts: dict[str, int]) -> Callable[..., Any]:
    """fn, adding its CPU seconds and calls to the totals under its name."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[fn.__name__] += time.process_time() - started
            counts[fn.__name__] += 1

    return wrapper


def run_once(
    impl: Impl,
    files: list[Path],
    documents: pa.Table,
    new: pa.Array,
    profile: bool,
    top: int,
    parts: int | None = None,
    join_rows_per_pass: int | None = None,
) -> None:
    """One match with every phase timed; prints the phases, counts and result md5s."""
    totals: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    originals = [(m, name, getattr(m, name)) for m in impl.modules for name in PHASES if hasattr(m, name)]
    for module, name, fn in originals:
        setattr(module, name, _timed(fn, totals, counts))
    profiler = cProfile.Profile() if profile else None
    try:
        with tempfile.TemporaryDirectory(prefix="match-profile-") as tmp:
            started = time.process_time()
            wall = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            options: dict[str, Any] = {} if parts is None else {"spread": InProcess(parts=parts)}
            if join_rows_per_pass is not None:  # the package's config (stages since session 9)
                options["config"] = replace(MatchConfig(), join_rows_per_pass=join_rows_per_pass)
            result = impl.entry.match_corpus(
                files, documents, new, None, temp_dir=Path(tmp) / "duckdb", **options
            )
            if profiler is not None:
                profiler.disable()
            total = time.process_time() - started
            wall = time.perf_counter() - wall
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kB
    print(
        f"impl {impl.label}: match_corpus {total:.2f} CPU s ({wall:.2f} s wall), "
        f"peak RSS of the process so far {peak / 2**20:,.0f} MiB"
    )
    for name in PHASES:
        if name in totals:
            print(f"  {name:22s} {totals[name]:8.2f} CPU s  {counts[name]:7d} calls")
    print(f"  stats {result.stats}")
    for name in ("doc_pairs", "events", "passage_links"):
        table = getattr(result, name)
        print(f"  {name:14s} rows {table.num_rows:8d}  md5 {table_md5(table)}")
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
        print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument(
        "--impl", action="append", help="`package` or an older matching module's file (repeatable)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="runs of each implementation, alternating")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top functions")
    parser.add_argument(
        "--new", type=int, default=0, help="only this many documents new (every n-th; 0: all, a cold run)"
    )
    parser.add_argument("--top", type=int, default=DEFAULT_TOP)
    parser.add_argument(
        "--parts", type=int, help="cut each stage into this many jobs, run here one after another"
    )
    parser.add_argument(
        "--join-rows-per-pass",
        type=int,
        help="the candidate join's pass budget (13.3M join rows at 100k / 12 passes, as at 1M: 1108434)",
    )
    parser.add_argument(
        "--from-cache", action="store_true", help="the shards a failed run left in the shard cache"
    )
    args = parser.parse_args(argv)
    impls = [load_impl(p) for p in args.impl or ["package"]]
    files, documents = inputs(args.warehouse, args.from_cache)
    ids = documents.column("doc_id").combine_chunks()
    new = (
        ids.take(pa.array(range(0, len(ids), max(1, len(ids) // args.new)))[: args.new]) if args.new else ids
    )
    print(f"{args.warehouse}: {documents.num_rows} documents ({len(new)} new), {len(files)} passage files")
    for _ in range(args.rounds):
        for impl in impls:
            run_once(impl, files, documents, new, args.profile, args.top, args.parts, args.join_rows_per_pass)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
