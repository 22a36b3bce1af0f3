"""Rows the corpus step replaces, swapped into the part files that hold their documents."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.schema import PER_DOCUMENT
from warehouse.store import Replacements, Warehouse


def lines(rows: list[tuple[str, int]]) -> pa.Table:
    """A small table of (doc_id, line_no) rows."""
    return pa.table({"doc_id": [d for d, _ in rows], "line_no": pa.array([n for _, n in rows], pa.int32())})


def test_new_rows_are_split_by_the_part_that_holds_their_document() -> None:
    swap = Replacements(
        {"t": lines([("b", 1), ("a", 0), ("c", 0), ("b", 0)])},
        {"a": "part-1", "b": "part-2", "c": "part-1", "d": "part-3"},  # d is relabelled, without rows in t
    )
    split = swap.rows_by_part("t")
    assert split is not None and sorted(split) == ["part-1", "part-2"]  # part-3 has nothing new in t
    assert split["part-1"].table().to_pylist() == [
        {"doc_id": "a", "line_no": 0},
        {"doc_id": "c", "line_no": 0},
    ]
    assert split["part-2"].table().to_pylist() == [
        {"doc_id": "b", "line_no": 1},
        {"doc_id": "b", "line_no": 0},
    ]
    assert swap.rows_by_part("other") is None


def test_a_version_swaps_new_rows_in_and_links_parts_without_any(tmp_path: Path) -> None:
    """Documents with new rows lose their old ones; other documents of the part keep theirs; a part
    none of whose documents has new rows in a table is the same file (hard-linked, not rewritten)."""
    store = Warehouse(tmp_path / "wh")
    table = next(iter(PER_DOCUMENT))
    schema = PER_DOCUMENT[table]
    first = store.staging("r1") / table
    first.mkdir(parents=True)
    old = {name: _rows(schema, ids) for name, ids in {"part-1": ["a", "b"], "part-2": ["c"]}.items()}
    for name, rows in old.items():
        pq.write_table(rows, first / f"{name}.parquet")
    store.publish(store.build_version("r1", {table: sorted(first.glob("*.parquet"))}, {}, []), {})
    new_a = _rows(schema, ["a", "a"])  # a's new rows: two where it had one
    swap = Replacements({table: new_a}, {"a": "part-1", "c": "part-2"})  # c relabelled, nothing new here
    version = store.build_version("r2", {}, {}, [], swap)
    current = store.current_version()
    assert current is not None
    part_1 = pq.read_table(version / table / "part-1.parquet")
    expected = pa.concat_tables([new_a, old["part-1"].slice(1)]).sort_by("doc_id")
    assert part_1.column("doc_id").to_pylist() == ["a", "a", "b"]
    assert part_1.equals(expected.cast(part_1.schema))
    assert os.path.samefile(version / table / "part-2.parquet", current / table / "part-2.parquet")


def _rows(schema: pa.Schema, ids: list[str]) -> pa.Table:
    """Rows of a per-document table, one for each id given: doc_id set, every other column null."""
    columns = {
        field.name: pa.array(ids, field.type) if field.name == "doc_id" else pa.nulls(len(ids), field.type)
        for field in schema
    }
    return pa.table(columns, schema=schema)
