"""Passages and their MinHash signatures, per document (pure; the global match is elsewhere)."""

from __future__ import annotations

import pyarrow as pa

PASSAGE_SCHEMA = pa.schema(
    [("doc_id", pa.string()), ("passage_no", pa.int32()), ("text", pa.string())]
)


def passage_rows(doc_id: str, text: str) -> pa.Table:
    """Stub: one passage per paragraph."""
    paras = [p for p in text.split("\n") if p.strip()]
    return pa.table(
        {"doc_id": [doc_id] * len(paras), "passage_no": list(range(len(paras))), "text": paras},
        schema=PASSAGE_SCHEMA,
    )
