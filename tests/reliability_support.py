"""Helpers of the reliability tests: `zhnews` subprocesses and snapshots of every catalog view."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import pytest

from warehouse.catalog import connect_read_only

PROJECT = Path(__file__).resolve().parent.parent
ZHNEWS = PROJECT / ".venv" / "bin" / "zhnews"
# Columns that differ between two runs over the same input by design: run ids, clock times, and
# the names of stored part files (which embed the run id).
VOLATILE_COLUMNS = frozenset({"run_id", "started_at", "finished_at", "part"})
# Tables whose rows are per run (one row per run), so two histories never agree on them.
PER_RUN_VIEWS = frozenset({"runs"})
# A CLI run here takes 10-40 s (imports and Prefect); three minutes means it hangs.
RUN_TIMEOUT_SECONDS = 180


@pytest.fixture(scope="session", name="prefect_api")
def prefect_api_fixture(request: pytest.FixtureRequest) -> str:
    """The API of the session's Prefect test server, so CLI subprocesses skip their own server start."""
    import prefect.settings

    request.getfixturevalue("prefect_harness")

    return str(prefect.settings.PREFECT_API_URL.value())


def cli_env(prefect_home: Path, api_url: str | None) -> dict[str, str]:
    """Environment of a `zhnews` subprocess: private PREFECT_HOME, generous server start timeout."""
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(prefect_home)
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "90"
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def zhnews_command(*args: str) -> list[str]:
    """The console script, or `python -m flows` when the script is not installed."""
    if ZHNEWS.exists():
        return [str(ZHNEWS), *args]
    return [sys.executable, "-m", "flows", *args]


def run_zhnews(args: Sequence[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `zhnews ARGS` to the end and capture its output."""
    return subprocess.run(
        zhnews_command(*args),
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


def view_names(warehouse: Path) -> list[str]:
    """Every view of the catalog."""
    con = duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True)
    try:
        rows = con.execute("select view_name from duckdb_views() where not internal").fetchall()
    finally:
        con.close()
    return sorted(str(r[0]) for r in rows)


def snapshot(warehouse: Path, skip: frozenset[str] = frozenset()) -> dict[str, list[tuple[object, ...]]]:
    """Sorted rows of every catalog view, without run ids and clock times, from one committed version
    (the pinned reader `zhnews query` uses: a raw session reads through `current/` statement by
    statement, and a statement that spans the switch can fail)."""
    con = connect_read_only(warehouse)
    try:
        views = [
            str(r[0])
            for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()
        ]
        state: dict[str, list[tuple[object, ...]]] = {}
        for view in sorted(set(views) - skip):
            columns = [str(r[0]) for r in con.execute(f"describe {view}").fetchall()]
            kept = [f'"{c}"' for c in columns if c not in VOLATILE_COLUMNS]
            rows = con.execute(f"select {', '.join(kept)} from {view}").fetchall()
            state[view] = sorted(rows, key=repr)
    finally:
        con.close()
    return state


def hostile_item(item: str, context: None) -> str:
    """One item of a watchdog test batch: fine, raising, dying or hanging on demand."""
    del context
    if item == "raise":
        raise ValueError("bad item")
    if item == "die":
        os._exit(3)
    if item == "slow":
        time.sleep(0.3)
        return "SLOW"
    if item == "hang":
        while True:
            pass
    return item.upper()


def hostile_batch(items: Sequence[str], context: None, progress: Callable[[int], None]) -> list[str]:
    """A batch function for run_batch tests, announcing each item as build_shard does."""
    out = []
    for k, item in enumerate(items):
        progress(k)
        out.append(hostile_item(item, context))
    progress(len(items))
    return out


def pid_batch(items: Sequence[str], context: None, progress: Callable[[int], None]) -> list[object]:
    """A batch function that says which process ran it, after running its items as hostile_batch."""
    return [os.getpid(), *hostile_batch(items, context, progress)]


# Contract tables (and the files manifest) two runs must agree on; columns that hold the run id by
# design left out.
CONTRACT_TABLES = (
    "documents",
    "lines",
    "side_texts",
    "passages",
    "doc_pairs",
    "events",
    "rejected_files",
    "files",
)
RUN_SPECIFIC = frozenset({"run_id", "part"})
Tables = dict[str, list[tuple[object, ...]]]


def contract_tables(warehouse: Path) -> Tables:
    """Every contract table (and the files manifest) without run ids, in a fixed order."""
    con = connect_read_only(warehouse)
    try:
        out = {}
        for table in CONTRACT_TABLES:
            columns = [r[0] for r in con.execute(f"describe {table}").fetchall()]
            keep = ", ".join(c for c in columns if c not in RUN_SPECIFIC)
            out[table] = con.execute(f"select {keep} from {table} order by all").fetchall()
        return out
    finally:
        con.close()
