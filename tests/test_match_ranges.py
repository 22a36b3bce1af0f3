"""Rows cut by range in Python land in the range DuckDB's SQL gives their key, and are read back by range."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse.match.ranges import RANGE_FILE, by_range, hash_range, range_source, write_by_range

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
HASHES = [0, 1, -1, 6, -6, 7, -7, 13, -13, 123_456_789_012, -987_654_321_098, INT64_MIN, INT64_MAX]


def _rows(hashes: list[int]) -> pa.RecordBatch:
    """Band rows (dn, passage_no, h) numbered in order."""
    n = len(hashes)
    return pa.RecordBatch.from_pydict(
        {
            "dn": pa.array(range(n), pa.int32()),
            "passage_no": pa.array([k % 3 for k in range(n)], pa.int32()),
            "h": pa.array(hashes, pa.int64()),
        }
    )


@pytest.mark.parametrize("ranges", [1, 2, 7, 70])
def test_hash_range_is_sqls_abs_remainder(ranges: int) -> None:
    con = duckdb.connect()
    sql = [con.execute("SELECT abs(?::BIGINT % ?::INTEGER)", [h, ranges]).fetchall()[0][0] for h in HASHES]
    assert hash_range(np.array(HASHES, np.int64), ranges).tolist() == sql


def test_by_range_keeps_every_row_once_in_its_order() -> None:
    batch = _rows([14, -3, 7, 3, -14, 10, 0, 4])
    cut = by_range(batch, 7)
    assert [(r, rows.column("dn").to_pylist()) for r, rows in cut] == [
        (0, [0, 2, 4, 6]),
        (3, [1, 3, 5]),
        (4, [7]),
    ]
    assert all(rows.schema == batch.schema for _, rows in cut)


def test_write_by_range_appends_each_batch_to_its_ranges_file(tmp_path: Path) -> None:
    """Two batches: a range's file has the rows of both in stream order; a range without rows has no file."""
    first, second = _rows([5, 2, -9, 12]), _rows([-2, 16, 9])
    reader = pa.RecordBatchReader.from_batches(first.schema, [first, second])
    assert write_by_range(reader, tmp_path, 7) == 7
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet"))
    assert files == [f"part=2/{RANGE_FILE}", f"part=5/{RANGE_FILE}"]
    assert pq.read_table(tmp_path / "part=2" / RANGE_FILE).column("h").to_pylist() == [2, -9, -2, 16, 9]
    assert pq.read_table(tmp_path / "part=5" / RANGE_FILE).column("h").to_pylist() == [5, 12]
    assert pq.ParquetFile(tmp_path / "part=2" / RANGE_FILE).metadata.num_row_groups == 2


def test_an_empty_stream_writes_nothing(tmp_path: Path) -> None:
    reader = pa.RecordBatchReader.from_batches(_rows([]).schema, [])
    assert write_by_range(reader, tmp_path / "split", 7) == 0
    assert not (tmp_path / "split").exists()


def test_rows_are_written_as_required_columns_and_a_null_is_refused(tmp_path: Path) -> None:
    batch = _rows([3, 4])
    write_by_range(pa.RecordBatchReader.from_batches(batch.schema, [batch]), tmp_path / "ok", 2)
    stored = pq.read_schema(tmp_path / "ok" / "part=1" / RANGE_FILE)
    assert [(f.name, f.nullable) for f in stored] == [("dn", False), ("passage_no", False), ("h", False)]
    holed = pa.RecordBatch.from_pydict({"dn": [1, 2], "passage_no": [0, 0], "h": [5, None]})
    with pytest.raises(ValueError, match="null"):
        write_by_range(pa.RecordBatchReader.from_batches(holed.schema, [holed]), tmp_path / "bad", 2)


def test_rows_are_cut_by_the_named_key_column(tmp_path: Path) -> None:
    """Passage pairs go to their first document's pass: a non-negative key's range is its remainder."""
    pairs = pa.RecordBatch.from_pydict(
        {
            "a": pa.array([0, 5, 3, 2, 4], pa.int32()),
            "b": pa.array([9, 8, 7, 6, 5], pa.int32()),
            "pa": pa.array([1, 1, 1, 1, 1], pa.int32()),
            "pb": pa.array([2, 2, 2, 2, 2], pa.int32()),
        }
    )
    assert [(r, rows.column("a").to_pylist()) for r, rows in by_range(pairs, 3, key="a")] == [
        (0, [0, 3]),
        (1, [4]),
        (2, [5, 2]),
    ]
    assert write_by_range(pa.RecordBatchReader.from_batches(pairs.schema, [pairs]), tmp_path, 3, key="a") == 5
    assert pq.read_table(tmp_path / "part=2" / RANGE_FILE).column("b").to_pylist() == [8, 6]


def test_a_range_is_read_back_from_every_writer_or_as_the_empty_source(tmp_path: Path) -> None:
    """One writer (folder/part=<r>/) or one a job (folder/<job>/part=<r>/): a range's source holds what
    each wrote to it and nothing of its neighbours; a range nobody wrote is the empty source given."""
    for job, written in (("job0", [3, 10, 4]), ("job1", [17, 5])):
        batch = _rows(written)
        write_by_range(pa.RecordBatchReader.from_batches(batch.schema, [batch]), tmp_path / "jobs" / job, 7)
    batch = _rows([3, 10, 4])
    write_by_range(pa.RecordBatchReader.from_batches(batch.schema, [batch]), tmp_path / "one", 7)
    empty = "(SELECT NULL::BIGINT AS h WHERE false)"
    con = duckdb.connect()

    def read(folder: Path, part: int) -> list[int]:
        rows = con.execute(f"SELECT h FROM {range_source(folder, part, empty)} ORDER BY h").fetchall()
        return [int(h) for (h,) in rows]

    assert read(tmp_path / "jobs", 3) == [3, 10, 17]
    assert read(tmp_path / "jobs", 5) == [5]
    assert read(tmp_path / "one", 3) == [3, 10]
    assert range_source(tmp_path / "one", 5, empty) == empty
    assert read(tmp_path / "one", 5) == []
