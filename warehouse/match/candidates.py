"""Candidates stage: document pairs worth verifying, from the stored LSH band hashes, in DuckDB.

Two passages are a candidate link when identical or colliding in config.min_passage_band_hits rare
buckets; two documents are candidates when several of their passages are linked. Only buckets that
hold a band of a new document are looked at (all of them on a first run), under a memory limit that
makes joins and aggregates spill. The stage also measures each candidate passage's document
frequency (its rarity weight in the verdict). Its inputs are the passage files and the document ids;
its outputs an Arrow table of pairs and a Parquet file of frequencies; the DuckDB session is its own.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.match.bands import (
    Bands,
    Kept,
    Sources,
    collect_bands,
    define_sources,
    keep_first_copies,
    keep_touched_first_copies,
    new_hashes,
)
from warehouse.match.config import MatchConfig
from warehouse.match.duck import connect, sql_path
from warehouse.schema import CANDIDATE_PAIRS


@dataclass(frozen=True)
class Same:
    """Passages held by two or more documents (within the cap), and the pairs they can make."""

    table: str  # (dn, passage_no, ph, m, lead): m the passage's holders, lead whether dn leads it
    pairs: int  # upper bound of the document pairs of identical passages


@dataclass(frozen=True)
class Candidates:
    """The candidates stage's output."""

    pairs: pa.Table  # CANDIDATE_PAIRS: doc_a < doc_b, sorted, each touching a new document
    df: Path | None  # Parquet (doc_id, passage_no, df) of the candidates' passages (None: no candidate)
    band_rows: int  # band hash rows searched (those of 2+ document buckets are kept)
    join_rows: int  # upper bound of the candidate joins' rows (sets their passes)


NO_CANDIDATES = Candidates(CANDIDATE_PAIRS.empty_table(), None, 0, 0)


def find_candidates(
    files: Sequence[str],
    new: pa.Array,
    old: pa.Array,
    work_dir: Path,
    temp_dir: Path | None,
    config: MatchConfig,
) -> Candidates:
    """Candidate pairs touching a new document (new, old: sorted doc ids), and their passages' df.

    work_dir receives the df file (the caller removes it); temp_dir is where DuckDB spills.
    """
    n_new, n_docs = len(new), len(new) + len(old)
    full_scan = n_new > config.full_scan_share * n_docs
    con = connect(config, temp_dir)
    try:
        sources = define_sources(con, files, pa.concat_arrays([new, old]), config)
        with tempfile.TemporaryDirectory(prefix="bands-", dir=temp_dir) as spill:
            new_h = None if full_scan else new_hashes(con, sources.band_rows, n_new)
            if new_h is None or n_new > config.one_pass_max_new:
                kept = keep_first_copies(con, sources.passage_bands, new_h)
            else:
                kept = keep_touched_first_copies(con, sources.passage_bands, new_h, Path(spill))
            bands = collect_bands(con, kept, n_new, full_scan, Path(spill), config)
            same = same_passages(con, kept.ph, n_new, n_docs, full_scan, config)
            pairs = candidate_pairs(con, bands, same, sources.docs, n_new, config)
            df = None
            if pairs.num_rows:
                df = passage_df(con, sources, kept, bands, pairs, full_scan, work_dir / "passage_df.parquet")
    finally:
        con.close()
    return Candidates(pairs, df, bands.looked_at, bands.rare_join_rows + same.pairs)


def same_passages(
    con: duckdb.DuckDBPyConnection,
    kept_ph: str,
    n_new: int,
    n_docs: int,
    full_scan: bool,
    config: MatchConfig,
) -> Same:
    """The passages held by two or more documents (up to the cap; on an incremental run those a new
    document holds), each row with its passage's holder count and whether its document leads it."""
    cap = config.bucket_cap(n_docs)
    # the passages' hashes read once; a document's kept passages are distinct, so a passage's rows
    # are its documents
    con.execute(f"CREATE OR REPLACE TEMP TABLE passage_ph AS SELECT dn, passage_no, ph FROM {kept_ph}")
    touched = "" if full_scan else f"WHERE ph IN (SELECT ph FROM passage_ph WHERE dn < {n_new})"
    # counts first (a plain aggregate spills; one with a list per passage of the corpus does not fit
    # at scale), the leads only for the few passages held twice or more
    con.execute(
        "CREATE OR REPLACE TEMP TABLE same_class AS SELECT ph, count(*)::INTEGER AS m, "
        f"count(*) FILTER (WHERE dn >= {n_new}) AS m_old "
        f"FROM passage_ph {touched} GROUP BY ph HAVING count(*) > 1 AND count(*) <= {cap}"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE same AS WITH held AS ("
        "  SELECT p.dn, p.passage_no, p.ph, c.m FROM passage_ph p JOIN same_class c USING (ph)"
        ") SELECT h.*, list_contains(l.leads, h.dn) AS lead FROM held h "
        f"JOIN (SELECT ph, min(dn, {config.star_leads}) AS leads FROM held GROUP BY ph) l USING (ph)"
    )
    pairs = con.execute(
        f"SELECT coalesce(sum(CASE WHEN m <= {config.max_bucket_docs} "
        "THEN (m * (m - 1) - m_old * (m_old - 1)) // 2 "
        f"ELSE {config.star_leads} * m END), 0)::BIGINT FROM same_class"
    ).fetchall()[0][0]
    con.execute("DROP TABLE same_class")
    con.execute("DROP TABLE passage_ph")
    return Same("same", int(pairs))


def candidate_pairs(
    con: duckdb.DuckDBPyConnection, bands: Bands, same: Same, docs: str, n_new: int, config: MatchConfig
) -> pa.Table:
    """Document pairs that touch a new document and share enough candidate passage pairs.

    The joins run in passes over the residues of the first document's number, each pass holding
    about config.join_rows_per_pass rows: a document pair's passage pairs all fall in its pass, so
    each pass's pairs are final.
    """
    passes = config.doc_passes(bands.rare_join_rows + same.pairs)
    found: list[tuple[str, str]] = []
    for r in range(passes):
        # the first document's rows of this pass, as tables: the joins build their hash tables on them
        # (new documents come first, so the first document is new whenever the second is)
        mine = f"dn < {n_new} AND dn % {passes} = {r}"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE pass_rows AS SELECT dn, passage_no, h FROM {bands.rare} "
            f"WHERE {mine}"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE pass_same AS SELECT * FROM {same.table} WHERE {mine}")
        rows = con.execute(
            f"""
            WITH rare AS (
                SELECT x.dn AS a, y.dn AS b, x.passage_no AS pa, y.passage_no AS pb
                FROM pass_rows x JOIN {bands.rare} y ON y.h = x.h AND x.dn < y.dn
                GROUP BY ALL HAVING count(*) >= {config.min_passage_band_hits}
            ), identical AS (
                SELECT x.dn AS a, y.dn AS b, x.passage_no AS pa, y.passage_no AS pb
                FROM pass_same x JOIN {same.table} y ON y.ph = x.ph AND x.dn < y.dn
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
    con.execute("DROP TABLE IF EXISTS pass_rows")
    con.execute("DROP TABLE IF EXISTS pass_same")
    ordered = sorted({(min(a, b), max(a, b)) for a, b in found})
    return pa.table(
        {"doc_a": [a for a, _ in ordered], "doc_b": [b for _, b in ordered]}, schema=CANDIDATE_PAIRS
    )


def passage_df(
    con: duckdb.DuckDBPyConnection,
    sources: Sources,
    kept: Kept,
    bands: Bands,
    pairs: pa.Table,
    full_scan: bool,
    out: Path,
) -> Path:
    """Each passage's document frequency (median bucket size over its bands) for the documents of the
    pairs, written to out as (doc_id, passage_no, df).

    A stock sentence's bands all hold its documents; a rare passage has a few bands on pairs of
    common n-grams, so the median, not the maximum.
    """
    ids = pc.unique(
        pa.concat_arrays([pairs.column("doc_a").combine_chunks(), pairs.column("doc_b").combine_chunks()])
    )
    con.register("inv_list", pa.table({"doc_id": ids.take(pc.array_sort_indices(ids))}))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE inv AS SELECT dn FROM {sources.docs} JOIN inv_list USING (doc_id)"
    )
    con.unregister("inv_list")
    if full_scan:
        if kept.passages is None:
            raise ValueError("a full scan needs every kept band list")
        query = _df_from_hot(sources.docs, kept.passages, bands.hot, "inv")
    else:
        query = _df_from_band_rows(con, sources.docs, sources.band_rows, "inv")
    con.execute(f"COPY ({query}) TO '{sql_path(out)}' (FORMAT parquet)")
    return out


def _df_from_hot(docs: str, kept_passages: str, hot: str, inv: str) -> str:
    """The df query of a full scan: every bucket of two or more documents is in hot with its size, a
    passage's other bands are alone in theirs (size 1), so the sizes of its bands in hot and its band
    count make the median (quantile_disc(x, 0.5) of k values is the ((k - 1) // 2)-th smallest)."""
    return (
        "WITH shared AS ("
        f"  SELECT dn, passage_no, list_sort(list(n_docs)) AS sizes FROM {hot} "
        f"   SEMI JOIN {inv} USING (dn) GROUP BY ALL"
        "), counted AS ("
        f"  SELECT dn, passage_no, len(bands) AS k FROM {kept_passages} SEMI JOIN {inv} USING (dn)"
        ") SELECT d.doc_id, c.passage_no, "
        "  CASE WHEN (c.k - 1) // 2 < c.k - coalesce(len(s.sizes), 0) THEN 1 "
        "       ELSE s.sizes[(c.k - 1) // 2 - (c.k - len(s.sizes)) + 1] END AS df "
        f"FROM counted c LEFT JOIN shared s USING (dn, passage_no) JOIN {docs} d USING (dn)"
    )


def _df_from_band_rows(con: duckdb.DuckDBPyConnection, docs: str, band_rows: str, inv: str) -> str:
    """The df query of an incremental run: hot holds only the buckets of new documents' bands, so the
    buckets of old documents' other bands are counted in one more streamed pass, kept to their hashes."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE inv_rows AS "
        f"SELECT dn, passage_no, h FROM {band_rows} SEMI JOIN {inv} USING (dn)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE inv_bucket AS SELECT h, count(DISTINCT dn)::INTEGER AS n_docs "
        f"FROM {band_rows} WHERE h IN (SELECT h FROM inv_rows) GROUP BY h"
    )
    return (
        "SELECT d.doc_id, r.passage_no, quantile_disc(coalesce(b.n_docs, 1), 0.5) AS df "
        f"FROM inv_rows r LEFT JOIN inv_bucket b USING (h) JOIN {docs} d USING (dn) GROUP BY ALL"
    )
