"""Batches of whole runs of a sorted key (a part file's documents, an event's passage matches).

Work done a batch at a time holds one batch's Python objects, not the corpus's; a run is never split,
as the work on it must see all of it.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def run_batches(keys: pa.Array | pa.ChunkedArray, batch_rows: int) -> list[tuple[int, int]]:
    """(offset, length) of consecutive batches of whole runs of equal keys (keys sorted), each closed
    once it holds batch_rows rows (a run longer than that is a batch of its own)."""
    if len(keys) == 0:
        return []
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks()
    batches = []
    start = 0
    for end in pc.run_end_encode(keys).run_ends.to_pylist():
        if end - start >= batch_rows:
            batches.append((start, end - start))
            start = end
    if len(keys) > start:
        batches.append((start, len(keys) - start))
    return batches
