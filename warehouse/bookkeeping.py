"""What a run records beside the documents: which stored rows leave, the next files manifest, the
rejected files, and the runs row with the figures `zhnews run` prints.

Pure functions on Arrow tables; the flow calls them between its tasks. The scan's plan is read
through the ScanChanges protocol (flows.scan.ScanPlan has these fields), so nothing here imports the
flow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from warehouse.corpus import part_rows
from warehouse.schema import FILES, REJECTED_FILES, RUNS


class RefusedFile(Protocol):
    """A file refused before reading (flows.scan.Refusal)."""

    @property
    def doc_id(self) -> str: ...
    @property
    def path(self) -> Path: ...
    @property
    def reason(self) -> str: ...
    @property
    def detail(self) -> str: ...


class ScanChanges(Protocol):
    """The scan's findings these functions read (flows.scan.ScanPlan): files by state, doc_id sorted."""

    @property
    def new(self) -> pa.Table: ...
    @property
    def changed(self) -> pa.Table: ...
    @property
    def unchanged(self) -> pa.Array: ...
    @property
    def deleted(self) -> pa.Array: ...
    @property
    def refused(self) -> Sequence[RefusedFile]: ...
    @property
    def touched(self) -> pa.Table: ...


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
        """The summary as `zhnews run` prints it and the flow logs it."""
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


def removed_documents(plan: ScanChanges, old_files: pa.Table) -> set[str]:
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


def parts_to_rewrite(removed: Collection[str], old_files: pa.Table) -> set[str]:
    """Names of stored part files that hold a removed document."""
    rows = old_files.filter(
        pc.is_in(old_files.column("doc_id"), value_set=pa.array(sorted(removed), pa.string()))
    )
    return {p for p in rows.column("part").to_pylist() if p is not None}


def document_parts(old_files: pa.Table, outcomes: pa.Table, gone: Collection[str]) -> pa.Table:
    """Where every document of the new version has its rows: (doc_id, part, new) of the stored ones
    that stay and of this run's; columns, not a dict of every document (a run after 1M reads it all)."""
    gone_ids = pa.array(sorted(gone), pa.string())
    kept = pc.and_(
        pc.equal(old_files.column("status"), "document"),
        pc.invert(pc.is_in(old_files.column("doc_id"), value_set=gone_ids)),
    )
    new = outcomes.filter(pc.is_null(outcomes.column("reason")))
    return pa.concat_tables([part_rows(old_files.filter(kept), new=False), part_rows(new, new=True)])


def next_manifest(
    plan: ScanChanges, old_files: pa.Table, outcomes: pa.Table, run_id: str, rules_version: str
) -> pa.Table:
    """The new files manifest: carried-over rows (touched files with their new mtime) plus this run's."""
    files = old_files.filter(pc.is_in(old_files.column("doc_id"), value_set=plan.unchanged))
    if plan.touched.num_rows:
        files = _with_new_mtimes(files, plan.touched)
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
    return _sorted_union(files, new_files)


def next_rejections(plan: ScanChanges, old_rejected: pa.Table, outcomes: pa.Table, run_id: str) -> pa.Table:
    """The new rejected_files table: carried-over rows, this run's failed files and refusals."""
    rejected = old_rejected.filter(pc.is_in(old_rejected.column("doc_id"), value_set=plan.unchanged))
    failed = pc.is_valid(outcomes.column("reason"))
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
    rejected = pa.concat_tables([rejected, new_rejected.cast(REJECTED_FILES), refusals]).sort_by("doc_id")
    return rejected.combine_chunks()


def _sorted_union(old: pa.Table, new: pa.Table) -> pa.Table:
    """Carried-over and new manifest rows in doc_id order; both parts come sorted, so when one is
    empty (a first run: a million rows) nothing is copied."""
    if old.num_rows == 0 or new.num_rows == 0:
        return new if old.num_rows == 0 else old
    return pa.concat_tables([old, new]).sort_by("doc_id").combine_chunks()


def _with_new_mtimes(files: pa.Table, touched: pa.Table) -> pa.Table:
    """Manifest rows of files touched without a change take their new mtime (looked up in Arrow: a
    Python list of the whole manifest took 0.24 CPU s at a million files, this 0.012, for 3 touched)."""
    at = pc.index_in(files.column("doc_id"), value_set=touched.column("doc_id").combine_chunks())
    mtimes = pc.if_else(
        pc.is_valid(at), touched.column("mtime_ns").combine_chunks().take(at), files.column("mtime_ns")
    )
    return files.set_column(files.column_names.index("mtime_ns"), "mtime_ns", mtimes)


@dataclass(frozen=True)
class MatchInputs:
    """Which documents the match step takes as new, and whose previous pairs are void."""

    new: pa.Array  # stored by this run, or stored before and given a new body by the corpus step
    void: pa.Array  # removed, processed by this run, or given a new body: their old pairs are dropped
    files_rejected: int  # files of this run that did not become documents, and refusals


def match_inputs(
    plan: ScanChanges,
    outcomes: pa.Table,
    to_process: pa.Table,
    removed: Collection[str],
    rebodied: Collection[str],
) -> MatchInputs:
    """The documents that change for the match step (rebodied: stored documents whose body the corpus step
    changed: they are matched again, as new ones are)."""
    stored = pc.is_null(outcomes.column("reason"))
    processed = pc.filter(outcomes.column("doc_id"), stored).combine_chunks()
    files_rejected = outcomes.num_rows - len(processed) + len(plan.refused)
    rematched = pa.array(sorted(rebodied), pa.string())
    void = pa.concat_arrays(
        [pa.array(sorted(removed), pa.string()), to_process.column("doc_id").combine_chunks(), rematched]
    )
    return MatchInputs(pa.concat_arrays([processed, rematched]), void, files_rejected)


def pairs_without(pairs: pa.Table, gone: pa.Array) -> pa.Table:
    """Previous pairs that involve neither a removed nor a reprocessed document."""
    keep = pc.and_(
        pc.invert(pc.is_in(pairs.column("doc_a"), value_set=gone)),
        pc.invert(pc.is_in(pairs.column("doc_b"), value_set=gone)),
    )
    return pairs.filter(keep)


def run_summary(
    run_id: str,
    plan: ScanChanges,
    files: pa.Table,
    files_rejected: int,
    doc_pairs: pa.Table,
    rules_version: str,
    stale: int,
    keep_stale: bool,
) -> RunSummary:
    """The run's figures: files by state, documents in the manifest, pairs by relation."""
    relations = doc_pairs.column("relation")
    return RunSummary(
        run_id=run_id,
        files_new=plan.new.num_rows,
        files_changed=plan.changed.num_rows,
        files_unchanged=len(plan.unchanged),
        files_deleted=len(plan.deleted),
        files_rejected=files_rejected,
        documents=int(pc.sum(pc.equal(files.column("status"), "document")).as_py() or 0),
        duplicates=int(pc.sum(pc.equal(relations, "duplicate")).as_py() or 0),
        overlaps=int(pc.sum(pc.equal(relations, "overlap")).as_py() or 0),
        rules_version=rules_version,
        files_stale=0 if keep_stale else stale,
        files_kept_stale=stale if keep_stale else 0,
    )


def runs_row(summary: RunSummary, started: dt.datetime) -> pa.Table:
    """This run's row of the runs table (finished now)."""
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
