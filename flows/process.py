"""The `process_seeds` Prefect flow: scan -> shards -> match -> commit, as thin wiring."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.artifacts import publish_run, shard_progress
from flows.jobs import task_spread
from flows.progress import Progress
from flows.runners import (
    clear_shard_cache,
    code_version,
    run_parallelism,
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
    stop_idle_shard_children,
    stop_shard_workers,
)
from warehouse.bookkeeping import (
    RunSummary,
    document_parts,
    match_inputs,
    next_manifest,
    next_rejections,
    pairs_without,
    parts_to_rewrite,
    removed_documents,
    run_summary,
    runs_row,
)
from warehouse.catalog import ensure_catalog
from warehouse.corpus import CorpusStep, corpus_step
from warehouse.match import MatchConfig, MatchResult
from warehouse.match.candidates import Candidates
from warehouse.match.step import MatchState, candidates_of, finish_match, judge_candidates, match_state
from warehouse.match.verdict import Verdicts
from warehouse.schema import PER_DOCUMENT
from warehouse.store import Warehouse

# Files per shard: each shard is one Prefect task (5-10 ms of orchestration), a result record and a
# Parquet file per table, and a child holds one shard's rows at a time. Measured on 20,000 generated
# files, 2 workers, when every shard forked a new child (~100 MB faulted in, 0.1-0.2 CPU s): shard
# phase 14.2 s at 500 files a shard, 11.0 s at 1,000, 10.9 s at 2,000, while a child's peak RSS goes
# 265 -> 278 -> 376 MB; 1,000 takes the time without the memory. Children now serve shard after
# shard (flows/watchdog.py), which takes the start cost off but leaves the files and the memory.
DEFAULT_SHARD_SIZE = 1000
# A run of fewer files than workers x DEFAULT_SHARD_SIZE is cut finer, so that every worker has work
# from the first file: two shards a worker, so that one worker's last shard overlaps another's (an
# 800-page cold run was one shard on one of two cores). Below MIN_SHARD_FILES a shard's fixed cost
# (its task, its child's batch, a Parquet file per table) outweighs what another core would save.
SHARDS_PER_WORKER = 2
MIN_SHARD_FILES = 50


def shard_size_for(files: int, limit: int, workers: int) -> int:
    """Files per shard for a run: at most limit, and few enough that every worker gets shards."""
    if limit < 1:
        raise ValueError(f"a shard holds at least one file, not {limit}")
    spread = math.ceil(files / (max(workers, 1) * SHARDS_PER_WORKER))
    return max(1, min(limit, max(MIN_SHARD_FILES, spread)))


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


def corpus_chrome(
    store: Warehouse,
    staged: dict[str, list[Path]],
    gone: set[str],
    old_files: pa.Table,
    outcomes: pa.Table,
    staging: Path,
    run_id: str,
) -> CorpusStep:
    """Lines repeated across the corpus, counted over every document the new version will hold; the
    documents (new or stored) whose labels that changes rebuilt: both as tasks on the workers.

    With the thread runner each job runs in a child process: in the flow's own, the allocators kept
    a job's peak after it, into the match step (100k documents: the flow at 337 MiB before the
    rebuilds, 547 after the first of ten batches, 650 after the last; 351 at the end of the step with
    the rebuilds in a child, 292-309 with the count there too)."""
    stored = {table: store.table_files(table) for table in PER_DOCUMENT}
    parts = document_parts(old_files, outcomes, gone)
    return corpus_step(stored, staged, gone, parts, staging, run_id, task_spread(isolated=True))


@task(name="match-events", cache_policy=NO_CACHE)
def match_events_task(
    warehouse: Warehouse,
    state: MatchState,
    found: Candidates,
    judged: Verdicts,
    temp_dir: Path,
    config: MatchConfig,
) -> MatchResult:
    """Pairs, events and passage links (links of events that neither gained nor lost a document are
    carried over as they are)."""
    previous_events = warehouse.read("events")
    previous_links = warehouse.read("passage_links")
    return finish_match(state, found, judged, previous_events, previous_links, temp_dir, config)


def match_step(
    store: Warehouse,
    version: Path,
    new_doc_ids: pa.Array,
    previous_pairs: pa.Table,
    staging: Path,
    config: MatchConfig,
) -> MatchResult:
    """The match step: its stages' jobs as tasks on the task runner's workers (their files in the
    warehouse's staging folder, which every worker reaches), the rest and the events here."""
    work = staging / "match"
    work.mkdir(parents=True, exist_ok=True)
    spill = work / "duckdb-tmp"
    state = match_state(*version_documents(version), new_doc_ids, previous_pairs)
    spread = task_spread()
    found = candidates_of(state, work, spill, config, spread)
    judged = judge_candidates(state, found, spill, config, spread)
    return match_events_task(store, state, found, judged, spill, config)


def version_documents(version: Path) -> tuple[list[Path], pa.Table]:
    """A built version's passage files, and the doc_id and size of each of its documents."""
    documents = pa.concat_tables(
        [pa.Table.from_batches([], pa.schema([("doc_id", pa.string()), ("text_chars", pa.int64())]))]
        + [
            pq.read_table(path, columns=["doc_id", "text_chars"])
            for path in sorted((version / "documents_base").glob("*.parquet"))
        ]
    )
    return sorted((version / "passage_index").glob("*.parquet")), documents


@task(name="commit-version", retries=0, cache_policy=NO_CACHE)
def commit_task(warehouse: Warehouse, version: Path, whole: dict[str, pa.Table]) -> None:
    """Write the whole tables, switch `current` to the new version, refresh the catalog."""
    warehouse.publish(version, whole)
    ensure_catalog(warehouse.root)


def _outcomes(results: list[ShardResult]) -> pa.Table:
    """Every shard's manifest rows in one table, with the part file its documents went to."""
    parts = []
    for r in results:
        rows = r.read_outcomes()
        parts.append(rows.append_column("part", pa.repeat(pa.scalar(r.part, pa.string()), rows.num_rows)))
    empty = OUTCOMES.append(pa.field("part", pa.string())).empty_table()
    return pa.concat_tables([empty, *parts])


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
        batches = shards(to_process, shard_size_for(to_process.num_rows, shard_size, run_parallelism()))
        progress = Progress(
            to_process.num_rows,
            log=logger.info,
            on_advance=shard_progress(to_process.num_rows) if to_process.num_rows else None,
        )
        results = run_shards(
            shard_task, batches, plan.root, store.root, staging, run_id, limits, progress, rules
        )
        stop_idle_shard_children()  # the corpus step's rebuilds fork their own from the same server
        removed = removed_documents(plan, old_files)
        staged = {t: [r.staged[t] for r in results if t in r.staged] for t in PER_DOCUMENT}
        outcomes = _outcomes(results)
        # a run that neither adds nor removes a document changes no count (an hourly run with nothing new)
        corpus = (
            corpus_chrome(store, staged, removed, old_files, outcomes, staging, run_id)
            if to_process.num_rows or removed
            else CorpusStep()
        )
        stop_shard_workers()  # the match step, the run's peak, does not need them
        relabelled_stored = set(corpus.stored)
        logger.info(
            "corpus chrome: %d documents relabelled (%d stored), %d bodies changed",
            len(corpus.relabelled),
            len(relabelled_stored),
            len(corpus.text_changed),
        )
        rewrite = parts_to_rewrite(removed, old_files)
        version = store.build_version(
            run_id, staged, dict.fromkeys(PER_DOCUMENT, rewrite), removed, corpus.replacements
        )
        logger.info("version %s built", run_id)
        # the manifest first: the old one is not needed beyond it, and the match step wants the memory
        files = next_manifest(plan, old_files, outcomes, run_id, rules)
        rejected = next_rejections(plan, store.read("rejected_files"), outcomes, run_id)
        # stored documents whose body the corpus step changed are matched again, as new ones are
        changes = match_inputs(
            plan, outcomes, to_process, removed, relabelled_stored & set(corpus.text_changed)
        )
        del old_files, results, outcomes
        pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed pages otherwise
        old_pairs = pairs_without(store.read("doc_pairs"), changes.void)
        if len(changes.new) or removed:
            match = match_step(store, version, changes.new, old_pairs, staging, match_config)
        else:  # no document came or went: pairs, events and links stay (an hourly run with nothing
            # new read every document's size and rebuilt every event: ~5 s at 1M documents)
            match = MatchResult(old_pairs, store.read("events"), store.read("passage_links"))
        summary = run_summary(
            run_id, plan, files, changes.files_rejected, match.doc_pairs, rules, stale.num_rows, keep_stale
        )
        runs = pa.concat_tables([store.read("runs"), runs_row(summary, started)])
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
