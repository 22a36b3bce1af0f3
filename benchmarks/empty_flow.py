"""The floor of any `zhnews run`: a Prefect flow run that does nothing, in a fresh process (issue 7).

The flow takes the run's two path parameters (Prefect encodes parameters with FastAPI's encoder,
which it imports for that) and no task; the process imports what `zhnews run` imports before its
flow starts (Prefect, PyArrow, DuckDB) and ends as `zhnews` does (exit handlers, then no interpreter
teardown), so the difference between a one-new-file run and this is the run's own work.
Against the API in PREFECT_API_URL: without one Prefect would start its own temporary server.

Run: PREFECT_API_URL=... .venv/bin/python -m benchmarks.empty_flow
"""

from __future__ import annotations

import atexit
from typing import NoReturn

import duckdb  # noqa: F401  (imported for its cost, as the run's process does)
import pyarrow  # noqa: F401
from prefect import flow

from flows.cli import exit_without_teardown


@flow(name="empty_flow")
def empty_flow(seeds: str, warehouse: str) -> int:
    """No work: what is left of a run is Prefect's and the interpreter's."""
    del seeds, warehouse
    return 0


def main() -> NoReturn:
    code: list[int] = []
    atexit.register(exit_without_teardown, code)
    code.append(empty_flow(seeds="seeds", warehouse="warehouse"))
    raise SystemExit(code[0])


if __name__ == "__main__":
    main()
