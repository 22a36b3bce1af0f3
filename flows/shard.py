"""The per-document work of one shard: read, decode, clean, passages; rows staged as Parquet."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from flows.scan import SeedFile, file_sha256
from flows.watchdog import Crashed, TimedOut, prestart, run_batch, stop_forkserver, stop_idle_children
from transforms.clean import clean_document
from transforms.decode import Decoded, Rejection, decode_bytes, sniff_format
from transforms.model import CleanDocument
from transforms.overlap import passage_rows_batch
from transforms.repetition import fingerprint_rows
from warehouse.schema import PER_DOCUMENT
from warehouse.store import write_staged

# Pages are rarely above 2 MB (largest of the 66 dev pages: 1.1 MB); 20 MB leaves room for
# pages with inline data while keeping one file from taking the shard's memory.
DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024
# A page cleans in milliseconds (seeds: ~2 ms); a minute means a pathological input.
DEFAULT_MAX_DOC_SECONDS = 60.0
# A scraper rewriting a file while we read it has usually finished by the second read; after
# three reads that each saw the file change, the file is rejected rather than stored torn.
READ_ATTEMPTS = 3
NO_TEXT_DETAIL = "cleaning left no article text: every line was page chrome, metadata or empty"
# What the forkserver of the shards' children imports before it forks any (flows/shard_preload.py).
SHARD_PRELOAD = ("flows.shard_preload",)
# Cleaned once in the forkserver (flows/shard_preload.py): plain text and HTML, Traditional with a
# pinyin annotation, so every lazy table the rules use (OpenCC both ways, the script tables, pypinyin,
# the word characters of passage keys) is built before the shards' children are forked from it.
WARM_UP_TEXT = "測試標題\n這是一個測試頁面(miàn)的句子，用於預先載入轉換表。\n"
WARM_UP_HTML = (
    f"<html><head><title>測試標題</title></head><body><h1>測試標題</h1><p>{WARM_UP_TEXT}</p></body></html>"
)


@dataclass(frozen=True)
class Limits:
    """Per-file limits so one pathological file cannot stall a run."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_doc_seconds: float = DEFAULT_MAX_DOC_SECONDS


@dataclass(frozen=True)
class FileOutcome:
    """Manifest row of a processed file: a document, or a rejection with its reason."""

    doc_id: str
    source_path: str
    sha256: str | None
    size: int
    mtime_ns: int
    reason: str | None = None
    detail: str | None = None


OUTCOMES = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source_path", pa.string()),
        ("content_sha256", pa.string()),
        ("size", pa.int64()),
        ("mtime_ns", pa.int64()),
        ("reason", pa.string()),
        ("detail", pa.string()),
    ]
)


def outcomes_table(outcomes: Sequence[FileOutcome]) -> pa.Table:
    """Manifest rows as columns in doc_id order (the flow holds one row per file of a run: no objects)."""
    rows = sorted(outcomes, key=lambda o: o.doc_id)
    return pa.table(
        {
            "doc_id": [o.doc_id for o in rows],
            "source_path": [o.source_path for o in rows],
            "content_sha256": [o.sha256 for o in rows],
            "size": [o.size for o in rows],
            "mtime_ns": [o.mtime_ns for o in rows],
            "reason": [o.reason for o in rows],
            "detail": [o.detail for o in rows],
        },
        schema=OUTCOMES,
    )


def outcome_records(table: pa.Table) -> list[FileOutcome]:
    """The rows of an outcomes table as objects (a shard's worth, for tests and reports)."""
    return [
        FileOutcome(
            r["doc_id"],
            r["source_path"],
            r["content_sha256"],
            r["size"],
            r["mtime_ns"],
            r["reason"],
            r["detail"],
        )
        for r in table.to_pylist()
    ]


# Staged name of a shard's manifest rows (beside the per-document tables; not stored in a version).
OUTCOMES_TABLE = "outcomes"


@dataclass
class ShardResult:
    """What a shard hands back to the flow: paths of staged Parquet files and counts, no rows.

    Prefect keeps every task's result for the whole flow run, so even one small row per file would
    add up at a million files; the manifest rows are staged as a file like the tables.
    """

    part: str
    staged: dict[str, Path] = field(default_factory=dict)
    documents: int = 0
    chars: int = 0

    def read_outcomes(self) -> pa.Table:
        """The shard's manifest rows: one per file, a document or a rejection with its reason."""
        path = self.staged.get(OUTCOMES_TABLE)
        return pq.read_table(path, schema=OUTCOMES) if path is not None else OUTCOMES.empty_table()


@dataclass
class _Columns:
    """Column buffers of the per-document tables of one shard (columnar: no dict per row)."""

    data: dict[str, dict[str, list[object]]] = field(
        default_factory=lambda: {
            table: {name: [] for name in PER_DOCUMENT[table].names} for table in PER_DOCUMENT
        }
    )

    def table(self, name: str) -> pa.Table:
        """The buffered rows of one table as Arrow."""
        return pa.table(self.data[name], schema=PER_DOCUMENT[name])


def read_stable(path: Path, max_bytes: int) -> tuple[bytes, os.stat_result] | Rejection:
    """Read a file whole, and only when it did not change during the read (else retry, then reject)."""
    for _ in range(READ_ATTEMPTS):
        try:
            with path.open("rb") as handle:
                before = os.fstat(handle.fileno())
                data = handle.read(max_bytes + 1)
                after = os.fstat(handle.fileno())
        except OSError as error:
            return Rejection("unreadable", f"could not read the file: {error}")
        if len(data) > max_bytes:
            return Rejection(
                "too_large", f"larger than the {max_bytes:,}-byte limit per file (--max-file-bytes)"
            )
        if _same_file_state(before, after) and len(data) == after.st_size:
            return data, after
    return Rejection(
        "changed_during_read", f"the file kept changing while it was read ({READ_ATTEMPTS} attempts)"
    )


def _same_file_state(before: os.stat_result, after: os.stat_result) -> bool:
    """Size and change times equal: nobody wrote to the file between the two looks."""
    return (before.st_size, before.st_mtime_ns, before.st_ctime_ns) == (
        after.st_size,
        after.st_mtime_ns,
        after.st_ctime_ns,
    )


@dataclass(frozen=True)
class ShardJob:
    """What every document of a shard shares; sent once to the shard's worker process."""

    run_id: str
    limits: Limits
    part: str = "part"
    staging: Path | None = None
    rules_version: str = ""  # the digest of the code that made the rows (flows.runners.code_version)


@dataclass(frozen=True)
class Cleaned:
    """One file read, decoded and cleaned: everything its rows are made of."""

    outcome: FileOutcome
    decoded: Decoded
    input_format: str
    doc: CleanDocument


def process_shard(
    seeds: list[SeedFile],
    part: str,
    staging: Path,
    run_id: str,
    limits: Limits,
    rules_version: str = "",
) -> ShardResult:
    """Turn one shard of seed files into staged rows of every per-document table.

    The shard runs in a child process under the per-document deadline; a file that overruns it or
    kills the child is rejected and the shard is redone without it.
    """
    job = ShardJob(run_id, limits, part, staging, rules_version)
    outcome = run_batch(build_shard, seeds, job, limits.max_doc_seconds, preload=SHARD_PRELOAD)
    result = outcome.result
    if outcome.failures:
        failed = [_failure_outcome(seeds[k], failure, limits) for k, failure in outcome.failures.items()]
        table = outcomes_table(outcome_records(result.read_outcomes()) + failed)
        result.staged[OUTCOMES_TABLE] = write_staged(table, staging / OUTCOMES_TABLE / f"{part}.parquet")
    return result


def prestart_shard_workers() -> None:
    """Have the shards' forkserver import and warm the shard code while the flow does other work;
    from now on the shards' children are kept from one shard to the next."""
    prestart(SHARD_PRELOAD)


def stop_idle_shard_children() -> None:
    """Stop the shards' idle children once the shards are done (~250 MB each); the forkserver stays
    for the corpus step, whose rebuilds run in a child of their own (flows/process.py)."""
    stop_idle_children()


def stop_shard_workers() -> None:
    """Stop the shards' idle children and forkserver once the shards are done: their memory (~200 MB
    the forkserver, ~250 MB a child) is not needed by the match step, which is a run's peak (1M
    documents: tree PSS 2,031 MiB with the idle forkserver alive)."""
    stop_forkserver()


def warm_up() -> None:
    """Build the transforms' lazy tables in this process, so children forked from it start warm.

    Measured at 20,000 files (2 workers): each child otherwise rebuilt them, 0.1-0.2 CPU s a shard.
    """
    clean_document(WARM_UP_TEXT, "text")
    clean_document(WARM_UP_HTML, "html")
    passage_rows_batch(["warm-up"], [WARM_UP_TEXT])


def _failure_outcome(seed: SeedFile, failure: TimedOut | Crashed, limits: Limits) -> FileOutcome:
    """The rejection of a file that overran the deadline or crashed the worker."""
    if isinstance(failure, TimedOut):
        return _rejected(
            _seed_outcome(seed),
            "time_limit",
            f"stopped after {failure.seconds:.1f} s, over the {limits.max_doc_seconds:g} s limit "
            "per document (--max-doc-seconds)",
        )
    return _rejected(_seed_outcome(seed), "processing_error", failure.detail)


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector off while a shard is built: it finds nothing there and costs time.

    Cleaning makes no reference cycles (gc.collect() after 2,000 generated documents and the 66 dev
    pages with the collector off: 0 unreachable objects), while its passes over the shard's young
    objects cost time (build_shard of 300 generated documents: 7.54M -> 7.39M instructions a
    document under valgrind with PYTHONHASHSEED=0; more in larger shards, whose survivors it rescans).
    Memory stays freed by reference counting; the collector's state is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@cycle_collection_paused()
def build_shard(seeds: Sequence[SeedFile], job: ShardJob, progress: Callable[[int], None]) -> ShardResult:
    """Clean every file of the shard, sign all passages in one batch, write the shard's tables."""
    result = ShardResult(job.part)
    cleaned: list[Cleaned] = []
    outcomes: list[FileOutcome] = []
    for k, seed in enumerate(seeds):
        progress(k)
        outcome = clean_file(seed, job)
        if isinstance(outcome, Cleaned):
            cleaned.append(outcome)
            outcomes.append(outcome.outcome)
        else:
            outcomes.append(outcome)
    progress(len(seeds))
    staging_dir = job.staging or Path(".")
    result.staged[OUTCOMES_TABLE] = write_staged(
        outcomes_table(outcomes), staging_dir / OUTCOMES_TABLE / f"{job.part}.parquet"
    )
    columns = _Columns()
    for item in cleaned:
        _append_rows(columns, item, job)
    tables = {name: columns.table(name) for name in PER_DOCUMENT if name != "passage_index"}
    tables["passage_index"] = passage_rows_batch(
        [c.outcome.doc_id for c in cleaned], [c.doc.text for c in cleaned]
    )
    staging = job.staging or Path(".")
    for name, data in tables.items():
        if data.num_rows:
            result.staged[name] = write_staged(data, staging / name / f"{job.part}.parquet")
    result.documents = len(cleaned)
    result.chars = sum(len(c.doc.text) for c in cleaned)
    return result


def _seed_outcome(seed: SeedFile) -> FileOutcome:
    """The manifest row as the scan saw the file, for files that were not read to the end (a new
    file's hash is taken now, so that touching it without a change does not retry it)."""
    return FileOutcome(
        seed.doc_id, str(seed.path), seed.sha256 or _sha256_or_none(seed.path), seed.size, seed.mtime_ns
    )


def _sha256_or_none(path: Path) -> str | None:
    """The content hash of a file that may be gone or unreadable."""
    try:
        return file_sha256(path)
    except OSError:
        return None


def clean_file(seed: SeedFile, job: ShardJob) -> Cleaned | FileOutcome:
    """Read, decode and clean one file; any failure becomes a rejection, never an exception."""
    read = read_stable(seed.path, job.limits.max_file_bytes)
    if isinstance(read, Rejection):
        return _rejected(_seed_outcome(seed), read.reason, read.detail)
    data, state = read
    sha = hashlib.sha256(data).hexdigest()
    base = FileOutcome(seed.doc_id, str(seed.path), sha, state.st_size, state.st_mtime_ns)
    decoded = decode_bytes(data)
    if isinstance(decoded, Rejection):
        return _rejected(base, decoded.reason, decoded.detail)
    input_format = sniff_format(decoded.text)
    try:
        doc = clean_document(decoded.text, input_format)
    except Exception as error:  # a transform bug must not stop the run; the reason keeps it visible
        return _rejected(base, "processing_error", f"{type(error).__name__}: {error}")
    if not doc.text.strip():
        return _rejected(base, "no_article_text", NO_TEXT_DETAIL)
    return Cleaned(base, decoded, input_format, doc)


def document_rows(seed: SeedFile, job: ShardJob) -> tuple[FileOutcome, dict[str, pa.Table] | None]:
    """One file's rows of every per-document table (the shard's work for a single file)."""
    cleaned = clean_file(seed, job)
    if not isinstance(cleaned, Cleaned):
        return cleaned, None
    columns = _Columns()
    _append_rows(columns, cleaned, job)
    tables = {name: columns.table(name) for name in PER_DOCUMENT if name != "passage_index"}
    tables["passage_index"] = passage_rows_batch([seed.doc_id], [cleaned.doc.text])
    return cleaned.outcome, tables


def _rejected(base: FileOutcome, reason: str, detail: str) -> FileOutcome:
    return FileOutcome(base.doc_id, base.source_path, base.sha256, base.size, base.mtime_ns, reason, detail)


def _append_rows(columns: _Columns, item: Cleaned, job: ShardJob) -> None:
    """Rows of documents_base, lines, side_texts and line_fingerprints for one document (as the page
    alone says: the corpus step relabels it afterwards if lines it keeps are chrome across the corpus)."""
    doc, meta, doc_id = item.doc, item.doc.metadata, item.outcome.doc_id
    base = columns.data["documents_base"]
    for name, value in (
        ("doc_id", doc_id),
        ("source_path", item.outcome.source_path),
        ("content_sha256", item.outcome.sha256),
        ("encoding", item.decoded.encoding),
        ("input_format", item.input_format),
        ("script", doc.script),
        ("title", meta.title),
        ("published_date", meta.published_date),
        ("source_outlet", meta.source_outlet),
        ("author", meta.author),
        ("editor", meta.editor),
        ("metadata_source", meta.source or None),
        ("text", doc.text),
        ("text_original", doc.text_original),
        ("pinyin_repairs", doc.pinyin_repairs),
        ("flags", list(doc.flags)),
        ("text_chars", len(doc.text)),
        ("run_id", job.run_id),
        ("rules_version", job.rules_version),
    ):
        base[name].append(value)
    lines = columns.data["lines"]
    lines["doc_id"].extend([doc_id] * len(doc.lines))
    lines["line_no"].extend([ln.line_no for ln in doc.lines])
    lines["text"].extend([ln.text for ln in doc.lines])
    lines["label"].extend([ln.label for ln in doc.lines])
    lines["reason"].extend([ln.reason for ln in doc.lines])
    lines["page_label"].extend([None] * len(doc.lines))  # the corpus step sets them where it overrides
    lines["page_reason"].extend([None] * len(doc.lines))
    rows = fingerprint_rows(doc.lines)
    lines["fingerprint"].extend(rows.per_line)
    side = columns.data["side_texts"]
    for block in doc.side_blocks:
        side["doc_id"].append(doc_id)
        side["block_no"].append(block.block_no)
        side["text"].append(block.text)
        side["text_original"].append(block.text_original)
        side["reason"].append(block.reason)
    prints = columns.data["line_fingerprints"]
    prints["doc_id"].extend([doc_id] * len(rows.values))
    prints["fingerprint"].extend(rows.values)
    prints["kind"].extend(rows.kinds)
    prints["overridable"].extend(rows.overridable)
    prints["corpus_reason"].extend([None] * len(rows.values))
