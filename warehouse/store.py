"""Versioned Parquet store: each run builds a new version directory and switches one pointer.

Layout under the warehouse root:
  versions/<run_id>/<table>/*.parquet   one complete state per committed run
  current -> versions/<run_id>          the pointer readers go through (swapped atomically)
  staging/<run_id>/<table>/*.parquet    a run's new per-document rows before commit
  staging/<run_id>/corpus/<table>/      rows the corpus step replaces, a file a part (Replacements)
  run.lock                              flock held by the running run (released if it dies)
  catalog.duckdb                        views over current/ (warehouse.catalog)
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from warehouse.schema import ALL_TABLES, PER_DOCUMENT

LOCK_POLL_SECONDS = 0.5  # how often a waiting run retries the lock; a run takes seconds at least
PARQUET_COMPRESSION = "zstd"  # better ratio than snappy on CJK text at similar speed
# Columns of hash values, unique per row: Parquet's dictionary encoding is tried on them, given up and
# costs time (a shard's passage_index, 1,000 documents: written in 26 ms with it, 15 ms without, 3%
# smaller).
NO_DICTIONARY = frozenset({"bands"})


class WarehouseBusyError(RuntimeError):
    """Another run holds the warehouse lock."""


class Warehouse:
    """A warehouse root: reading the current version and building the next one."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @property
    def pointer(self) -> Path:
        return self.root / "current"

    def current_version(self) -> Path | None:
        """The committed version directory readers see, or None before the first run."""
        if not self.pointer.is_symlink():
            return None
        return self.pointer.resolve()

    def table_files(self, table: str) -> list[Path]:
        """Parquet files of one table in the current version."""
        version = self.current_version()
        if version is None:
            return []
        return sorted((version / table).glob("*.parquet"))

    def read(self, table: str, columns: list[str] | None = None) -> pa.Table:
        """A whole table of the current version (empty with its schema before the first run)."""
        files = self.table_files(table)
        schema = ALL_TABLES[table]
        if not files:
            empty = schema.empty_table()
            return empty.select(columns) if columns else empty
        tables = [read_with_schema(f, schema, columns) for f in files]
        return pa.concat_tables(tables)

    @contextlib.contextmanager
    def lock(self, wait_seconds: float = 0.0) -> Iterator[None]:
        """Exclusive run lock; the kernel drops it when the holder dies, so it is never stale."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "run.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + wait_seconds
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        holder = path.read_text().strip() or "unknown"
                        raise WarehouseBusyError(
                            f"another zhnews run (pid {holder}) is writing to {self.root}; "
                            "try again when it has finished, or pass --wait SECONDS"
                        ) from None
                    time.sleep(LOCK_POLL_SECONDS)
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            yield
        finally:
            os.close(fd)

    def staging(self, run_id: str) -> Path:
        return self.root / "staging" / run_id

    def clear_staging(self) -> None:
        """Remove what killed runs left behind (only called under the lock)."""
        shutil.rmtree(self.root / "staging", ignore_errors=True)
        current = self.current_version()
        for version in (self.root / "versions").glob("*"):
            if version != current and not (version / "_COMMITTED").exists():
                shutil.rmtree(version, ignore_errors=True)

    def build_version(
        self,
        run_id: str,
        staged: Mapping[str, Collection[Path]],
        rewrite_parts: Mapping[str, Collection[str]],
        removed_docs: Collection[str],
        replacements: Replacements | None = None,
    ) -> Path:
        """Build the per-document tables of versions/<run_id> from the current version plus this run.

        staged: table -> this run's new Parquet files (moved in); rewrite_parts: table -> names of
        current files that hold removed documents (rewritten without them); replacements: rows that
        take the place of some documents' rows in the files (current or staged) that hold them.
        Every other current file is hard-linked, not copied. Nothing is visible to readers until
        publish().
        """
        version = self.root / "versions" / run_id
        version.mkdir(parents=True)
        current = self.current_version()
        removed = pa.array(sorted(removed_docs), pa.string())
        replaced = replacements or Replacements()
        rewrites: list[Callable[[], None]] = []  # files read and written again: in parallel below
        for table, schema in PER_DOCUMENT.items():
            target = version / table
            target.mkdir()
            swaps = replaced.of(table)
            if current is not None:
                rewrite = set(rewrite_parts.get(table, ())) | set(swaps)
                rewrites += _carry_over(current / table, target, schema, rewrite, removed, swaps)
            for path in staged.get(table, ()):
                if path.stem in swaps:
                    rewrites.append(functools.partial(_swap_staged, path, target, schema, swaps[path.stem]))
                else:
                    os.replace(path, target / path.name)
        # Arrow reads, filters, compresses and writes without the GIL: a thread a core (20k generated
        # documents with teasers on a tenth of them: 80 part files rewritten, 2.9 s -> 1.6 s)
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(lambda job: job(), rewrites))
        for table, schema in PER_DOCUMENT.items():
            _ensure_nonempty(version / table, schema)
        return version

    def publish(self, version: Path, whole: Mapping[str, pa.Table]) -> None:
        """Write the whole tables into the built version, then switch `current` to it in one step."""
        current = self.current_version()
        for table, data in whole.items():
            target = version / table
            target.mkdir(exist_ok=True)
            _write(data.select(ALL_TABLES[table].names).cast(ALL_TABLES[table]), target / "data.parquet")
        (version / "_COMMITTED").touch()
        _swap_pointer(self.pointer, version)
        self._drop_old_versions(keep={version, current})
        shutil.rmtree(self.root / "staging", ignore_errors=True)

    def _drop_old_versions(self, keep: set[Path | None]) -> None:
        """Keep the new version and the one before it (a reader may still be scanning it)."""
        for old in (self.root / "versions").glob("*"):
            if old not in keep:
                shutil.rmtree(old, ignore_errors=True)


def read_with_schema(path: Path, schema: pa.Schema, columns: list[str] | None) -> pa.Table:
    """Read one file, adding columns an older writer did not have, as nulls."""
    table = conform(pq.read_table(path), schema)
    return table.select(columns) if columns else table


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A table in the schema's columns and types; columns an older writer did not have come as nulls."""
    for column in schema:
        if column.name not in table.column_names:
            table = table.append_column(column, pa.nulls(table.num_rows, column.type))
    return table.select(schema.names).cast(schema)


@dataclass(frozen=True)
class PartSwap:
    """One part file's documents whose rows in a table give way to new ones, and the file of those."""

    doc_ids: tuple[str, ...]  # their rows in the part are dropped, whether or not they have new ones
    rows: Path


@dataclass(frozen=True)
class Replacements:
    """New rows for some documents, in files by table and by the part file that holds them. Files,
    not tables in memory: the corpus step may rewrite a fifth of a 1M corpus."""

    parts: Mapping[str, Mapping[str, PartSwap]] = field(default_factory=dict)  # table -> part -> swap

    def of(self, table: str) -> Mapping[str, PartSwap]:
        """A table's swaps by part (a part absent: none of its documents changes here, it stays as it is)."""
        return self.parts.get(table, {})


def _write_replaced(table: pa.Table, path: Path, swap: PartSwap) -> None:
    """One part file with the swap's documents' rows replaced by their new ones."""
    replaced = pa.array(swap.doc_ids, pa.string())
    kept = table.filter(pc.invert(pc.is_in(table.column("doc_id"), value_set=replaced)))
    both = pa.concat_tables([kept, conform(pq.read_table(swap.rows), kept.schema)]).sort_by("doc_id")
    if both.num_rows:
        _write(both, path)


def _swap_staged(path: Path, target: Path, schema: pa.Schema, swap: PartSwap) -> None:
    """Move a staged file into the version with its replaced documents' rows swapped."""
    _write_replaced(read_with_schema(path, schema, None), target / path.name, swap)
    path.unlink()


def _carry_over(
    source: Path,
    target: Path,
    schema: pa.Schema,
    rewrite: Collection[str],
    removed: pa.Array,
    swaps: Mapping[str, PartSwap],
) -> list[Callable[[], None]]:
    """Hard-link unchanged files of a table; the rewrites of those holding removed documents (without
    them) or replaced ones (with their new rows, swaps by part), to be run by the caller."""
    if not source.is_dir():
        return []
    jobs: list[Callable[[], None]] = []
    for path in sorted(source.glob("*.parquet")):
        if path.stem == "empty":
            continue
        if path.stem not in rewrite:
            os.link(path, target / path.name)
            continue
        jobs.append(functools.partial(_rewrite_carried, path, target, schema, removed, swaps.get(path.stem)))
    return jobs


def _rewrite_carried(
    path: Path, target: Path, schema: pa.Schema, removed: pa.Array, swap: PartSwap | None
) -> None:
    """One current file written into the version without its removed documents, with new rows swapped in."""
    table = read_with_schema(path, schema, None)
    kept = table.filter(pc.invert(pc.is_in(table.column("doc_id"), value_set=removed)))
    if swap is not None:
        _write_replaced(kept, target / path.name, swap)
    elif kept.num_rows:
        _write(kept, target / path.name)


def _ensure_nonempty(target: Path, schema: pa.Schema) -> None:
    """A table directory always holds a file, so that the views' globs always match."""
    if not any(target.glob("*.parquet")):
        _write(schema.empty_table(), target / "empty.parquet")


def _write(table: pa.Table, path: Path) -> None:
    """Write to a temporary name and rename, so no reader sees a half-written file."""
    tmp = path.with_suffix(".tmp")
    dictionary = [name for name in table.column_names if name not in NO_DICTIONARY]
    pq.write_table(table, tmp, compression=PARQUET_COMPRESSION, use_dictionary=dictionary)
    os.replace(tmp, path)


def write_staged(table: pa.Table, path: Path) -> Path:
    """Write one shard's rows of a per-document table into staging."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(table, path)
    return path


def _swap_pointer(pointer: Path, version: Path) -> None:
    """Point `current` at the new version with one rename (atomic on POSIX)."""
    tmp = pointer.with_name("current.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(version.relative_to(pointer.parent))
    os.replace(tmp, pointer)
    dir_fd = os.open(pointer.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
