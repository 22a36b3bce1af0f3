"""Candidates, first half: the stored LSH band lists split by hash range, and in each range the band
rows of buckets of two or more documents, written to Parquet with their bucket's size.

Two kinds of job, each cut into as many as there are workers: `split_bands` over a group of passage
files, `count_buckets` over a group of hash ranges. A job reads and writes files of the search's
folder only (search.py names them) and opens its own DuckDB session, so where it runs does not change
what it writes.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import duckdb

from warehouse.match.config import MatchConfig
from warehouse.match.duck import connect
from warehouse.match.ranges import range_source, write_by_range
from warehouse.match.search import Search
from warehouse.sql import sql_files, sql_path

# The empty band-row source: a range of the split that no job wrote a row to.
NO_ROWS = "(SELECT NULL::INTEGER AS dn, NULL::INTEGER AS passage_no, NULL::BIGINT AS h WHERE false)"


def doc_numbers(con: duckdb.DuckDBPyConnection, search: Search) -> str:
    """A view of the plan's (doc_id, dn) numbering in this session."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW docs AS SELECT * FROM read_parquet('{sql_path(search.docs)}')")
    return "docs"


def passage_bands(con: duckdb.DuckDBPyConnection, search: Search, docs: str, files: Sequence[str]) -> str:
    """A view of the given files' band lists by document number (docs: the numbering's view): each
    passage within the cap, ph the hash of its bands (identical passages of one document have the
    same ph)."""
    # beyond max_passages_per_doc a document takes no part in candidates
    con.execute(
        "CREATE OR REPLACE TEMP VIEW passage_bands AS "
        "SELECT d.dn, p.passage_no, hash(p.bands) AS ph, p.bands "
        f"FROM read_parquet({sql_files(files)}) p JOIN {docs} d USING (doc_id) "
        f"WHERE p.passage_no < {search.config.max_passages_per_doc} AND len(p.bands) > 0"
    )
    return "passage_bands"


def split_bands(search: Search, files: Sequence[str], temp_dir: Path | None) -> int:
    """One group of passage files: the band rows of each document's first copies written by hash range
    (all on a full scan, else those in a new document's buckets), and the kept passages' hashes.

    Returns the band rows written. A document's passages are in one passage file (a version keeps a
    document's rows in one part), so its copies are found within one job.
    """
    job = search.files.index(files[0])  # names the job's files: groups do not share a file
    con = connect(search.config, temp_dir)
    try:
        bands = passage_bands(con, search, doc_numbers(con, search), files)
        if search.one_pass:
            kept_rows = _touched_first_copies(con, search, bands, job)
        else:
            kept_rows = _first_copies(con, search, bands, job)
        if search.full_scan:
            # the band lists are read and unnested once, streamed into one Parquet file per hash range
            # (ranges.py); each bucket pass reads only its range. A job run again (its worker lost)
            # starts from an empty folder of its own
            shutil.rmtree(search.split / f"job{job}", ignore_errors=True)
            reader = con.sql(f"SELECT dn, passage_no, h FROM ({kept_rows})").to_arrow_reader(
                search.config.split_batch_rows
            )
            return write_by_range(reader, search.split / f"job{job}", search.ranges)
        # the rows in the new documents' buckets: how many is not known before they are read, and
        # can be far more than the new hashes (a stock clause's bucket holds thousands of documents)
        written = con.execute(
            f"COPY ({kept_rows}) TO '{sql_path(search.split / f'job{job}.parquet')}' (FORMAT parquet)"
        ).fetchall()
    finally:
        con.close()
    return int(written[0][0])


def _first_copies(con: duckdb.DuckDBPyConnection, search: Search, bands: str, job: int) -> str:
    """Every copy of a passage but the first dropped, found per passage (no band rows needed): identical
    passages have identical bands, so they fall in the same buckets together. Writes the kept passages
    with their band count; returns the query of their band rows (in new_h's buckets when incremental)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE copies AS SELECT dn, ph, min(passage_no) AS first_no "
        f"FROM {bands} GROUP BY dn, ph HAVING count(*) > 1"
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW kept_passages AS SELECT p.dn, p.passage_no, p.ph, p.bands "
        f"FROM {bands} p LEFT JOIN copies c USING (dn, ph) "
        "WHERE c.first_no IS NULL OR p.passage_no = c.first_no"
    )
    con.execute(
        "COPY (SELECT dn, passage_no, ph, len(bands) AS k FROM kept_passages) "
        f"TO '{sql_path(search.kept / f'job{job}.parquet')}' (FORMAT parquet)"
    )
    rows = "SELECT dn, passage_no, unnest(bands) AS h FROM kept_passages"
    if not search.full_scan:
        rows = f"SELECT * FROM ({rows}) SEMI JOIN read_parquet('{sql_path(search.new_h)}') USING (h)"
    return rows


def _touched_first_copies(con: duckdb.DuckDBPyConnection, search: Search, bands: str, job: int) -> str:
    """First copies among the rows in new_h's buckets, from one pass over the stored band lists.

    Exact: a copy of a passage has the same bands, so it is in those buckets exactly when the passage
    is, and so is every passage identical to a new document's (all its bands are the new one's). For
    a run of a few new documents it replaces the three passes of _first_copies."""
    touched_path = search.work / f"touched-{job}.parquet"
    con.execute(
        f"COPY (SELECT * FROM (SELECT dn, passage_no, ph, unnest(bands) AS h FROM {bands}) "
        f"SEMI JOIN read_parquet('{sql_path(search.new_h)}') USING (h)) "
        f"TO '{sql_path(touched_path)}' (FORMAT parquet)"
    )
    touched = f"read_parquet('{sql_path(touched_path)}')"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE copies AS SELECT dn, ph, min(passage_no) AS first_no "
        f"FROM (SELECT DISTINCT dn, passage_no, ph FROM {touched}) GROUP BY dn, ph HAVING count(*) > 1"
    )
    kept = (
        f"SELECT t.* FROM {touched} t LEFT JOIN copies c USING (dn, ph) "
        "WHERE c.first_no IS NULL OR t.passage_no = c.first_no"
    )
    # the band count is only read by a full scan's frequencies
    con.execute(
        f"COPY (SELECT DISTINCT dn, passage_no, ph, NULL::BIGINT AS k FROM ({kept})) "
        f"TO '{sql_path(search.kept / f'job{job}.parquet')}' (FORMAT parquet)"
    )
    return f"SELECT dn, passage_no, h FROM ({kept})"


def count_buckets(search: Search, ranges: Sequence[int], temp_dir: Path | None) -> int:
    """Range by range: the band rows of buckets of two or more documents, written to Parquet with their
    bucket's size (rare and common buckets apart).

    A bucket lies in one hash range whole, so its size is exact per range; nothing of a range but its
    Parquet files outlives its pass, so DuckDB's memory holds one range's aggregate at a time.
    Returns the upper bound of the self-join rows of the rare buckets (sets the candidate passes).
    """
    config = search.config
    join_rows = 0
    for part, source in _range_sources(search, ranges, temp_dir):
        # a session a range: one that has held a range's aggregate makes the next one spill
        con = connect(config, temp_dir)
        try:
            join_rows += _count_range(con, search, source, part, config)
        finally:
            con.close()
    return join_rows


def _range_sources(search: Search, ranges: Sequence[int], temp_dir: Path | None) -> list[tuple[int, str]]:
    """Each range's band rows as a SQL source: a full scan's split wrote them by range; an incremental
    run's are in one file a split job, cut here by range when there is more than one."""
    if search.full_scan:
        return [(part, range_source(search.split, part, NO_ROWS)) for part in ranges]
    rows = f"read_parquet('{sql_path(search.split)}/*.parquet')"
    if search.ranges == 1:
        return [(part, rows) for part in ranges]
    # read once, each range's rows to their own file (a range at a time would read all of them again)
    local = (temp_dir or search.work) / f"ranges-{ranges[0]}"
    shutil.rmtree(local, ignore_errors=True)
    wanted = ", ".join(str(part) for part in ranges)
    con = connect(search.config, temp_dir)
    try:
        reader = con.sql(
            f"SELECT dn, passage_no, h FROM {rows} WHERE abs(h % {search.ranges}) IN ({wanted})"
        ).to_arrow_reader(search.config.split_batch_rows)
        write_by_range(reader, local, search.ranges)
    finally:
        con.close()
    return [(part, range_source(local, part, NO_ROWS)) for part in ranges]


def _count_range(
    con: duckdb.DuckDBPyConnection, search: Search, source: str, part: int, config: MatchConfig
) -> int:
    """One range's buckets of two or more documents written as rare and common rows; returns the upper
    bound of the rare buckets' self-join rows."""
    # buckets of two or more documents, and (for the join's size) their documents that are not new;
    # the range's rows are read twice: a copy of them in memory beside the aggregate's hash table
    # would not fit DuckDB's limit at scale; the aggregate alone spills
    con.execute(
        "CREATE OR REPLACE TEMP TABLE range_bucket AS SELECT h, count(*)::INTEGER AS n_docs, "
        f"count(*) FILTER (WHERE dn >= {search.n_new}) AS n_old "
        f"FROM (SELECT DISTINCT h, dn FROM {source}) GROUP BY h HAVING count(*) > 1"
    )
    join_rows = int(
        con.execute(
            "SELECT coalesce(sum((n_docs * (n_docs - 1) - n_old * (n_old - 1)) // 2), 0)::BIGINT "
            f"FROM range_bucket WHERE n_docs <= {config.rare_bucket_docs}"
        ).fetchall()[0][0]
    )
    # rare and common buckets apart: the candidate passes read the rare ones only; the common ones
    # only give a full scan its passages' bucket sizes (df_from_hot), so an incremental run does not
    # write them
    kinds = (("rare", "<="), ("common", ">")) if search.full_scan else (("rare", "<="),)
    for kind, test in kinds:
        con.execute(
            f"COPY (SELECT s.dn, s.passage_no, s.h, b.n_docs FROM {source} s "
            f"JOIN range_bucket b USING (h) WHERE b.n_docs {test} {config.rare_bucket_docs}) "
            f"TO '{sql_path(search.hot / kind / f'{part}.parquet')}' (FORMAT parquet)"
        )
    con.execute("DROP TABLE range_bucket")
    return join_rows
