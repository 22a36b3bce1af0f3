"""The one cross-document step: candidate pairs from stored passage signatures, verified, grouped.

Candidates come from DuckDB SQL over the stored LSH band hashes (only pairs that touch a document of
this run, plus the previous run's pairs, whose passage links are rebuilt); verification is exact, on
the character n-grams of the passages of candidate pairs only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from transforms.overlap import SHINGLE_CHARS, normalise

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

# Two documents are candidates when their passages collide in at least this many LSH bands in all
# (summed over every passage pair of the two documents): a shared reworded passage collides in ~6 of
# 64 bands, an unrelated pair in 1-2 by chance (benchmarks/overlap.py at 10k documents: thresholds
# 2..6 keep planted-overlap recall 0.996 while chance candidates fall from 49k to 250; 5 keeps margin).
MIN_BAND_HITS = 5
# ... and at least this many distinct passages on each side collide: one shared stock sentence alone
# would otherwise make every pair of its documents a candidate (an overlap needs two shared passages
# anyway; the others are found by exact verification of all passage pairs of a candidate).
MIN_CANDIDATE_PASSAGES = 2
# A band bucket holding more documents than max(MAX_BUCKET_DOCS, corpus documents / BUCKET_SHARE_DOCS)
# is a stock phrase: it yields no candidates (its rarity weight would be at most
# (RARE_DF / MAX_BUCKET_DOCS)^2 = 0.01 anyway) and keeps the self-join small. The cap grows with the
# corpus because a real story's wording recurs in more reports as the corpus grows (one in a
# thousand documents), while a site's stock line recurs in a fixed share of that site's pages.
MAX_BUCKET_DOCS = 50
BUCKET_SHARE_DOCS = 1000
# Two passages match when this share of the smaller one's n-grams is in the other. Seeds 000/001's
# shared passages: 0.53-0.96; planted reworded passages (a sixth of the words replaced): 89 % reach
# 0.35, 92 % reach 0.3, 70 % reach 0.5; the best match of a passage in an unrelated generated
# document reaches 0.25 in 0.05 % of cases. The closest unrelated seed sentence pair (0.39) matches,
# but one passage match does not make an overlap (MIN_SHARED_PASSAGES, MIN_OVERLAP_WEIGHT).
PASSAGE_CONTAINMENT = 0.3
# ...and they share at least this many n-grams (about one clause of 12 characters).
MIN_SHARED_SHINGLES = 10
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

PassageKey = tuple[str, int]


@dataclass(frozen=True)
class MatchResult:
    """Global tables recomputed by each run (old pairs of unchanged documents may be carried over)."""

    doc_pairs: pa.Table
    events: pa.Table
    passage_links: pa.Table


@dataclass(frozen=True)
class _Passage:
    """One stored passage with its exact n-gram set and rarity weight."""

    no: int
    shingles: frozenset[str]
    chars: int
    weight: float


@dataclass(frozen=True)
class _PairVerdict:
    """A verified document pair and the passage matches behind it."""

    row: dict[str, object]
    matches: list[tuple[int, int, float]]


def shingles(key: str) -> frozenset[str]:
    """Exact character n-grams of a normalised passage (the whole key when shorter)."""
    if len(key) <= SHINGLE_CHARS:
        return frozenset([key])
    return frozenset(key[i : i + SHINGLE_CHARS] for i in range(len(key) - SHINGLE_CHARS + 1))


def rarity_weight(df: int) -> float:
    """Full weight for rare passages, falling quadratically for passages repeated across many documents."""
    return min(1.0, (RARE_DF / max(df, 1)) ** 2)


def bucket_cap(n_docs: int) -> int:
    """Most documents a band bucket may span and still yield candidates (larger: a stock phrase)."""
    return max(MAX_BUCKET_DOCS, n_docs // BUCKET_SHARE_DOCS)


def _load_bands(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """Band hashes in long form keyed by a dense document number, bucket sizes, and the useful buckets."""
    con.execute(
        "CREATE TEMP TABLE doc_no AS SELECT doc_id, (row_number() OVER (ORDER BY doc_id))::INTEGER AS dn "
        "FROM (SELECT DISTINCT doc_id FROM read_parquet(?))",
        [files],
    )
    con.execute(
        "CREATE TEMP TABLE pb AS SELECT n.dn, p.passage_no, unnest(p.bands) AS h "
        "FROM read_parquet(?) p JOIN doc_no n USING (doc_id)",
        [files],
    )
    n_docs = con.execute("SELECT count(*) FROM doc_no").fetchall()[0][0]
    con.execute(
        "CREATE TEMP TABLE bucket AS SELECT h, count(DISTINCT dn) AS n_docs FROM pb "
        "GROUP BY h HAVING count(*) > 1"
    )
    con.execute(
        "CREATE TEMP TABLE hot AS SELECT pb.dn, pb.passage_no, pb.h FROM pb JOIN bucket USING (h) "
        f"WHERE bucket.n_docs BETWEEN 2 AND {bucket_cap(int(n_docs))}"
    )


def _candidate_pairs(
    con: duckdb.DuckDBPyConnection, new_doc_ids: Collection[str], previous: pa.Table | None
) -> set[tuple[str, str]]:
    """Document pairs that touch a new document and collide in enough bands, plus previous pairs."""
    con.register("new_ids", pa.table({"doc_id": pa.array(sorted(new_doc_ids), pa.string())}))
    con.execute("CREATE OR REPLACE TEMP TABLE new_docs AS SELECT dn FROM doc_no JOIN new_ids USING (doc_id)")
    rows = con.execute(
        f"""
        WITH hits AS (
            SELECT least(x.dn, y.dn) AS a, greatest(x.dn, y.dn) AS b,
                   CASE WHEN x.dn < y.dn THEN x.passage_no ELSE y.passage_no END AS pa,
                   CASE WHEN x.dn < y.dn THEN y.passage_no ELSE x.passage_no END AS pb
            FROM hot x SEMI JOIN new_docs n ON n.dn = x.dn
            JOIN hot y ON y.h = x.h AND y.dn <> x.dn
            WHERE y.dn NOT IN (SELECT dn FROM new_docs) OR x.dn < y.dn
        ), pairs AS (
            SELECT a, b FROM hits GROUP BY a, b
            HAVING count(*) >= {MIN_BAND_HITS}
                AND count(DISTINCT pa) >= {MIN_CANDIDATE_PASSAGES}
                AND count(DISTINCT pb) >= {MIN_CANDIDATE_PASSAGES}
        )
        SELECT da.doc_id, db.doc_id FROM pairs
        JOIN doc_no da ON da.dn = pairs.a JOIN doc_no db ON db.dn = pairs.b
        """
    ).fetchall()
    pairs = {(min(str(a), str(b)), max(str(a), str(b))) for a, b in rows}
    if previous is not None and previous.num_rows:
        prev_a = previous.column("doc_a").to_pylist()
        prev_b = previous.column("doc_b").to_pylist()
        pairs.update((str(a), str(b)) for a, b in zip(prev_a, prev_b, strict=True))
    return pairs


def _load_passages(
    con: duckdb.DuckDBPyConnection, files: list[str], doc_ids: Iterable[str]
) -> dict[str, list[_Passage]]:
    """Passages of the given documents, with n-gram sets and rarity weights from bucket sizes."""
    con.register("involved", pa.table({"doc_id": pa.array(sorted(set(doc_ids)), pa.string())}))
    df_rows = con.execute(
        # A passage's document frequency: the median bucket size over its bands. A stock sentence's
        # bands all hold its documents; a rare passage has a few bands on pairs of common n-grams.
        "SELECT n.doc_id, pb.passage_no, quantile_disc(coalesce(bucket.n_docs, 1), 0.5) "
        "FROM pb JOIN doc_no n USING (dn) JOIN involved USING (doc_id) LEFT JOIN bucket USING (h) "
        "GROUP BY ALL"
    ).fetchall()
    df = {(str(d), int(n)): int(k) for d, n, k in df_rows}
    rows = con.execute(
        "SELECT p.doc_id, p.passage_no, p.text FROM read_parquet(?) p JOIN involved USING (doc_id) "
        "ORDER BY p.doc_id, p.passage_no",
        [files],
    ).fetchall()
    out: dict[str, list[_Passage]] = defaultdict(list)
    for doc_id, no, text in rows:
        key = normalise(str(text))
        weight = rarity_weight(df.get((str(doc_id), int(no)), 1))
        out[str(doc_id)].append(_Passage(int(no), shingles(key), len(key), weight))
    return out


def match_passages(a: Sequence[_Passage], b: Sequence[_Passage]) -> list[tuple[int, int, float]]:
    """Passage pairs (index in a, index in b, containment) sharing enough of the smaller one's n-grams."""
    postings: dict[str, list[int]] = defaultdict(list)
    for j, p in enumerate(b):
        for s in p.shingles:
            postings[s].append(j)
    out: list[tuple[int, int, float]] = []
    for i, p in enumerate(a):
        counts = Counter(j for s in p.shingles for j in postings.get(s, ()))
        for j, shared in counts.items():
            if shared < MIN_SHARED_SHINGLES:
                continue
            containment = shared / min(len(p.shingles), len(b[j].shingles))
            if containment >= PASSAGE_CONTAINMENT:
                out.append((i, j, containment))
    return out


def judge_pair(doc_a: str, a: Sequence[_Passage], doc_b: str, b: Sequence[_Passage]) -> _PairVerdict | None:
    """Duplicate, overlap or nothing, from the passage matches of two documents."""
    matches = match_passages(a, b)
    if not matches:
        return None
    hit_a = {i for i, _, _ in matches}
    hit_b = {j for _, j, _ in matches}
    cov_a = sum(a[i].chars for i in hit_a) / max(sum(p.chars for p in a), 1)
    cov_b = sum(b[j].chars for j in hit_b) / max(sum(p.chars for p in b), 1)
    all_a = frozenset().union(*(p.shingles for p in a))
    all_b = frozenset().union(*(p.shingles for p in b))
    similarity = len(all_a & all_b) / max(len(all_a | all_b), 1)
    shared = min(len(hit_a), len(hit_b))
    weight = min(sum(a[i].weight for i in hit_a), sum(b[j].weight for j in hit_b))
    if cov_a >= DUPLICATE_COVERAGE and cov_b >= DUPLICATE_COVERAGE:
        relation = "duplicate"
    elif shared >= MIN_SHARED_PASSAGES and weight >= MIN_OVERLAP_WEIGHT:
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
    return _PairVerdict(row, matches)


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
    doc_ids: Sequence[str], text_chars: Sequence[int], pairs: Iterable[tuple[str, str]]
) -> pa.Table:
    """Connected components; event_id is the smallest doc_id, canonical the longest body."""
    uf = _UnionFind()
    for a, b in pairs:
        uf.union(a, b)
    groups: dict[object, list[int]] = defaultdict(list)
    for k, d in enumerate(doc_ids):
        groups[uf.find(d)].append(k)
    ev: list[str] = []
    ids: list[str] = []
    canon: list[bool] = []
    for members in groups.values():
        event_id = min(doc_ids[k] for k in members)
        best = min(members, key=lambda k: (-text_chars[k], doc_ids[k]))
        for k in members:
            ev.append(event_id)
            ids.append(doc_ids[k])
            canon.append(k == best)
    order = sorted(range(len(ids)), key=lambda k: (ev[k], ids[k]))
    return pa.table(
        {
            "event_id": [ev[k] for k in order],
            "doc_id": [ids[k] for k in order],
            "is_canonical": [canon[k] for k in order],
        },
        schema=EVENTS_SCHEMA,
    )


def build_passage_links(
    verdicts: Sequence[_PairVerdict],
    passages: dict[str, list[_Passage]],
    canonical: set[str],
) -> pa.Table:
    """Most complete occurrences first: each passage points to the kept one it directly matches."""
    edges: dict[PassageKey, list[tuple[float, PassageKey]]] = defaultdict(list)
    for v in verdicts:
        doc_a, doc_b = str(v.row["doc_a"]), str(v.row["doc_b"])
        for i, j, containment in v.matches:
            ka, kb = (doc_a, passages[doc_a][i].no), (doc_b, passages[doc_b][j].no)
            edges[ka].append((containment, kb))
            edges[kb].append((containment, ka))
    chars = {(d, p.no): p.chars for d, ps in passages.items() for p in ps}
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


def match_corpus(
    passage_files: Sequence[Path],
    documents: pa.Table,
    new_doc_ids: Collection[str],
    previous_pairs: pa.Table | None,
) -> MatchResult:
    """Pairs (duplicate / overlap), events and passage links of the whole current state.

    passage_files: Parquet files of the passage table of the whole new state (old and new documents);
    documents: doc_id and text_chars of every current document; new_doc_ids: documents processed in
    this run (new or changed); previous_pairs: the last state's doc_pairs, already without rows of
    deleted or changed documents. Old documents are only re-read for pairs found or carried over.
    """
    doc_ids = [str(d) for d in documents.column("doc_id").to_pylist()]
    text_chars = [int(c or 0) for c in documents.column("text_chars").to_pylist()]
    current = set(doc_ids)
    files = [str(f) for f in passage_files]
    verdicts: list[_PairVerdict] = []
    passages: dict[str, list[_Passage]] = {}
    if files:
        con = duckdb.connect()
        try:
            _load_bands(con, files)
            candidates = sorted(
                (a, b)
                for a, b in _candidate_pairs(con, new_doc_ids, previous_pairs)
                if a in current and b in current
            )
            passages = _load_passages(con, files, {d for pair in candidates for d in pair})
        finally:
            con.close()
        for a, b in candidates:
            verdict = judge_pair(a, passages.get(a, []), b, passages.get(b, []))
            if verdict is not None:
                verdicts.append(verdict)
    pair_rows = [v.row for v in verdicts]
    doc_pairs = pa.Table.from_pylist(pair_rows, schema=DOC_PAIRS_SCHEMA)
    events = build_events(doc_ids, text_chars, ((str(r["doc_a"]), str(r["doc_b"])) for r in pair_rows))
    canonical = {
        d
        for d, c in zip(
            events.column("doc_id").to_pylist(), events.column("is_canonical").to_pylist(), strict=True
        )
        if c
    }
    links = build_passage_links(verdicts, passages, canonical)
    return MatchResult(doc_pairs, events, links)
