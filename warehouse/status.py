"""`zhnews status`: what a user asks of a warehouse before running or querying it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.catalog import connect_read_only
from warehouse.store import Warehouse, WarehouseBusyError


def lock_holder(root: Path) -> str | None:
    """Who holds the run lock: the message naming the running run's PID, or None when it is free."""
    try:
        with Warehouse(root).lock(0.0):
            return None
    except WarehouseBusyError as error:
        return str(error)


def warehouse_status(root: Path, code: str, rules: str) -> list[str]:
    """Lines for a person: the last run, documents and pairs, files by rules version, the lock
    (code: what `zhnews --version` says; rules: the rules version this code writes)."""
    if not (root / "catalog.duckdb").exists():
        return [f"no warehouse at {root}: `zhnews run` makes one", f"code: {code}"]
    try:
        con = connect_read_only(root)
    except duckdb.Error as error:
        return [f"warehouse {root}: cannot be read ({error})"]
    try:
        last = con.execute(
            "select run_id, finished_at, files_new, files_changed, files_deleted, files_rejected, "
            'documents, duplicates, "overlaps" from runs order by run_id desc limit 1'
        ).fetchall()
        columns = {row[0] for row in con.execute("describe files").fetchall()}
        version = "rules_version" if "rules_version" in columns else "null"  # a warehouse older than it
        versions = con.execute(
            f"select coalesce({version}, '(before rules versions)'), count(*) from files "
            "group by 1 order by 2 desc"
        ).fetchall()
    finally:
        con.close()
    lines = [f"warehouse: {root}", f"code: {code}"]
    if last:
        run_id, finished, new, changed, deleted, rejected, documents, duplicates, overlaps = last[0]
        lines += [
            f"last run: {run_id}, finished {finished}: {new} new, {changed} changed, {deleted} deleted, "
            f"{rejected} rejected",
            f"documents: {documents}; pairs: {duplicates} duplicate, {overlaps} overlap",
        ]
    stale = sum(n for version, n in versions if version != rules)
    lines += [f"files made by rules {version}: {n}" for version, n in versions]
    lines.append(
        f"stale files (older rules): {stale}; the next `zhnews run` reads them again"
        if stale
        else "stale files: 0"
    )
    holder = lock_holder(root)
    lines.append(f"lock: held: {holder}" if holder else "lock: free (no run is writing)")
    return lines
