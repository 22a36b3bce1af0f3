"""Listing the seeds folder and comparing it with the last committed state, as Arrow columns.

At a million seed files per-file Python objects would cost ~0.9 KB each in the flow process, so the
listing and the plan are columns (doc_id, size, mtime_ns, sha256); SeedFile objects exist only inside
one shard. New files are not hashed here: the shard reads every byte anyway and hashes then.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

HASH_CHUNK = 1 << 20  # 1 MiB reads: large enough for throughput, small enough for memory
# Files listed per Arrow batch while walking: bounds the transient Python lists of the walk.
LISTING_BATCH = 10_000
SEEDS_SCHEMA = pa.schema(
    [("doc_id", pa.string()), ("size", pa.int64()), ("mtime_ns", pa.int64()), ("sha256", pa.string())]
)
# The manifest columns the scan compares against (a subset of warehouse.schema.FILES).
MANIFEST_COLUMNS = ["doc_id", "content_sha256", "size", "mtime_ns", "status"]


@dataclass(frozen=True)
class SeedFile:
    """One regular file under the seeds folder; doc_id is its path relative to the folder.

    sha256 is None until the file is read (new files are hashed by the shard that reads them).
    """

    doc_id: str
    path: Path
    size: int
    mtime_ns: int
    sha256: str | None


@dataclass(frozen=True)
class Refusal:
    """A file refused before reading: not a regular file, or a link out of the seeds folder."""

    doc_id: str
    path: Path
    reason: str
    detail: str


def _empty_seeds() -> pa.Table:
    return SEEDS_SCHEMA.empty_table()


def _empty_ids() -> pa.Array:
    return pa.array([], pa.string())


@dataclass
class ScanPlan:
    """What this run must do: process new and changed files, retire deleted ones (columns, sorted)."""

    root: Path = Path(".")
    new: pa.Table = field(default_factory=_empty_seeds)
    changed: pa.Table = field(default_factory=_empty_seeds)
    unchanged: pa.Array = field(default_factory=_empty_ids)
    deleted: pa.Array = field(default_factory=_empty_ids)
    refused: list[Refusal] = field(default_factory=list)
    touched: pa.Table = field(default_factory=_empty_seeds)  # same content, new mtime: manifest only

    @property
    def to_process(self) -> pa.Table:
        """New and changed files in doc_id order."""
        return pa.concat_tables([self.new, self.changed]).sort_by("doc_id").combine_chunks()


def seed_files(table: pa.Table, root: Path) -> list[SeedFile]:
    """The SeedFile objects of some rows of a plan (one shard's worth, not the whole corpus)."""
    return [
        SeedFile(d, root / d, s, m, h)
        for d, s, m, h in zip(
            table.column("doc_id").to_pylist(),
            table.column("size").to_pylist(),
            table.column("mtime_ns").to_pylist(),
            table.column("sha256").to_pylist(),
            strict=True,
        )
    ]


def file_sha256(path: Path) -> str:
    """Content hash, read in chunks so a large file does not fill memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def walk_files(directory: str, prefix: str = "") -> Iterator[tuple[str, str, bool]]:
    """(doc_id, path, is it a link) of every entry under directory that is not a directory,
    recursively and in name order, without following linked directories (yielded themselves).

    One os.scandir pass a directory: its entries know their type without a system call, so a file
    costs one stat (in classify_file), not the lstat, stat and Path objects of an os.walk over Paths
    (the scan of 20,000 files took 0.5 s of a one-new-file run that way). Only names are kept while
    a directory is sorted: holding its DirEntry objects cost ~0.9 KB a file (+186 MiB for a flat
    folder of 200,000 files, against +40 MiB for names).
    """
    files: list[str] = []
    links: set[str] = set()
    subdirectories: list[tuple[str, bool]] = []
    try:
        with os.scandir(directory) as listing:
            for entry in listing:
                if _is_dir(entry):
                    subdirectories.append((entry.name, entry.is_symlink()))
                else:
                    files.append(entry.name)
                    if entry.is_symlink():
                        links.add(entry.name)
    except OSError:  # as os.walk: a directory that cannot be listed is skipped
        return
    files.sort()
    subdirectories.sort()
    for name in files:
        yield prefix + name, os.path.join(directory, name), name in links
    for name, is_link in subdirectories:
        if is_link:
            yield prefix + name, os.path.join(directory, name), True
    for name, is_link in subdirectories:
        if not is_link:
            yield from walk_files(os.path.join(directory, name), f"{prefix}{name}/")


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """A directory, or a link to one (os.walk's test: a broken link is a file)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def classify_file(path: str, is_link: bool, root: Path) -> str | os.stat_result:
    """The stat of a readable regular file inside root, else why it is refused (one stat a file)."""
    if is_link:
        refusal = _link_refusal(Path(path), root)
        if refusal is not None:
            return refusal
    try:
        info = os.stat(path)
    except OSError:
        return "unreadable"
    if not stat.S_ISREG(info.st_mode):
        return "not_a_regular_file"
    return info


def _link_refusal(path: Path, root: Path) -> str | None:
    """Why a symbolic link is refused (broken, out of the seeds folder, a directory), or None."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "broken_symlink"
    if not target.is_relative_to(root):
        return "symlink_outside_seeds"
    if target.is_dir():
        return "symlinked_directory"
    return None


REFUSAL_DETAIL = {
    "broken_symlink": "a symbolic link whose target does not exist",
    "symlink_outside_seeds": (
        "a symbolic link to a file outside the seeds folder; only files inside it are read"
    ),
    "symlinked_directory": "a symbolic link to a directory; linked directories are not followed",
    "not_a_regular_file": "not a regular file (a device, FIFO or socket)",
    "unreadable": "the file could not be opened (permissions or I/O error)",
}


@dataclass
class _Listing:
    """Readable regular files as Arrow batches, refusals as objects (rare)."""

    batches: list[pa.RecordBatch] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    mtimes: list[int] = field(default_factory=list)

    def add(self, doc_id: str, info: os.stat_result) -> None:
        self.ids.append(doc_id)
        self.sizes.append(info.st_size)
        self.mtimes.append(info.st_mtime_ns)
        if len(self.ids) >= LISTING_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.ids:
            columns = [
                pa.array(self.ids, pa.string()),
                pa.array(self.sizes, pa.int64()),
                pa.array(self.mtimes, pa.int64()),
                pa.nulls(len(self.ids), pa.string()),
            ]
            self.batches.append(pa.RecordBatch.from_arrays(columns, schema=SEEDS_SCHEMA))
        self.ids, self.sizes, self.mtimes = [], [], []

    def table(self) -> pa.Table:
        self.flush()
        return pa.Table.from_batches(self.batches, SEEDS_SCHEMA).combine_chunks()


def list_seeds(root: Path) -> tuple[pa.Table, list[Refusal]]:
    """Every readable regular file under root with its size and mtime; everything else refused."""
    listing = _Listing()
    for doc_id, path, is_link in walk_files(str(root)):
        info = classify_file(path, is_link, root)
        if isinstance(info, str):
            listing.refused.append(Refusal(doc_id, Path(path), info, REFUSAL_DETAIL[info]))
            continue
        listing.add(doc_id, info)
    return listing.table(), listing.refused


def _sorted(ids: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A string column in ascending order, as one array."""
    flat = pa.chunked_array([ids]).combine_chunks() if isinstance(ids, pa.Array) else ids.combine_chunks()
    return flat.take(pc.array_sort_indices(flat))


def _seeds_table(rows: Sequence[tuple[str, int, int, str | None]]) -> pa.Table:
    """A few plan rows (files whose size or mtime moved) as a table."""
    columns: list[Sequence[object]] = [[r[k] for r in rows] for k in range(len(SEEDS_SCHEMA))]
    return pa.table([pa.array(c, f.type) for c, f in zip(columns, SEEDS_SCHEMA, strict=True)], SEEDS_SCHEMA)


def scan(root: Path, previous: pa.Table | None = None) -> ScanPlan:
    """Compare the seeds folder with the last manifest; only files whose size or mtime moved are hashed."""
    root = root.resolve()
    listed, refused = list_seeds(root)
    before = (previous if previous is not None else _empty_manifest()).select(MANIFEST_COLUMNS)
    both, known = _with_manifest_rows(listed, before)
    both = both.filter(known)
    same = pc.and_(
        pc.equal(both.column("size"), both.column("old_size")),
        pc.equal(both.column("mtime_ns"), both.column("old_mtime_ns")),
    )
    changed, touched, unreadable = _hash_moved(both.filter(pc.invert(same)), root)
    seen = pa.concat_arrays(
        [listed.column("doc_id").combine_chunks(), pa.array([r.doc_id for r in refused], pa.string())]
    )
    old_ids = before.column("doc_id").combine_chunks()
    return ScanPlan(
        root=root,
        new=listed.filter(pc.invert(known)).sort_by("doc_id").combine_chunks(),
        changed=changed,
        unchanged=_sorted(
            # chunks, not columns: pa.chunked_array of ChunkedArrays converts each value through Python
            # (1M unchanged files: 0.98 CPU s against nothing)
            pa.chunked_array(
                both.filter(same).column("doc_id").chunks + touched.column("doc_id").chunks, pa.string()
            )
        ),
        deleted=_sorted(old_ids.filter(pc.invert(pc.is_in(old_ids, value_set=seen)))),
        refused=refused + unreadable,
        touched=touched,
    )


def _with_manifest_rows(listed: pa.Table, before: pa.Table) -> tuple[pa.Table, pa.Array]:
    """The listing with each file's manifest row beside it (old_* columns), and which files the
    manifest knows.

    A lookup of each doc_id in the manifest, not a join: at 1M files Arrow's hash join of the two
    tables took the flow process of a one-new-file run to ~1.5 GB.
    """
    at = pc.index_in(listed.column("doc_id"), value_set=before.column("doc_id").combine_chunks())
    old = before.take(at)
    for name in ("content_sha256", "size", "mtime_ns", "status"):
        column = "old_sha256" if name == "content_sha256" else f"old_{name}"
        listed = listed.append_column(column, old.column(name))
    return listed, pc.is_valid(at)


def _hash_moved(moved: pa.Table, root: Path) -> tuple[pa.Table, pa.Table, list[Refusal]]:
    """Known files whose size or mtime moved: changed (new content, or a rejected file touched, which
    is tried again), touched (same content: manifest only) or unreadable."""
    changed: list[tuple[str, int, int, str | None]] = []
    touched: list[tuple[str, int, int, str | None]] = []
    refused: list[Refusal] = []
    for doc_id, size, mtime, old_sha, old_status in zip(
        *(moved.column(c).to_pylist() for c in ("doc_id", "size", "mtime_ns", "old_sha256", "old_status")),
        strict=True,
    ):
        path = root / doc_id
        try:
            sha = file_sha256(path)
        except OSError as error:
            refused.append(Refusal(doc_id, path, "unreadable", f"could not read: {error}"))
            continue
        same_content = old_sha == sha and old_status != "rejected"
        (touched if same_content else changed).append((doc_id, size, mtime, sha))
    return _seeds_table(sorted(changed)), _seeds_table(sorted(touched)), refused


def _empty_manifest() -> pa.Table:
    """The manifest before the first run."""
    return pa.table(
        {
            "doc_id": pa.array([], pa.string()),
            "content_sha256": pa.array([], pa.string()),
            "size": pa.array([], pa.int64()),
            "mtime_ns": pa.array([], pa.int64()),
            "status": pa.array([], pa.string()),
        }
    )


def stale_files(plan: ScanPlan, manifest: pa.Table, version: str) -> pa.Table:
    """Unchanged files that code of another rules version read (documents and rejections alike:
    newer rules may read a page older ones refused), as rows of a plan's `changed` table (a manifest
    older than rules versions has the column as nulls: every file stale)."""
    unchanged = pc.is_in(manifest.column("doc_id"), value_set=plan.unchanged)
    other = pc.invert(pc.fill_null(pc.equal(manifest.column("rules_version"), version), False))
    rows = manifest.filter(pc.and_(unchanged, other))
    return pa.table(
        {
            "doc_id": rows.column("doc_id"),
            "size": rows.column("size"),
            "mtime_ns": rows.column("mtime_ns"),
            "sha256": rows.column("content_sha256"),
        },
        schema=SEEDS_SCHEMA,
    ).sort_by("doc_id")


def with_stale(plan: ScanPlan, stale: pa.Table) -> ScanPlan:
    """The plan with stale files moved from unchanged to changed: they are read and cleaned again."""
    if stale.num_rows == 0:
        return plan
    ids = stale.column("doc_id").combine_chunks()
    return replace(
        plan,
        changed=pa.concat_tables([plan.changed, stale]).sort_by("doc_id").combine_chunks(),
        unchanged=plan.unchanged.filter(pc.invert(pc.is_in(plan.unchanged, value_set=ids))),
        touched=plan.touched.filter(pc.invert(pc.is_in(plan.touched.column("doc_id"), value_set=ids))),
    )
