"""`zhnews report`: the last run as a static HTML review site that opens from disk, no server.

Everything a page shows comes from untrusted web pages, so the templates escape every value (the
Jinja2 environment autoescapes and nothing page-derived is marked safe), every page forbids scripts,
images and every other load by its Content-Security-Policy, and links point only at the report's
own files, named by `page_name` so that no doc_id can name a path outside the output folder.

The site is written incrementally: a manifest in the output folder records the digest of the data
and templates behind each file; a file whose digest is unchanged is not written again, and files
of documents and events that are gone are removed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.catalog import connect_read_only
from warehouse.report import (
    DocumentMeta,
    DocumentRows,
    EventRows,
    document_ids,
    document_page,
    document_rows,
    event_page,
    event_rows,
    event_rows_of,
    rejected_files,
    summary,
)

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parent / "report_templates"
MANIFEST = "report-manifest.json"
TEMP_PREFIX = ".partial-"  # a page being written; renamed over the page when complete
# Pages and manifest readable by all who can read the folder (mkstemp would leave them 0600, so a
# report copied to a shared folder or a web server's would not open for anyone else).
PAGE_MODE = 0o644
MANIFEST_FORMAT = 1  # raised when the manifest's layout changes (an older one is then ignored)
# Rows per list page: 200 rows of a document list are ~120 KB of HTML, quick to open, and 100k
# documents make 500 pages.
PAGE_ROWS = 200
# A page name's readable part, cut so that name, hash and ".html" stay far below the 255-byte limit
# of common file systems whatever the doc_id holds.
SLUG_CHARS = 48
# 64 bits of SHA-256 in a name: a collision between two doc_ids is not expected below ~10^9 names.
HASH_CHARS = 16
_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")
# Every page: no script, image, font, frame, form or connection may load; only the inline <style>.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"
)
REPORT_DIR = "review"  # the default output folder, inside the warehouse folder it reports on
DOC_DIR = "doc"
EVENT_DIR = "event"


def default_report_dir(warehouse: Path) -> Path:
    """Where `zhnews report` writes unless told: beside the tables it shows."""
    return warehouse / REPORT_DIR


def page_name(key: str) -> str:
    """A file name for a doc_id or event_id: an ASCII slug for people, a hash so that names never clash.

    Only [A-Za-z0-9_-] survive (no dot, slash, backslash, NUL or emoji), the slug is length-capped,
    and two keys that make the same slug still differ by their hash.
    """
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    slug = _UNSAFE.sub("-", key)[:SLUG_CHARS].strip("-")
    return f"{slug}-{digest}.html" if slug else f"{digest}.html"


def doc_href(doc_id: str) -> str:
    """The document page's path relative to the report root."""
    return f"{DOC_DIR}/{page_name(doc_id)}"


def event_href(event_id: str) -> str:
    """The event page's path relative to the report root."""
    return f"{EVENT_DIR}/{page_name(event_id)}"


def list_href(kind: str, number: int) -> str:
    """A list page's path (documents-0001.html, ...): numbered from 1."""
    return f"{kind}-{number:04d}.html"


def list_page_count(rows: int) -> int:
    """How many list pages `rows` rows make (at least one)."""
    return max(1, math.ceil(rows / PAGE_ROWS))


def inside(out: Path, relative: str) -> Path:
    """out/relative, refused unless it resolves inside out (no name may write elsewhere)."""
    root = out.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or target == root:
        raise ValueError(f"report file {relative!r} is outside {root}")
    return target


@dataclass(frozen=True)
class Pager:
    """Where a list page stands among its pages: the links a template puts above and below the rows."""

    kind: str
    number: int
    total: int
    first_row: int

    @property
    def previous(self) -> str | None:
        """The page before this one (None on the first)."""
        return list_href(self.kind, self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        """The page after this one (None on the last)."""
        return list_href(self.kind, self.number + 1) if self.number < self.total else None

    def window(self) -> list[tuple[int, str]]:
        """Page numbers to link: the first, the last, and the pages near this one."""
        near = {1, self.total, *range(max(1, self.number - 3), min(self.total, self.number + 3) + 1)}
        return [(n, list_href(self.kind, n)) for n in sorted(near)]


@cache
def environment() -> jinja2.Environment:
    """The templates, escaping every value they print (autoescape on, undefined values an error)."""
    import jinja2  # here: every flow run imports this module (the artifact names the report's path)

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        csp=CONTENT_SECURITY_POLICY,
        doc_href=doc_href,
        event_href=event_href,
        list_href=list_href,
    )
    return env


@cache
def renderer_version() -> str:
    """Digest of the templates and the code that shapes the pages: a change rewrites every page."""
    digest = hashlib.sha256()
    sources = sorted(TEMPLATES.glob("*.j2"))
    here = Path(__file__).resolve()
    sources += [
        here,
        here.parent.parent / "warehouse" / "report.py",
        here.parent.parent / "warehouse" / "report_marks.py",
    ]
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:HASH_CHARS]


def data_digest(*parts: object) -> str:
    """Digest of what a page shows (frozen dataclasses and plain values have a stable repr)."""
    return hashlib.sha256(repr((renderer_version(), parts)).encode("utf-8", "surrogatepass")).hexdigest()


def render(template: str, root: str, **values: Any) -> str:
    """One page; root is the way back to the report root from the page's folder ("" or "../")."""
    return environment().get_template(template).render(root=root, **values)


def document_html(rows: DocumentRows) -> str:
    """A document's page (in doc/, one folder below the root)."""
    return render("document.html.j2", "../", page=document_page(rows))


def event_html(rows: EventRows) -> str:
    """An event's page (in event/, one folder below the root)."""
    return render("event.html.j2", "../", event=event_page(rows))


class ReportFolderError(RuntimeError):
    """The output folder holds files that are not a report; nothing was written."""


def _read_manifest(out: Path) -> dict[str, str]:
    """The digests of the files the last report wrote (empty when there is none or it is unreadable)."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        return {}
    files = data.get("files")
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _write_atomic(path: Path, text: str) -> None:
    """Write a file so that a reader sees the old page or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=".html")
    try:
        os.fchmod(fd, PAGE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class _Site:
    """The output folder: which files are written, kept or removed, against the last manifest."""

    out: Path
    old: dict[str, str]
    new: dict[str, str] = field(default_factory=dict)
    written: int = 0
    kept: int = 0

    def put(self, name: str, digest: str, page: Callable[[], str]) -> None:
        """Write name unless the last report wrote it from the same data (and it is still there)."""
        target = inside(self.out, name)
        self.new[name] = digest
        if self.old.get(name) == digest and target.is_file():
            self.kept += 1
            return
        _write_atomic(target, page())
        self.written += 1

    def finish(self) -> int:
        """Remove the files of the last report this one did not make, write the manifest; how many went."""
        removed = 0
        for name in sorted(set(self.old) - set(self.new)):
            try:
                target = inside(self.out, name)
            except ValueError:
                continue  # a manifest edited by hand: what it names outside the folder is left alone
            if target.is_file():
                target.unlink()
                removed += 1
        manifest = {"format": MANIFEST_FORMAT, "renderer": renderer_version(), "files": self.new}
        _write_atomic(self.out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=0, sort_keys=True))
        return removed


@dataclass(frozen=True)
class ReportSummary:
    """What a report wrote."""

    out: Path
    run_id: str | None
    documents: int
    events: int
    written: int
    unchanged: int
    removed: int

    @property
    def index(self) -> Path:
        """The page to open first: the run summary."""
        return self.out / "index.html"


def _open_folder(out: Path) -> dict[str, str]:
    """Create the folder, or take over the last report's; refuse a non-empty folder that is not one."""
    if out.exists() and not out.is_dir():
        raise ReportFolderError(f"{out} is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise ReportFolderError(
            f"{out} holds files and no {MANIFEST}: give an empty or new folder, or an earlier report's"
        )
    out.mkdir(parents=True, exist_ok=True)
    for partial_page in [*out.glob(f"{TEMP_PREFIX}*.html"), *out.glob(f"*/{TEMP_PREFIX}*.html")]:
        partial_page.unlink()  # left by a report that was killed while writing it
    return _read_manifest(out)


def _list_page(site: _Site, kind: str, pager: Pager, rows: Sequence[object]) -> None:
    """One page of a paged list (template KIND.html.j2)."""
    template = f"{kind}.html.j2"
    site.put(
        list_href(kind, pager.number),
        data_digest(template, pager, tuple(rows)),
        partial(render, template, "", rows=rows, pager=pager),
    )


def list_pages(site: _Site, kind: str, rows: Iterable[object], total: int) -> int:
    """Write a paged list of `total` rows as they come (no list is held whole); how many pages."""
    count = list_page_count(total)
    buffer: list[object] = []
    number = 0
    for row in rows:
        buffer.append(row)
        if len(buffer) == PAGE_ROWS:
            number += 1
            _list_page(site, kind, Pager(kind, number, count, (number - 1) * PAGE_ROWS), buffer)
            buffer = []
    if buffer or number == 0:
        number += 1
        _list_page(site, kind, Pager(kind, number, count, (number - 1) * PAGE_ROWS), buffer)
    if number != count:
        raise RuntimeError(f"{kind}: {number} pages written for {total} rows, expected {count}")
    return count


def _document_pages(site: _Site, documents: Iterable[DocumentRows]) -> Iterator[DocumentMeta]:
    """Write each document's page (shaped only when its rows changed); yield its row for the list."""
    for rows in documents:
        site.put(
            doc_href(rows.meta.doc_id),
            data_digest("document.html.j2", rows),
            partial(document_html, rows),
        )
        yield rows.meta


def build_report(warehouse: Path, out: Path) -> ReportSummary:
    """Write (or bring up to date) the review site of the warehouse's last complete run under out."""
    old = _open_folder(out)
    site = _Site(out, old)
    con = connect_read_only(warehouse)
    try:
        rejected = rejected_files(con)
        figures = summary(con, rejected)
        ids = document_ids(con)
        counts = {
            "documents": list_pages(
                site, "documents", _document_pages(site, document_rows(con, ids)), len(ids)
            )
        }
        events = event_rows(con)
        for event in event_rows_of(con):
            site.put(
                event_href(event.event_id),
                data_digest("event.html.j2", event),
                partial(event_html, event),
            )
    finally:
        con.close()
    counts["events"] = list_pages(site, "events", events, len(events))
    counts["rejected"] = list_pages(site, "rejected", rejected, len(rejected))
    site.put(
        "index.html",
        data_digest("index.html.j2", figures, sorted(counts.items())),
        partial(render, "index.html.j2", "", summary=figures, pages=counts),
    )
    removed = site.finish()
    return ReportSummary(
        out=out,
        run_id=figures.run.run_id if figures.run else None,
        documents=len(ids),
        events=len(events),
        written=site.written,
        unchanged=site.kept,
        removed=removed,
    )
