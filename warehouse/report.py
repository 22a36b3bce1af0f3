"""The data behind each page of the review site (`zhnews report`), read from one committed version.

Pure functions of a read-only connection (warehouse.catalog.connect_read_only) returning frozen
dataclasses: a page's digest (flows.report) is the digest of exactly what it shows, and a page is
written again only when that changes. Large tables are read in chunks of documents, so memory stays
flat at 100k documents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from warehouse.report_marks import (
    Segment,
    marked_segments,
    original_spans,
    passage_spans,
    pinyin_segments,
    shared_groups,
)

# Documents read per query for their pages: ~60k lines at the generated corpus's ~30 lines a page,
# tens of MB of Python objects; doc_id ranges let DuckDB skip the Parquet row groups outside them.
DOC_CHUNK = 2_000
# Reports read per query for event pages (their bodies and passages; the passages are scanned whole
# once per chunk, as an event's reports are spread over the doc_id range).
EVENT_DOC_CHUNK = 5_000
# Rejected files named per reason on the summary page (the paged list has all of them).
REJECTED_EXAMPLES = 5
# What a line's label means for the document, as the page says it beside the label.
LINE_OUTCOME = {
    "body": "kept: body",
    "title": "kept: title",
    "meta": "kept: metadata",
    "caption": "dropped: caption",
    "boilerplate": "dropped: boilerplate",
    "side": "moved: side text",
}
DROPPED_LABELS = frozenset({"caption", "boilerplate", "side"})


@dataclass(frozen=True)
class Count:
    """A name and how many rows carry it."""

    name: str
    count: int


@dataclass(frozen=True)
class RunRow:
    """The last completed run, as `runs` records it."""

    run_id: str
    started_at: str
    finished_at: str
    status: str
    files_new: int
    files_changed: int
    files_unchanged: int
    files_deleted: int
    files_rejected: int
    files_stale: int | None
    documents: int | None
    duplicates: int | None
    overlaps: int | None
    rules_version: str | None


@dataclass(frozen=True)
class RejectedRow:
    """A file that is not a document, and why."""

    source_path: str
    reason: str
    detail: str
    content_sha256: str | None


@dataclass(frozen=True)
class ReasonGroup:
    """The rejected files of one reason: how many, and the first few with their details."""

    reason: str
    files: int
    examples: tuple[RejectedRow, ...]


@dataclass(frozen=True)
class Summary:
    """The run summary page: the last run and what the warehouse holds after it."""

    run: RunRow | None
    files_by_outcome: tuple[Count, ...]
    rejected: tuple[ReasonGroup, ...]
    documents: int
    pairs_by_relation: tuple[Count, ...]
    events: int
    multi_report_events: int
    documents_in_multi_report_events: int
    lines_by_label: tuple[Count, ...]
    flags: tuple[Count, ...]
    scripts: tuple[Count, ...]


@dataclass(frozen=True)
class DocumentMeta:
    """A document's row: metadata, flags and its event (one row of the document list, the page's head)."""

    doc_id: str
    source_path: str
    content_sha256: str
    encoding: str
    input_format: str
    script: str
    title: str | None
    published_date: str | None
    source_outlet: str | None
    author: str | None
    editor: str | None
    metadata_source: str | None
    pinyin_repairs: int
    flags: tuple[str, ...]
    event_id: str
    is_canonical: bool
    event_reports: int
    text_chars: int
    run_id: str
    rules_version: str | None


@dataclass(frozen=True)
class LineRow:
    """An input line, its label and rule, and what the page's own rules said where the corpus overrode it."""

    line_no: int
    label: str
    reason: str
    outcome: str
    dropped: bool
    page_label: str | None
    page_reason: str | None
    segments: tuple[Segment, ...]  # the line as in the file, pinyin annotations marked
    repaired: str | None  # the line after pinyin repair, where it differs


@dataclass(frozen=True)
class SideTextRow:
    """An unrelated block split off the document."""

    block_no: int
    reason: str
    text: str
    text_original: str


@dataclass(frozen=True)
class PairRow:
    """A link between this document and another, seen from this document."""

    other: str
    relation: str
    shared_passages: int
    containment_self: float
    containment_other: float
    similarity: float


@dataclass(frozen=True)
class DocumentPage:
    """Everything one document's page shows."""

    meta: DocumentMeta
    lines: tuple[LineRow, ...]
    side_texts: tuple[SideTextRow, ...]
    pairs: tuple[PairRow, ...]


@dataclass(frozen=True)
class EventRow:
    """A multi-report event in the event list."""

    event_id: str
    reports: int
    canonical_doc: str
    title: str | None
    published_date: str | None
    overlaps: int
    duplicates: int


@dataclass(frozen=True)
class EventReport:
    """One report of an event: its body in Simplified and in its own script, shared passages marked."""

    doc_id: str
    title: str | None
    published_date: str | None
    source_outlet: str | None
    script: str
    is_canonical: bool
    passages: int
    shared: int
    simplified: tuple[Segment, ...]
    original: tuple[Segment, ...]


@dataclass(frozen=True)
class EventPairRow:
    """A pair of reports of one event."""

    doc_a: str
    doc_b: str
    relation: str
    shared_passages: int
    containment_a: float
    containment_b: float
    similarity: float


@dataclass(frozen=True)
class EventPage:
    """An event's page: its reports side by side, and the pairs that link them."""

    event_id: str
    reports: tuple[EventReport, ...]
    pairs: tuple[EventPairRow, ...]
    groups: int


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """A query's rows as dicts (every query here is fetched whole before the next one runs)."""
    cursor = con.execute(sql, params or {})
    columns = [d[0] for d in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _counts(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Count, ...]:
    """(name, count) rows of a GROUP BY as the summary lists them."""
    return tuple(Count(str(name), int(n)) for name, n in con.execute(sql).fetchall())


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """One figure (0 where the table is empty and the aggregate NULL)."""
    row = con.execute(sql).fetchone()
    return int(row[0] or 0) if row else 0


def _text(value: object) -> str | None:
    """A nullable value as page text (dates as ISO days)."""
    return None if value is None else str(value)


def last_run(con: duckdb.DuckDBPyConnection) -> RunRow | None:
    """The last completed run's row (None for a warehouse without one)."""
    rows = _rows(con, "select * from runs order by run_id desc limit 1")
    if not rows:
        return None
    r = rows[0]
    return RunRow(
        run_id=str(r["run_id"]),
        started_at=str(r["started_at"]),
        finished_at=str(r["finished_at"]),
        status=str(r["status"]),
        files_new=int(r["files_new"]),
        files_changed=int(r["files_changed"]),
        files_unchanged=int(r["files_unchanged"]),
        files_deleted=int(r["files_deleted"]),
        files_rejected=int(r["files_rejected"]),
        files_stale=r.get("files_stale"),
        documents=r.get("documents"),
        duplicates=r.get("duplicates"),
        overlaps=r.get("overlaps"),
        rules_version=r.get("rules_version"),
    )


def rejected_files(con: duckdb.DuckDBPyConnection) -> list[RejectedRow]:
    """Every rejected file, by reason then path."""
    rows = _rows(
        con,
        "select source_path, reason, detail, content_sha256 from rejected_files order by reason, source_path",
    )
    return [
        RejectedRow(str(r["source_path"]), str(r["reason"]), str(r["detail"]), r["content_sha256"])
        for r in rows
    ]


def reason_groups(rejected: Sequence[RejectedRow]) -> tuple[ReasonGroup, ...]:
    """Rejected files grouped by reason (in reason order), each with its count and first few files."""
    by_reason: dict[str, list[RejectedRow]] = defaultdict(list)
    for row in rejected:
        by_reason[row.reason].append(row)
    return tuple(
        ReasonGroup(reason, len(rows), tuple(rows[:REJECTED_EXAMPLES]))
        for reason, rows in sorted(by_reason.items())
    )


def summary(con: duckdb.DuckDBPyConnection, rejected: Sequence[RejectedRow]) -> Summary:
    """The summary page's figures."""
    return Summary(
        run=last_run(con),
        files_by_outcome=_counts(con, "select status, count(*) from files group by 1 order by 1"),
        rejected=reason_groups(rejected),
        documents=_scalar(con, "select count(*) from documents"),
        pairs_by_relation=_counts(con, "select relation, count(*) from doc_pairs group by 1 order by 1"),
        events=_scalar(con, "select count(distinct event_id) from events"),
        multi_report_events=_scalar(
            con, "select count(*) from (select event_id from events group by 1 having count(*) > 1)"
        ),
        documents_in_multi_report_events=_scalar(
            con,
            "select coalesce(sum(n), 0) from (select count(*) n from events group by event_id having n > 1)",
        ),
        lines_by_label=_counts(con, "select label, count(*) from lines group by 1 order by 1"),
        flags=_counts(
            con, "select flag, count(*) from (select unnest(flags) flag from documents) group by 1 order by 1"
        ),
        scripts=_counts(con, "select script, count(*) from documents group by 1 order by 1"),
    )


def document_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every doc_id in order (DuckDB and Python both order strings by code point)."""
    return [str(r[0]) for r in con.execute("select doc_id from documents order by doc_id").fetchall()]


DOCUMENTS_SQL = """
select d.doc_id, d.source_path, d.content_sha256, d.encoding, d.input_format, d.script, d.title,
       d.published_date, d.source_outlet, d.author, d.editor, d.metadata_source, d.pinyin_repairs, d.flags,
       coalesce(d.event_id, d.doc_id) as event_id, d.is_canonical, coalesce(n.reports, 1) as event_reports,
       d.text_chars, d.run_id, d.rules_version
from documents d left join (select event_id, count(*) reports from events group by 1) n using (event_id)
where d.doc_id between $lo and $hi
order by d.doc_id
"""


def _meta(r: dict[str, Any]) -> DocumentMeta:
    """A documents row as the list and the page show it (dates as ISO days, flags as a tuple)."""
    return DocumentMeta(
        doc_id=str(r["doc_id"]),
        source_path=str(r["source_path"]),
        content_sha256=str(r["content_sha256"]),
        encoding=str(r["encoding"]),
        input_format=str(r["input_format"]),
        script=str(r["script"]),
        title=r["title"],
        published_date=_text(r["published_date"]),
        source_outlet=r["source_outlet"],
        author=r["author"],
        editor=r["editor"],
        metadata_source=r["metadata_source"],
        pinyin_repairs=int(r["pinyin_repairs"] or 0),
        flags=tuple(r["flags"] or ()),
        event_id=str(r["event_id"]),
        is_canonical=bool(r["is_canonical"]),
        event_reports=int(r["event_reports"]),
        text_chars=int(r["text_chars"] or 0),
        run_id=str(r["run_id"]),
        rules_version=r["rules_version"],
    )


# A stored line as fetched: line_no, text, label, reason, page_label, page_reason.
StoredLine = tuple[int, str, str, str, str | None, str | None]


def line_row(line: StoredLine) -> LineRow:
    """A stored line as the page shows it: outcome of its label, pinyin marked, repaired text."""
    line_no, text, label, reason, page_label, page_reason = line
    segments = pinyin_segments(text)
    repaired = "".join(s.text for s in segments if s.mark is None) if len(segments) > 1 else None
    return LineRow(
        line_no=int(line_no),
        label=label,
        reason=reason,
        outcome=LINE_OUTCOME.get(label, label),
        dropped=label in DROPPED_LABELS,
        page_label=page_label,
        page_reason=page_reason,
        segments=segments,
        repaired=repaired,
    )


def _pairs_of(rows: list[dict[str, Any]]) -> dict[str, list[PairRow]]:
    """Each document's links, seen from that document (a pair appears on both of its pages)."""
    out: dict[str, list[PairRow]] = defaultdict(list)
    for r in rows:
        a, b = str(r["doc_a"]), str(r["doc_b"])
        shared, sim, rel = int(r["shared_passages"]), float(r["similarity"]), str(r["relation"])
        ca, cb = float(r["containment_a"]), float(r["containment_b"])
        out[a].append(PairRow(b, rel, shared, ca, cb, sim))
        out[b].append(PairRow(a, rel, shared, cb, ca, sim))
    return out


@dataclass(frozen=True)
class DocumentRows:
    """What a document's page is made of, as stored: the page is written again only when this changes.

    Plain tuples (their repr, the page's digest, is cheap); document_page shapes them for the template.
    """

    meta: DocumentMeta
    lines: tuple[StoredLine, ...]
    side_texts: tuple[SideTextRow, ...]
    pairs: tuple[PairRow, ...]


def document_page(rows: DocumentRows) -> DocumentPage:
    """The page of one document: its lines labelled and marked, its side texts and links."""
    return DocumentPage(rows.meta, tuple(line_row(ln) for ln in rows.lines), rows.side_texts, rows.pairs)


def _by_doc(rows: list[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    """Rows whose first column is a doc_id, grouped by it (the rest of each row kept)."""
    out: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        out[row[0]].append(row[1:])
    return out


def document_rows(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], chunk: int = DOC_CHUNK
) -> Iterator[DocumentRows]:
    """Every document's stored rows, in doc_id order (ids: document_ids), a chunk of documents a query."""
    for start in range(0, len(ids), chunk):
        bounds = {"lo": ids[start], "hi": ids[min(start + chunk, len(ids)) - 1]}
        metas = [_meta(r) for r in _rows(con, DOCUMENTS_SQL, bounds)]
        lines = _by_doc(
            con.execute(
                "select doc_id, line_no, text, label, reason, page_label, page_reason from lines "
                "where doc_id between $lo and $hi order by doc_id, line_no",
                bounds,
            ).fetchall()
        )
        sides = _by_doc(
            con.execute(
                "select doc_id, block_no, reason, text, text_original from side_texts "
                "where doc_id between $lo and $hi order by doc_id, block_no",
                bounds,
            ).fetchall()
        )
        pairs = _pairs_of(
            _rows(
                con,
                "select * from doc_pairs where doc_a between $lo and $hi or doc_b between $lo and $hi "
                "order by doc_a, doc_b",
                bounds,
            )
        )
        for meta in metas:
            doc = meta.doc_id
            yield DocumentRows(
                meta,
                tuple(lines.get(doc, ())),  # type: ignore[arg-type]
                tuple(SideTextRow(*side) for side in sides.get(doc, ())),
                tuple(sorted(pairs.get(doc, ()), key=lambda p: p.other)),
            )


EVENTS_SQL = """
with sizes as (select event_id, count(*) reports from events group by 1 having count(*) > 1),
pair_counts as (
    select e.event_id, count_if(p.relation = 'overlap') n_overlaps,
           count_if(p.relation = 'duplicate') n_duplicates
    from doc_pairs p join events e on e.doc_id = p.doc_a group by 1
)
select s.event_id, s.reports, d.doc_id canonical_doc, d.title, d.published_date,
       coalesce(c.n_overlaps, 0) n_overlaps, coalesce(c.n_duplicates, 0) n_duplicates
from sizes s join events e on e.event_id = s.event_id and e.is_canonical
join documents d on d.doc_id = e.doc_id
left join pair_counts c on c.event_id = s.event_id
order by s.event_id
"""


def event_rows(con: duckdb.DuckDBPyConnection) -> list[EventRow]:
    """Every event with more than one report, in event_id order."""
    return [
        EventRow(
            str(r["event_id"]),
            int(r["reports"]),
            str(r["canonical_doc"]),
            r["title"],
            _text(r["published_date"]),
            int(r["n_overlaps"]),
            int(r["n_duplicates"]),
        )
        for r in _rows(con, EVENTS_SQL)
    ]


def _chunks_of_events(members: list[tuple[str, str]], limit: int) -> Iterator[list[tuple[str, str]]]:
    """(event_id, doc_id) rows cut into chunks of whole events of about `limit` reports."""
    chunk: list[tuple[str, str]] = []
    for k, row in enumerate(members):
        chunk.append(row)
        next_event = members[k + 1][0] if k + 1 < len(members) else None
        if len(chunk) >= limit and next_event != row[0]:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# A stored passage as fetched: passage_no, text, duplicate_of_doc, duplicate_of_passage, similarity.
StoredPassage = tuple[int, str, str | None, int | None, float | None]


@dataclass(frozen=True)
class ReportRows:
    """One report of an event as stored: its row and its passages."""

    doc_id: str
    title: str | None
    published_date: str | None
    source_outlet: str | None
    script: str
    is_canonical: bool
    text: str
    text_original: str
    passages: tuple[StoredPassage, ...]


@dataclass(frozen=True)
class EventRows:
    """What an event's page is made of, as stored (the page is written again only when this changes)."""

    event_id: str
    reports: tuple[ReportRows, ...]
    pairs: tuple[EventPairRow, ...]


Mark = tuple[tuple[int, int], int, str]


def _report(rows: ReportRows, groups: dict[tuple[str, int], int]) -> EventReport:
    """One report's column: its passages located in both texts, the shared ones marked."""
    spans = passage_spans(rows.text, [p[1] for p in rows.passages])
    in_original = original_spans(rows.text, rows.text_original, spans)
    marks: list[Mark] = []
    marks_original: list[Mark] = []
    for (passage_no, _, other_doc, other_passage, similarity), span, span_original in zip(
        rows.passages, spans, in_original, strict=True
    ):
        group = groups.get((rows.doc_id, passage_no))
        if group is None:
            continue
        note = f"shared passage {group}"
        if other_doc is not None:
            note += f": repeats {other_doc} passage {other_passage} (similarity {similarity or 0:.2f})"
        if span is not None:
            marks.append((span, group, note))
        if span_original is not None:
            marks_original.append((span_original, group, note))
    return EventReport(
        doc_id=rows.doc_id,
        title=rows.title,
        published_date=rows.published_date,
        source_outlet=rows.source_outlet,
        script=rows.script,
        is_canonical=rows.is_canonical,
        passages=len(rows.passages),
        shared=sum(1 for p in rows.passages if (rows.doc_id, p[0]) in groups),
        simplified=marked_segments(rows.text, marks),
        original=marked_segments(rows.text_original, marks_original),
    )


def event_page(rows: EventRows) -> EventPage:
    """One event's reports side by side, their shared passages numbered across the event."""
    order = [(r.doc_id, p[0]) for r in rows.reports for p in r.passages]
    links = [
        (r.doc_id, p[0], p[2], int(p[3]))
        for r in rows.reports
        for p in r.passages
        if p[2] is not None and p[3] is not None
    ]
    groups = shared_groups(order, links)
    reports = tuple(_report(r, groups) for r in rows.reports)
    return EventPage(rows.event_id, reports, rows.pairs, len(set(groups.values())))


def event_rows_of(con: duckdb.DuckDBPyConnection, chunk: int = EVENT_DOC_CHUNK) -> Iterator[EventRows]:
    """Every multi-report event's stored rows, in event_id order; reports canonical first, then by doc_id."""
    members = [
        (str(e), str(d))
        for e, d in con.execute(
            "select event_id, doc_id from events where event_id in "
            "(select event_id from events group by 1 having count(*) > 1) "
            "order by event_id, not is_canonical, doc_id"
        ).fetchall()
    ]
    for rows in _chunks_of_events(members, chunk):
        params = {"ids": [d for _, d in rows]}
        docs = {
            r[0]: r
            for r in con.execute(
                "select doc_id, title, published_date, source_outlet, script, is_canonical, "
                "coalesce(text, ''), coalesce(text_original, '') from documents "
                "where doc_id in (select unnest($ids::varchar[]))",
                params,
            ).fetchall()
        }
        passages = _by_doc(
            con.execute(
                "select doc_id, passage_no, text, duplicate_of_doc, duplicate_of_passage, similarity "
                "from passages where doc_id in (select unnest($ids::varchar[])) order by doc_id, passage_no",
                params,
            ).fetchall()
        )
        event_of = {doc_id: event_id for event_id, doc_id in rows}
        pairs: dict[str, list[EventPairRow]] = defaultdict(list)
        for pair in con.execute(
            "select doc_a, doc_b, relation, shared_passages, containment_a, containment_b, similarity "
            "from doc_pairs where doc_a in (select unnest($ids::varchar[])) order by doc_a, doc_b",
            params,
        ).fetchall():
            if event_of[pair[0]] == event_of.get(pair[1]):
                pairs[event_of[pair[0]]].append(EventPairRow(*pair))
        by_event: dict[str, list[ReportRows]] = defaultdict(list)
        for event_id, doc_id in rows:
            if doc_id in docs:
                d = docs[doc_id]
                by_event[event_id].append(
                    ReportRows(
                        doc_id,
                        d[1],
                        _text(d[2]),
                        d[3],
                        d[4],
                        bool(d[5]),
                        d[6],
                        d[7],
                        tuple(passages.get(doc_id, ())),  # type: ignore[arg-type]
                    )
                )
        for event_id, reports in by_event.items():
            yield EventRows(event_id, tuple(reports), tuple(pairs[event_id]))
