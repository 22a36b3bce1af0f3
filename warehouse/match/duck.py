"""DuckDB connections of the match stages."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.match.config import MatchConfig
from warehouse.sql import sql_path


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
