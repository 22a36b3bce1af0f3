"""Rows written by range of a key column: one Parquet file a range, from a stream of record batches.

The split cuts band rows by their hash's range, the candidate join cuts passage pairs by their first
document's pass (a non-negative key's range is its remainder).

DuckDB's own partitioned write (COPY ... PARTITION_BY) costs more the more ranges it writes to: the
60.6M band rows of 100k generated documents took 6.3 CPU s into their 7 ranges and 24.2 CPU s into 70,
against 2.5 s into one file; over 1M documents (606M rows, 61 ranges) the split took 222 CPU s. Cutting
each batch by range here and appending it to the range's file as one row group: 8.4 CPU s into the
100k rows' 70 ranges, 73-85 CPU s for the 1M split (BENCHMARKS.md, "Session 13").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.sql import sql_path

# The column of the band hash, the key band rows are cut by.
HASH_COLUMN = "h"
# No dictionary pages: the hashes are all distinct, and over 1M documents' 606M band rows in 61 ranges
# the split took 71 CPU s without them, 90 with them on dn and passage_no only (and the bucket count
# reading them back 226 against 260 CPU s; both with nullable columns, see required).
USE_DICTIONARY = False
# The file each range's folder holds (part=<range>/, the layout readers glob).
RANGE_FILE = "rows.parquet"


def hash_range(h: npt.NDArray[np.int64], ranges: int) -> npt.NDArray[np.int64]:
    """The range of each band hash, as SQL's abs(h % ranges) computes it (the remainder takes the
    dividend's sign, as C's fmod), so Python and DuckDB put a hash in the same range."""
    return np.abs(np.fmod(h, ranges))


def by_range(batch: pa.RecordBatch, ranges: int, key: str = HASH_COLUMN) -> list[tuple[int, pa.RecordBatch]]:
    """The batch's rows cut by the range of their key, each range's rows in their order in the batch."""
    keys = np.asarray(batch.column(key).to_numpy(zero_copy_only=False), dtype=np.int64)  # no copy of int64
    part = hash_range(keys, ranges)
    # a stable sort keeps each range's rows in batch order; numpy sorts 16-bit keys stably by radix
    narrow = part.astype(np.int16) if ranges <= np.iinfo(np.int16).max else part
    order = np.argsort(narrow, kind="stable")
    counts = np.bincount(part, minlength=ranges)
    ordered = batch.take(pa.array(order))
    starts = np.concatenate(([0], np.cumsum(counts)))
    return [(r, ordered.slice(int(starts[r]), int(counts[r]))) for r in range(ranges) if counts[r]]


def required(schema: pa.Schema) -> pa.Schema:
    """The schema with every column required: DuckDB reads required columns without definition levels
    (the 1M bucket count read nullable ones in 226-246 CPU s, required ones in 212, DuckDB's own files
    in 209-231)."""
    return pa.schema([field.with_nullable(False) for field in schema])


def write_by_range(reader: pa.RecordBatchReader, folder: Path, ranges: int, key: str = HASH_COLUMN) -> int:
    """Each batch's rows appended to the file of their key's range (folder/part=<range>/rows.parquet)
    as one row group; returns the rows written. A range with no row gets no file."""
    writers: dict[int, pq.ParquetWriter] = {}
    schema = required(reader.schema)
    written = 0
    try:
        for batch in reader:
            if any(column.null_count for column in batch.columns):
                raise ValueError("rows with a null value cannot be written by range")
            for r, rows in by_range(pa.RecordBatch.from_arrays(batch.columns, schema=schema), ranges, key):
                writer = writers.get(r)
                if writer is None:
                    (folder / f"part={r}").mkdir(parents=True, exist_ok=True)
                    writer = pq.ParquetWriter(
                        folder / f"part={r}" / RANGE_FILE, schema, use_dictionary=USE_DICTIONARY
                    )
                    writers[r] = writer
                writer.write_batch(rows)
            written += batch.num_rows
    finally:
        for writer in writers.values():
            writer.close()
    return written


def range_source(folder: Path, part: int, empty: str) -> str:
    """One range's rows as a SQL source: what every writer under folder put in it (folder/part=<range>/
    of one writer, folder/<job>/part=<range>/ of several), or empty (a source of no rows with the same
    columns) when none wrote a row to it."""
    pattern = f"**/part={part}/*.parquet"
    if not any(folder.glob(pattern)):
        return empty
    return f"read_parquet('{sql_path(folder)}/{pattern}')"
