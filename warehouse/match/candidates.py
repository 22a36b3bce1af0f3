"""Candidates stage: document pairs worth verifying, from the stored LSH band hashes, in DuckDB.

Two passages are a candidate link when identical or colliding in config.min_passage_band_hits rare
buckets; two documents are candidates when several of their passages are linked. Only buckets that
hold a band of a new document are looked at (all of them on a first run), under a memory limit that
makes joins and aggregates spill. The stage also measures each candidate passage's document
frequency (its rarity weight in the verdict). Its inputs are the passage files and the document ids;
its outputs an Arrow table of pairs and a Parquet file of frequencies.

The stage runs as jobs that pass files to each other in the search's folder (search.py): split the
band lists by hash range (a job per group of passage files), count each range's buckets (a job per
group of ranges), find the identical passages (here), join each range's rare buckets into passage
pairs written by pass (a job per group of ranges), aggregate each pass's passage pairs into document
pairs (a job per group of passes), measure the frequencies (here). A Spread runs each group of jobs,
here or on workers; the pairs are the same whichever way they are cut.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.match.bands import count_buckets, doc_numbers, passage_bands, split_bands
from warehouse.match.config import MatchConfig, job_config
from warehouse.match.duck import connect
from warehouse.match.ranges import range_source, write_by_range
from warehouse.match.search import Search, file_groups, plan_search, range_groups, with_ranges
from warehouse.schema import BUCKET_PAIRS, CANDIDATE_PAIRS
from warehouse.spread import IN_PROCESS, Spread, run_jobs
from warehouse.sql import sql_path


@dataclass(frozen=True)
class Candidates:
    """The candidates stage's output."""

    pairs: pa.Table  # CANDIDATE_PAIRS: doc_a < doc_b, sorted, each touching a new document
    df: Path | None  # Parquet (doc_id, passage_no, df) of the candidates' passages (None: no candidate)
    band_rows: int  # band hash rows searched, as the split wrote them (those of 2+ document buckets are kept)
    join_rows: int  # upper bound of the candidate joins' rows (sets their passes)


NO_CANDIDATES = Candidates(CANDIDATE_PAIRS.empty_table(), None, 0, 0)
# The empty passage-pair source: a pass no join job wrote a row to.
NO_PAIRS = (
    "(SELECT NULL::INTEGER AS a, NULL::INTEGER AS b, NULL::INTEGER AS pa, NULL::INTEGER AS pb WHERE false)"
)


def find_candidates(
    files: Sequence[str],
    new: pa.Array,
    old: pa.Array,
    work_dir: Path,
    temp_dir: Path | None,
    config: MatchConfig,
    spread: Spread = IN_PROCESS,
) -> Candidates:
    """Candidate pairs touching a new document (new, old: sorted doc ids), and their passages' df.

    work_dir receives the df file (the caller removes it) and, while the stage runs, the search's
    files; temp_dir is where DuckDB spills (each job in a folder of its own).
    """
    search = plan_search(files, new, old, work_dir / "search", temp_dir, config, spread)
    as_job = job_config(config, spread)  # the config the jobs get: their own share of threads
    try:
        split = [
            functools.partial(split_bands, replace(search, config=as_job), group)
            for group in file_groups(search, spread.parts)
        ]
        written = run_jobs(spread, "match-split", split, temp_dir)
        search = with_ranges(search, sum(written), spread)
        buckets = [
            functools.partial(count_buckets, replace(search, config=as_job), ranges)
            for ranges in range_groups(search.ranges, spread.parts)
        ]
        join_rows = sum(run_jobs(spread, "match-buckets", buckets, temp_dir)) + same_passages(
            search, temp_dir
        )
        jobs = config.jobs(join_rows, config.job_join_rows, spread.parts)
        passes = max(config.doc_passes(join_rows), jobs)
        joins = [
            functools.partial(join_buckets, replace(search, config=as_job), ranges, passes=passes)
            for ranges in range_groups(search.ranges, jobs)
        ]
        run_jobs(spread, "match-join", joins, temp_dir)
        aggregates = [
            functools.partial(pair_candidates, replace(search, config=as_job), residues, passes=passes)
            for residues in range_groups(passes, jobs)
        ]
        found = run_jobs(spread, "match-pairs", aggregates, temp_dir)
        ordered = sorted({(min(a, b), max(a, b)) for part in found for a, b in part})
        pairs = pa.table(
            {"doc_a": [a for a, _ in ordered], "doc_b": [b for _, b in ordered]}, schema=CANDIDATE_PAIRS
        )
        df = passage_df(search, pairs, work_dir / "passage_df.parquet", temp_dir) if ordered else None
    finally:
        shutil.rmtree(search.work, ignore_errors=True)
    return Candidates(pairs, df, sum(written), join_rows)


def same_passages(search: Search, temp_dir: Path | None) -> int:
    """The passages held by two or more documents (up to the cap; on an incremental run those a new
    document holds), written with their holder count and whether their document leads them; returns
    an upper bound of the document pairs they make."""
    config, n_new = search.config, search.n_new
    cap = config.bucket_cap(search.n_docs)
    con = connect(config, temp_dir)
    try:
        # the passages' hashes read once; a document's kept passages are distinct, so a passage's rows
        # are its documents
        con.execute(
            "CREATE TEMP TABLE passage_ph AS SELECT dn, passage_no, ph "
            f"FROM read_parquet('{sql_path(search.kept)}/*.parquet')"
        )
        touched = "" if search.full_scan else f"WHERE ph IN (SELECT ph FROM passage_ph WHERE dn < {n_new})"
        # counts first (a plain aggregate spills; one with a list per passage of the corpus does not
        # fit at scale), the leads only for the few passages held twice or more
        con.execute(
            "CREATE TEMP TABLE same_class AS SELECT ph, count(*)::INTEGER AS m, "
            f"count(*) FILTER (WHERE dn >= {n_new}) AS m_old "
            f"FROM passage_ph {touched} GROUP BY ph HAVING count(*) > 1 AND count(*) <= {cap}"
        )
        con.execute(
            "COPY (WITH held AS ("
            "  SELECT p.dn, p.passage_no, p.ph, c.m FROM passage_ph p JOIN same_class c USING (ph)"
            ") SELECT h.*, list_contains(l.leads, h.dn) AS lead FROM held h "
            f"JOIN (SELECT ph, min(dn, {config.star_leads}) AS leads FROM held GROUP BY ph) l USING (ph)) "
            f"TO '{sql_path(search.same)}' (FORMAT parquet)"
        )
        pairs = con.execute(
            f"SELECT coalesce(sum(CASE WHEN m <= {config.max_bucket_docs} "
            "THEN (m * (m - 1) - m_old * (m_old - 1)) // 2 "
            f"ELSE {config.star_leads} * m END), 0)::BIGINT FROM same_class"
        ).fetchall()[0][0]
    finally:
        con.close()
    return int(pairs)


def join_buckets(search: Search, ranges: Sequence[int], temp_dir: Path | None, passes: int) -> int:
    """The passage pairs of the given ranges' rare buckets (a new, a < b: one row a bucket they share),
    written by their first document's pass; returns the rows written.

    Each pass then reads its own rows once: a pass that joined its documents' rows with every rare row
    read all of them twice a pass (12 passes at 1M documents; BENCHMARKS.md, "Session 14").
    """
    folder = search.joined / f"job{ranges[0]}"  # range groups do not share a range
    shutil.rmtree(folder, ignore_errors=True)  # a job run again (its worker lost) starts afresh
    reader = pa.RecordBatchReader.from_batches(
        BUCKET_PAIRS, _bucket_pairs(search, ranges, temp_dir, search.config.split_batch_rows)
    )
    return write_by_range(reader, folder, passes, key="a")


def _bucket_pairs(
    search: Search, ranges: Sequence[int], temp_dir: Path | None, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    """Range by range, the self-join of its rare band rows, in batches (a session a range: its rows
    are a few million at most, as its buckets were counted in one aggregate)."""
    for part in ranges:
        con = connect(search.config, temp_dir)
        try:
            con.execute(
                "CREATE TEMP TABLE range_rows AS SELECT dn, passage_no, h "
                f"FROM read_parquet('{sql_path(search.hot / 'rare' / f'{part}.parquet')}')"
            )
            reader = con.sql(
                "SELECT x.dn::INTEGER AS a, y.dn::INTEGER AS b, "
                "x.passage_no::INTEGER AS pa, y.passage_no::INTEGER AS pb "
                "FROM range_rows x JOIN range_rows y ON y.h = x.h AND x.dn < y.dn "
                f"WHERE x.dn < {search.n_new}"
            ).to_arrow_reader(batch_rows)
            for batch in reader:
                yield pa.RecordBatch.from_arrays(batch.columns, schema=BUCKET_PAIRS)
        finally:
            con.close()


def pair_candidates(
    search: Search, residues: Sequence[int], temp_dir: Path | None, passes: int
) -> list[tuple[str, str]]:
    """Document pairs that touch a new document and share enough candidate passage pairs, among those
    whose first document's number has one of the given residues modulo passes.

    A pass aggregates about config.join_rows_per_pass passage pairs: a document pair's passage pairs
    all fall in its first document's pass, so each pass's pairs are final.
    """
    config = search.config
    found: list[tuple[str, str]] = []
    con = connect(config, temp_dir)
    try:
        con.execute(f"CREATE TEMP TABLE same AS SELECT * FROM read_parquet('{sql_path(search.same)}')")
        docs = doc_numbers(con, search)
        for r in residues:
            # the first document's identical passages of this pass, as a table: the join builds its
            # hash table on them (new documents come first, so the first document is new whenever the
            # second is)
            con.execute(
                "CREATE OR REPLACE TEMP TABLE pass_same AS SELECT * FROM same "
                f"WHERE dn < {search.n_new} AND dn % {passes} = {r}"
            )
            rows = con.execute(
                f"""
                WITH rare AS (
                    SELECT a, b, pa, pb FROM {range_source(search.joined, r, NO_PAIRS)}
                    GROUP BY ALL HAVING count(*) >= {config.min_passage_band_hits}
                ), identical AS (
                    SELECT x.dn AS a, y.dn AS b, x.passage_no AS pa, y.passage_no AS pb
                    FROM pass_same x JOIN same y ON y.ph = x.ph AND x.dn < y.dn
                    WHERE x.m <= {config.max_bucket_docs} OR x.lead OR y.lead
                ), pairs AS (
                    SELECT a, b FROM (SELECT * FROM rare UNION ALL SELECT * FROM identical) GROUP BY a, b
                    HAVING count(DISTINCT pa) >= {config.min_candidate_passages}
                        AND count(DISTINCT pb) >= {config.min_candidate_passages}
                )
                SELECT da.doc_id, db.doc_id FROM pairs
                JOIN {docs} da ON da.dn = pairs.a JOIN {docs} db ON db.dn = pairs.b
                """
            ).fetchall()
            found.extend((str(a), str(b)) for a, b in rows)
    finally:
        con.close()
    return found


def passage_df(search: Search, pairs: pa.Table, out: Path, temp_dir: Path | None) -> Path:
    """Each passage's document frequency (median bucket size over its bands) for the documents of the
    pairs, written to out as (doc_id, passage_no, df).

    A stock sentence's bands all hold its documents; a rare passage has a few bands on pairs of
    common n-grams, so the median, not the maximum.
    """
    ids = pc.unique(
        pa.concat_arrays([pairs.column("doc_a").combine_chunks(), pairs.column("doc_b").combine_chunks()])
    )
    con = connect(search.config, temp_dir)
    try:
        docs = doc_numbers(con, search)
        con.register("inv_list", pa.table({"doc_id": ids.take(pc.array_sort_indices(ids))}))
        con.execute(f"CREATE TEMP TABLE inv AS SELECT dn FROM {docs} JOIN inv_list USING (doc_id)")
        con.unregister("inv_list")
        if search.full_scan:
            query = _df_from_hot(search, docs, "inv")
        else:
            query = _df_from_band_rows(con, docs, passage_bands(con, search, docs, search.files), "inv")
        con.execute(f"COPY ({query}) TO '{sql_path(out)}' (FORMAT parquet)")
    finally:
        con.close()
    return out


def _df_from_hot(search: Search, docs: str, inv: str) -> str:
    """The df query of a full scan: every bucket of two or more documents is in hot with its size, a
    passage's other bands are alone in theirs (size 1), so the sizes of its bands in hot and its band
    count make the median (quantile_disc(x, 0.5) of k values is the ((k - 1) // 2)-th smallest)."""
    return (
        "WITH shared AS ("
        f"  SELECT dn, passage_no, list_sort(list(n_docs)) AS sizes "
        f"  FROM read_parquet('{sql_path(search.hot)}/*/*.parquet') SEMI JOIN {inv} USING (dn) GROUP BY ALL"
        "), counted AS ("
        f"  SELECT dn, passage_no, k FROM read_parquet('{sql_path(search.kept)}/*.parquet') "
        f"  SEMI JOIN {inv} USING (dn)"
        ") SELECT d.doc_id, c.passage_no, "
        "  CASE WHEN (c.k - 1) // 2 < c.k - coalesce(len(s.sizes), 0) THEN 1 "
        "       ELSE s.sizes[(c.k - 1) // 2 - (c.k - len(s.sizes)) + 1] END AS df "
        f"FROM counted c LEFT JOIN shared s USING (dn, passage_no) JOIN {docs} d USING (dn)"
    )


def _df_from_band_rows(con: duckdb.DuckDBPyConnection, docs: str, bands: str, inv: str) -> str:
    """The df query of an incremental run: hot holds only the buckets of new documents' bands, so the
    buckets of old documents' other bands are counted in one more streamed pass, kept to their hashes."""
    band_rows = f"(SELECT dn, passage_no, unnest(bands) AS h FROM {bands})"
    con.execute(
        f"CREATE TEMP TABLE inv_rows AS SELECT dn, passage_no, h FROM {band_rows} SEMI JOIN {inv} USING (dn)"
    )
    con.execute(
        "CREATE TEMP TABLE inv_bucket AS SELECT h, count(DISTINCT dn)::INTEGER AS n_docs "
        f"FROM {band_rows} WHERE h IN (SELECT h FROM inv_rows) GROUP BY h"
    )
    return (
        "SELECT d.doc_id, r.passage_no, quantile_disc(coalesce(b.n_docs, 1), 0.5) AS df "
        f"FROM inv_rows r LEFT JOIN inv_bucket b USING (h) JOIN {docs} d USING (dn) GROUP BY ALL"
    )
