"""Listing the seeds folder and comparing it with the last committed state."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

HASH_CHUNK = 1 << 20  # 1 MiB reads: large enough for throughput, small enough for memory


@dataclass(frozen=True)
class SeedFile:
    """One regular file under the seeds folder; doc_id is its path relative to the folder."""

    doc_id: str
    path: Path
    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True)
class Refusal:
    """A file refused before reading: not a regular file, or a link out of the seeds folder."""

    doc_id: str
    path: Path
    reason: str
    detail: str


@dataclass(frozen=True)
class PreviousFile:
    """What the manifest of the last committed run says of a file."""

    sha256: str
    size: int
    mtime_ns: int
    status: str
    part: str | None


@dataclass
class ScanPlan:
    """What this run must do: process new and changed files, retire deleted ones."""

    new: list[SeedFile] = field(default_factory=list)
    changed: list[SeedFile] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    touched: list[SeedFile] = field(default_factory=list)  # same content, new mtime: manifest only

    @property
    def to_process(self) -> list[SeedFile]:
        return sorted(self.new + self.changed, key=lambda f: f.doc_id)


def file_sha256(path: Path) -> str:
    """Content hash, read in chunks so a large file does not fill memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def walk_files(root: Path) -> Iterator[Path]:
    """Every entry under root that is not a directory, recursively, without following linked dirs."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        base = Path(dirpath)
        for name in sorted(filenames):
            yield base / name
        for name in dirnames:
            if (base / name).is_symlink():
                yield base / name


def classify(path: Path, root: Path) -> str | None:
    """None for a readable regular file inside root, else why it is refused."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "broken_symlink"
        if not target.is_relative_to(root):
            return "symlink_outside_seeds"
        if target.is_dir():
            return "symlinked_directory"
    try:
        mode = path.stat().st_mode
    except OSError:
        return "unreadable"
    if not stat.S_ISREG(mode):
        return "not_a_regular_file"
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


def scan(root: Path, previous: Mapping[str, PreviousFile]) -> ScanPlan:
    """Compare the seeds folder with the previous manifest; only new or changed files are hashed."""
    root = root.resolve()
    plan = ScanPlan()
    seen: set[str] = set()
    for path in walk_files(root):
        doc_id = path.relative_to(root).as_posix()
        seen.add(doc_id)
        refusal = classify(path, root)
        if refusal is not None:
            plan.refused.append(Refusal(doc_id, path, refusal, REFUSAL_DETAIL[refusal]))
            continue
        info = path.stat()
        before = previous.get(doc_id)
        if before and before.size == info.st_size and before.mtime_ns == info.st_mtime_ns:
            plan.unchanged.append(doc_id)
            continue
        try:
            sha = file_sha256(path)
        except OSError as error:
            plan.refused.append(Refusal(doc_id, path, "unreadable", f"could not read: {error}"))
            continue
        seed = SeedFile(doc_id, path, info.st_size, info.st_mtime_ns, sha)
        if before is None:
            plan.new.append(seed)
        elif before.sha256 == sha and before.status != "rejected":
            plan.unchanged.append(doc_id)  # touched, same content: nothing to redo
            plan.touched.append(seed)
        else:
            plan.changed.append(seed)  # new content, or a touched rejected file: try it again
    plan.deleted = sorted(set(previous) - seen)
    return plan
