"""Arrow schemas of the stored tables; the DuckDB views of the contract are built on these."""

from __future__ import annotations

import pyarrow as pa

from transforms.overlap import PASSAGE_SCHEMA

DOCUMENTS_BASE = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source_path", pa.string()),
        ("content_sha256", pa.string()),
        ("encoding", pa.string()),
        ("input_format", pa.string()),
        ("script", pa.string()),
        ("title", pa.string()),
        ("published_date", pa.date32()),
        ("source_outlet", pa.string()),
        ("author", pa.string()),
        ("editor", pa.string()),
        # where each metadata value came from: title=html_title,published_date=meta_line,author=html_meta
        ("metadata_source", pa.string()),
        ("text", pa.string()),
        ("text_original", pa.string()),
        ("pinyin_repairs", pa.int32()),
        ("flags", pa.list_(pa.string())),
        ("text_chars", pa.int64()),
        ("run_id", pa.string()),
        ("rules_version", pa.string()),  # the code that cleaned it (a newer one reprocesses it)
    ]
)
LINES = pa.schema(
    [
        ("doc_id", pa.string()),
        ("line_no", pa.int32()),
        ("text", pa.string()),
        ("label", pa.string()),
        ("reason", pa.string()),
        # what the page's own rules said, where a verdict over the corpus overrode it (else null)
        ("page_label", pa.string()),
        ("page_reason", pa.string()),
        # the line's key in line_fingerprints (Simplified, no pinyin, normalised); null unless short
        ("fingerprint", pa.int64()),
    ]
)
SIDE_TEXTS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("block_no", pa.int32()),
        ("text", pa.string()),
        ("text_original", pa.string()),
        ("reason", pa.string()),
    ]
)
# Per document: its short lines (kind 0) and its paragraph sentences (kind 1), whether the page kept
# a line with that fingerprint as text, and the corpus verdict its rows were last built with
# (transforms.repetition, warehouse.corpus).
LINE_FINGERPRINTS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("fingerprint", pa.int64()),
        ("kind", pa.int8()),
        ("overridable", pa.bool_()),
        ("corpus_reason", pa.string()),
    ]
)
FILES = pa.schema(
    [
        ("doc_id", pa.string()),
        ("content_sha256", pa.string()),
        ("size", pa.int64()),
        ("mtime_ns", pa.int64()),
        ("status", pa.string()),
        ("part", pa.string()),
        ("run_id", pa.string()),
        ("rules_version", pa.string()),  # the code that read it: a document or a rejection
    ]
)
REJECTED_FILES = pa.schema(
    [
        ("source_path", pa.string()),
        ("doc_id", pa.string()),
        ("content_sha256", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("run_id", pa.string()),
    ]
)
RUNS = pa.schema(
    [
        ("run_id", pa.string()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("finished_at", pa.timestamp("us", tz="UTC")),
        ("status", pa.string()),
        ("files_new", pa.int64()),
        ("files_changed", pa.int64()),
        ("files_unchanged", pa.int64()),
        ("files_deleted", pa.int64()),
        ("files_rejected", pa.int64()),
        ("documents", pa.int64()),
        ("duplicates", pa.int64()),
        ("overlaps", pa.int64()),
        ("rules_version", pa.string()),
        ("files_stale", pa.int64()),  # unchanged files read again because newer rules made them stale
    ]
)
# The match step's tables (warehouse.match): pairs of linked documents (doc_a < doc_b), one event row
# per document, and for each matched passage the kept occurrence it points to.
DOC_PAIRS = pa.schema(
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
EVENTS = pa.schema([("event_id", pa.string()), ("doc_id", pa.string()), ("is_canonical", pa.bool_())])
PASSAGE_LINKS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("passage_no", pa.int32()),
        ("duplicate_of_doc", pa.string()),
        ("duplicate_of_passage", pa.int32()),
        ("similarity", pa.float64()),
    ]
)

# Passed between the match stages, never stored: candidate document pairs (doc_a < doc_b) and the
# passage matches of verified pairs (passage numbers, their normalised lengths, containment).
CANDIDATE_PAIRS = pa.schema([("doc_a", pa.string()), ("doc_b", pa.string())])
PASSAGE_MATCHES = pa.schema(
    [
        ("doc_a", pa.string()),
        ("passage_a", pa.int32()),
        ("chars_a", pa.int64()),
        ("doc_b", pa.string()),
        ("passage_b", pa.int32()),
        ("chars_b", pa.int64()),
        ("containment", pa.float64()),
    ]
)
# Passed between the candidates stage's jobs in the search's folder: the passage pairs of the rare band
# buckets, one row a bucket two passages share, by document number (a < b, a new) and passage number.
BUCKET_PAIRS = pa.schema([("a", pa.int32()), ("b", pa.int32()), ("pa", pa.int32()), ("pb", pa.int32())])

# Tables whose rows belong to one document and are written once, by the shard that processed it.
PER_DOCUMENT: dict[str, pa.Schema] = {
    "documents_base": DOCUMENTS_BASE,
    "lines": LINES,
    "side_texts": SIDE_TEXTS,
    "passage_index": PASSAGE_SCHEMA,
    "line_fingerprints": LINE_FINGERPRINTS,
}
# Tables rewritten whole by every run (small, or cross-document).
WHOLE: dict[str, pa.Schema] = {
    "files": FILES,
    "rejected_files": REJECTED_FILES,
    "runs": RUNS,
    "doc_pairs": DOC_PAIRS,
    "events": EVENTS,
    "passage_links": PASSAGE_LINKS,
}
ALL_TABLES: dict[str, pa.Schema] = {**PER_DOCUMENT, **WHOLE}
