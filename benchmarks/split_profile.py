"""The match step's band split and bucket count alone over a stored warehouse: CPU, wall, peak RSS.

The split (warehouse.match.bands.split_bands) writes every band row of a cold match by hash range;
the bucket count (count_buckets) reads them back range by range. At 1M documents a whole match_profile
takes ten minutes, most of it in later stages; this runs the two stages the split's file layout
decides, in one job each as the flow's single-machine run does, so that two versions of the code
(run with PYTHONPATH set to each checkout, alternated) can be compared at scale. Peak RSS is the
process's, after the inputs are loaded (printed first).

Run: .venv/bin/python -m benchmarks.split_profile --warehouse /tmp/zhnews-bench/wh-memory-1000000
         [--ranges N] (force the range count, e.g. 1M's 61 over a 100k warehouse) [--no-count]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from benchmarks.match_profile import inputs
from warehouse.match.bands import count_buckets, split_bands
from warehouse.match.config import MatchConfig
from warehouse.match.search import file_groups, plan_search
from warehouse.spread import InProcess


def peak_mib() -> float:
    """Peak RSS of this process so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--ranges", type=int, help="hash ranges to split into (default: the plan's)")
    parser.add_argument("--no-count", action="store_true", help="the split only")
    args = parser.parse_args(argv)
    files, documents = inputs(args.warehouse)
    ids = documents.column("doc_id").combine_chunks()
    ids = ids.take(pc.array_sort_indices(ids))
    print(
        f"{args.warehouse}: {len(ids)} documents, {len(files)} passage files, peak RSS {peak_mib():,.0f} MiB"
    )
    with tempfile.TemporaryDirectory(prefix="split-profile-") as tmp:
        work, spill = Path(tmp) / "search", Path(tmp) / "duckdb"
        plan = plan_search(
            [str(f) for f in files], ids, pa.array([], pa.string()), work, spill, MatchConfig(), InProcess()
        )
        search = plan if args.ranges is None else replace(plan, ranges=args.ranges)
        cpu, wall = time.process_time(), time.perf_counter()
        rows = sum(split_bands(search, group, spill) for group in file_groups(search, 1))
        print(
            f"split into {search.ranges} ranges: {time.process_time() - cpu:.2f} CPU s, "
            f"{time.perf_counter() - wall:.2f} s wall, {rows:,} band rows, peak RSS {peak_mib():,.0f} MiB"
        )
        if not args.no_count:
            cpu, wall = time.process_time(), time.perf_counter()
            join_rows = count_buckets(search, list(range(search.ranges)), spill)
            print(
                f"bucket count: {time.process_time() - cpu:.2f} CPU s, "
                f"{time.perf_counter() - wall:.2f} s wall, "
                f"{join_rows:,} join rows, peak RSS {peak_mib():,.0f} MiB"
            )
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
