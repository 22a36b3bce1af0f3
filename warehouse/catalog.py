"""The DuckDB catalog: one view per table, reading the current version's Parquet files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from warehouse.pinned import pin_current_version
from warehouse.schema import ALL_TABLES

CATALOG_NAME = "catalog.duckdb"

# Views the contract names, defined over the stored tables. {t} is replaced by a table's glob.
DERIVED_VIEWS: dict[str, str] = {
    "documents": """
        select d.doc_id, d.source_path, d.content_sha256, d.encoding, d.input_format, d.script,
               d.title, d.published_date, d.source_outlet, d.author, d.editor, d.text,
               d.text_original, d.pinyin_repairs, d.flags, e.event_id,
               coalesce(e.is_canonical, true) as is_canonical, d.run_id, d.text_chars
        from documents_base d left join events e using (doc_id)""",
    "passages": """
        select p.doc_id, p.passage_no, p.text, l.duplicate_of_doc, l.duplicate_of_passage,
               l.similarity
        from passage_index p left join passage_links l using (doc_id, passage_no)""",
}


def table_glob(root: Path, table: str) -> str:
    """Absolute glob of a table's files through the `current` pointer (works from any directory)."""
    return str(root.resolve() / "current" / table / "*.parquet")


def view_statements(root: Path, extra_views: dict[str, str] | None = None) -> list[str]:
    """CREATE VIEW statements for every stored table and every derived view."""
    statements = [
        f"create or replace view {table} as select * from "
        f"read_parquet('{table_glob(root, table)}', union_by_name = true)"
        for table in ALL_TABLES
    ]
    for name, sql in {**DERIVED_VIEWS, **(extra_views or {})}.items():
        statements.append(f"create or replace view {name} as {sql}")
    return statements


def ensure_catalog(root: Path, extra_views: dict[str, str] | None = None) -> bool:
    """(Re)create the catalog when missing or its view definitions changed; False if it is busy."""
    path = root / CATALOG_NAME
    statements = view_statements(root, extra_views)
    digest = hashlib.sha256("\n".join(statements).encode()).hexdigest()
    if path.exists() and _stored_digest(path) == digest:
        return True
    try:
        con = duckdb.connect(str(path))
    except duckdb.IOException:
        return False  # a reader holds it open read-write; the old views still read current/
    try:
        for statement in statements:
            con.execute(statement)
        con.execute("create or replace table zhnews_catalog (views_sha256 varchar)")
        con.execute("insert into zhnews_catalog values (?)", [digest])
    finally:
        con.close()
    return True


def _stored_digest(path: Path) -> str | None:
    """The digest of the view definitions the catalog was built with."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute("select views_sha256 from zhnews_catalog").fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return str(row[0]) if row else None


def connect_read_only(root: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the catalog: user SQL cannot change it."""
    path = root / CATALOG_NAME
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {root}: run `zhnews run` first")
    con = duckdb.connect(str(path), read_only=True)
    pin_current_version(con, root)  # every query of this connection reads one committed version
    return con
