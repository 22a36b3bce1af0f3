"""The `process_seeds` Prefect flow: scan -> shards -> match -> commit, as thin wiring."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from prefect import flow, get_run_logger, task

from flows.progress import Progress
from flows.runners import clear_shard_cache, run_shards, shard_key_from_parameters, task_runner_from_env
from flows.scan import PreviousFile, ScanPlan, SeedFile, scan
from flows.shard import FileOutcome, Limits, ShardResult, process_shard
from warehouse.catalog import ensure_catalog
from warehouse.matching import EVENT_REPORTS_SQL, MatchResult, match_corpus
from warehouse.schema import FILES, PER_DOCUMENT, REJECTED_FILES, RUNS
from warehouse.store import Warehouse

# Files per shard: each shard is one Prefect task (5-10 ms of orchestration), so a few hundred
# files keep orchestration under 1% of the work at 100,000 files while a shard's rows stay small.
DEFAULT_SHARD_SIZE = 500
# A normalised line found in at least this many documents is site chrome (cc_net-style); five
# keeps a quote shared by a handful of reports of one event from counting.
COMMON_LINE_MIN_DOCS = 5


@dataclass(frozen=True)
class RunSummary:
    """The figures `zhnews run` prints and the `runs` table keeps."""

    run_id: str
    files_new: int
    files_changed: int
    files_unchanged: int
    files_deleted: int
    files_rejected: int
    documents: int
    duplicates: int
    overlaps: int

    def lines(self) -> list[str]:
        return [
            f"run {self.run_id}: completed",
            f"files: {self.files_new} new, {self.files_changed} changed, {self.files_unchanged} unchanged, "
            f"{self.files_deleted} deleted, {self.files_rejected} rejected",
            f"documents: {self.documents}; pairs: {self.duplicates} duplicate, {self.overlaps} overlap",
        ]


def new_run_id(now: dt.datetime) -> str:
    """Sortable, unique per run: UTC time to the microsecond."""
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def previous_manifest(files: pa.Table) -> dict[str, PreviousFile]:
    """The files table of the last committed run, keyed by doc_id."""
    return {
        row["doc_id"]: PreviousFile(
            row["content_sha256"], row["size"], row["mtime_ns"], row["status"], row["part"]
        )
        for row in files.to_pylist()
    }


def common_line_fingerprints(files: list[Path]) -> frozenset[int]:
    """Fingerprints of lines seen in many stored documents (counted in DuckDB, not in Python)."""
    if not files:
        return frozenset()
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select fingerprint from read_parquet(?) group by fingerprint having count(distinct doc_id) >= ?",
            [[str(f) for f in files], COMMON_LINE_MIN_DOCS],
        ).fetchall()
    finally:
        con.close()
    return frozenset(int(r[0]) for r in rows)


def shards(files: list[SeedFile], size: int) -> list[list[SeedFile]]:
    """Consecutive batches of files, one Prefect task each."""
    return [files[i : i + size] for i in range(0, len(files), size)]


@task(name="scan-seeds", retries=2, retry_delay_seconds=1)
def scan_task(seeds: Path, old_files: pa.Table) -> tuple[ScanPlan, dict[str, PreviousFile]]:
    """List and hash the seeds folder against the last manifest."""
    previous = previous_manifest(old_files)
    return scan(seeds, previous), previous


@task(
    name="process-shard",
    retries=2,
    retry_delay_seconds=1,
    cache_key_fn=shard_key_from_parameters,
    persist_result=True,
)
def shard_task(
    seeds: list[SeedFile],
    part: str,
    staging: Path,
    run_id: str,
    common_lines: frozenset[int],
    limits: Limits,
    cache_key: str,
) -> ShardResult:
    """Per-document transforms over one shard; cached by cache_key (its inputs' content and the code)."""
    del cache_key
    return process_shard(seeds, part, staging, run_id, common_lines, limits)


@task(name="match-corpus")
def match_task(
    warehouse: Warehouse, version: Path, new_doc_ids: list[str], previous_pairs: pa.Table, staging: Path
) -> MatchResult:
    """The one cross-document step, over the new version's passage index."""
    documents = pa.concat_tables(
        [pa.Table.from_batches([], pa.schema([("doc_id", pa.string()), ("text_chars", pa.int64())]))]
        + [
            pq.read_table(path, columns=["doc_id", "text_chars"])
            for path in sorted((version / "documents_base").glob("*.parquet"))
        ]
    )
    passage_files = sorted((version / "passage_index").glob("*.parquet"))
    # carried over as they are: links of events that neither gained nor lost a document
    previous_events = warehouse.read("events")
    previous_links = warehouse.read("passage_links")
    return match_corpus(
        passage_files,
        documents,
        new_doc_ids,
        previous_pairs,
        previous_events,
        previous_links,
        temp_dir=staging / "duckdb-tmp",
    )


@task(name="commit-version", retries=0)
def commit_task(
    warehouse: Warehouse,
    version: Path,
    whole: dict[str, pa.Table],
    extra_views: dict[str, str],
) -> None:
    """Write the whole tables, switch `current` to the new version, refresh the catalog."""
    warehouse.publish(version, whole)
    ensure_catalog(warehouse.root, extra_views)


def _manifest_and_rejections(
    plan: ScanPlan,
    old_files: pa.Table,
    old_rejected: pa.Table,
    outcomes: list[tuple[FileOutcome, str]],
    run_id: str,
) -> tuple[pa.Table, pa.Table]:
    """The new files manifest and rejected_files table: carried-over rows plus this run's."""
    unchanged = pa.array(plan.unchanged, pa.string())
    files = old_files.filter(pc.is_in(old_files.column("doc_id"), value_set=unchanged))
    touched = {s.doc_id: s for s in plan.touched}
    if touched:
        rows = files.to_pylist()
        for row in rows:
            if row["doc_id"] in touched:
                row["mtime_ns"] = touched[row["doc_id"]].mtime_ns
        files = pa.Table.from_pylist(rows, schema=FILES)
    rejected = old_rejected.filter(pc.is_in(old_rejected.column("doc_id"), value_set=unchanged))
    new_files: list[dict[str, object]] = []
    new_rejected: list[dict[str, object]] = []
    for outcome, part in outcomes:
        status = "document" if outcome.reason is None else "rejected"
        new_files.append(
            {
                "doc_id": outcome.doc_id,
                "content_sha256": outcome.sha256,
                "size": outcome.size,
                "mtime_ns": outcome.mtime_ns,
                "status": status,
                "part": part if status == "document" else None,
                "run_id": run_id,
            }
        )
        if outcome.reason is not None:
            new_rejected.append(
                {
                    "source_path": outcome.source_path,
                    "doc_id": outcome.doc_id,
                    "content_sha256": outcome.sha256,
                    "reason": outcome.reason,
                    "detail": outcome.detail,
                    "run_id": run_id,
                }
            )
    for refusal in plan.refused:
        new_rejected.append(
            {
                "source_path": str(refusal.path),
                "doc_id": refusal.doc_id,
                "content_sha256": None,
                "reason": refusal.reason,
                "detail": refusal.detail,
                "run_id": run_id,
            }
        )
    files = pa.concat_tables([files, pa.Table.from_pylist(new_files, schema=FILES)]).sort_by("doc_id")
    rejected = pa.concat_tables(
        [rejected, pa.Table.from_pylist(new_rejected, schema=REJECTED_FILES)]
    ).sort_by("doc_id")
    return files, rejected


def _removed_docs(plan: ScanPlan, previous: dict[str, PreviousFile]) -> set[str]:
    """Documents whose rows must leave every table: deleted, changed, or now refused."""
    gone = set(plan.deleted) | {s.doc_id for s in plan.changed} | {r.doc_id for r in plan.refused}
    return {d for d in gone if d in previous and previous[d].status == "document"}


def _rewrite_parts(removed: Collection[str], previous: dict[str, PreviousFile]) -> set[str]:
    """Names of stored part files that hold a removed document."""
    return {p for d in removed if (p := previous[d].part) is not None}


def _pairs_without(pairs: pa.Table, gone: Collection[str]) -> pa.Table:
    """Previous pairs that involve neither a removed nor a reprocessed document."""
    value_set = pa.array(sorted(gone), pa.string())
    keep = pc.and_(
        pc.invert(pc.is_in(pairs.column("doc_a"), value_set=value_set)),
        pc.invert(pc.is_in(pairs.column("doc_b"), value_set=value_set)),
    )
    return pairs.filter(keep)


@flow(name="process_seeds", task_runner=task_runner_from_env())
def process_seeds(
    seeds: str = "seeds",
    warehouse: str = "warehouse",
    shard_size: int = DEFAULT_SHARD_SIZE,
    max_file_bytes: int = Limits().max_file_bytes,
    max_doc_seconds: float = Limits().max_doc_seconds,
    wait_seconds: float = 0.0,
) -> RunSummary:
    """One run: new and changed seed files processed, deleted ones retired, tables committed."""
    logger = get_run_logger()
    store = Warehouse(Path(warehouse))
    limits = Limits(max_file_bytes, max_doc_seconds)
    started = dt.datetime.now(dt.UTC)
    with store.lock(wait_seconds):
        store.clear_staging()
        run_id = new_run_id(started)
        old_files = store.read("files")
        plan, previous = scan_task(Path(seeds), old_files)
        logger.info(
            "scan: %d new, %d changed, %d unchanged, %d deleted, %d refused",
            len(plan.new),
            len(plan.changed),
            len(plan.unchanged),
            len(plan.deleted),
            len(plan.refused),
        )
        common = common_line_fingerprints(store.table_files("line_fingerprints"))
        staging = store.staging(run_id)
        batches = shards(plan.to_process, shard_size)
        progress = Progress(len(plan.to_process), log=logger.info)
        results = run_shards(shard_task, batches, store.root, staging, run_id, common, limits, progress)
        removed = _removed_docs(plan, previous)
        staged = {t: [r.staged[t] for r in results if t in r.staged] for t in PER_DOCUMENT}
        rewrite = _rewrite_parts(removed, previous)
        version = store.build_version(run_id, staged, dict.fromkeys(PER_DOCUMENT, rewrite), removed)
        processed_ids = [o.doc_id for r in results for o in r.outcomes if o.reason is None]
        old_pairs = _pairs_without(store.read("doc_pairs"), removed | {s.doc_id for s in plan.to_process})
        match = match_task(store, version, processed_ids, old_pairs, staging)
        outcomes = [(o, r.part) for r in results for o in r.outcomes]
        files, rejected = _manifest_and_rejections(
            plan, old_files, store.read("rejected_files"), outcomes, run_id
        )
        relations = match.doc_pairs.column("relation").to_pylist()
        summary = RunSummary(
            run_id=run_id,
            files_new=len(plan.new),
            files_changed=len(plan.changed),
            files_unchanged=len(plan.unchanged),
            files_deleted=len(plan.deleted),
            files_rejected=sum(1 for o, _ in outcomes if o.reason is not None) + len(plan.refused),
            documents=int(pc.sum(pc.equal(files.column("status"), "document")).as_py() or 0),
            duplicates=relations.count("duplicate"),
            overlaps=relations.count("overlap"),
        )
        runs = pa.concat_tables([store.read("runs"), _run_row(summary, started)])
        whole = {
            "files": files,
            "rejected_files": rejected,
            "runs": runs,
            "doc_pairs": match.doc_pairs,
            "events": match.events,
            "passage_links": match.passage_links,
        }
        commit_task(store, version, whole, extra_views())
        clear_shard_cache(store.root)
        for line in summary.lines():
            logger.info(line)
        return summary


def extra_views() -> dict[str, str]:
    """Catalog views defined over other views (the matching step's event_reports)."""
    return {"event_reports": EVENT_REPORTS_SQL}


def _run_row(summary: RunSummary, started: dt.datetime) -> pa.Table:
    """This run's row of the runs table."""
    return pa.Table.from_pylist(
        [
            {
                "run_id": summary.run_id,
                "started_at": started,
                "finished_at": dt.datetime.now(dt.UTC),
                "status": "completed",
                "files_new": summary.files_new,
                "files_changed": summary.files_changed,
                "files_unchanged": summary.files_unchanged,
                "files_deleted": summary.files_deleted,
                "files_rejected": summary.files_rejected,
                "documents": summary.documents,
                "duplicates": summary.duplicates,
                "overlaps": summary.overlaps,
            }
        ],
        schema=RUNS,
    )
