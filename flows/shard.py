"""The per-document work of one shard: read, decode, clean, passages; rows staged as Parquet."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from flows.scan import SeedFile
from flows.watchdog import Crashed, DeadlineWorker, TimedOut
from transforms.clean import clean_document
from transforms.decode import Decoded, Rejection, decode_bytes, sniff_format
from transforms.model import CleanDocument
from transforms.overlap import passage_rows
from transforms.repetition import document_fingerprints
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
    sha256: str
    size: int
    mtime_ns: int
    reason: str | None = None
    detail: str | None = None


@dataclass
class ShardResult:
    """What a shard hands back to the flow: file paths and small rows, never the documents."""

    part: str
    staged: dict[str, Path] = field(default_factory=dict)
    outcomes: list[FileOutcome] = field(default_factory=list)
    documents: int = 0
    chars: int = 0


@dataclass
class _Columns:
    """Row buffers of the per-document tables of one shard."""

    rows: dict[str, list[dict[str, object]]] = field(
        default_factory=lambda: {table: [] for table in PER_DOCUMENT}
    )
    passages: list[pa.Table] = field(default_factory=list)


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


def read_and_decode(seed: SeedFile, limits: Limits) -> tuple[bytes | None, Decoded | Rejection]:
    """Read a file once (it may have changed since the scan) and decode it, or say why not."""
    read = read_stable(seed.path, limits.max_file_bytes)
    if isinstance(read, Rejection):
        return None, read
    return read[0], decode_bytes(read[0])


@dataclass(frozen=True)
class ShardJob:
    """What every document of a shard shares; sent once to the shard's worker process."""

    run_id: str
    common_lines: Collection[int]
    limits: Limits


@dataclass
class DocumentRows:
    """One document's rows of the per-document tables, built in the worker process."""

    rows: dict[str, list[dict[str, object]]]
    passages: pa.Table


def process_shard(
    seeds: list[SeedFile],
    part: str,
    staging: Path,
    run_id: str,
    common_lines: Collection[int],
    limits: Limits,
) -> ShardResult:
    """Turn one shard of seed files into staged rows of every per-document table."""
    result = ShardResult(part)
    columns = _Columns()
    job = ShardJob(run_id, frozenset(common_lines), limits)
    with DeadlineWorker(document_rows, job, preload=["flows.shard"]) as worker:
        for seed in seeds:
            outcome, rows = _watched(worker, seed, limits)
            result.outcomes.append(outcome)
            if rows is not None:
                result.documents += 1
                for table, table_rows in rows.rows.items():
                    columns.rows[table].extend(table_rows)
                columns.passages.append(rows.passages)
    for table, schema in PER_DOCUMENT.items():
        if table == "passage_index":
            data = pa.concat_tables(columns.passages) if columns.passages else schema.empty_table()
        else:
            data = pa.Table.from_pylist(columns.rows[table], schema=schema)
        if data.num_rows:
            result.staged[table] = write_staged(data, staging / table / f"{part}.parquet")
    result.chars = sum(len(str(r["text"])) for r in columns.rows["documents_base"])
    return result


def _watched(
    worker: DeadlineWorker[SeedFile, ShardJob, tuple[FileOutcome, DocumentRows | None]],
    seed: SeedFile,
    limits: Limits,
) -> tuple[FileOutcome, DocumentRows | None]:
    """One document under the per-document deadline; overrunning or crashing is a rejection."""
    answer = worker.call(seed, limits.max_doc_seconds)
    if isinstance(answer, TimedOut):
        return _rejected(
            _seed_outcome(seed),
            "time_limit",
            f"stopped after {answer.seconds:.1f} s, over the {limits.max_doc_seconds:g} s limit "
            "per document (--max-doc-seconds)",
        ), None
    if isinstance(answer, Crashed):
        return _rejected(_seed_outcome(seed), "processing_error", answer.detail), None
    return answer


def _seed_outcome(seed: SeedFile) -> FileOutcome:
    """The manifest row as the scan saw the file, for files that were not read to the end."""
    return FileOutcome(seed.doc_id, str(seed.path), seed.sha256, seed.size, seed.mtime_ns)


def document_rows(seed: SeedFile, job: ShardJob) -> tuple[FileOutcome, DocumentRows | None]:
    """One file to rows (runs in the worker process); any failure becomes a rejection, never an exception."""
    read = read_stable(seed.path, job.limits.max_file_bytes)
    if isinstance(read, Rejection):
        return _rejected(_seed_outcome(seed), read.reason, read.detail), None
    data, state = read
    sha = hashlib.sha256(data).hexdigest()
    base = FileOutcome(seed.doc_id, str(seed.path), sha, state.st_size, state.st_mtime_ns)
    decoded = decode_bytes(data)
    if isinstance(decoded, Rejection):
        return _rejected(base, decoded.reason, decoded.detail), None
    input_format = sniff_format(decoded.text)
    try:
        doc = clean_document(decoded.text, input_format, job.common_lines)
        passages = passage_rows(seed.doc_id, doc.text)
    except Exception as error:  # a transform bug must not stop the run; the reason keeps it visible
        return _rejected(base, "processing_error", f"{type(error).__name__}: {error}"), None
    if not doc.text.strip():
        return _rejected(base, "no_article_text", NO_TEXT_DETAIL), None
    columns = _Columns()
    _append_rows(columns, seed.doc_id, base, decoded, input_format, doc, job.run_id)
    return base, DocumentRows(columns.rows, passages)


def _rejected(base: FileOutcome, reason: str, detail: str) -> FileOutcome:
    return FileOutcome(base.doc_id, base.source_path, base.sha256, base.size, base.mtime_ns, reason, detail)


def _append_rows(
    columns: _Columns,
    doc_id: str,
    base: FileOutcome,
    decoded: Decoded,
    input_format: str,
    doc: CleanDocument,
    run_id: str,
) -> None:
    """Rows of documents_base, lines, side_texts and line_fingerprints for one document."""
    meta = doc.metadata
    columns.rows["documents_base"].append(
        {
            "doc_id": doc_id,
            "source_path": base.source_path,
            "content_sha256": base.sha256,
            "encoding": decoded.encoding,
            "input_format": input_format,
            "script": doc.script,
            "title": meta.title,
            "published_date": meta.published_date,
            "source_outlet": meta.source_outlet,
            "author": meta.author,
            "editor": meta.editor,
            "text": doc.text,
            "text_original": doc.text_original,
            "pinyin_repairs": doc.pinyin_repairs,
            "flags": list(doc.flags),
            "text_chars": len(doc.text),
            "run_id": run_id,
        }
    )
    columns.rows["lines"].extend(
        {"doc_id": doc_id, "line_no": ln.line_no, "text": ln.text, "label": ln.label, "reason": ln.reason}
        for ln in doc.lines
    )
    columns.rows["side_texts"].extend(
        {
            "doc_id": doc_id,
            "block_no": b.block_no,
            "text": b.text,
            "text_original": b.text_original,
            "reason": b.reason,
        }
        for b in doc.side_blocks
    )
    columns.rows["line_fingerprints"].extend(
        {"doc_id": doc_id, "fingerprint": fp}
        for fp in sorted(document_fingerprints(ln.text for ln in doc.lines))
    )
