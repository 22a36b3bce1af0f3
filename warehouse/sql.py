"""SQL string literals for paths: DuckDB views and statements name their Parquet files inline (a
view cannot take query parameters), so a quote in a path must be doubled, once, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def sql_path(path: Path | str) -> str:
    """A path inside a SQL string literal."""
    return str(path).replace("'", "''")


def sql_files(files: Sequence[Path | str]) -> str:
    """A DuckDB list literal of file paths."""
    return "[" + ", ".join("'" + sql_path(f) + "'" for f in files) + "]"
