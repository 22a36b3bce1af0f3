"""Readers pinned to one committed version, so that one query never mixes the files of two runs.

The catalog's views read `current/<table>/*.parquet`. DuckDB lists a glob when it binds a query and
opens the files when it executes it, each time through the `current` link; a commit that swaps the
link in between would let one query read one table from the old version and another (or a file of
the same name, such as data.parquet) from the new one, or fail on a part file the new version does
not have. Shadowing every table view with a temporary view over the resolved version directory
makes all queries of a connection read the version that was current when it connected. The commit
keeps the version before the new one, so a reader pinned just before a swap still finds its files.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.schema import ALL_TABLES


def pin_current_version(con: duckdb.DuckDBPyConnection, root: Path) -> Path | None:
    """Point every table view of this connection at the version `current` names now (None before any run)."""
    pointer = root / "current"
    if not pointer.is_symlink():
        return None
    version = pointer.resolve()
    for table in ALL_TABLES:
        if not any((version / table).glob("*.parquet")):
            continue  # a table an older version did not have: the catalog's view answers for it
        glob = str(version / table / "*.parquet").replace("'", "''")
        con.execute(
            f'create or replace temp view "{table}" as '
            f"select * from read_parquet('{glob}', union_by_name = true)"
        )
    return version
