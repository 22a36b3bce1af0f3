"""The one cross-document step: candidate pairs from stored passage signatures, verified, grouped."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

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
EVENTS_SCHEMA = pa.schema(
    [("event_id", pa.string()), ("doc_id", pa.string()), ("is_canonical", pa.bool_())]
)
PASSAGE_LINKS_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("passage_no", pa.int32()),
        ("duplicate_of_doc", pa.string()),
        ("duplicate_of_passage", pa.int32()),
        ("similarity", pa.float64()),
    ]
)


@dataclass(frozen=True)
class MatchResult:
    """Global tables recomputed by each run (old pairs of unchanged documents may be carried over)."""

    doc_pairs: pa.Table
    events: pa.Table
    passage_links: pa.Table


def match_corpus(
    passage_files: Sequence[Path],
    documents: pa.Table,
    new_doc_ids: Collection[str],
    previous_pairs: pa.Table | None,
) -> MatchResult:
    """Stub: no pairs; every document is its own event.

    passage_files: Parquet files of the passage table of the whole new state (old and new documents);
    documents: doc_id and text_chars of every current document; new_doc_ids: documents processed in
    this run (new or changed); previous_pairs: the last state's doc_pairs, already without rows of
    deleted or changed documents.
    """
    del passage_files, new_doc_ids, previous_pairs
    ids = sorted(documents.column("doc_id").to_pylist())
    events = pa.table(
        {"event_id": ids, "doc_id": ids, "is_canonical": [True] * len(ids)}, schema=EVENTS_SCHEMA
    )
    return MatchResult(DOC_PAIRS_SCHEMA.empty_table(), events, PASSAGE_LINKS_SCHEMA.empty_table())
