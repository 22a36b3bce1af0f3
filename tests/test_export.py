"""`zhnews export`: records that DuckDB and Hugging Face datasets load as they are, the same bytes for
an unchanged warehouse (issue 19)."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from flows.cli import main
from flows.process import process_seeds
from warehouse.export import COLUMNS

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Iterator[Path]:
    del prefect_harness
    root = tmp_path_factory.mktemp("export")
    shutil.copytree(SEEDS, root / "seeds")
    process_seeds(seeds=str(root / "seeds"), warehouse=str(root / "warehouse"))
    yield root / "warehouse"


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def stored(warehouse: Path, where: str = "true") -> list[tuple[object, ...]]:
    con = duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True)
    try:
        return con.execute(
            f"select {', '.join(COLUMNS)} from documents where {where} order by doc_id"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize(("fmt", "reader"), [("jsonl", "read_json"), ("parquet", "read_parquet")])
def test_export_round_trips_through_duckdb_and_datasets(
    warehouse: Path, tmp_path: Path, fmt: str, reader: str
) -> None:
    out = tmp_path / "export"
    assert main(["export", "--warehouse", str(warehouse), "--out", str(out), "--format", fmt]) == 0
    assert sorted(p.name for p in (out / "data").iterdir()) == [f"train-00000-of-00001.{fmt}"]
    con = duckdb.connect()
    got = con.execute(
        f"select {', '.join(COLUMNS)} from {reader}('{out}/data/*.{fmt}') order by doc_id"
    ).fetchall()
    want = stored(warehouse)
    assert len(got) == 5
    assert got == want  # every column, dates (ISO strings in JSON) and flag lists included

    import datasets

    loaded = datasets.load_dataset(str(out), split="train")
    assert loaded.num_rows == 5
    assert loaded["doc_id"] == [r[0] for r in want]
    assert loaded["text"] == [r[6] for r in want]
    assert loaded["event_id"] == [r[8] for r in want]


def test_an_unchanged_warehouse_exports_the_same_bytes(warehouse: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        assert main(["export", "--warehouse", str(warehouse), "--out", str(out), "--format", "parquet"]) == 0
    assert digest(first) == digest(second)


def test_canonical_only_keeps_one_report_per_event(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "canonical"
    assert main(["export", "--warehouse", str(warehouse), "--out", str(out), "--canonical-only"]) == 0
    lines = (out / "data" / "train-00000-of-00001.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4  # seeds 000 and 001 are one event: its most complete report stays
    assert [r[0] for r in stored(warehouse, "is_canonical")] == [line.split('"')[3] for line in lines]
