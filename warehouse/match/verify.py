"""N-gram verification stage: the exact passage matches of each candidate pair.

A batch of documents at a time: their passages are read from the passage files once (with the
frequencies the candidates stage measured), turned into n-gram codes (grams.py), and each pair's
passages are compared by a sorted merge of the codes the two documents share. The output is lazy
(one batch of evidence at a time), so only one batch's n-gram arrays are ever held.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from transforms.overlap import SHINGLE_CHARS, normalise_many
from warehouse.match.config import MatchConfig
from warehouse.match.duck import connect
from warehouse.match.grams import I64, GramBatch, gram_batch, gram_codes
from warehouse.sql import sql_files, sql_path

# A passage match by index into both documents' passage lists: (i, j, containment, strong).
IndexMatch = tuple[int, int, float, bool]


@dataclass(frozen=True)
class Doc:
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
class PairEvidence:
    """Two documents' distinct passages and the passage matches found between them."""

    doc_a: str
    doc_b: str
    a: Doc
    b: Doc
    matches: list[IndexMatch]
    common: int  # distinct n-grams the two documents share


@dataclass(frozen=True)
class VerifiedBatch:
    """The evidence of one batch of pairs, and how many passages the batch loaded."""

    pairs: list[PairEvidence]
    passages: int


# Rows a chunk of the verification's passage stream holds (~100 characters each: ~10 MB of text).
VERIFY_STREAM_ROWS = 50_000

_EMPTY = np.zeros(0, dtype=np.int64)
_EMPTY_ROWS = pa.table(
    {
        "doc_id": pa.array([], pa.string()),
        "passage_no": pa.array([], pa.int32()),
        "text": pa.array([], pa.string()),
        "df": pa.array([], pa.int64()),
    }
)
NO_PASSAGES = Doc([], [], [], [], _EMPTY, _EMPTY, _EMPTY, _EMPTY)
"""A document without passages in the index (nothing to match)."""


def verify_pairs(
    files: Sequence[str],
    pairs: pa.Table,
    df: Path | None,
    strong: bool,
    temp_dir: Path | None,
    config: MatchConfig,
) -> Iterator[VerifiedBatch]:
    """Each pair's passage matches (strong ones flagged when asked), a batch of documents at a time.

    files: the passage files; pairs: (doc_a, doc_b) in order; df: a Parquet file of (doc_id,
    passage_no, df) giving passages their rarity weight (None: every weight 1).
    """
    ordered = list(zip(pairs.column("doc_a").to_pylist(), pairs.column("doc_b").to_pylist(), strict=True))
    if not ordered:
        return
    batches = list(_batches(ordered, config.verify_batch_docs))
    con = connect(config, temp_dir)
    try:
        loaded = _batch_rows(con, files, [sorted({d for p in b for d in p}) for b in batches], df, config)
        for batch, rows in zip(batches, loaded, strict=True):
            docs = _docs_of(rows, config)
            evidence = []
            seen: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[list[IndexMatch], int]] = {}
            for a, b in batch:
                da, db = docs.get(a, NO_PASSAGES), docs.get(b, NO_PASSAGES)
                matches, common = _matches_once(da, db, strong, config, seen)
                evidence.append(PairEvidence(a, b, da, db, matches, common))
            yield VerifiedBatch(evidence, sum(len(d.nos) for d in docs.values()))
    finally:
        con.close()


def _batches(pairs: Sequence[tuple[str, str]], max_docs: int) -> Iterable[list[tuple[str, str]]]:
    """Runs of pairs whose documents number at most max_docs (sorted pairs share their first doc)."""
    batch: list[tuple[str, str]] = []
    docs: set[str] = set()
    for a, b in pairs:
        if batch and len(docs | {a, b}) > max_docs:
            yield batch
            batch, docs = [], set()
        batch.append((a, b))
        docs.update((a, b))
    if batch:
        yield batch


def _batch_rows(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    batch_docs: Sequence[Sequence[str]],
    df: Path | None,
    config: MatchConfig,
) -> Iterator[pa.Table]:
    """Each batch's passages (doc_id, passage_no, text, df; within the cap, by document and number),
    batch after batch, from one query streamed in batch order.

    One pass over the passages: a query a batch over the candidates' passages read it all again, so
    verification grew with batches x passages (100k -> 1M generated documents: 26x the time for 7.5x
    the pairs).
    """
    numbered = pa.table(
        {
            "vb": pa.array([k for k, docs in enumerate(batch_docs) for _ in docs], pa.int32()),
            "doc_id": pa.array([d for docs in batch_docs for d in docs], pa.string()),
        }
    )
    frequency, joined = "1", ""
    if df is not None:
        frequency = "coalesce(f.df, 1)"
        joined = f"LEFT JOIN read_parquet('{sql_path(df)}') f USING (doc_id, passage_no)"
    con.register("verify_batches", numbered)  # for the session: its result streams until the end
    reader = con.sql(
        f"SELECT t.vb, t.doc_id, t.passage_no, t.text, {frequency} AS df "
        f"FROM (SELECT b.vb, p.doc_id, p.passage_no, p.text FROM read_parquet({sql_files(files)}) p "
        f"JOIN verify_batches b USING (doc_id) WHERE p.passage_no < {config.max_passages_per_doc}) t "
        f"{joined} ORDER BY t.vb, t.doc_id, t.passage_no"
    ).to_arrow_reader(VERIFY_STREAM_ROWS)
    try:
        runs = _runs_by_batch(reader)
        run = next(runs, None)
        for k in range(len(batch_docs)):
            if run is not None and run[0] == k:
                yield run[1]
                run = next(runs, None)
            else:
                yield _EMPTY_ROWS
    finally:
        reader.close()


def _runs_by_batch(reader: pa.RecordBatchReader) -> Iterator[tuple[int, pa.Table]]:
    """The streamed rows grouped by their batch number (vb, ascending), without it."""
    pending: list[pa.RecordBatch] = []
    current = -1
    for chunk in reader:
        vb = chunk.column(0).to_numpy()
        cuts = np.flatnonzero(np.diff(vb)) + 1
        for start, stop in zip([0, *cuts.tolist()], [*cuts.tolist(), len(vb)], strict=True):
            if stop == start:
                continue
            if int(vb[start]) != current and pending:
                yield current, pa.Table.from_batches(pending).drop_columns(["vb"])
                pending = []
            current = int(vb[start])
            pending.append(chunk.slice(start, stop - start))
    if pending:
        yield current, pa.Table.from_batches(pending).drop_columns(["vb"])


def _docs_of(rows: pa.Table, config: MatchConfig) -> dict[str, Doc]:
    """A batch's documents from their passage rows (by document and number): distinct passages,
    n-gram codes and weights."""
    ids = [str(d) for d in rows.column("doc_id").to_pylist()]
    keys = normalise_many([str(t) for t in rows.column("text").to_pylist()])
    batch = gram_batch(ids, keys)
    nos = [int(n) for n in rows.column("passage_no").to_pylist()]
    dfs = [int(k) for k in rows.column("df").to_pylist()]
    out: dict[str, Doc] = {}
    for d in range(len(batch.bounds) - 1):
        rows_d = batch.rows(d)
        out[ids[int(batch.bounds[d])]] = make_doc(batch, d, nos, keys, dfs[rows_d], config)
    return out


def make_doc(
    batch: GramBatch, d: int, nos: list[int], keys: list[str], dfs: list[int], config: MatchConfig
) -> Doc:
    """The d-th document of a batch (dfs: its rows' frequencies): an identical passage is kept once."""
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
    return Doc(
        nos=[nos[k] for k in kept],
        keys=[keys[k] for k in kept],
        chars=[len(keys[k]) for k in kept],
        weights=[config.rarity_weight(dfs[k - first]) for k in kept],
        sizes=sizes,
        grams=grams,
        owner=owner,
        vocab=vocab,
    )


def _member(values: I64, sorted_set: I64) -> npt.NDArray[np.bool_]:
    """Whether each value is in a sorted array of distinct values."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=np.bool_)
    pos = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return np.asarray(sorted_set[pos] == values)


def _shared_counts(a: Doc, b: Doc, min_shared: int) -> tuple[I64, I64, I64, int]:
    """Passage pairs (i, j) sharing at least min_shared n-grams, with their shared counts, and the
    distinct n-grams the two documents share: one sorted merge of the shared codes per pair."""
    common = np.intersect1d(a.vocab, b.vocab, assume_unique=True)
    empty = np.zeros(0, dtype=np.int64)
    if len(common) < min_shared:
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
    keep = shared >= min_shared
    pairs, shared = pairs[keep], shared[keep]
    return pairs // len(b.nos), pairs % len(b.nos), shared.astype(np.int64), len(common)


def _matches_once(
    a: Doc,
    b: Doc,
    strong: bool,
    config: MatchConfig,
    seen: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[list[IndexMatch], int]],
) -> tuple[list[IndexMatch], int]:
    """passage_matches, computed once per pair of document contents: they depend on the passages'
    text alone, and a story reposted unchanged by many sites makes the same pair of contents again
    and again (800 pages, 66 distinct, saved a dozen times each: 4,468 pairs, 2.6 CPU s)."""
    key = (tuple(a.keys), tuple(b.keys))
    found = seen.get(key)
    if found is None:
        found = seen[key] = passage_matches(a, b, strong, config)
    return found


def passage_matches(a: Doc, b: Doc, strong: bool, config: MatchConfig) -> tuple[list[IndexMatch], int]:
    """Passage matches, whether each is strong (when asked), and the documents' shared distinct n-grams."""
    i, j, shared, common = _shared_counts(a, b, config.min_shared_shingles)
    # float64 division of exact integers: the same value as Python's int / int
    containment = shared / np.minimum(a.sizes[i], b.sizes[j])
    keep = containment >= config.passage_containment
    out: list[IndexMatch] = []
    for x, y, n, c in zip(
        i[keep].tolist(), j[keep].tolist(), shared[keep].tolist(), containment[keep].tolist(), strict=True
    ):
        both = strong and not_one_clause(n, int(a.sizes[x]), int(b.sizes[y]), a.keys[x], b.keys[y], config)
        out.append((x, y, c, both))
    return out, common


def not_one_clause(
    shared: int, size_x: int, size_y: int, key_x: str, key_y: str, config: MatchConfig
) -> bool:
    """Strong match: shared n-grams are much of BOTH passages and more than one common clause."""
    if shared < config.passage_containment_both * max(size_x, size_y):
        return False
    run = longest_run(key_x, key_y)
    if run >= config.verbatim_run_share * max(len(key_x), len(key_y)):
        return True
    return shared - max(run - SHINGLE_CHARS + 1, 0) >= config.min_spread_shingles


def longest_run(x: str, y: str) -> int:
    """Characters of the longest common substring of two normalised passages."""
    # the shorter passage inside the other is the longest common substring: most strong matches
    # are copies
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    if short in long:
        return len(short)
    return SequenceMatcher(None, x, y, autojunk=False).find_longest_match(0, len(x), 0, len(y)).size


def strong_match(x: str, y: str, config: MatchConfig) -> bool:
    """Whether two normalised passages match strongly (the rule an overlap rests on), from their text."""
    gx, gy = gram_codes(x), gram_codes(y)
    shared = len(np.intersect1d(gx, gy, assume_unique=True))
    if shared < config.min_shared_shingles or shared < config.passage_containment * min(len(gx), len(gy)):
        return False
    return not_one_clause(shared, len(gx), len(gy), x, y, config)
