"""Snapshot of clean_document's output on real pages, to prove speed work changes no label or field.

Each document gets its line labels and reasons (run-length encoded), script, pinyin repairs, flags,
metadata, side-block reasons and a digest of every output text. Regenerate after an intended rule
change (and only then, with the dev pages present): .venv/bin/python -m tests.clean_snapshot
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.devpages import DEV_PAGES
from transforms.clean import clean_document
from transforms.decode import Decoded, decode_bytes, sniff_format
from transforms.model import CleanDocument

PROJECT = Path(__file__).resolve().parent.parent
SNAPSHOT = PROJECT / "tests" / "data" / "clean_snapshot.json"


def project_paths() -> list[Path]:
    """Seeds and page fixtures (every clone has them), in a fixed order."""
    paths = sorted((PROJECT / "seeds").glob("*.txt"))
    return paths + sorted((PROJECT / "tests" / "pages").rglob("*.txt"))


def dev_page_paths() -> list[Path]:
    """The third-party HTML dev pages (tests_pages/ checks them), in a fixed order."""
    return sorted(DEV_PAGES.rglob("*.html"))


def snapshot_paths() -> list[Path]:
    """Every input the snapshot records."""
    return project_paths() + dev_page_paths()


def snapshot_name(path: Path) -> str:
    """A stable key: the path relative to the project or to the dev pages."""
    root = PROJECT if path.is_relative_to(PROJECT) else DEV_PAGES
    return str(path.relative_to(root))


def is_project_name(name: str) -> bool:
    """Whether a snapshot key names a project file (seeds/, tests/) rather than a dev page."""
    return name.startswith(("seeds/", "tests/"))


def _runs(doc: CleanDocument) -> list[str]:
    """label/reason per line, consecutive repeats folded as label/reason*n."""
    runs: list[list[Any]] = []
    for line in doc.lines:
        key = f"{line.label}/{line.reason}"
        if runs and runs[-1][0] == key:
            runs[-1][1] += 1
        else:
            runs.append([key, 1])
    return [key if n == 1 else f"{key}*{n}" for key, n in runs]


def _digest(doc: CleanDocument) -> str:
    """One digest of every text the document carries (lines, body, original body, side blocks)."""
    parts = [doc.text, doc.text_original]
    parts += [f"{ln.line_no}\t{ln.text}" for ln in doc.lines]
    parts += [f"{b.block_no}\t{b.text}\t{b.text_original}" for b in doc.side_blocks]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:16]


def describe(doc: CleanDocument) -> dict[str, Any]:
    """The compact, comparable form of one cleaned document."""
    meta = doc.metadata
    return {
        "lines": _runs(doc),
        "script": doc.script,
        "pinyin_repairs": doc.pinyin_repairs,
        "flags": doc.flags,
        "metadata": [meta.title, str(meta.published_date), meta.source_outlet, meta.author, meta.editor],
        "side": [b.reason for b in doc.side_blocks],
        "digest": _digest(doc),
    }


def clean_path(path: Path) -> dict[str, Any] | None:
    """Decode and clean one file as the pipeline does; None for a file that is not text."""
    decoded = decode_bytes(path.read_bytes())
    if not isinstance(decoded, Decoded):
        return None
    return describe(clean_document(decoded.text, sniff_format(decoded.text)))


def build() -> dict[str, Any]:
    """The snapshot of every input."""
    return {snapshot_name(p): clean_path(p) for p in snapshot_paths()}


if __name__ == "__main__":
    if not dev_page_paths():
        sys.exit(f"no dev pages at {DEV_PAGES} (set ZHNEWS_DEV_PAGES): the snapshot records them too")
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else SNAPSHOT
    target.write_text(
        json.dumps(build(), ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"wrote {target}")
