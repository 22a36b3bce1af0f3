"""Rows the corpus step replaces, swapped into the part files that hold their documents."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.schema import PER_DOCUMENT
from warehouse.store import PartSwap, Replacements, Warehouse

TABLE = next(iter(PER_DOCUMENT))


def _rows(ids: list[str]) -> pa.Table:
    """Rows of a per-document table, one for each id given: doc_id set, every other column null."""
    schema = PER_DOCUMENT[TABLE]
    columns = {
        field.name: pa.array(ids, field.type) if field.name == "doc_id" else pa.nulls(len(ids), field.type)
        for field in schema
    }
    return pa.table(columns, schema=schema)


def _first_version(store: Warehouse, parts: dict[str, list[str]]) -> dict[str, pa.Table]:
    """Publish a version whose table holds these part files (name -> doc ids); their rows."""
    first = store.staging("r1") / TABLE
    first.mkdir(parents=True)
    old = {name: _rows(ids) for name, ids in parts.items()}
    for name, rows in old.items():
        pq.write_table(rows, first / f"{name}.parquet")
    store.publish(store.build_version("r1", {TABLE: sorted(first.glob("*.parquet"))}, {}, []), {})
    return old


def _swap(tmp_path: Path, part: str, doc_ids: tuple[str, ...], rows: pa.Table) -> PartSwap:
    path = tmp_path / "swaps" / f"{part}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(rows, path)
    return PartSwap(doc_ids, path)


def test_a_version_swaps_new_rows_in_and_links_parts_without_any(tmp_path: Path) -> None:
    """Documents with new rows lose their old ones; other documents of the part keep theirs; a part
    none of whose documents has new rows in a table is the same file (hard-linked, not rewritten)."""
    store = Warehouse(tmp_path / "wh")
    old = _first_version(store, {"part-1": ["a", "b"], "part-2": ["c"]})
    new_a = _rows(["a", "a"])  # a's new rows: two where it had one
    swap = Replacements({TABLE: {"part-1": _swap(tmp_path, "part-1", ("a",), new_a)}})
    version = store.build_version("r2", {}, {}, [], swap)
    current = store.current_version()
    assert current is not None
    part_1 = pq.read_table(version / TABLE / "part-1.parquet")
    expected = pa.concat_tables([new_a, old["part-1"].slice(1)]).sort_by("doc_id")
    assert part_1.column("doc_id").to_pylist() == ["a", "a", "b"]
    assert part_1.equals(expected.cast(part_1.schema))
    assert os.path.samefile(version / TABLE / "part-2.parquet", current / TABLE / "part-2.parquet")


def test_a_replaced_document_without_new_rows_loses_its_old_ones(tmp_path: Path) -> None:
    """A body whose paragraphs all became too short has no passages: its old ones must go too."""
    store = Warehouse(tmp_path / "wh")
    _first_version(store, {"part-1": ["a", "b", "c"]})
    swap = Replacements({TABLE: {"part-1": _swap(tmp_path, "part-1", ("a", "c"), _rows(["c"]))}})
    version = store.build_version("r2", {}, {}, [], swap)
    assert pq.read_table(version / TABLE / "part-1.parquet").column("doc_id").to_pylist() == ["b", "c"]
