"""The DuckDB catalog: one view per table, reading the current version's Parquet files.

Readers are pinned to one committed version. The catalog's views read `current/<table>/*.parquet`;
DuckDB lists a glob when it binds a query and opens the files when it executes it, each time through
the `current` link, so a commit swapping the link in between could let one query mix two versions or
fail on a part file the new version lacks. `connect_read_only` shadows every table view with a
temporary view over the resolved version directory, so all queries of a connection read the version
that was current when it connected (the commit keeps the version before the new one for them).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from warehouse.readonly import lock_down
from warehouse.schema import ALL_TABLES
from warehouse.sql import sql_path

CATALOG_NAME = "catalog.duckdb"

EVENT_REPORTS_SQL = """
SELECT e.event_id,
       e.doc_id AS canonical_doc,
       d.text AS canonical_text,
       coalesce((
           SELECT list(p.text ORDER BY p.doc_id, p.passage_no)
           FROM passages p JOIN events o ON o.doc_id = p.doc_id
           WHERE o.event_id = e.event_id AND NOT o.is_canonical
             AND p.duplicate_of_doc IS NULL
             AND NOT EXISTS (SELECT 1 FROM passages c
                             WHERE c.doc_id = e.doc_id AND c.duplicate_of_doc = p.doc_id
                               AND c.duplicate_of_passage = p.passage_no)
       ), []) AS added_passages,
       (SELECT count(*) FROM events m WHERE m.event_id = e.event_id) AS reports
FROM events e JOIN documents d ON d.doc_id = e.doc_id
WHERE e.is_canonical
ORDER BY e.event_id
"""
"""Per event: the canonical report's text plus the passages only other reports add."""

# Views the contract names, defined over the table views of the stored tables (and over each other:
# event_reports reads documents and passages, so it comes after them).
DERIVED_VIEWS: dict[str, str] = {
    "documents": """
        select d.doc_id, d.source_path, d.content_sha256, d.encoding, d.input_format, d.script,
               d.title, d.published_date, d.source_outlet, d.author, d.editor, d.metadata_source, d.text,
               d.text_original, d.pinyin_repairs, d.flags, e.event_id,
               coalesce(e.is_canonical, true) as is_canonical, d.run_id, d.text_chars, d.rules_version
        from documents_base d left join events e using (doc_id)""",
    "passages": """
        select p.doc_id, p.passage_no, p.text, l.duplicate_of_doc, l.duplicate_of_passage,
               l.similarity
        from passage_index p left join passage_links l using (doc_id, passage_no)""",
    "event_reports": EVENT_REPORTS_SQL,
}


def table_glob(root: Path, table: str) -> str:
    """Absolute glob of a table's files through the `current` pointer (works from any directory)."""
    return str(root.resolve() / "current" / table / "*.parquet")


def table_view(table: str, glob: str, temp: bool = False) -> str:
    """CREATE VIEW of one stored table over its Parquet files (a quote in the path is escaped)."""
    kind = "temp view" if temp else "view"
    return (
        f'create or replace {kind} "{table}" as '
        f"select * from read_parquet('{sql_path(glob)}', union_by_name = true)"
    )


def view_statements(root: Path) -> list[str]:
    """CREATE VIEW statements for every stored table and every derived view."""
    statements = [table_view(table, table_glob(root, table)) for table in ALL_TABLES]
    for name, sql in DERIVED_VIEWS.items():
        statements.append(f"create or replace view {name} as {sql}")
    return statements


def ensure_catalog(root: Path) -> bool:
    """(Re)create the catalog when missing or its view definitions changed; False if it is busy."""
    path = root / CATALOG_NAME
    statements = view_statements(root)
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


def pin_current_version(con: duckdb.DuckDBPyConnection, root: Path) -> Path | None:
    """Point every table view of this connection at the version `current` names now (None before any run)."""
    pointer = root / "current"
    if not pointer.is_symlink():
        return None
    version = pointer.resolve()
    for table in ALL_TABLES:
        if not any((version / table).glob("*.parquet")):
            continue  # a table an older version did not have: the catalog's view answers for it
        con.execute(table_view(table, str(version / table / "*.parquet"), temp=True))
    return version


def connect_read_only(root: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the catalog, pinned to one version, its settings locked.

    User SQL goes through warehouse.readonly.reading_statements first: the read-only flag alone
    keeps the catalog file unchanged but lets COPY, ATTACH or INSTALL write elsewhere.
    """
    path = root / CATALOG_NAME
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {root}: run `zhnews run` first")
    con = duckdb.connect(str(path), read_only=True)
    pin_current_version(con, root)  # every query of this connection reads one committed version
    lock_down(con)
    return con
