"""`zhnews query` reads and never writes: every writing statement is refused before anything runs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from flows.cli import main
from flows.process import process_seeds
from flows.rows import BATCH_ROWS
from warehouse.readonly import WriteRefusedError, reading_statements

# (statement, the type named in the refusal); every one changes something outside a plain read.
REFUSED = [
    ("copy (select 1 as x) to '{wh}/current/documents_base/x.parquet' (format parquet)", "COPY"),
    ("copy documents to '{tmp}/out.csv'", "COPY"),
    ("export database '{tmp}/export'", "EXPORT"),
    ("attach '{tmp}/other.duckdb' as other", "ATTACH"),
    ("install json", "LOAD"),
    ("load json", "LOAD"),
    ("set threads = 1", "SET"),
    ("reset threads", "SET"),
    ("pragma enable_profiling", "PRAGMA"),
    ("call checkpoint()", "CALL"),
    ("create table t as select 1", "CREATE"),
    ("create temp view v as select 1", "CREATE"),
    ("drop view documents", "DROP"),
    ("insert into runs select * from runs", "INSERT"),
    ("begin transaction", "TRANSACTION"),
    ("prepare p as select 1", "PREPARE"),
    ("select 1; copy (select 1) to '{tmp}/second.csv'", "COPY"),
    ("explain analyze copy (select 1) to '{tmp}/explained.csv'", "EXPLAIN"),
    ("/* a comment */ explain analyze create table t as select 1", "EXPLAIN"),
]
ALLOWED = [
    "select 1",
    "with a as (select 1 as x) select x from a",
    "from documents select doc_id limit 1",
    "describe documents",
    "show tables",
    "summarize select 1 as x",
    "explain select 1",
    "explain analyze select count(*) from documents",
    "values (1), (2)",
    "select 1; select 2",
]


@pytest.mark.parametrize(("sql", "kind"), REFUSED)
def test_reading_statements_refuses(sql: str, kind: str) -> None:
    con = duckdb.connect()
    with pytest.raises(WriteRefusedError, match=f"^{kind}"):
        reading_statements(con, sql.format(wh="/nowhere", tmp="/nowhere"))


@pytest.mark.parametrize("sql", ALLOWED)
def test_reading_statements_allows(sql: str) -> None:
    assert reading_statements(duckdb.connect(), sql)


def query(warehouse: Path, *args: str) -> int:
    """`zhnews query --warehouse WAREHOUSE ARGS...`, in this process."""
    return main(["query", "--warehouse", str(warehouse), *args])


def tree_digest(root: Path) -> str:
    """Every file under root with its size and content: any write shows."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Iterator[Path]:
    del prefect_harness
    import shutil

    root = tmp_path_factory.mktemp("query")
    shutil.copytree(Path(__file__).resolve().parent.parent / "seeds", root / "seeds")
    process_seeds(seeds=str(root / "seeds"), warehouse=str(root / "warehouse"))
    yield root / "warehouse"


@pytest.mark.parametrize(("sql", "kind"), REFUSED)
def test_query_command_refuses_and_writes_nothing(
    sql: str, kind: str, warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree_digest(warehouse)
    assert main(["query", "--warehouse", str(warehouse), sql.format(wh=warehouse, tmp=tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"refused, nothing was run: {kind}" in err
    assert tree_digest(warehouse) == before
    assert list(tmp_path.iterdir()) == []
    assert (
        main(["query", "--warehouse", str(warehouse), "--format", "csv", "select count(*) n from documents"])
        == 0
    )
    assert capsys.readouterr().out == "n\n5\n"


@pytest.mark.parametrize(
    "sql",
    [
        "select * from enable_logging(storage = 'file', storage_path = '{tmp}/logs')",
        "select * from enable_profiling()",
    ],
)
def test_no_reading_function_changes_settings(
    sql: str, warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "--warehouse", str(warehouse), sql.format(tmp=tmp_path)]) == 1
    assert "configuration has been locked" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_query_streams_every_format(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    n = BATCH_ROWS * 2 + 3  # three batches
    sql = f"select i, 'é' || i as s, null as z from range({n}) t(i) order by i"
    assert main(["query", "--warehouse", str(warehouse), "--format", "jsonl", sql]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == n and json.loads(lines[-1]) == {"i": n - 1, "s": f"é{n - 1}", "z": None}
    assert main(["query", "--warehouse", str(warehouse), "--format", "json", sql]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == n and records[0] == {"i": 0, "s": "é0", "z": None}
    assert main(["query", "--warehouse", str(warehouse), "--format", "csv", sql]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["i,s,z", "0,é0,"]
    assert main(["query", "--warehouse", str(warehouse), sql]) == 0
    table = capsys.readouterr().out.splitlines()
    # the header and the first batch are aligned on the first batch's widest cells; later batches
    # widen the columns as their cells need
    assert table[0] == "i   | s    | z   "
    assert table[2] == "0   | é0   | NULL"
    assert table[2 + 2000] == "2000 | é2000 | NULL"
    assert table[-1] == f"({n} rows)"
    assert (
        main(["query", "--warehouse", str(warehouse), "--format", "json", "select 1 as x where false"]) == 0
    )
    assert capsys.readouterr().out == "[]\n"
