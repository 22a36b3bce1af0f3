"""The one cross-document step: candidate pairs from stored passage signatures, verified, grouped.

Candidates come from DuckDB SQL over the stored LSH band hashes, kept to the buckets that hold a band
of a document of this run (a semi-join, so an incremental run keeps only the rows that matter), under
a memory limit that makes joins and aggregates spill. Two passages are a candidate link when they
are identical or collide in two rare buckets (held by a few documents); two documents are
candidates when several of their passages are linked. No step holds more than a slice of the
corpus: the band rows are split once into hash ranges and each range's buckets of two or more
documents are written to Parquet with their size (a bucket lies in one range whole); the candidate
joins then run in passes over residues of the first document's number (all of a document pair's
links fall in one pass). Per-document state stays in Arrow columns: Python objects are made only for
the documents of pairs and candidates. Verification is exact, on the character n-grams of the
passages of new candidate pairs, a batch of documents at a time: each n-gram is one int64 of its
code points, counted with numpy (no Python object per n-gram), and the pairs' passage texts are read
from the passage files once. Previous pairs are carried over as they are; passage links are rebuilt
only for events that gained or lost a document.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from transforms.overlap import SHINGLE_CHARS, normalise_many

DOC_PAIRS_SCHEMA = pa.schema(
    [
        ("doc_a", pa.string()),
        ("doc_b", pa.string()),
        ("relation", pa.string()),
        ("shared_passages", pa.int32()),
        ("containment_a", pa.float64()),
        ("containment_b", pa.float64()),
        ("similarity", pa.float64()),
    ]
)
EVENTS_SCHEMA = pa.schema([("event_id", pa.string()), ("doc_id", pa.string()), ("is_canonical", pa.bool_())])
PASSAGE_LINKS_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("passage_no", pa.int32()),
        ("duplicate_of_doc", pa.string()),
        ("duplicate_of_passage", pa.int32()),
        ("similarity", pa.float64()),
    ]
)

# A passage pair is a candidate link when its passages are identical (same normalised n-gram set, so
# the same band list), or when they collide in at least MIN_PASSAGE_BAND_HITS band buckets of at most
# RARE_BUCKET_DOCS documents each. A sentence shared by a few reports, verbatim or reworded, sits in
# buckets of 2-3 documents (a reworded one collides in ~6 of its 64 bands); a clause pooled across
# many documents sits in large buckets, and a stock clause shared by two different sentences
# collides in 1-2 (20k gen_corpus: 9.2M of 12.5M colliding passage pairs have one hit). Only rare
# buckets are joined: at 1M generated documents every band bucket of up to 1,000 documents joined
# would make 2.0 billion passage-pair rows (~1M a second: half an hour), those of up to 5 documents
# make 172M; a copied sentence that is common needs no band join, its identical copies are found by
# their band list.
MIN_PASSAGE_BAND_HITS = 2
RARE_BUCKET_DOCS = 5
# Two documents are candidates when at least this many distinct passages on each side take part in
# such passage pairs: one shared stock sentence alone would otherwise make every pair of its
# documents a candidate (an overlap needs two shared passages anyway; the others are found by exact
# verification of all passage pairs of a candidate).
MIN_CANDIDATE_PASSAGES = 2
# A passage held by more documents than max(MAX_BUCKET_DOCS, corpus documents / BUCKET_SHARE_DOCS) is
# a stock phrase: it yields no candidates (its rarity weight is at most (RARE_DF / MAX_BUCKET_DOCS)^2
# = 0.01 anyway). The cap grows with the corpus because a real story's wording recurs in more
# reports as the corpus grows (one in a thousand documents), while a site's stock line recurs in a
# fixed share of that site's pages.
MAX_BUCKET_DOCS = 50
BUCKET_SHARE_DOCS = 1000
# A passage held by more than MAX_BUCKET_DOCS documents (at most bucket_cap) pairs each of them with
# its STAR_LEADS leading documents only, not with all of them: the same events (a report of a widely
# copied story verifies against a leading report of that story) without a quadratic number of pairs
# (1,000 copies: 3,000 pairs, not 500,000). Three leads, so that one leading document that shares
# only that passage with the rest does not cut the story apart.
STAR_LEADS = 3
# Two passages match when this share of the smaller one's n-grams is in the other. Seeds 000/001's
# shared passages: 0.53-0.96; planted reworded passages (a sixth of the words replaced): 89 % reach
# 0.35, 92 % reach 0.3, 70 % reach 0.5; the best match of a passage in an unrelated generated
# document reaches 0.25 in 0.05 % of cases. The closest unrelated seed sentence pair (0.39) matches,
# but one passage match does not make an overlap (MIN_SHARED_PASSAGES, MIN_OVERLAP_WEIGHT).
PASSAGE_CONTAINMENT = 0.3
# ...and they share at least this many n-grams (about one clause of 12 characters).
MIN_SHARED_SHINGLES = 10
# A match is strong when the two passages also share this share of the LARGER one's n-grams (an
# overlap needs MIN_SHARED_PASSAGES strong matches; a sentence copied inside a longer one of another
# report is a weak match, which adds coverage and links but cannot make an overlap alone): a stock
# clause (为深入贯彻落实…, an official title) inside two different sentences is most of a short
# sentence but little of the other. Measured on
# passage pairs of containment >= 0.3 (/tmp analysis, issue 5): benchmarks/planted.py reworded
# overlaps keep their second-best shared passage at >= 0.43 in 99 % of pairs; gen_corpus pairs
# that share only pooled clauses stay below 0.39 in 90 % of pairs (their best is one clause of three).
PASSAGE_CONTAINMENT_BOTH = 0.4
# ...and the shared part is not one clause: either one common run of characters covers this share of
# the larger passage (a copy, perhaps with a word changed at an end), or at least MIN_SPREAD_SHINGLES
# shared n-grams lie outside the longest common run (a reworded sentence keeps many short runs; a
# stock clause in two different sentences is one run and nothing beside it: 0 in 90 % of the
# gen_corpus clause-sharing pairs, while planted.py's reworded passages keep >= 4 in 99 %).
VERBATIM_RUN_SHARE = 0.8
MIN_SPREAD_SHINGLES = 4
# A passage found in at most this many documents counts fully; above, it weighs (RARE_DF / df)^2: the
# square makes a few lines repeated on every page of a site (df 12: 0.17 each) add up to less than one
# rare passage, so stock phrases and official titles cannot link documents on their own.
RARE_DF = 5
# Overlap: at least two shared passages and this much rarity-weighted shared content (two rare
# passages); the seeds' 000/001 pair shares 9 passage matches.
MIN_SHARED_PASSAGES = 2
MIN_OVERLAP_WEIGHT = 2.0
# Duplicate: matched passages cover this share of both bodies' characters (a repost with a
# different lead or footer line still reaches it; overlapping reports cover 10-40 %).
DUPLICATE_COVERAGE = 0.8
# DuckDB's working memory in the match step. Issue 7's target is a whole run under 2 GB peak RSS;
# DuckDB's process memory runs to 2-3x its limit (at 1M generated documents, with 512 MB, the flow
# process went from ~450 MB to 1.87 GB while the band rows were split into 66 range files: tree PSS
# 2,143 MiB). 384 MB (with JOIN_ROWS_PER_PASS at 15M): 1,743 MiB flow, 1,952 MiB tree PSS, match step
# 532 -> 617 s, same pairs. 256 MB ran out of memory at 1M in that split and in a 30M-row candidate
# pass. Joins and aggregates spill to the temp directory beyond the limit.
DUCKDB_MEMORY_LIMIT = "384MB"
# Passages of one document that take part in matching: 2,000 passages is a ~100k-character body
# (~45 characters per passage on the dev pages), 20x a long news article; beyond it a file is a dump
# or hostile, and every further passage would add self-join rows against all its copies.
MAX_PASSAGES_PER_DOC = 2000
# Above this share of new documents the band-hash semi-join would keep most rows anyway, so the
# whole band column is used as is (a full first run: every document is new).
FULL_SCAN_SHARE = 0.5
# An incremental run of at most this many new documents reads the stored band lists once: the rows
# in a new document's buckets, the copies dropped among them. Dropping copies there costs ~0.75 us a
# row, and those rows grow fast with the new documents (20k generated documents: ~9k a new one; 1M:
# 70-90k, and 204M of the ~700M band rows for 10,000 new), while the two passes it saves cost the
# same for one new document as for many (20k: 0.35 s, 1M: ~17 s). Measured, same results: 20k, 1 new
# 0.69 -> 0.32 s, 10 new 0.80 -> 0.55 s, 150 new 1.95 -> 2.55 s (break-even ~50); 1M, 1 new 23.8 ->
# 5.8 s (break-even some hundreds). The hourly run of a few new files is the case it is for.
ONE_PASS_MAX_NEW = 50
# Documents whose passages are held as n-gram codes at once during verification: ~30 passages of
# ~45 n-grams each, a few kB of arrays and the passages' keys per document (~60 kB of Python objects
# when they were sets of strings), so well under 60 MB per batch.
VERIFY_BATCH_DOCS = 1000
# Band buckets (at most: band rows) counted in one aggregate pass over a hash range. With more than
# one range, the band rows are first written once into one Parquet file per range, and each pass
# reads its own file. The aggregate spills beyond DUCKDB_MEMORY_LIMIT, so this bounds a pass's spill
# and time more than the peak: 20k gen_corpus documents (13.8M band rows) in one pass peaked at 770 MB
# RSS, in three passes of ~4.6M at 530 MB, same pairs; at 1M documents (~700M band rows) a pass of
# 20M rows held in a temp table beside its aggregate ran DuckDB out of memory, so 10M (70 passes).
PARTITION_GROUPS = 10_000_000
# Rows a band-row file buffers per row group while the band rows are split into hash ranges: the
# partitioned write keeps one open file per range (66 at 1M documents), each with a row group in
# memory, so groups smaller than DuckDB's default of 122,880 rows (50k documents forced into 66
# ranges: 668 MiB peak against 548 MiB in 4; the range files are read whole, so small groups cost
# nothing later).
SPLIT_ROW_GROUP = 20_000
# Join rows (passage pairs of a rare bucket or of an identical passage) one candidate pass
# aggregates: each pass reads the rare band rows whole (158M rows at 1M generated documents), so few
# large passes; a pass of 33M join rows over those 1M documents' buckets peaked at 623 MB RSS under
# a 512 MB limit, and one of 30M ran out of memory under 256 MB, so 15M under DUCKDB_MEMORY_LIMIT
# (12 passes at 1M; ~1.5M join rows a second).
JOIN_ROWS_PER_PASS = 15_000_000
# An n-gram as one integer: its code points (all below 0x110000 < 2**21) side by side in 21-bit
# fields, so SHINGLE_CHARS = 3 of them fill 63 bits exactly: two distinct n-grams never share a code
# (a hash could collide and change a verdict).
CODE_BITS = 21
# A field value above every code point: pads a key shorter than an n-gram on the left, so the whole
# short key is one code that no n-gram of a longer key has.
PAD_CODE = (1 << CODE_BITS) - 1

EVENT_REPORTS_SQL = """
SELECT e.event_id,
       e.doc_id AS canonical_doc,
       d.text AS canonical_text,
       coalesce((
           SELECT list(p.text ORDER BY p.doc_id, p.passage_no)
           FROM passages p JOIN events o ON o.doc_id = p.doc_id
           WHERE o.event_id = e.event_id AND NOT o.is_canonical
             AND p.duplicate_of_doc IS NULL
             AND NOT EXISTS (SELECT 1 FROM passages c
                             WHERE c.doc_id = e.doc_id AND c.duplicate_of_doc = p.doc_id
                               AND c.duplicate_of_passage = p.passage_no)
       ), []) AS added_passages,
       (SELECT count(*) FROM events m WHERE m.event_id = e.event_id) AS reports
FROM events e JOIN documents d ON d.doc_id = e.doc_id
WHERE e.is_canonical
ORDER BY e.event_id
"""
"""Per event: the canonical report's text plus the passages only other reports add."""

I64 = npt.NDArray[np.int64]
PassageKey = tuple[str, int]
# A passage match: (passage_no in a, its chars, passage_no in b, its chars, containment).
Match = tuple[int, int, int, int, float]


@dataclass(frozen=True)
class MatchStats:
    """How much work a match did (for tests and benchmarks: counts, never times)."""

    band_rows: int = 0  # band hash rows searched for candidates (those of 2+ document buckets are kept)
    join_rows: int = 0  # upper bound of the candidate joins' rows (sets their passes)
    candidate_pairs: int = 0  # new pairs judged
    rematched_pairs: int = 0  # carried pairs matched again because their event changed
    passages_verified: int = 0  # passages loaded as n-gram codes (a document in two batches counts twice)


@dataclass(frozen=True)
class MatchResult:
    """Global tables of the current state (pairs and links of unchanged events carried over)."""

    doc_pairs: pa.Table
    events: pa.Table
    passage_links: pa.Table
    stats: MatchStats = MatchStats()


@dataclass(frozen=True)
class _Doc:
    """One document's distinct passages (first copy, within the cap) with their exact n-gram codes."""

    nos: list[int]  # passage numbers
    keys: list[str]  # normalised passages
    chars: list[int]  # characters of each key
    weights: list[float]  # rarity weight of each passage
    sizes: I64  # distinct n-grams of each passage
    grams: I64  # each passage's distinct n-gram codes, sorted, passage after passage
    owner: I64  # the passage (index into nos) each of grams belongs to
    vocab: I64  # the document's distinct n-gram codes, sorted


@dataclass(frozen=True)
class _PairVerdict:
    """A verified document pair and the passage matches behind it."""

    row: dict[str, object]
    matches: list[Match]


def shingles(key: str) -> frozenset[str]:
    """Exact character n-grams of a normalised passage (the whole key when shorter): the definition
    gram_codes follows, kept for tests and readers."""
    if len(key) <= SHINGLE_CHARS:
        return frozenset([key])
    return frozenset(key[i : i + SHINGLE_CHARS] for i in range(len(key) - SHINGLE_CHARS + 1))


def batch_gram_codes(keys: Sequence[str]) -> tuple[I64, I64]:
    """Each key's distinct n-gram codes (sorted, concatenated) and the offsets of each key's run.

    One code per n-gram of shingles(key): a key shorter than an n-gram is padded on the left with
    PAD_CODE to one n-gram (a key of exactly SHINGLE_CHARS characters is its own n-gram, as there).
    Whole batch in numpy over the UTF-32 code points of the joined keys, no Python object per n-gram.
    """
    codes, owner = _all_grams(keys)
    distinct, rank = np.unique(codes, return_inverse=True)
    return _distinct_per_group(distinct, rank.reshape(-1), owner, len(keys))


def _all_grams(keys: Sequence[str]) -> tuple[I64, I64]:
    """Every n-gram code of every key in text order (repeats included), and the key it belongs to."""
    n = SHINGLE_CHARS
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    # surrogatepass: a lone surrogate of a damaged page is a code point like any other
    points = np.frombuffer("".join(keys).encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.int64)
    padded_len = np.maximum(lengths, n)
    padded_start = np.cumsum(padded_len) - padded_len
    total = int(padded_len.sum())
    padded = np.full(total, PAD_CODE, dtype=np.int64)
    shift = padded_start + (padded_len - lengths) - (np.cumsum(lengths) - lengths)
    padded[np.repeat(shift, lengths) + np.arange(len(points))] = points
    starts = np.arange(max(total - n + 1, 0))
    codes = np.zeros(len(starts), dtype=np.int64)
    for field in range(n):
        codes |= padded[starts + field] << (CODE_BITS * (n - 1 - field))
    owner = np.repeat(np.arange(len(keys), dtype=np.int64), padded_len)[: len(starts)]
    # an n-gram must end inside its own key
    inside = starts - padded_start[owner] <= padded_len[owner] - n
    return codes[inside], owner[inside]


def _distinct_per_group(distinct: I64, rank: I64, group: I64, groups: int) -> tuple[I64, I64]:
    """The distinct codes of each group (sorted, concatenated, groups in order) and each group's offsets.

    distinct: the sorted distinct codes, rank: each code's index in them. One sort of (group, rank)
    packed in an int64: the ranks take bit_length(len(distinct)) bits, the group number the rest (a
    batch holds far fewer than 2**31 codes and groups).
    """
    bits = max(len(distinct), 1).bit_length()
    packed = _sorted_distinct((group << bits) | rank.reshape(-1))
    offsets = np.zeros(groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(packed >> bits, minlength=groups), out=offsets[1:])
    return distinct[packed & ((1 << bits) - 1)], offsets


def _sorted_distinct(values: I64) -> I64:
    """Distinct values, sorted: a sort and a neighbour test (np.unique's hash table took 100x as long on
    packed (group, rank) values: 0.6 s against 5 ms for 0.9M)."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=np.bool_)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def gram_codes(key: str) -> I64:
    """The distinct n-gram codes of one normalised passage, sorted (one code per element of shingles(key))."""
    return batch_gram_codes([key])[0]


def rarity_weight(df: int) -> float:
    """Full weight for rare passages, falling quadratically for passages repeated across many documents."""
    return min(1.0, (RARE_DF / max(df, 1)) ** 2)


def bucket_cap(n_docs: int) -> int:
    """Most documents an identical passage may be held by and still yield candidates (more: stock)."""
    return max(MAX_BUCKET_DOCS, n_docs // BUCKET_SHARE_DOCS)


def _sql_files(files: Sequence[str]) -> str:
    """A DuckDB list literal of file paths (a view cannot take query parameters)."""
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


def _connect(temp_dir: Path | None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose joins and aggregates spill to temp_dir instead of growing."""
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        con.execute("SET temp_directory = " + "'" + str(temp_dir).replace("'", "''") + "'")
    return con


def _define_sources(con: duckdb.DuckDBPyConnection, files: list[str], order: pa.Array) -> None:
    """docs: dense numbers in the given order (new documents first); passage_bands: each passage's
    band list and its hash (within the cap); band_rows: one row per band of every passage."""
    # dn is given, not numbered in SQL: without insertion order a row_number() would not follow it
    numbered = pa.table({"doc_id": order, "dn": pa.array(np.arange(len(order), dtype=np.int32))})
    con.register("doc_list", numbered)
    con.execute("CREATE TEMP TABLE docs AS SELECT doc_id, dn FROM doc_list")
    con.unregister("doc_list")
    # ph tells identical passages of one document apart from different ones: same normalised
    # text, same bands; beyond MAX_PASSAGES_PER_DOC a document takes no part in candidates.
    con.execute(
        "CREATE TEMP VIEW passage_bands AS SELECT d.dn, p.passage_no, hash(p.bands) AS ph, p.bands "
        f"FROM read_parquet({_sql_files(files)}) p JOIN docs d USING (doc_id) "
        f"WHERE p.passage_no < {MAX_PASSAGES_PER_DOC} AND len(p.bands) > 0"
    )
    con.execute("CREATE TEMP VIEW band_rows AS SELECT dn, passage_no, unnest(bands) AS h FROM passage_bands")


def _new_hashes(con: duckdb.DuckDBPyConnection, n_new: int) -> None:
    """new_h: the distinct band hashes of the new documents (a copy of a passage adds none).

    Cheap however large the corpus: the join with the few new documents' numbers lets DuckDB skip
    the passage files' other row groups (at 1M documents and one new: 0.06 s)."""
    con.execute(f"CREATE TEMP TABLE new_h AS SELECT DISTINCT h FROM band_rows WHERE dn < {n_new}")


def _keep_first_copies(con: duckdb.DuckDBPyConnection, full_scan: bool) -> None:
    """kept_ph (dn, passage_no, ph): each document's distinct passages (the first copy of each);
    kept_rows (dn, passage_no, h): their band rows (an incremental run: those in a new document's
    buckets only); kept_passages: their band lists (for a full scan's bucket sizes)."""
    # every copy of a passage but the first is dropped, found per passage (no band rows needed):
    # identical passages have identical bands, so they fall in the same buckets together
    con.execute(
        "CREATE TEMP TABLE copies AS SELECT dn, ph, min(passage_no) AS first_no "
        "FROM passage_bands GROUP BY dn, ph HAVING count(*) > 1"
    )
    con.execute(
        "CREATE TEMP VIEW kept_passages AS SELECT p.dn, p.passage_no, p.ph, p.bands "
        "FROM passage_bands p LEFT JOIN copies c USING (dn, ph) "
        "WHERE c.first_no IS NULL OR p.passage_no = c.first_no"
    )
    con.execute("CREATE TEMP VIEW kept_ph AS SELECT dn, passage_no, ph FROM kept_passages")
    rows = "SELECT dn, passage_no, unnest(bands) AS h FROM kept_passages"
    if not full_scan:
        rows = f"SELECT * FROM ({rows}) SEMI JOIN new_h USING (h)"
    con.execute(f"CREATE TEMP VIEW kept_rows AS {rows}")


def _keep_touched_first_copies(con: duckdb.DuckDBPyConnection, spill_dir: Path) -> None:
    """kept_ph and kept_rows of an incremental run from one pass over the stored band lists: the rows
    in a new document's buckets, with their passage's hash, streamed to a file (they may be many, see
    _collect_bands), then the copies among them dropped.

    Exact: a copy of a passage has the same bands, so it is in those buckets exactly when the passage
    is, and so is every passage identical to a new document's (all its bands are the new one's). At
    1M generated documents and one new it replaces three passes that each read every band list (the
    copies, kept_ph, the semi-join; the first two were 29.3 of the match step's 40.0 CPU s): 23.8 ->
    5.8 s."""
    path = spill_dir / "touched_passages.parquet"
    con.execute(
        "COPY (SELECT * FROM (SELECT dn, passage_no, ph, unnest(bands) AS h FROM passage_bands) "
        f"SEMI JOIN new_h USING (h)) TO '{_sql_path(path)}' (FORMAT parquet)"
    )
    touched = f"read_parquet('{_sql_path(path)}')"
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


def _sql_path(path: Path) -> str:
    """A path inside a SQL string literal."""
    return str(path).replace("'", "''")


def _part_rows(split: Path, part: int) -> str:
    """The band rows of one hash range, from the per-range files (a range may have no rows at all)."""
    folder = split / f"part={part}"
    if not any(folder.glob("*.parquet")):
        return "(SELECT NULL::INTEGER AS dn, NULL::INTEGER AS passage_no, NULL::BIGINT AS h WHERE false)"
    return f"read_parquet('{_sql_path(folder)}/*.parquet')"


def _partitions(groups: int) -> int:
    """Hash ranges the bucket count runs over, one at a time, so each aggregate stays in memory."""
    return max(1, -(-groups // PARTITION_GROUPS))


def _doc_passes(join_rows: int) -> int:
    """Passes of the candidate self-join, each over the documents of one residue of their number."""
    return max(1, -(-join_rows // JOIN_ROWS_PER_PASS))


@dataclass(frozen=True)
class _Bands:
    """Where the band rows of buckets of two or more documents were written, and how many there are."""

    hot: str  # SQL source of the rows (dn, passage_no, h, n_docs) of buckets of two or more documents
    rare: str  # ... of the buckets of at most RARE_BUCKET_DOCS documents among them (the joined ones)
    looked_at: int  # band rows looked at (in buckets of one document too)
    rare_join_rows: int  # upper bound of the self-join rows of rare buckets


def _collect_bands(con: duckdb.DuckDBPyConnection, n_new: int, full_scan: bool, spill_dir: Path) -> _Bands:
    """Hash range by hash range: the band rows of buckets of two or more documents (among the buckets a
    new document's bands fall in; all on a full scan) written to Parquet with their bucket's size.

    A bucket lies in one hash range whole, so its size is exact per range; nothing of a range but its
    Parquet file outlives its pass, so DuckDB's memory holds one range's aggregate at a time.
    """
    split, hot, touched = spill_dir / "band_parts", spill_dir / "hot", spill_dir / "touched_rows.parquet"
    (hot / "rare").mkdir(parents=True)
    (hot / "common").mkdir()
    rows = "SELECT dn, passage_no, h FROM kept_rows"
    if full_scan:
        # an upper bound of the buckets: every band its own
        parts = _partitions(
            int(con.execute("SELECT coalesce(sum(len(bands)), 0) FROM kept_passages").fetchall()[0][0])
        )
    else:
        # the rows in the new documents' buckets: how many is not known before they are read, and
        # can be far more than the new hashes (a stock clause's bucket holds thousands of documents;
        # 10,000 new of 1M generated documents ran DuckDB out of memory with them held as a table
        # beside the bucket aggregate), so they are streamed to a file, counted (an upper bound of
        # the buckets and of the distinct (bucket, document) pairs), and split by range if many
        written = con.execute(f"COPY ({rows}) TO '{_sql_path(touched)}' (FORMAT parquet)").fetchall()
        parts = _partitions(int(written[0][0]))
        rows = f"SELECT * FROM read_parquet('{_sql_path(touched)}')"
    if parts > 1:
        # the band lists are read from the passage files and unnested once, streamed into one
        # Parquet file per hash range (abs: a negative hash has a negative remainder); each pass
        # then reads only its own range (at 1M documents, 35 passes that each decoded every band
        # list of the corpus again, ~5 GB, would take most of the run)
        con.execute(
            f"COPY (SELECT *, abs(h % {parts})::INTEGER AS part FROM ({rows})) TO '{_sql_path(split)}' "
            f"(FORMAT parquet, PARTITION_BY (part), ROW_GROUP_SIZE {SPLIT_ROW_GROUP})"
        )
    looked_at = join_rows = 0
    for part in range(parts):
        if parts == 1 and not full_scan:
            source = f"({rows})"
        elif parts == 1:
            # read from the passage files and unnested once, for both steps below (at most
            # PARTITION_GROUPS rows)
            con.execute(f"CREATE OR REPLACE TEMP TABLE part_rows AS {rows}")
            source = "part_rows"
        else:
            # the range's own file, read twice: a copy of it in memory beside the aggregate's hash
            # table went past DUCKDB_MEMORY_LIMIT at 1M documents (out of memory); the aggregate
            # alone spills
            source = _part_rows(split, part)
        looked_at += int(con.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0])
        # buckets of two or more documents, and (for the join's size) their documents that are not
        # new (count(*) over distinct (h, dn): 15 % less CPU than count(DISTINCT dn) over the 16M rows
        # of 50k generated documents)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE range_bucket AS SELECT h, count(*)::INTEGER AS n_docs, "
            f"count(*) FILTER (WHERE dn >= {n_new}) AS n_old "
            f"FROM (SELECT DISTINCT h, dn FROM {source}) GROUP BY h HAVING count(*) > 1"
        )
        join_rows += int(
            con.execute(
                "SELECT coalesce(sum((n_docs * (n_docs - 1) - n_old * (n_old - 1)) // 2), 0)::BIGINT "
                f"FROM range_bucket WHERE n_docs <= {RARE_BUCKET_DOCS}"
            ).fetchall()[0][0]
        )
        # rare and common buckets apart: the candidate passes read the rare ones only (at 1M
        # generated documents 158M of the 533M rows of buckets of two or more documents); the
        # common ones only give a full scan its passages' bucket sizes (_df_from_hot), so an
        # incremental run does not write them (1,000 new of 1M documents: most of their rows)
        kinds = (("rare", "<="), ("common", ">")) if full_scan else (("rare", "<="),)
        for kind, test in kinds:
            con.execute(
                f"COPY (SELECT s.dn, s.passage_no, s.h, b.n_docs FROM {source} s "
                f"JOIN range_bucket b USING (h) WHERE b.n_docs {test} {RARE_BUCKET_DOCS}) "
                f"TO '{_sql_path(hot / kind / f'{part}.parquet')}' (FORMAT parquet)"
            )
        con.execute("DROP TABLE IF EXISTS part_rows")
    con.execute("DROP TABLE IF EXISTS range_bucket")
    shutil.rmtree(split, ignore_errors=True)
    return _Bands(
        f"read_parquet('{_sql_path(hot)}/*/*.parquet')",
        f"read_parquet('{_sql_path(hot / 'rare')}/*.parquet')",
        looked_at,
        join_rows,
    )


def _same_passages(con: duckdb.DuckDBPyConnection, n_new: int, n_docs: int, full_scan: bool) -> int:
    """same: the passages held by two or more documents (up to bucket_cap; on an incremental run those
    a new document holds), each row with its passage's holder count and whether its document leads
    it. Returns an upper bound of the pairs they make."""
    cap = bucket_cap(n_docs)
    # the passages' hashes read once (every kept passage's, or on a run of a few new documents those
    # in their buckets, which hold every passage identical to a new one); a document's kept passages
    # are distinct, so a passage's rows are its documents
    con.execute("CREATE OR REPLACE TEMP TABLE passage_ph AS SELECT dn, passage_no, ph FROM kept_ph")
    touched = "" if full_scan else f"WHERE ph IN (SELECT ph FROM passage_ph WHERE dn < {n_new})"
    # counts first (a plain aggregate spills; one with a list per passage of the corpus ran out of
    # memory at 1M documents), the leads only for the few passages held twice or more
    con.execute(
        "CREATE OR REPLACE TEMP TABLE same_class AS SELECT ph, count(*)::INTEGER AS m, "
        f"count(*) FILTER (WHERE dn >= {n_new}) AS m_old "
        f"FROM passage_ph {touched} GROUP BY ph HAVING count(*) > 1 AND count(*) <= {cap}"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE same AS WITH held AS ("
        "  SELECT p.dn, p.passage_no, p.ph, c.m FROM passage_ph p JOIN same_class c USING (ph)"
        ") SELECT h.*, list_contains(l.leads, h.dn) AS lead FROM held h "
        f"JOIN (SELECT ph, min(dn, {STAR_LEADS}) AS leads FROM held GROUP BY ph) l USING (ph)"
    )
    pairs = con.execute(
        f"SELECT coalesce(sum(CASE WHEN m <= {MAX_BUCKET_DOCS} THEN (m * (m - 1) - m_old * (m_old - 1)) // 2 "
        f"ELSE {STAR_LEADS} * m END), 0)::BIGINT FROM same_class"
    ).fetchall()[0][0]
    con.execute("DROP TABLE same_class")
    con.execute("DROP TABLE passage_ph")
    return int(pairs)


def _candidate_pairs(
    con: duckdb.DuckDBPyConnection, bands: _Bands, n_new: int, same_pairs: int
) -> list[tuple[str, str]]:
    """Document pairs that touch a new document and share enough candidate passage pairs.

    The joins run in passes over the residues of the first document's number, each pass holding
    about JOIN_ROWS_PER_PASS rows: a document pair's passage pairs all fall in its pass, so each
    pass's pairs are final.
    """
    passes = _doc_passes(bands.rare_join_rows + same_pairs)
    found: list[tuple[str, str]] = []
    for r in range(passes):
        # the first document's rows of this pass, as tables: the joins build their hash tables on them
        # (new documents come first, so the first document is new whenever the second is)
        mine = f"dn < {n_new} AND dn % {passes} = {r}"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE pass_rows AS SELECT dn, passage_no, h FROM {bands.rare} "
            f"WHERE {mine}"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE pass_same AS SELECT * FROM same WHERE {mine}")
        rows = con.execute(
            f"""
            WITH rare AS (
                SELECT x.dn AS a, y.dn AS b, x.passage_no AS pa, y.passage_no AS pb
                FROM pass_rows x JOIN {bands.rare} y ON y.h = x.h AND x.dn < y.dn
                GROUP BY ALL HAVING count(*) >= {MIN_PASSAGE_BAND_HITS}
            ), identical AS (
                SELECT x.dn AS a, y.dn AS b, x.passage_no AS pa, y.passage_no AS pb
                FROM pass_same x JOIN same y ON y.ph = x.ph AND x.dn < y.dn
                WHERE x.m <= {MAX_BUCKET_DOCS} OR x.lead OR y.lead
            ), pairs AS (
                SELECT a, b FROM (SELECT * FROM rare UNION ALL SELECT * FROM identical) GROUP BY a, b
                HAVING count(DISTINCT pa) >= {MIN_CANDIDATE_PASSAGES}
                    AND count(DISTINCT pb) >= {MIN_CANDIDATE_PASSAGES}
            )
            SELECT da.doc_id, db.doc_id FROM pairs
            JOIN docs da ON da.dn = pairs.a JOIN docs db ON db.dn = pairs.b
            """
        ).fetchall()
        found.extend((str(a), str(b)) for a, b in rows)
    con.execute("DROP TABLE IF EXISTS pass_rows")
    con.execute("DROP TABLE IF EXISTS pass_same")
    return sorted({(min(a, b), max(a, b)) for a, b in found})


def _passage_df(
    con: duckdb.DuckDBPyConnection, doc_ids: Collection[str], full_scan: bool, bands: _Bands
) -> None:
    """pdf: each passage's document frequency (median bucket size over its bands) for the given documents.

    A stock sentence's bands all hold its documents; a rare passage has a few bands on pairs of
    common n-grams, so the median, not the maximum.
    """
    con.register("inv_list", pa.table({"doc_id": pa.array(sorted(doc_ids), pa.string())}))
    con.execute("CREATE OR REPLACE TEMP TABLE inv AS SELECT dn FROM docs JOIN inv_list USING (doc_id)")
    con.unregister("inv_list")
    if full_scan:
        _df_from_hot(con, bands)
    else:
        _df_from_band_rows(con)


def _df_from_hot(con: duckdb.DuckDBPyConnection, bands: _Bands) -> None:
    """pdf on a full scan: every bucket of two or more documents is in hot with its size, a passage's
    other bands are alone in theirs (size 1), so the sizes of its bands in hot and its band count
    make the median (quantile_disc(x, 0.5) of k values is the ((k - 1) // 2)-th smallest)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE pdf AS WITH shared AS ("
        f"  SELECT dn, passage_no, list_sort(list(n_docs)) AS sizes FROM {bands.hot} "
        "   SEMI JOIN inv USING (dn) GROUP BY ALL"
        "), counted AS ("
        "  SELECT dn, passage_no, len(bands) AS k FROM kept_passages SEMI JOIN inv USING (dn)"
        ") SELECT d.doc_id, c.passage_no, "
        "  CASE WHEN (c.k - 1) // 2 < c.k - coalesce(len(s.sizes), 0) THEN 1 "
        "       ELSE s.sizes[(c.k - 1) // 2 - (c.k - len(s.sizes)) + 1] END AS df "
        "FROM counted c LEFT JOIN shared s USING (dn, passage_no) JOIN docs d USING (dn)"
    )


def _df_from_band_rows(con: duckdb.DuckDBPyConnection) -> None:
    """pdf on an incremental run: hot holds only the buckets of new documents' bands, so the buckets
    of old documents' other bands are counted in one more streamed pass, kept to their hashes."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE inv_rows AS "
        "SELECT dn, passage_no, h FROM band_rows SEMI JOIN inv USING (dn)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE inv_bucket AS SELECT h, count(DISTINCT dn)::INTEGER AS n_docs "
        "FROM band_rows WHERE h IN (SELECT h FROM inv_rows) GROUP BY h"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE pdf AS SELECT d.doc_id, r.passage_no, "
        "quantile_disc(coalesce(b.n_docs, 1), 0.5) AS df "
        "FROM inv_rows r LEFT JOIN inv_bucket b USING (h) JOIN docs d USING (dn) GROUP BY ALL"
    )


def _load_passages(
    con: duckdb.DuckDBPyConnection, doc_ids: Collection[str], weighted: bool
) -> dict[str, _Doc]:
    """Distinct passages (first copy, within the cap) of the given documents, n-gram codes and weights."""
    con.register("batch_list", pa.table({"doc_id": pa.array(sorted(doc_ids), pa.string())}))
    try:
        df: dict[PassageKey, int] = {}
        if weighted:
            df_rows = con.execute(
                "SELECT doc_id, passage_no, df FROM pdf SEMI JOIN batch_list USING (doc_id)"
            )
            df = {(str(d), int(n)): int(k) for d, n, k in df_rows.fetchall()}
        rows: pa.Table = con.sql(
            "SELECT doc_id, passage_no, text FROM verify_text SEMI JOIN batch_list USING (doc_id) "
            "ORDER BY doc_id, passage_no"
        ).to_arrow_table()
    finally:
        con.unregister("batch_list")
    ids = [str(d) for d in rows.column("doc_id").to_pylist()]
    keys = normalise_many([str(t) for t in rows.column("text").to_pylist()])
    batch = _gram_batch(ids, keys)
    nos = [int(n) for n in rows.column("passage_no").to_pylist()]
    out: dict[str, _Doc] = {}
    for d in range(len(batch.bounds) - 1):
        doc_id = ids[int(batch.bounds[d])]
        out[doc_id] = _make_doc(batch, d, nos, keys, [df.get((doc_id, n), 1) for n in nos[batch.rows(d)]])
    return out


@dataclass(frozen=True)
class _GramBatch:
    """The n-gram codes of a batch's passages (rows sorted by document), per passage and per document."""

    grams: I64  # each row's distinct codes, sorted, row after row
    offsets: I64  # each row's run in grams
    local: I64  # for each code of grams: its row's index within its document
    bounds: I64  # each document's first row, and the row count last
    vocab: I64  # each document's distinct codes, sorted, document after document
    vocab_offsets: I64  # each document's run in vocab
    repeats: npt.NDArray[np.bool_]  # documents that may hold identical passages (checked exactly)

    def rows(self, d: int) -> slice:
        """Rows of the d-th document."""
        return slice(int(self.bounds[d]), int(self.bounds[d + 1]))


def _gram_batch(ids: Sequence[str], keys: Sequence[str]) -> _GramBatch:
    """Distinct n-gram codes of each row and of each document, in a few array passes over the batch."""
    bounds = np.asarray([k for k in range(len(ids)) if k == 0 or ids[k] != ids[k - 1]] + [len(ids)])
    doc_of_row = np.repeat(np.arange(len(bounds) - 1, dtype=np.int64), np.diff(bounds))
    codes, owner = _all_grams(keys)
    distinct, rank = np.unique(codes, return_inverse=True)
    rank = rank.reshape(-1)
    grams, offsets = _distinct_per_group(distinct, rank, owner, len(keys))
    vocab, vocab_offsets = _distinct_per_group(distinct, rank, doc_of_row[owner], len(bounds) - 1)
    sizes = np.diff(offsets)
    row_of_gram = np.repeat(np.arange(len(keys), dtype=np.int64), sizes)
    local = row_of_gram - bounds[doc_of_row[row_of_gram]]
    # a fingerprint of each row's code set: equal sets have equal fingerprints (a collision only
    # sends a document to the exact check)
    sums = np.add.reduceat(grams.view(np.uint64), offsets[:-1]) if len(keys) else np.zeros(0, np.uint64)
    sized = np.asarray(sums ^ sizes.view(np.uint64), dtype=np.uint64)
    fingerprint = _mix(np.asarray(_mix(sized) ^ doc_of_row.view(np.uint64), dtype=np.uint64))
    order = np.sort(fingerprint)
    twice = order[1:][order[1:] == order[:-1]]
    repeats = np.zeros(len(bounds) - 1, dtype=np.bool_)
    repeats[doc_of_row[np.isin(fingerprint, twice)]] = True
    return _GramBatch(grams, offsets, local, bounds, vocab, vocab_offsets, repeats)


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64 finaliser: well-spread 64-bit values (wrapping arithmetic)."""
    x = x * np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(31)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(29)
    return x


def _make_doc(batch: _GramBatch, d: int, nos: list[int], keys: list[str], dfs: list[int]) -> _Doc:
    """The d-th document of a batch: an identical passage (same n-gram set) is kept once."""
    rows = batch.rows(d)
    first, stop = int(rows.start), int(rows.stop)
    kept = list(range(first, stop))
    if batch.repeats[d]:
        seen: set[bytes] = set()
        kept = []
        for k in range(first, stop):
            run = batch.grams[batch.offsets[k] : batch.offsets[k + 1]].tobytes()
            if run not in seen:
                seen.add(run)
                kept.append(k)
    sizes = np.diff(batch.offsets)[kept]
    vocab = batch.vocab[batch.vocab_offsets[d] : batch.vocab_offsets[d + 1]]
    if len(kept) == stop - first:
        span = slice(int(batch.offsets[first]), int(batch.offsets[stop]))
        grams, owner = batch.grams[span], batch.local[span]
    else:
        grams = np.concatenate([batch.grams[batch.offsets[k] : batch.offsets[k + 1]] for k in kept])
        owner = np.repeat(np.arange(len(kept), dtype=np.int64), sizes)
    return _Doc(
        nos=[nos[k] for k in kept],
        keys=[keys[k] for k in kept],
        chars=[len(keys[k]) for k in kept],
        weights=[rarity_weight(dfs[k - first]) for k in kept],
        sizes=sizes,
        grams=grams,
        owner=owner,
        vocab=vocab,
    )


def _no_passages() -> _Doc:
    """A document without passages in the index (nothing to match)."""
    empty = np.zeros(0, dtype=np.int64)
    return _Doc([], [], [], [], empty, empty, empty, empty)


def _batches(pairs: Sequence[tuple[str, str]]) -> Iterable[list[tuple[str, str]]]:
    """Runs of pairs whose documents number at most VERIFY_BATCH_DOCS (sorted pairs share their first doc)."""
    batch: list[tuple[str, str]] = []
    docs: set[str] = set()
    for a, b in pairs:
        if batch and len(docs | {a, b}) > VERIFY_BATCH_DOCS:
            yield batch
            batch, docs = [], set()
        batch.append((a, b))
        docs.update((a, b))
    if batch:
        yield batch


def _verify(
    con: duckdb.DuckDBPyConnection, files: list[str], pairs: Sequence[tuple[str, str]], judge: bool
) -> tuple[list[_PairVerdict], int]:
    """Judge new candidates, or only match carried pairs of changed events; a batch of documents at a time."""
    out: list[_PairVerdict] = []
    loaded = 0
    none = _no_passages()
    # the passage files are read once for every batch: the texts of the pairs' documents only
    con.register(
        "verify_list", pa.table({"doc_id": pa.array(sorted({d for p in pairs for d in p}), pa.string())})
    )
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE verify_text AS SELECT p.doc_id, p.passage_no, p.text "
            f"FROM read_parquet({_sql_files(files)}) p SEMI JOIN verify_list USING (doc_id) "
            f"WHERE p.passage_no < {MAX_PASSAGES_PER_DOC}"
        )
    finally:
        con.unregister("verify_list")
    for batch in _batches(pairs):
        docs = _load_passages(con, {d for pair in batch for d in pair}, judge)
        loaded += sum(len(d.nos) for d in docs.values())
        for a, b in batch:
            da, db = docs.get(a, none), docs.get(b, none)
            if judge:
                verdict = judge_pair(a, da, b, db)
            else:
                matches = [(i, j, c) for i, j, c, _ in _passage_matches(da, db, strong=False)[0]]
                verdict = _PairVerdict({"doc_a": a, "doc_b": b}, _resolve(da, db, matches))
            if verdict is not None:
                out.append(verdict)
    con.execute("DROP TABLE verify_text")
    return out, loaded


def _member(values: I64, sorted_set: I64) -> npt.NDArray[np.bool_]:
    """Whether each value is in a sorted array of distinct values."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=np.bool_)
    pos = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return np.asarray(sorted_set[pos] == values)


def _shared_counts(a: _Doc, b: _Doc) -> tuple[I64, I64, I64, int]:
    """Passage pairs (i, j) sharing at least MIN_SHARED_SHINGLES n-grams, with their shared counts, and
    the distinct n-grams the two documents share: one sorted merge of the shared codes per pair."""
    common = np.intersect1d(a.vocab, b.vocab, assume_unique=True)
    empty = np.zeros(0, dtype=np.int64)
    if len(common) < MIN_SHARED_SHINGLES:
        return empty, empty, empty, len(common)
    in_a, in_b = _member(a.grams, common), _member(b.grams, common)
    grams_a, owner_a = a.grams[in_a], a.owner[in_a]
    order = np.argsort(b.grams[in_b], kind="stable")
    grams_b, owner_b = b.grams[in_b][order], b.owner[in_b][order]
    # each shared code of a passage of a meets the passages of b that hold it
    lo = np.searchsorted(grams_b, grams_a, "left")
    run = np.searchsorted(grams_b, grams_a, "right") - lo
    ends = np.cumsum(run)
    at = np.arange(int(ends[-1])) - np.repeat(ends - run, run) + np.repeat(lo, run)
    pair = np.repeat(owner_a, run) * len(b.nos) + owner_b[at]
    pairs, shared = np.unique(pair, return_counts=True)
    keep = shared >= MIN_SHARED_SHINGLES
    pairs, shared = pairs[keep], shared[keep]
    return pairs // len(b.nos), pairs % len(b.nos), shared.astype(np.int64), len(common)


def _passage_matches(a: _Doc, b: _Doc, strong: bool) -> tuple[list[tuple[int, int, float, bool]], int]:
    """Passage matches, whether each is strong (when asked), and the documents' shared distinct n-grams."""
    i, j, shared, common = _shared_counts(a, b)
    # float64 division of exact integers: the same value as Python's int / int
    containment = shared / np.minimum(a.sizes[i], b.sizes[j])
    keep = containment >= PASSAGE_CONTAINMENT
    out: list[tuple[int, int, float, bool]] = []
    for x, y, n, c in zip(
        i[keep].tolist(), j[keep].tolist(), shared[keep].tolist(), containment[keep].tolist(), strict=True
    ):
        both = strong and not_one_clause(n, int(a.sizes[x]), int(b.sizes[y]), a.keys[x], b.keys[y])
        out.append((x, y, c, both))
    return out, common


def longest_run(x: str, y: str) -> int:
    """Characters of the longest common substring of two normalised passages."""
    # the shorter passage inside the other is the longest common substring: most strong matches
    # are copies (10k generated documents: 76 % of the calls compared identical passages)
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    if short in long:
        return len(short)
    return SequenceMatcher(None, x, y, autojunk=False).find_longest_match(0, len(x), 0, len(y)).size


def strong_match(x: str, y: str) -> bool:
    """Whether two normalised passages match strongly (the rule an overlap rests on), from their text."""
    gx, gy = gram_codes(x), gram_codes(y)
    shared = len(np.intersect1d(gx, gy, assume_unique=True))
    if shared < MIN_SHARED_SHINGLES or shared < PASSAGE_CONTAINMENT * min(len(gx), len(gy)):
        return False
    return not_one_clause(shared, len(gx), len(gy), x, y)


def not_one_clause(shared: int, size_x: int, size_y: int, key_x: str, key_y: str) -> bool:
    """Strong match: shared n-grams are much of BOTH passages and more than one common clause."""
    if shared < PASSAGE_CONTAINMENT_BOTH * max(size_x, size_y):
        return False
    run = longest_run(key_x, key_y)
    if run >= VERBATIM_RUN_SHARE * max(len(key_x), len(key_y)):
        return True
    return shared - max(run - SHINGLE_CHARS + 1, 0) >= MIN_SPREAD_SHINGLES


def judge_pair(doc_a: str, a: _Doc, doc_b: str, b: _Doc) -> _PairVerdict | None:
    """Duplicate, overlap or nothing, from the passage matches of two documents."""
    detailed, common = _passage_matches(a, b, strong=True)
    if not detailed:
        return None
    matches = [(i, j, c) for i, j, c, _ in detailed]
    hit_a = {i for i, _, _ in matches}
    hit_b = {j for _, j, _ in matches}
    strong_a = {i for i, _, _, strong in detailed if strong}
    strong_b = {j for _, j, _, strong in detailed if strong}
    total_a, total_b = max(sum(a.chars), 1), max(sum(b.chars), 1)
    cov_a = sum(a.chars[i] for i in hit_a) / total_a
    cov_b = sum(b.chars[j] for j in hit_b) / total_b
    similarity = common / max(len(a.vocab) + len(b.vocab) - common, 1)
    shared = min(len(hit_a), len(hit_b))
    # an overlap rests on strong matches only; weaker ones (a sentence inside a longer one) add coverage
    strong = min(len(strong_a), len(strong_b))
    weight = min(sum(a.weights[i] for i in strong_a), sum(b.weights[j] for j in strong_b))
    # a duplicate too: sentences that only share a stock opening must not cover a body
    strong_cov_a = sum(a.chars[i] for i in strong_a) / total_a
    strong_cov_b = sum(b.chars[j] for j in strong_b) / total_b
    if strong_cov_a >= DUPLICATE_COVERAGE and strong_cov_b >= DUPLICATE_COVERAGE:
        relation = "duplicate"
    elif strong >= MIN_SHARED_PASSAGES and weight >= MIN_OVERLAP_WEIGHT:
        relation = "overlap"
    else:
        return None
    row: dict[str, object] = {
        "doc_a": doc_a,
        "doc_b": doc_b,
        "relation": relation,
        "shared_passages": shared,
        "containment_a": round(cov_a, 4),
        "containment_b": round(cov_b, 4),
        "similarity": round(similarity, 4),
    }
    return _PairVerdict(row, _resolve(a, b, matches))


def _resolve(a: _Doc, b: _Doc, matches: Iterable[tuple[int, int, float]]) -> list[Match]:
    """Passage matches by list index turned into passage numbers and lengths."""
    return [(a.nos[i], a.chars[i], b.nos[j], b.chars[j], c) for i, j, c in matches]


class _UnionFind:
    """Disjoint sets over hashable keys (path halving)."""

    def __init__(self) -> None:
        self.parent: dict[object, object] = {}

    def find(self, x: object) -> object:
        """Root of x's set."""
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, x: object, y: object) -> None:
        """Merge the sets of x and y."""
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[ry] = rx


def build_events(
    doc_ids: pa.Array | pa.ChunkedArray,
    text_chars: pa.Array | pa.ChunkedArray,
    pairs: Iterable[tuple[str, str]],
) -> pa.Table:
    """Connected components; event_id is the smallest doc_id, canonical the longest body.

    Columnar: a document in no pair is its own event (made with Arrow, no Python object per
    document); only the documents of pairs go through union-find.
    """
    ids = _string_array(doc_ids)
    uf = _UnionFind()
    for a, b in pairs:
        uf.union(str(a), str(b))
    paired = pc.is_in(ids, value_set=pa.array(sorted(map(str, uf.parent)), pa.string()))
    alone = ids.filter(pc.invert(paired))
    singles = pa.table(
        {"event_id": alone, "doc_id": alone, "is_canonical": pa.array(np.ones(len(alone), dtype=np.bool_))},
        schema=EVENTS_SCHEMA,
    )
    members = [str(d) for d in ids.filter(paired).to_pylist()]
    chars = [int(c) for c in _int_array(text_chars).filter(paired).to_pylist()]
    groups: dict[object, list[int]] = defaultdict(list)
    for k, d in enumerate(members):
        groups[uf.find(d)].append(k)
    ev: list[str] = []
    canon: list[bool] = []
    order: list[int] = []
    for group in groups.values():
        event_id = min(members[k] for k in group)
        best = min(group, key=lambda k: (-chars[k], members[k]))
        for k in group:
            ev.append(event_id)
            order.append(k)
            canon.append(k == best)
    grouped = pa.table(
        {"event_id": ev, "doc_id": [members[k] for k in order], "is_canonical": canon}, schema=EVENTS_SCHEMA
    )
    # Arrow orders strings by their UTF-8 bytes, which is Python's code point order
    both = pa.concat_tables([singles, grouped])
    return both.sort_by([("event_id", "ascending"), ("doc_id", "ascending")]).combine_chunks()


def _string_array(values: pa.Array | pa.ChunkedArray | Iterable[str]) -> pa.Array:
    """Document ids as one Arrow string array, from Arrow (as the flow passes them) or Python."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks().cast(pa.string()) if values.num_chunks else pa.array([], pa.string())
    if isinstance(values, pa.Array):
        return values.cast(pa.string())
    return pa.array([str(v) for v in values], pa.string())


def _int_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Text lengths as one int64 array, a missing length counting as 0."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.int64())
    return pc.fill_null(values.cast(pa.int64()), 0)


def _sorted_ids(ids: pa.Array) -> pa.Array:
    """Ids in ascending order (Python's string order)."""
    return ids.take(pc.array_sort_indices(ids))


def build_passage_links(verdicts: Iterable[_PairVerdict], canonical: set[str]) -> pa.Table:
    """Most complete occurrences first: each passage points to the kept one it directly matches."""
    edges: dict[PassageKey, list[tuple[float, PassageKey]]] = defaultdict(list)
    chars: dict[PassageKey, int] = {}
    for v in verdicts:
        doc_a, doc_b = str(v.row["doc_a"]), str(v.row["doc_b"])
        for no_a, chars_a, no_b, chars_b, containment in v.matches:
            ka, kb = (doc_a, no_a), (doc_b, no_b)
            chars[ka], chars[kb] = chars_a, chars_b
            edges[ka].append((containment, kb))
            edges[kb].append((containment, ka))
    order = sorted(edges, key=lambda k: (-chars[k], k[0] not in canonical, k))
    kept: set[PassageKey] = set()
    rows: list[tuple[str, int, str, int, float]] = []
    for node in order:
        targets = [(c, other) for c, other in edges[node] if other in kept]
        if not targets:
            kept.add(node)
            continue
        best_c, best = min(targets, key=lambda t: (-t[0], t[1]))
        rows.append((node[0], node[1], best[0], best[1], round(best_c, 4)))
    rows.sort()
    cols = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in PASSAGE_LINKS_SCHEMA]
    return pa.table(dict(zip(PASSAGE_LINKS_SCHEMA.names, cols, strict=True)), schema=PASSAGE_LINKS_SCHEMA)


def _members(events: pa.Table) -> dict[str, frozenset[str]]:
    """Event id -> its documents, for events of more than one document (the only ones with links)."""
    rows = events.select(["event_id", "doc_id"])
    sizes = rows.group_by("event_id").aggregate([("doc_id", "count_distinct")])
    several = sizes.filter(pc.greater(sizes.column("doc_id_count_distinct"), 1)).column("event_id")
    rows = rows.filter(pc.is_in(rows.column("event_id"), value_set=several.combine_chunks()))
    groups: dict[str, set[str]] = defaultdict(set)
    for event_id, doc_id in zip(
        rows.column("event_id").to_pylist(), rows.column("doc_id").to_pylist(), strict=True
    ):
        groups[str(event_id)].add(str(doc_id))
    return {e: frozenset(m) for e, m in groups.items()}


def changed_events(
    events: pa.Table,
    previous_events: pa.Table | None,
    new_doc_ids: Collection[str] | pa.Array | pa.ChunkedArray,
) -> dict[str, frozenset[str]]:
    """Events (of two or more documents) that gained or lost a document, or hold a document of this run."""
    now = _members(events)
    if previous_events is None:
        return now
    before = _members(previous_events)
    new_ids = _string_array(new_doc_ids)
    grouped = pa.array(sorted({d for m in now.values() for d in m}), pa.string())
    new = {str(d) for d in new_ids.filter(pc.is_in(new_ids, value_set=grouped)).to_pylist()}
    return {e: m for e, m in now.items() if before.get(e) != m or not new.isdisjoint(m)}


def _sorted_pairs(carried: pa.Table, verdicts: Sequence[_PairVerdict]) -> pa.Table:
    """Carried-over and new pair rows in one table, ordered by (doc_a, doc_b)."""
    fresh = pa.Table.from_pylist([v.row for v in verdicts], schema=DOC_PAIRS_SCHEMA)
    both = pa.concat_tables([carried.select(DOC_PAIRS_SCHEMA.names).cast(DOC_PAIRS_SCHEMA), fresh])
    return both.sort_by([("doc_a", "ascending"), ("doc_b", "ascending")]).combine_chunks()


def _carried_links(previous_links: pa.Table | None, docs: Collection[str]) -> pa.Table:
    """Previous links of the documents of unchanged events."""
    if previous_links is None or not docs:
        return PASSAGE_LINKS_SCHEMA.empty_table()
    links = previous_links.select(PASSAGE_LINKS_SCHEMA.names).cast(PASSAGE_LINKS_SCHEMA)
    keep = pc.is_in(links.column("doc_id"), value_set=pa.array(sorted(docs), pa.string()))
    return links.filter(keep)


def match_corpus(
    passage_files: Sequence[Path],
    documents: pa.Table,
    new_doc_ids: Collection[str] | pa.Array | pa.ChunkedArray,
    previous_pairs: pa.Table | None,
    previous_events: pa.Table | None = None,
    previous_links: pa.Table | None = None,
    temp_dir: Path | None = None,
) -> MatchResult:
    """Pairs (duplicate / overlap), events and passage links of the whole current state.

    passage_files: Parquet files of the passage table of the whole new state (old and new documents);
    documents: doc_id and text_chars of every current document; new_doc_ids: documents processed in
    this run (new or changed; an Arrow array or a Python collection); previous_pairs: the last
    state's doc_pairs, already without rows of deleted or changed documents (carried over as they
    are); previous_events and previous_links: the last state's tables (links of events that did not
    change are carried over; without them every event's links are rebuilt); temp_dir: where DuckDB
    spills (None: DuckDB's default). Per-document state stays in Arrow columns: Python objects are
    made only for documents in pairs or candidates.
    """
    doc_ids = _string_array(documents.column("doc_id"))
    is_new = pc.is_in(doc_ids, value_set=_string_array(new_doc_ids))
    new = _sorted_ids(doc_ids.filter(is_new))
    old = _sorted_ids(doc_ids.filter(pc.invert(is_new)))
    carried = previous_pairs if previous_pairs is not None else DOC_PAIRS_SCHEMA.empty_table()
    carried = carried.filter(
        pc.and_(
            pc.is_in(carried.column("doc_a"), value_set=old), pc.is_in(carried.column("doc_b"), value_set=old)
        )
    )
    files = [str(f) for f in passage_files]
    verdicts: list[_PairVerdict] = []
    band_rows = join_rows = loaded = rematched = 0
    candidates: list[tuple[str, str]] = []
    con = _connect(temp_dir) if files else None
    try:
        if con is not None and len(new):
            full_scan = len(new) > FULL_SCAN_SHARE * len(doc_ids)
            _define_sources(con, files, pa.concat_arrays([new, old]))
            with tempfile.TemporaryDirectory(prefix="bands-", dir=temp_dir) as spill_dir:
                if not full_scan:
                    _new_hashes(con, len(new))
                if full_scan or len(new) > ONE_PASS_MAX_NEW:
                    _keep_first_copies(con, full_scan)
                else:
                    _keep_touched_first_copies(con, Path(spill_dir))
                bands = _collect_bands(con, len(new), full_scan, Path(spill_dir))
                same_pairs = _same_passages(con, len(new), len(doc_ids), full_scan)
                candidates = _candidate_pairs(con, bands, len(new), same_pairs)
                _passage_df(con, {d for pair in candidates for d in pair}, full_scan, bands)
            band_rows, join_rows = bands.looked_at, bands.rare_join_rows + same_pairs
            verdicts, loaded = _verify(con, files, candidates, judge=True)
        doc_pairs = _sorted_pairs(carried, verdicts)
        pair_ids = zip(
            doc_pairs.column("doc_a").to_pylist(), doc_pairs.column("doc_b").to_pylist(), strict=True
        )
        events = build_events(doc_ids, documents.column("text_chars"), pair_ids)
        changed = changed_events(events, previous_events if previous_links is not None else None, new)
        in_changed = {d for m in changed.values() for d in m}
        # a pair's two documents are in one event: its first document tells whether the event changed
        again = carried.filter(
            pc.is_in(carried.column("doc_a"), value_set=pa.array(sorted(in_changed), pa.string()))
        )
        rematch = sorted(
            (str(a), str(b))
            for a, b in zip(again.column("doc_a").to_pylist(), again.column("doc_b").to_pylist(), strict=True)
        )
        if rematch and con is not None:
            matched, more = _verify(con, files, rematch, judge=False)
            verdicts += matched
            loaded += more
            rematched = len(rematch)
    finally:
        if con is not None:
            con.close()
    # canonical documents matter to the links only among the documents of verified pairs
    linked = pa.array(sorted({str(v.row[k]) for v in verdicts for k in ("doc_a", "doc_b")}), pa.string())
    heads = events.filter(
        pc.and_(events.column("is_canonical"), pc.is_in(events.column("doc_id"), value_set=linked))
    )
    canonical = {str(d) for d in heads.column("doc_id").to_pylist()}
    unchanged_docs = {d for m in _members(events).values() for d in m} - in_changed
    links = pa.concat_tables(
        [build_passage_links(verdicts, canonical), _carried_links(previous_links, unchanged_docs)]
    )
    links = links.sort_by([("doc_id", "ascending"), ("passage_no", "ascending")]).combine_chunks()
    stats = MatchStats(band_rows, join_rows, len(candidates), rematched, loaded)
    return MatchResult(doc_pairs, events, links, stats)
