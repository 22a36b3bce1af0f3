"""What a run shows in the Prefect UI beside task states: its figures, its rejected files, shard progress."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import pyarrow as pa

from flows.report import default_report_dir
from warehouse.bookkeeping import RunSummary

SUMMARY_KEY = "zhnews-run-summary"
REJECTED_KEY = "zhnews-rejected-files"
# Paths listed per rejection reason in the table: enough to open a few, not a dump of thousands.
EXAMPLES_PER_REASON = 3

logger = logging.getLogger("zhnews.artifacts")


def summary_markdown(summary: RunSummary, warehouse: str) -> str:
    """The run's figures as Markdown, with the commands that look further."""
    rows = [
        ("files new", summary.files_new),
        ("files changed", summary.files_changed),
        ("of them read again for newer rules", summary.files_stale),
        ("files unchanged", summary.files_unchanged),
        ("files deleted", summary.files_deleted),
        ("files rejected", summary.files_rejected),
        ("documents", summary.documents),
        ("duplicate pairs", summary.duplicates),
        ("overlap pairs", summary.overlaps),
    ]
    table = "\n".join(f"| {name} | {value:,} |" for name, value in rows)
    index = (default_report_dir(Path(warehouse)) / "index.html").resolve()
    return f"""# zhnews run {summary.run_id}

Rules version `{summary.rules_version}`, warehouse `{warehouse}`.

| | |
|---|---|
{table}

Look further: `zhnews status --warehouse {warehouse}`, `zhnews query --warehouse {warehouse}
"select reason, count(*) from rejected_files group by 1"`, `zhnews export --warehouse {warehouse} --out DIR`.

Review site: [{index}]({index.as_uri()}) (every document's lines and labels, the events' reports side by
side), written or brought up to date by `zhnews report --warehouse {warehouse}`.
"""


def rejected_by_reason(rejected: pa.Table) -> list[dict[str, object]]:
    """One row per rejection reason: how many files, a few paths and the first file's detail."""
    files: dict[str, list[str]] = {}
    details: dict[str, str] = {}
    for r in rejected.sort_by("source_path").to_pylist():
        files.setdefault(str(r["reason"]), []).append(str(r["source_path"]))
        details.setdefault(str(r["reason"]), str(r["detail"]))
    return [
        {
            "reason": reason,
            "files": len(paths),
            "examples": ", ".join(paths[:EXAMPLES_PER_REASON]),
            "detail": details[reason],
        }
        for reason, paths in sorted(files.items())
    ]


def publish_run(summary: RunSummary, rejected: pa.Table, warehouse: str) -> None:
    """The run's summary and its rejected files as artifacts (a run never fails for want of them)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    try:
        create_markdown_artifact(
            summary_markdown(summary, warehouse), key=SUMMARY_KEY, description="figures of the run"
        )
        create_table_artifact(
            rejected_by_reason(rejected) or [{"reason": "(none)", "files": 0, "examples": "", "detail": ""}],
            key=REJECTED_KEY,
            description="rejected files by reason (all of them: zhnews query ... from rejected_files)",
        )
    except Exception as error:  # an API that refuses artifacts must not fail a committed run
        logger.warning("run artifacts not published: %s", error)


def shard_progress(total_files: int) -> Callable[[int], None]:
    """A progress artifact for the shard phase; the callback takes the files done so far."""
    from prefect.artifacts import create_progress_artifact, update_progress_artifact

    try:
        artifact = create_progress_artifact(0.0, description=f"shards: {total_files:,} files")
        assert isinstance(artifact, UUID)  # the sync call in a flow run gives the id, not a coroutine
    except Exception as error:
        logger.warning("progress artifact not created: %s", error)
        return lambda _: None

    def update(done: int) -> None:
        try:
            update_progress_artifact(artifact, 100.0 * done / max(total_files, 1))
        except Exception as error:
            logger.warning("progress artifact not updated: %s", error)

    return update
