"""Candidates, first half: the stored LSH band lists as DuckDB relations, and the band rows of buckets
of two or more documents written to Parquet, one hash range at a time.

Every function takes the relations it reads by name and returns the names (or paths) of what it made
on the connection; nothing here reads a relation it was not given.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from warehouse.match.config import MatchConfig
from warehouse.match.duck import sql_files, sql_path


@dataclass(frozen=True)
class Sources:
    """Relations over the passage files: document numbers and band lists."""

    docs: str  # table (doc_id, dn): dense numbers, new documents first
    passage_bands: str  # view (dn, passage_no, ph, bands): each passage within the cap, ph its bands' hash
    band_rows: str  # view (dn, passage_no, h): one row per band of every passage


@dataclass(frozen=True)
class Kept:
    """Each document's distinct passages (the first copy of each) as relations."""

    ph: str  # (dn, passage_no, ph)
    rows: str  # (dn, passage_no, h): their band rows (incremental: those in a new document's buckets)
    passages: str | None  # (dn, passage_no, ph, bands), when every band list was read (full scan)


@dataclass(frozen=True)
class Bands:
    """Where the band rows of buckets of two or more documents were written, and how many there are."""

    hot: str  # SQL source of the rows (dn, passage_no, h, n_docs) of buckets of two or more documents
    rare: str  # ... of the rare buckets among them (the ones the candidate joins read)
    looked_at: int  # band rows looked at (in buckets of one document too)
    rare_join_rows: int  # upper bound of the self-join rows of rare buckets


def define_sources(
    con: duckdb.DuckDBPyConnection, files: Sequence[str], order: pa.Array, config: MatchConfig
) -> Sources:
    """Number the documents in the given order (new first) and expose their band lists."""
    # dn is given, not numbered in SQL: without insertion order a row_number() would not follow it
    numbered = pa.table({"doc_id": order, "dn": pa.array(np.arange(len(order), dtype=np.int32))})
    con.register("doc_list", numbered)
    con.execute("CREATE TEMP TABLE docs AS SELECT doc_id, dn FROM doc_list")
    con.unregister("doc_list")
    # ph tells identical passages of one document apart from different ones: same normalised text,
    # same bands; beyond max_passages_per_doc a document takes no part in candidates
    con.execute(
        "CREATE TEMP VIEW passage_bands AS SELECT d.dn, p.passage_no, hash(p.bands) AS ph, p.bands "
        f"FROM read_parquet({sql_files(files)}) p JOIN docs d USING (doc_id) "
        f"WHERE p.passage_no < {config.max_passages_per_doc} AND len(p.bands) > 0"
    )
    con.execute("CREATE TEMP VIEW band_rows AS SELECT dn, passage_no, unnest(bands) AS h FROM passage_bands")
    return Sources("docs", "passage_bands", "band_rows")


def new_hashes(con: duckdb.DuckDBPyConnection, band_rows: str, n_new: int) -> str:
    """The distinct band hashes of the new documents: the buckets an incremental run looks in.

    Cheap however large the corpus: the join with the few new documents' numbers lets DuckDB skip
    the passage files' other row groups."""
    con.execute(f"CREATE TEMP TABLE new_h AS SELECT DISTINCT h FROM {band_rows} WHERE dn < {n_new}")
    return "new_h"


def keep_first_copies(con: duckdb.DuckDBPyConnection, passage_bands: str, new_h: str | None) -> Kept:
    """First copies from every band list; their band rows all (new_h None) or in new_h's buckets."""
    # every copy of a passage but the first is dropped, found per passage (no band rows needed):
    # identical passages have identical bands, so they fall in the same buckets together
    con.execute(
        "CREATE TEMP TABLE copies AS SELECT dn, ph, min(passage_no) AS first_no "
        f"FROM {passage_bands} GROUP BY dn, ph HAVING count(*) > 1"
    )
    con.execute(
        "CREATE TEMP VIEW kept_passages AS SELECT p.dn, p.passage_no, p.ph, p.bands "
        f"FROM {passage_bands} p LEFT JOIN copies c USING (dn, ph) "
        "WHERE c.first_no IS NULL OR p.passage_no = c.first_no"
    )
    con.execute("CREATE TEMP VIEW kept_ph AS SELECT dn, passage_no, ph FROM kept_passages")
    rows = "SELECT dn, passage_no, unnest(bands) AS h FROM kept_passages"
    if new_h is not None:
        rows = f"SELECT * FROM ({rows}) SEMI JOIN {new_h} USING (h)"
    con.execute(f"CREATE TEMP VIEW kept_rows AS {rows}")
    return Kept("kept_ph", "kept_rows", "kept_passages")


def keep_touched_first_copies(
    con: duckdb.DuckDBPyConnection, passage_bands: str, new_h: str, spill_dir: Path
) -> Kept:
    """First copies among the rows in new_h's buckets, from one pass over the stored band lists.

    Exact: a copy of a passage has the same bands, so it is in those buckets exactly when the passage
    is, and so is every passage identical to a new document's (all its bands are the new one's). For
    a run of a few new documents it replaces the three passes of keep_first_copies."""
    path = spill_dir / "touched_passages.parquet"
    con.execute(
        f"COPY (SELECT * FROM (SELECT dn, passage_no, ph, unnest(bands) AS h FROM {passage_bands}) "
        f"SEMI JOIN {new_h} USING (h)) TO '{sql_path(path)}' (FORMAT parquet)"
    )
    touched = f"read_parquet('{sql_path(path)}')"
    con.execute(
        "CREATE TEMP TABLE copies AS SELECT dn, ph, min(passage_no) AS first_no "
        f"FROM (SELECT DISTINCT dn, passage_no, ph FROM {touched}) GROUP BY dn, ph HAVING count(*) > 1"
    )
    kept = (
        f"SELECT t.* FROM {touched} t LEFT JOIN copies c USING (dn, ph) "
        "WHERE c.first_no IS NULL OR t.passage_no = c.first_no"
    )
    con.execute(f"CREATE TEMP VIEW kept_rows AS SELECT dn, passage_no, h FROM ({kept})")
    con.execute(f"CREATE TEMP VIEW kept_ph AS SELECT DISTINCT dn, passage_no, ph FROM ({kept})")
    return Kept("kept_ph", "kept_rows", None)


def _part_rows(split: Path, part: int) -> str:
    """The band rows of one hash range, from the per-range files (a range may have no rows at all)."""
    folder = split / f"part={part}"
    if not any(folder.glob("*.parquet")):
        return "(SELECT NULL::INTEGER AS dn, NULL::INTEGER AS passage_no, NULL::BIGINT AS h WHERE false)"
    return f"read_parquet('{sql_path(folder)}/*.parquet')"


def collect_bands(
    con: duckdb.DuckDBPyConnection,
    kept: Kept,
    n_new: int,
    full_scan: bool,
    spill_dir: Path,
    config: MatchConfig,
) -> Bands:
    """Hash range by hash range: the band rows of buckets of two or more documents (among the buckets a
    new document's bands fall in; all on a full scan) written to Parquet with their bucket's size.

    A bucket lies in one hash range whole, so its size is exact per range; nothing of a range but its
    Parquet file outlives its pass, so DuckDB's memory holds one range's aggregate at a time.
    """
    split, hot, touched = spill_dir / "band_parts", spill_dir / "hot", spill_dir / "touched_rows.parquet"
    (hot / "rare").mkdir(parents=True)
    (hot / "common").mkdir()
    rows = f"SELECT dn, passage_no, h FROM {kept.rows}"
    if full_scan:
        if kept.passages is None:
            raise ValueError("a full scan needs every kept band list")
        # an upper bound of the buckets: every band its own
        parts = config.partitions(
            int(con.execute(f"SELECT coalesce(sum(len(bands)), 0) FROM {kept.passages}").fetchall()[0][0])
        )
    else:
        # the rows in the new documents' buckets: how many is not known before they are read, and can
        # be far more than the new hashes (a stock clause's bucket holds thousands of documents), so
        # they are streamed to a file, counted (an upper bound of the buckets), and split if many
        written = con.execute(f"COPY ({rows}) TO '{sql_path(touched)}' (FORMAT parquet)").fetchall()
        parts = config.partitions(int(written[0][0]))
        rows = f"SELECT * FROM read_parquet('{sql_path(touched)}')"
    if parts > 1:
        # the band lists are read and unnested once, streamed into one Parquet file per hash range
        # (abs: a negative hash has a negative remainder); each pass then reads only its own range
        con.execute(
            f"COPY (SELECT *, abs(h % {parts})::INTEGER AS part FROM ({rows})) TO '{sql_path(split)}' "
            f"(FORMAT parquet, PARTITION_BY (part), ROW_GROUP_SIZE {config.split_row_group})"
        )
    looked_at = join_rows = 0
    for part in range(parts):
        if parts == 1 and not full_scan:
            source = f"({rows})"
        elif parts == 1:
            # read from the passage files and unnested once, for both steps below
            con.execute(f"CREATE OR REPLACE TEMP TABLE part_rows AS {rows}")
            source = "part_rows"
        else:
            # the range's own file, read twice: a copy of it in memory beside the aggregate's hash table
            # would not fit DuckDB's limit at scale; the aggregate alone spills
            source = _part_rows(split, part)
        looked_at += int(con.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0])
        # buckets of two or more documents, and (for the join's size) their documents that are not new
        con.execute(
            "CREATE OR REPLACE TEMP TABLE range_bucket AS SELECT h, count(*)::INTEGER AS n_docs, "
            f"count(*) FILTER (WHERE dn >= {n_new}) AS n_old "
            f"FROM (SELECT DISTINCT h, dn FROM {source}) GROUP BY h HAVING count(*) > 1"
        )
        join_rows += int(
            con.execute(
                "SELECT coalesce(sum((n_docs * (n_docs - 1) - n_old * (n_old - 1)) // 2), 0)::BIGINT "
                f"FROM range_bucket WHERE n_docs <= {config.rare_bucket_docs}"
            ).fetchall()[0][0]
        )
        # rare and common buckets apart: the candidate passes read the rare ones only; the common
        # ones only give a full scan its passages' bucket sizes (df_from_hot), so an incremental run
        # does not write them
        kinds = (("rare", "<="), ("common", ">")) if full_scan else (("rare", "<="),)
        for kind, test in kinds:
            con.execute(
                f"COPY (SELECT s.dn, s.passage_no, s.h, b.n_docs FROM {source} s "
                f"JOIN range_bucket b USING (h) WHERE b.n_docs {test} {config.rare_bucket_docs}) "
                f"TO '{sql_path(hot / kind / f'{part}.parquet')}' (FORMAT parquet)"
            )
        con.execute("DROP TABLE IF EXISTS part_rows")
    con.execute("DROP TABLE IF EXISTS range_bucket")
    shutil.rmtree(split, ignore_errors=True)
    return Bands(
        f"read_parquet('{sql_path(hot)}/*/*.parquet')",
        f"read_parquet('{sql_path(hot / 'rare')}/*.parquet')",
        looked_at,
        join_rows,
    )
