"""Pair verdict stage: duplicate, overlap or nothing, from a pair's passage matches.

Consumes the verification stage's evidence batch by batch and returns Arrow tables: the new
doc_pairs rows and the passage matches behind every verified pair (what the passage links are
built from).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyarrow as pa

from warehouse.match.config import MatchConfig
from warehouse.match.verify import IndexMatch, PairEvidence, VerifiedBatch
from warehouse.schema import DOC_PAIRS, PASSAGE_MATCHES


@dataclass(frozen=True)
class Verdicts:
    """What verification and verdict made of a list of pairs."""

    pairs: pa.Table  # DOC_PAIRS rows of the pairs judged duplicate or overlap, in input order
    matches: pa.Table  # PASSAGE_MATCHES of those pairs (of every pair when only matched again)
    passages: int  # passages loaded as n-gram codes (a document in two batches counts twice)


@dataclass
class _Matches:
    """PASSAGE_MATCHES columns, appended pair by pair (no Python object per match is kept)."""

    columns: dict[str, list[object]] = field(default_factory=lambda: {n: [] for n in PASSAGE_MATCHES.names})

    def add(self, e: PairEvidence, matches: Iterable[IndexMatch]) -> None:
        """The matches of one pair, by passage number and length."""
        cols = self.columns
        for i, j, c, _ in matches:
            cols["doc_a"].append(e.doc_a)
            cols["passage_a"].append(e.a.nos[i])
            cols["chars_a"].append(e.a.chars[i])
            cols["doc_b"].append(e.doc_b)
            cols["passage_b"].append(e.b.nos[j])
            cols["chars_b"].append(e.b.chars[j])
            cols["containment"].append(c)

    def table(self) -> pa.Table:
        return pa.table(self.columns, schema=PASSAGE_MATCHES)


def judge(e: PairEvidence, config: MatchConfig) -> dict[str, object] | None:
    """The doc_pairs row of a pair (duplicate or overlap), or None."""
    a, b, detailed = e.a, e.b, e.matches
    if not detailed:
        return None
    hit_a = {i for i, _, _, _ in detailed}
    hit_b = {j for _, j, _, _ in detailed}
    strong_a = {i for i, _, _, strong in detailed if strong}
    strong_b = {j for _, j, _, strong in detailed if strong}
    total_a, total_b = max(sum(a.chars), 1), max(sum(b.chars), 1)
    cov_a = sum(a.chars[i] for i in hit_a) / total_a
    cov_b = sum(b.chars[j] for j in hit_b) / total_b
    similarity = e.common / max(len(a.vocab) + len(b.vocab) - e.common, 1)
    shared = min(len(hit_a), len(hit_b))
    # an overlap rests on strong matches only; weaker ones (a sentence inside a longer one) add coverage
    strong = min(len(strong_a), len(strong_b))
    weight = min(sum(a.weights[i] for i in strong_a), sum(b.weights[j] for j in strong_b))
    # a duplicate too: sentences that only share a stock opening must not cover a body
    strong_cov_a = sum(a.chars[i] for i in strong_a) / total_a
    strong_cov_b = sum(b.chars[j] for j in strong_b) / total_b
    if strong_cov_a >= config.duplicate_coverage and strong_cov_b >= config.duplicate_coverage:
        relation = "duplicate"
    elif strong >= config.min_shared_passages and weight >= config.min_overlap_weight:
        relation = "overlap"
    else:
        return None
    return {
        "doc_a": e.doc_a,
        "doc_b": e.doc_b,
        "relation": relation,
        "shared_passages": shared,
        "containment_a": round(cov_a, 4),
        "containment_b": round(cov_b, 4),
        "similarity": round(similarity, 4),
    }


def judge_pairs(batches: Iterable[VerifiedBatch], config: MatchConfig) -> Verdicts:
    """The verdict of every verified candidate pair; matches of the linked pairs only."""
    rows: list[dict[str, object]] = []
    matches = _Matches()
    passages = 0
    for batch in batches:
        passages += batch.passages
        for e in batch.pairs:
            row = judge(e, config)
            if row is not None:
                rows.append(row)
                matches.add(e, e.matches)
    return Verdicts(pa.Table.from_pylist(rows, schema=DOC_PAIRS), matches.table(), passages)


def matched_pairs(batches: Iterable[VerifiedBatch]) -> Verdicts:
    """The passage matches of pairs already judged (carried over): no verdict, no new rows."""
    matches = _Matches()
    passages = 0
    for batch in batches:
        passages += batch.passages
        for e in batch.pairs:
            matches.add(e, e.matches)
    return Verdicts(DOC_PAIRS.empty_table(), matches.table(), passages)


NO_VERDICTS = Verdicts(DOC_PAIRS.empty_table(), PASSAGE_MATCHES.empty_table(), 0)
