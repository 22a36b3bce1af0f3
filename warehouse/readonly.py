"""Which SQL `zhnews query` may run: statements that only read, checked before anything runs.

The catalog is opened read-only, but DuckDB still lets such a connection write files (`COPY ... TO`
into `current/`, where hard-linked versions share a Parquet file, broke the `documents` view),
attach other databases, install extensions and change settings. DuckDB tells a statement's type
without running it, so every statement of the input is checked first and none runs unless all read.
"""

from __future__ import annotations

import re

import duckdb

# SELECT covers WITH, VALUES, FROM-first, DESCRIBE, SHOW and SUMMARIZE (DuckDB rewrites them to SELECT).
READING_TYPES = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})
# EXPLAIN ANALYZE runs its statement (`explain analyze copy ... to` writes the file): what follows
# EXPLAIN [ANALYZE] must read too. Leading comments are allowed before the keyword.
EXPLAIN_PREFIX = re.compile(
    r"^(?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/)*explain\s*(?:\([^()]*\)\s*)?(?:analyze\s+)?", re.I | re.S
)
# Set once the views are pinned, then locked: a SELECT of a function that changes settings (such as
# `enable_logging(storage='file', storage_path=...)`, which writes files) fails, and no extension is
# downloaded and installed by a query that names one of its functions.
LOCKED_SETTINGS = ("set autoinstall_known_extensions = false", "set lock_configuration = true")


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """Freeze the connection's settings: from here on no statement or function can change them."""
    for statement in LOCKED_SETTINGS:
        con.execute(statement)


class WriteRefusedError(ValueError):
    """The SQL holds a statement that could change something; nothing was run."""


def reading_statements(con: duckdb.DuckDBPyConnection, sql: str) -> list[duckdb.Statement]:
    """The statements of `sql`, when every one of them only reads; else WriteRefusedError."""
    statements = con.extract_statements(sql)
    if not statements:
        raise WriteRefusedError("no SQL statement given")
    for statement in statements:
        _check_reads(con, statement)
    return statements


def _check_reads(con: duckdb.DuckDBPyConnection, statement: duckdb.Statement) -> None:
    """Refuse one statement that is not a SELECT, or an EXPLAIN of anything but a SELECT."""
    kind = statement.type
    if kind not in READING_TYPES:
        name = str(kind).rsplit(".", 1)[-1]
        raise WriteRefusedError(
            f"{name} statements are refused: the warehouse is read-only here (only SELECT, WITH, "
            "DESCRIBE, SHOW, SUMMARIZE and EXPLAIN run)"
        )
    if kind == duckdb.StatementType.EXPLAIN:
        prefix = EXPLAIN_PREFIX.match(statement.query)
        inner = con.extract_statements(statement.query[prefix.end() :]) if prefix else []
        if len(inner) != 1 or inner[0].type != duckdb.StatementType.SELECT:
            raise WriteRefusedError("EXPLAIN is allowed of a SELECT only: EXPLAIN ANALYZE runs its statement")
