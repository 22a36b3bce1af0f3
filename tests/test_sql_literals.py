"""Paths inlined in DuckDB statements: a quote in a folder name is read, not a syntax error."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.sql import sql_files, sql_path


def test_quoted_paths_reach_duckdb_whole(tmp_path: Path) -> None:
    folder = tmp_path / "it's here"
    folder.mkdir()
    for n in (1, 2):
        pq.write_table(pa.table({"n": [n]}), folder / f"{n}.parquet")
    files = [folder / "1.parquet", folder / "2.parquet"]
    con = duckdb.connect()
    assert con.execute(f"SELECT sum(n) FROM read_parquet({sql_files(files)})").fetchall() == [(3,)]
    assert con.execute(f"SELECT n FROM read_parquet('{sql_path(files[1])}')").fetchall() == [(2,)]
    assert sql_files([]) == "[]"
