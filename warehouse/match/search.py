"""A candidate search's plan and folder: what every job of the candidates stage reads, and the names of
the files they pass to each other.

The plan numbers the documents (new ones first) and, on an incremental run, lists the band hashes of
the new documents; both are written once to the search's folder for every job to read, wherever it
runs (the folder is the warehouse's staging folder, which every worker reaches).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.match.config import MatchConfig
from warehouse.match.duck import connect
from warehouse.spread import Spread
from warehouse.sql import sql_files, sql_path


@dataclass(frozen=True)
class Search:
    """One candidate search: its folder, the passage files and what every job needs to know of the run."""

    work: Path
    files: tuple[str, ...]
    n_new: int
    n_docs: int
    full_scan: bool  # every band row is read as it is (most documents are new)
    one_pass: bool  # an incremental run of few new documents: copies found among the touched rows only
    band_bound: int  # band hashes the passage files hold at most (band_row_bound)
    ranges: int  # hash ranges the buckets are counted in (an incremental run: set after the split)
    config: MatchConfig

    @property
    def docs(self) -> Path:
        """(doc_id, dn): dense document numbers, new documents first."""
        return self.work / "docs.parquet"

    @property
    def new_h(self) -> Path:
        """(h): the distinct band hashes of the new documents (an incremental run's buckets)."""
        return self.work / "new_h.parquet"

    @property
    def split(self) -> Path:
        """The split jobs' band rows: by hash range on a full scan, one file a job otherwise."""
        return self.work / "split"

    @property
    def kept(self) -> Path:
        """(dn, passage_no, ph, k): each document's kept passages, k its band count (full scan)."""
        return self.work / "kept"

    @property
    def hot(self) -> Path:
        """rare/ and common/: (dn, passage_no, h, n_docs) of buckets of two or more documents, a file
        a range."""
        return self.work / "hot"

    @property
    def joined(self) -> Path:
        """job<first range>/part=<pass>/: BUCKET_PAIRS of the rare buckets, by their first document's
        pass (a pass aggregates its own files only)."""
        return self.work / "joined"

    @property
    def same(self) -> Path:
        """(dn, passage_no, ph, m, lead): passages held by two or more documents."""
        return self.work / "same.parquet"


def plan_search(
    files: Sequence[str],
    new: pa.Array,
    old: pa.Array,
    work: Path,
    temp_dir: Path | None,
    config: MatchConfig,
    spread: Spread,
) -> Search:
    """The search over the passage files for pairs touching a new document (new, old: sorted doc ids),
    its folder made and its shared files written; spread: how many jobs a stage is cut into, and the
    threads each job has."""
    n_new, n_docs = len(new), len(new) + len(old)
    full_scan = n_new > config.full_scan_share * n_docs
    for folder in ("split", "kept", "hot/rare", "hot/common"):
        (work / folder).mkdir(parents=True, exist_ok=True)
    # dn is given, not numbered in SQL: without insertion order a row_number() would not follow it
    order = pa.concat_arrays([new, old]) if len(old) else new
    numbered = pa.table({"doc_id": order, "dn": pa.array(np.arange(len(order), dtype=np.int32))})
    bound = band_row_bound(files)
    one_pass = not full_scan and n_new <= config.one_pass_max_new
    search = Search(work, tuple(files), n_new, n_docs, full_scan, one_pass, bound, 0, config)
    pq.write_table(numbered, search.docs)
    if full_scan:
        # an upper bound of the buckets (every band its own), from the files' footers: a range count
        # fixed before the band lists are read, as the split writes by range
        return replace(search, ranges=_ranges(config, bound, spread))
    _write_new_hashes(search, temp_dir)
    return search


def band_row_bound(files: Sequence[str]) -> int:
    """Band hashes the passage files hold at most (the leaf values of their band lists, as the footers
    count them: copies and passages beyond the cap included)."""
    total = 0
    for path in files:
        meta = pq.ParquetFile(path).metadata
        leaf = next(i for i in range(meta.num_columns) if meta.schema.column(i).path.startswith("bands."))
        total += sum(meta.row_group(g).column(leaf).num_values for g in range(meta.num_row_groups))
    return total


def _write_new_hashes(search: Search, temp_dir: Path | None) -> None:
    """The distinct band hashes of the new documents: the buckets an incremental run looks in.

    Cheap however large the corpus: the join with the few new documents' numbers lets DuckDB skip the
    passage files' other row groups."""
    con = connect(search.config, temp_dir)
    try:
        con.execute(
            f"COPY (SELECT DISTINCT unnest(p.bands) AS h FROM read_parquet({sql_files(search.files)}) p "
            f"JOIN (SELECT * FROM read_parquet('{sql_path(search.docs)}') WHERE dn < {search.n_new}) d "
            f"USING (doc_id) WHERE p.passage_no < {search.config.max_passages_per_doc}) "
            f"TO '{sql_path(search.new_h)}' (FORMAT parquet)"
        )
    finally:
        con.close()


def with_ranges(search: Search, band_rows: int, spread: Spread) -> Search:
    """An incremental search given its range count once the split has counted its rows (an upper bound
    of the buckets)."""
    if search.full_scan:
        return search
    return replace(search, ranges=_ranges(search.config, band_rows, spread))


def _ranges(config: MatchConfig, band_rows: int, spread: Spread) -> int:
    """Enough hash ranges for each range's aggregate to fit, and a multiple of the jobs that share
    them (each job counts as many)."""
    jobs = config.jobs(band_rows, config.job_band_rows, spread.parts)
    return -(-config.partitions(band_rows, spread.threads) // jobs) * jobs


def file_groups(search: Search, parts: int) -> list[list[str]]:
    """The passage files in at most `parts` groups of about equal bytes (largest first, each to the
    lightest group), for the split jobs (one when the band lists are not worth several)."""
    config = search.config
    jobs = config.jobs(search.band_bound, config.job_band_rows, min(parts, len(search.files)))
    groups: list[list[str]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    size = {path: Path(path).stat().st_size for path in search.files}
    for path in sorted(search.files, key=lambda f: (-size[f], f)):
        lightest = loads.index(min(loads))
        groups[lightest].append(path)
        loads[lightest] += size[path]
    return [g for g in groups if g]


def range_groups(ranges: int, parts: int) -> list[list[int]]:
    """Hash ranges dealt to at most `parts` jobs (range r to job r mod parts)."""
    jobs = max(1, min(parts, ranges))
    return [list(range(j, ranges, jobs)) for j in range(jobs)]
