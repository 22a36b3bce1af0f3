"""The `process_seeds` Prefect flow: scan -> shards -> match -> commit, as thin wiring."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.artifacts import publish_run, shard_progress
from flows.progress import Progress
from flows.runners import (
    clear_shard_cache,
    code_version,
    run_shards,
    shard_key_from_parameters,
    task_runner_from_env,
    tasks_run_in_this_process,
)
from flows.scan import ScanPlan, scan, seed_files, stale_files, with_stale
from flows.shard import (
    OUTCOMES,
    Limits,
    ShardResult,
    prestart_shard_workers,
    process_shard,
    stop_shard_workers,
)
from warehouse.catalog import ensure_catalog
from warehouse.corpus import CorpusStep, corpus_step, part_rows
from warehouse.match import MatchConfig, MatchResult, match_corpus
from warehouse.schema import FILES, PER_DOCUMENT, REJECTED_FILES, RUNS
from warehouse.store import Warehouse

# Files per shard: each shard is one Prefect task (5-10 ms of orchestration), a result record and a
# Parquet file per table, and a child holds one shard's rows at a time. Measured on 20,000 generated
# files, 2 workers, when every shard forked a new child (~100 MB faulted in, 0.1-0.2 CPU s): shard
# phase 14.2 s at 500 files a shard, 11.0 s at 1,000, 10.9 s at 2,000, while a child's peak RSS goes
# 265 -> 278 -> 376 MB; 1,000 takes the time without the memory. Children now serve shard after
# shard (flows/watchdog.py), which takes the start cost off but leaves the files and the memory.
DEFAULT_SHARD_SIZE = 1000


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
    rules_version: str = ""
    files_stale: int = 0  # of files_changed: unchanged files read again for newer rules
    files_kept_stale: int = 0  # stale files left as they are (--keep-stale)

    def lines(self) -> list[str]:
        out = [
            f"run {self.run_id}: completed",
            f"files: {self.files_new} new, {self.files_changed} changed, {self.files_unchanged} unchanged, "
            f"{self.files_deleted} deleted, {self.files_rejected} rejected",
            f"documents: {self.documents}; pairs: {self.duplicates} duplicate, {self.overlaps} overlap",
        ]
        if self.files_stale:
            out.append(f"rules {self.rules_version}: {self.files_stale} files made by older rules read again")
        if self.files_kept_stale:
            out.append(
                f"rules {self.rules_version}: {self.files_kept_stale} files made by older rules kept as they "
                "are (--keep-stale); a run without it reads them again"
            )
        return out


def new_run_id(now: dt.datetime) -> str:
    """Sortable, unique per run: UTC time to the microsecond."""
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def shards(files: pa.Table, size: int) -> list[pa.Table]:
    """Consecutive batches of files (zero-copy slices of the plan), one Prefect task each."""
    return [files.slice(i, size) for i in range(0, files.num_rows, size)]


# Tasks that must run every time take no cache key: Prefect's default key pickles and hashes every
# input, here whole tables (the scan's 1M-row manifest: 3.6 s and a 1.3 GB spike of the flow process
# in a one-new-file run after a million documents; the commit's tables alike).
@task(name="scan-seeds", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def scan_task(seeds: Path, old_files: pa.Table) -> ScanPlan:
    """List the seeds folder against the last manifest (hashing only files whose size or mtime moved)."""
    return scan(seeds, old_files)


@task(
    name="process-shard",
    retries=2,
    retry_delay_seconds=1,
    cache_key_fn=shard_key_from_parameters,
    persist_result=True,
)
def shard_task(
    batch: pa.Table,
    root: Path,
    part: str,
    staging: Path,
    run_id: str,
    limits: Limits,
    rules_version: str,
    cache_key: str,
) -> ShardResult:
    """Per-document transforms over one shard; cached by cache_key (its inputs' content and the code)."""
    del cache_key
    return process_shard(seed_files(batch, root), part, staging, run_id, limits, rules_version)


@task(name="corpus-chrome", cache_policy=NO_CACHE)
def corpus_task(
    store: Warehouse,
    staged: dict[str, list[Path]],
    gone: set[str],
    old_files: pa.Table,
    outcomes: pa.Table,
    staging: Path,
    run_id: str,
) -> CorpusStep:
    """Lines repeated across the corpus, counted over every document the new version will hold; the
    new rows of the documents (new or stored) whose labels that changes."""
    stored = {table: store.table_files(table) for table in PER_DOCUMENT}
    gone_ids = pa.array(sorted(gone), pa.string())
    kept = pc.and_(
        pc.equal(old_files.column("status"), "document"),
        pc.invert(pc.is_in(old_files.column("doc_id"), value_set=gone_ids)),
    )
    new = outcomes.filter(pc.is_null(outcomes.column("reason")))
    parts = pa.concat_tables(  # columns, not a dict of every document: a run after 1M reads it all
        [
            part_rows(old_files.filter(kept), new=False),
            part_rows(new, new=True),
        ]
    )
    return corpus_step(stored, staged, gone, parts, staging, run_id)


@task(name="match-corpus", cache_policy=NO_CACHE)
def match_task(
    warehouse: Warehouse,
    version: Path,
    new_doc_ids: pa.Array,
    previous_pairs: pa.Table,
    staging: Path,
    config: MatchConfig,
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
        config=config,
    )


@task(name="commit-version", retries=0, cache_policy=NO_CACHE)
def commit_task(warehouse: Warehouse, version: Path, whole: dict[str, pa.Table]) -> None:
    """Write the whole tables, switch `current` to the new version, refresh the catalog."""
    warehouse.publish(version, whole)
    ensure_catalog(warehouse.root)


def _manifest_and_rejections(
    plan: ScanPlan,
    old_files: pa.Table,
    old_rejected: pa.Table,
    outcomes: pa.Table,
    run_id: str,
    rules_version: str,
) -> tuple[pa.Table, pa.Table]:
    """The new files manifest and rejected_files table: carried-over rows plus this run's (columns)."""
    files = old_files.filter(pc.is_in(old_files.column("doc_id"), value_set=plan.unchanged))
    if plan.touched.num_rows:
        files = _with_new_mtimes(files, plan.touched)
    rejected = old_rejected.filter(pc.is_in(old_rejected.column("doc_id"), value_set=plan.unchanged))
    failed = pc.is_valid(outcomes.column("reason"))
    n = outcomes.num_rows
    new_files = pa.table(
        {
            "doc_id": outcomes.column("doc_id"),
            "content_sha256": outcomes.column("content_sha256"),
            "size": outcomes.column("size"),
            "mtime_ns": outcomes.column("mtime_ns"),
            "status": pc.if_else(failed, "rejected", "document"),
            "part": pc.if_else(failed, pa.scalar(None, pa.string()), outcomes.column("part")),
            "run_id": pa.repeat(pa.scalar(run_id, pa.string()), n),
            "rules_version": pa.repeat(pa.scalar(rules_version, pa.string()), n),
        },
        schema=FILES,
    )
    new_rejected = outcomes.filter(failed).select(
        ["source_path", "doc_id", "content_sha256", "reason", "detail"]
    )
    new_rejected = new_rejected.append_column(
        "run_id", pa.repeat(pa.scalar(run_id, pa.string()), new_rejected.num_rows)
    )
    refusals = pa.Table.from_pylist(
        [
            {
                "source_path": str(r.path),
                "doc_id": r.doc_id,
                "content_sha256": None,
                "reason": r.reason,
                "detail": r.detail,
                "run_id": run_id,
            }
            for r in plan.refused
        ],
        schema=REJECTED_FILES,
    )
    files = _sorted_union(files, new_files)
    rejected = pa.concat_tables([rejected, new_rejected.cast(REJECTED_FILES), refusals]).sort_by("doc_id")
    return files, rejected.combine_chunks()


def _sorted_union(old: pa.Table, new: pa.Table) -> pa.Table:
    """Carried-over and new manifest rows in doc_id order; both parts come sorted, so when one is
    empty (a first run: a million rows) nothing is copied."""
    if old.num_rows == 0 or new.num_rows == 0:
        return new if old.num_rows == 0 else old
    return pa.concat_tables([old, new]).sort_by("doc_id").combine_chunks()


def _with_new_mtimes(files: pa.Table, touched: pa.Table) -> pa.Table:
    """Manifest rows of files touched without a change take their new mtime."""
    new_mtime = dict(
        zip(touched.column("doc_id").to_pylist(), touched.column("mtime_ns").to_pylist(), strict=True)
    )
    mtimes = [
        new_mtime.get(d, m)
        for d, m in zip(files.column("doc_id").to_pylist(), files.column("mtime_ns").to_pylist(), strict=True)
    ]
    return files.set_column(files.column_names.index("mtime_ns"), "mtime_ns", pa.array(mtimes, pa.int64()))


def _removed_docs(plan: ScanPlan, old_files: pa.Table) -> set[str]:
    """Documents whose rows must leave every table: deleted, changed, or now refused."""
    gone = pa.chunked_array(
        [
            plan.deleted,
            plan.changed.column("doc_id").combine_chunks(),
            pa.array([r.doc_id for r in plan.refused], pa.string()),
        ],
        pa.string(),
    )
    stored = old_files.filter(
        pc.and_(
            pc.equal(old_files.column("status"), "document"),
            pc.is_in(old_files.column("doc_id"), value_set=gone.combine_chunks()),
        )
    )
    return set(stored.column("doc_id").to_pylist())


def _rewrite_parts(removed: Collection[str], old_files: pa.Table) -> set[str]:
    """Names of stored part files that hold a removed document."""
    rows = old_files.filter(
        pc.is_in(old_files.column("doc_id"), value_set=pa.array(sorted(removed), pa.string()))
    )
    return {p for p in rows.column("part").to_pylist() if p is not None}


def _outcomes(results: list[ShardResult]) -> pa.Table:
    """Every shard's manifest rows in one table, with the part file its documents went to."""
    parts = []
    for r in results:
        rows = r.read_outcomes()
        parts.append(rows.append_column("part", pa.repeat(pa.scalar(r.part, pa.string()), rows.num_rows)))
    empty = OUTCOMES.append(pa.field("part", pa.string())).empty_table()
    return pa.concat_tables([empty, *parts])


def _pairs_without(pairs: pa.Table, gone: pa.Array) -> pa.Table:
    """Previous pairs that involve neither a removed nor a reprocessed document."""
    keep = pc.and_(
        pc.invert(pc.is_in(pairs.column("doc_a"), value_set=gone)),
        pc.invert(pc.is_in(pairs.column("doc_b"), value_set=gone)),
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
    keep_stale: bool = False,
    rules_version: str | None = None,
) -> RunSummary:
    """One run: new and changed seed files processed, deleted ones retired, tables committed.

    Unchanged files that older rules (another code_version) read are read again, unless keep_stale;
    rules_version names the rules (default: the digest of the code that makes a document's rows).
    """
    logger = get_run_logger()
    store = Warehouse(Path(warehouse))
    limits = Limits(max_file_bytes, max_doc_seconds)
    match_config = MatchConfig()
    started = dt.datetime.now(dt.UTC)
    with store.lock(wait_seconds):
        if tasks_run_in_this_process():
            prestart_shard_workers()  # imports the shard code while the scan runs
        store.clear_staging()
        run_id = new_run_id(started)
        old_files = store.read("files")
        plan = scan_task(Path(seeds), old_files)
        rules = rules_version or code_version()
        stale = stale_files(plan, old_files, rules)
        if not keep_stale:
            plan = with_stale(plan, stale)
        to_process = plan.to_process
        logger.info(
            "scan: %d new, %d changed, %d unchanged, %d deleted, %d refused",
            plan.new.num_rows,
            plan.changed.num_rows,
            len(plan.unchanged),
            len(plan.deleted),
            len(plan.refused),
        )
        staging = store.staging(run_id)
        batches = shards(to_process, shard_size)
        progress = Progress(
            to_process.num_rows,
            log=logger.info,
            on_advance=shard_progress(to_process.num_rows) if to_process.num_rows else None,
        )
        results = run_shards(
            shard_task, batches, plan.root, store.root, staging, run_id, limits, progress, rules
        )
        stop_shard_workers()  # the match step, the run's peak, does not need them
        removed = _removed_docs(plan, old_files)
        staged = {t: [r.staged[t] for r in results if t in r.staged] for t in PER_DOCUMENT}
        outcomes = _outcomes(results)
        # a run that neither adds nor removes a document changes no count (an hourly run with nothing new)
        corpus = (
            corpus_task(store, staged, removed, old_files, outcomes, staging, run_id)
            if to_process.num_rows or removed
            else CorpusStep()
        )
        relabelled_stored = set(corpus.stored)
        logger.info(
            "corpus chrome: %d documents relabelled (%d stored), %d bodies changed",
            len(corpus.relabelled),
            len(relabelled_stored),
            len(corpus.text_changed),
        )
        rewrite = _rewrite_parts(removed, old_files)
        version = store.build_version(
            run_id, staged, dict.fromkeys(PER_DOCUMENT, rewrite), removed, corpus.replacements()
        )
        logger.info("version %s built", run_id)
        # the manifest first: the old one is not needed beyond it, and the match step wants the memory
        files, rejected = _manifest_and_rejections(
            plan, old_files, store.read("rejected_files"), outcomes, run_id, rules
        )
        stored = pc.is_null(outcomes.column("reason"))
        processed = pc.filter(outcomes.column("doc_id"), stored).combine_chunks()
        files_rejected = outcomes.num_rows - len(processed) + len(plan.refused)
        # stored documents whose body the corpus step changed are matched again, as new ones are
        rematched = pa.array(sorted(relabelled_stored & set(corpus.text_changed)), pa.string())
        processed = pa.concat_arrays([processed, rematched])
        reprocessed = pa.concat_arrays(
            [pa.array(sorted(removed), pa.string()), to_process.column("doc_id").combine_chunks(), rematched]
        )
        del old_files, results, outcomes, stored
        pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed pages otherwise
        old_pairs = _pairs_without(store.read("doc_pairs"), reprocessed)
        if len(processed) or removed:
            match = match_task(store, version, processed, old_pairs, staging, match_config)
        else:  # no document came or went: pairs, events and links stay (an hourly run with nothing
            # new read every document's size and rebuilt every event: ~5 s at 1M documents)
            match = MatchResult(old_pairs, store.read("events"), store.read("passage_links"))
        relations = match.doc_pairs.column("relation")
        summary = RunSummary(
            run_id=run_id,
            files_new=plan.new.num_rows,
            files_changed=plan.changed.num_rows,
            files_unchanged=len(plan.unchanged),
            files_deleted=len(plan.deleted),
            files_rejected=files_rejected,
            documents=int(pc.sum(pc.equal(files.column("status"), "document")).as_py() or 0),
            duplicates=int(pc.sum(pc.equal(relations, "duplicate")).as_py() or 0),
            overlaps=int(pc.sum(pc.equal(relations, "overlap")).as_py() or 0),
            rules_version=rules,
            files_stale=0 if keep_stale else stale.num_rows,
            files_kept_stale=stale.num_rows if keep_stale else 0,
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
        commit_task(store, version, whole)
        publish_run(summary, rejected, str(store.root))
        clear_shard_cache(store.root)
        for line in summary.lines():
            logger.info(line)
        return summary


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
                "rules_version": summary.rules_version,
                "files_stale": summary.files_stale,
            }
        ],
        schema=RUNS,
    )
