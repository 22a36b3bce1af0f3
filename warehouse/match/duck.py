"""DuckDB connections of the match stages and SQL literals for the paths they read."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from warehouse.match.config import MatchConfig


def connect(config: MatchConfig, temp_dir: Path | None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose joins and aggregates spill to temp_dir instead of growing."""
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{config.duckdb_memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    if config.duckdb_threads is not None:
        con.execute(f"SET threads = {int(config.duckdb_threads)}")
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        con.execute("SET temp_directory = " + "'" + sql_path(temp_dir) + "'")
    return con


def sql_path(path: Path | str) -> str:
    """A path inside a SQL string literal."""
    return str(path).replace("'", "''")


def sql_files(files: Sequence[Path | str]) -> str:
    """A DuckDB list literal of file paths (a view cannot take query parameters)."""
    return "[" + ", ".join("'" + sql_path(f) + "'" for f in files) + "]"
