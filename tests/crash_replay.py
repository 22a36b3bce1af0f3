"""Replays a recorded commit with SIGKILL before its N-th filesystem step (driven by test_crash_safety).

Run as a script: `python crash_replay.py SPEC.json`. For each kill point N the script forks a child
that copies the last complete warehouse, then replays build_version + publish + catalog, killing
itself with SIGKILL just before the N-th file operation. Phase "resume" replays the same commit to the
end on each crashed copy, as the next run would. Forking from this single-threaded script (not from
pytest, which runs Prefect threads) keeps each kill point at a few milliseconds.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

# The file operations of a commit: every write, link, rename, directory change and sync.
PATCHED = [
    (os, "link"),
    (os, "replace"),
    (os, "rename"),
    (os, "mkdir"),
    (os, "symlink"),
    (os, "unlink"),
    (os, "rmdir"),
    (os, "fsync"),
    (shutil, "rmtree"),
]


def _arm(kill_at: int, counter: list[int]) -> None:
    """Wrap every file operation so the process dies by SIGKILL before operation number kill_at."""
    import duckdb
    import pyarrow.parquet as pq

    def wrap(owner: Any, name: str) -> None:
        real = getattr(owner, name)

        def op(*args: Any, **kwargs: Any) -> Any:
            counter[0] += 1
            if counter[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)

        setattr(owner, name, op)

    for owner, name in [*PATCHED, (pq, "write_table"), (duckdb, "connect")]:
        wrap(owner, name)


def _commit(spec: dict[str, Any], root: Path, run_id: str) -> None:
    """The commit steps of one run, from the recorded staged files and whole tables."""
    import pyarrow.parquet as pq

    from warehouse.catalog import ensure_catalog
    from warehouse.store import PartSwap, Replacements, Warehouse

    store = Warehouse(root)
    store.clear_staging()
    staging = store.staging(run_id)
    staged: dict[str, list[Path]] = {}
    for table, files in spec["staged"].items():
        for name in files:
            target = staging / table / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(spec["record"]) / "staged" / table / name, target)
            staged.setdefault(table, []).append(target)
    whole = {t: pq.read_table(Path(spec["record"]) / "whole" / f"{t}.parquet") for t in spec["whole"]}
    rewrite = {t: set(p) for t, p in spec["rewrite"].items()}
    swaps: dict[str, dict[str, PartSwap]] = {}
    for table, by_part in spec["replaced"].items():
        for part, doc_ids in by_part.items():
            target = staging / "corpus" / table / f"{part}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(spec["record"]) / "replaced" / table / f"{part}.parquet", target)
            swaps.setdefault(table, {})[part] = PartSwap(tuple(doc_ids), target)
    swap = Replacements(swaps)
    version = store.build_version(run_id, staged, rewrite, spec["removed"], swap)
    store.publish(version, whole)
    ensure_catalog(store.root)


def _crash_child(spec: dict[str, Any], n: int) -> None:
    from warehouse.catalog import ensure_catalog

    target = Path(spec["out"]) / f"kill_{n:03d}"
    shutil.copytree(spec["before"], target, symlinks=True)
    ensure_catalog(target)  # the copy's views read the copy
    counter = [0]
    _arm(n, counter)
    _commit(spec, target, spec["run_id"])
    print(counter[0], flush=True)  # how many operations a commit has (when not killed)


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text())
    phase = spec["phase"]
    results: dict[str, int | None] = {}
    for n in spec["kill_points"]:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                if phase == "crash":
                    _crash_child(spec, n)
                else:
                    _commit(spec, Path(spec["out"]) / f"kill_{n:03d}", spec["run_id"] + "-resumed")
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        results[str(n)] = os.waitstatus_to_exitcode(status)
    print(json.dumps(results), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
