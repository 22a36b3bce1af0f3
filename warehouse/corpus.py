"""The corpus step: line verdicts counted over every document of the new version, and the documents
whose labels they change, rebuilt from their stored lines (no file is read or cleaned again).

Runs after the shards and before the version is built. Every run counts the whole corpus (the
stored documents that stay plus this run's), so the verdicts, and with them every document's labels,
are a function of the seeds folder alone: a from-scratch run and any sequence of incremental runs
over the same files give the same tables. A document is rewritten only when a verdict on one of its
lines differs from the one its rows carry (`line_fingerprints.corpus_reason`).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from transforms.corpus import (
    FREQUENT_DOCS,
    MIN_DOCS,
    Body,
    LineCounts,
    PageLine,
    body_of,
    corpus_reason,
    page_lines,
    relabel,
)
from transforms.model import LabelledLine
from transforms.overlap import passage_rows_batch
from transforms.repetition import KIND_LINE, KIND_SENTENCE, fingerprint_rows
from warehouse.runs import run_batches
from warehouse.schema import PER_DOCUMENT
from warehouse.spread import IN_PROCESS, Spread
from warehouse.sql import sql_files
from warehouse.store import PartSwap, Replacements, conform, write_staged

# DuckDB's memory while counting fingerprints (~50 rows a document: 50M at 1M documents): the
# aggregates spill beyond it instead of taking DuckDB's default of 80% of RAM.
MEMORY_LIMIT = "512MB"

# Counts of every short line on MIN_DOCS pages or more; below FREQUENT_DOCS also how many of its
# carriers share no paragraph sentence with another carrier ("unrelated").
COUNTS_SQL = f"""
create temp table short as
    select distinct doc_id, fingerprint from lf where kind = {KIND_LINE};
create temp table counts as
    select fingerprint, count(*) as docs from short group by fingerprint having count(*) >= {MIN_DOCS};
create temp table carriers as
    select s.fingerprint, s.doc_id from short s join counts c using (fingerprint)
    where c.docs < {FREQUENT_DOCS};
create temp table carrier_evidence as
    select c.fingerprint, c.doc_id, e.fingerprint as sentence
    from carriers c join (select distinct doc_id, fingerprint from lf where kind = {KIND_SENTENCE}) e
    using (doc_id);
create temp table related as
    select ce.fingerprint, count(distinct ce.doc_id) as n
    from carrier_evidence ce
    join (select fingerprint, sentence from carrier_evidence group by all having count(*) >= 2) s
    using (fingerprint, sentence)
    group by ce.fingerprint;
"""
COUNTS_RESULT_SQL = f"""
select c.fingerprint, c.docs,
       case when c.docs >= {FREQUENT_DOCS} then null else c.docs - coalesce(r.n, 0) end as unrelated
from counts c left join related r using (fingerprint)
order by c.fingerprint
"""
VERDICTS = pa.schema([("fingerprint", pa.int64()), ("reason", pa.string())])


@dataclass
class CorpusStep:
    """What the corpus step changed: the documents relabelled, and their new rows in files by part."""

    relabelled: list[str] = field(default_factory=list)
    text_changed: list[str] = field(default_factory=list)  # of those, the ones whose body changed
    stored: list[str] = field(default_factory=list)  # relabelled documents that earlier runs made
    replacements: Replacements = field(default_factory=Replacements)


def _session(threads: int | None, *settings: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB session of the corpus step's jobs: threads (None: one a core), then the settings."""
    con = duckdb.connect()
    try:
        # a job's child writes to the run's output: no bar of a long count in the user's log
        con.execute("SET enable_progress_bar = false")
        if threads is not None:
            con.execute(f"SET threads = {threads}")
        for setting in settings:
            con.execute(setting)
    except BaseException:
        con.close()
        raise
    return con


def _connect(temp_dir: Path, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """The count's session: held to MEMORY_LIMIT, spilling to temp_dir."""
    return _session(
        threads,
        f"SET memory_limit = '{MEMORY_LIMIT}'",
        f"SET temp_directory = '{temp_dir}'",
        "SET preserve_insertion_order = false",
    )


# What a fingerprint file written before the corpus step had: short-line fingerprints only, with no
# kind, no overridable flag and no verdict (its documents are stale: the next full run reads them
# again, unless --keep-stale leaves them, and then they count as carriers and are never rewritten).
_OLD_FILE_COLUMNS = (
    f"doc_id, fingerprint, {KIND_LINE}::tinyint as kind, false as overridable, null::varchar as corpus_reason"
)
_COLUMNS = "doc_id, fingerprint, kind, overridable, corpus_reason"


def _selects(files: Sequence[Path], where: str) -> list[str]:
    """SELECTs of fingerprint rows over some files, older files' missing columns filled."""
    has_kind = {f: "kind" in pq.read_schema(f).names for f in files}
    current = [f for f in files if has_kind[f]]
    older = [f for f in files if not has_kind[f]]
    out = []
    for group, columns in ((current, _COLUMNS), (older, _OLD_FILE_COLUMNS)):
        if group:
            out.append(
                f"select {columns} from read_parquet({sql_files(group)}, union_by_name = true) {where}"
            )
    return out


def _define_corpus(
    con: duckdb.DuckDBPyConnection, stored: Sequence[Path], staged: Sequence[Path], gone: Collection[str]
) -> None:
    """View `lf`: fingerprint rows of the stored documents that stay, and of this run's."""
    con.register("lf_empty", PER_DOCUMENT["line_fingerprints"].empty_table())
    con.register("gone", pa.table({"doc_id": pa.array(sorted(gone), pa.string())}))
    parts = [f"select {_COLUMNS} from lf_empty"]
    parts += _selects(stored, "where doc_id not in (select doc_id from gone)")
    parts += _selects(staged, "")
    con.execute("create temp view lf as " + " union all ".join(parts))


def _reasons(verdicts: pa.Table) -> dict[int, str]:
    """The verdicts as fingerprint -> reason."""
    return dict(
        zip(verdicts.column("fingerprint").to_pylist(), verdicts.column("reason").to_pylist(), strict=True)
    )


def line_verdicts(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every short line some rule calls chrome: fingerprint and reason (the rules are transforms.corpus)."""
    con.execute(COUNTS_SQL)
    rows = con.execute(COUNTS_RESULT_SQL).fetchall()
    verdicts = [(int(fp), corpus_reason(LineCounts(int(docs), unrelated))) for fp, docs, unrelated in rows]
    kept = [(fp, reason) for fp, reason in verdicts if reason is not None]
    return pa.table({"fingerprint": [fp for fp, _ in kept], "reason": [r for _, r in kept]}, schema=VERDICTS)


def verdicts_in_memory(docs: Mapping[str, Sequence[LabelledLine]]) -> pa.Table:
    """The verdicts over documents held in memory (benchmarks and gates that clean without the flow):
    the same counts and rules as a run's corpus step."""
    ids: list[str] = []
    prints: list[int] = []
    kinds: list[int] = []
    for doc_id, lines in docs.items():
        rows_of = fingerprint_rows(lines)
        ids += [doc_id] * len(rows_of.values)
        prints += rows_of.values
        kinds += rows_of.kinds
    rows = pa.table(
        {
            "doc_id": pa.array(ids, pa.string()),
            "fingerprint": pa.array(prints, pa.int64()),
            "kind": pa.array(kinds, pa.int8()),
        }
    )
    con = duckdb.connect()
    try:
        con.register("lf", rows)
        return line_verdicts(con)
    finally:
        con.close()


def relabelled_in_memory(
    docs: Mapping[str, Sequence[LabelledLine]],
) -> dict[str, tuple[list[LabelledLine], Body]]:
    """Each document's lines after the corpus verdicts and the body rebuilt from them."""
    reasons = _reasons(verdicts_in_memory(docs))
    out = {}
    for doc_id, lines in docs.items():
        relabelled = [pl.line for pl in relabel(page_lines(lines), reasons)]
        out[doc_id] = (relabelled, body_of(relabelled))
    return out


def documents_to_relabel(con: duckdb.DuckDBPyConnection, verdicts: pa.Table) -> list[str]:
    """Documents whose stored rows carry another verdict than the corpus gives now, on a line the
    page kept as text (a verdict on a line the page already dropped changes nothing)."""
    con.register("verdicts", verdicts)
    rows = con.execute(
        f"""select distinct l.doc_id from lf l left join verdicts v using (fingerprint)
            where l.kind = {KIND_LINE} and l.overridable and l.corpus_reason is distinct from v.reason
            order by 1"""
    ).fetchall()
    return [str(r[0]) for r in rows]


def _read_rows(files: Sequence[Path], table: str, doc_ids: Sequence[str], threads: int | None) -> pa.Table:
    """The rows of some documents from a table's files, in one DuckDB scan (columns an older writer
    lacked come as nulls; threads: DuckDB's, None for one a core)."""
    schema = PER_DOCUMENT[table]
    if not files or not doc_ids:
        return schema.empty_table()
    con = _session(threads)
    try:
        con.register("wanted", pa.table({"doc_id": pa.array(sorted(doc_ids), pa.string())}))
        rows = con.sql(
            f"select * from read_parquet({sql_files(files)}, union_by_name = true) "
            "where doc_id in (select doc_id from wanted)"
        ).to_arrow_table()
    finally:
        con.close()
    return conform(rows, schema).sort_by("doc_id")


def _page_lines(rows: pa.Table) -> dict[str, list[PageLine]]:
    """Stored lines by document, in line order."""
    out: dict[str, list[PageLine]] = {}
    for r in rows.sort_by([("doc_id", "ascending"), ("line_no", "ascending")]).to_pylist():
        line = LabelledLine(r["line_no"], r["text"], r["label"], r["reason"])
        page_line = PageLine(line, r["fingerprint"], r["page_label"], r["page_reason"])
        out.setdefault(r["doc_id"], []).append(page_line)
    return out


# The tables a relabelling rewrites: every relabelled document's lines and fingerprint rows (their
# verdicts), and where its body changed, its documents_base row and its passages.
RELABEL_TABLES = ("lines", "line_fingerprints", "documents_base")
# Tables whose rows are replaced only for the documents whose body changed.
BODY_TABLES = frozenset({"documents_base", "passage_index"})

# Relabelled documents rebuilt at once. Their stored lines become Python objects: the 100k generated
# corpus relabels 19k documents, and rebuilding them together took the flow from 250 to 1,775 MiB
# (~80 KB a document); a batch of this many stays near 160 MB whatever the corpus.
REBUILD_BATCH_DOCS = 2_000


@dataclass
class Rebuilt:
    """Some documents relabelled: their new rows per table, and whose rows each table replaces."""

    tables: dict[str, pa.Table]
    relabelled: list[str]
    text_changed: list[str]

    def replaced(self, table: str) -> list[str]:
        """The documents whose rows in a table give way to the new ones (none may be left: a body
        whose paragraphs all became too short for a passage has no passage rows)."""
        return self.text_changed if table in BODY_TABLES else self.relabelled


def rebuild(rows: dict[str, pa.Table], reasons: Mapping[int, str], run_id: str) -> Rebuilt:
    """Relabel some documents (rows: their lines, fingerprints and documents_base rows) with the
    verdicts (fingerprint -> reason); the new rows of each table, for the documents they change."""
    base = rows["documents_base"]
    lines = _page_lines(rows["lines"])
    relabelled = base.column("doc_id").to_pylist()
    new_lines = {d: relabel(lines.get(d, []), reasons) for d in relabelled}
    bodies = {d: body_of([pl.line for pl in pls]) for d, pls in new_lines.items()}
    old_text = dict(zip(relabelled, base.column("text").to_pylist(), strict=True))
    text_changed = [d for d in relabelled if bodies[d].text != old_text[d]]
    changed = base.filter(pc.is_in(base.column("doc_id"), value_set=pa.array(text_changed, pa.string())))
    tables = {
        "lines": _lines_table(new_lines),
        "line_fingerprints": _with_reasons(rows["line_fingerprints"], reasons),
        "documents_base": _with_bodies(changed, bodies, run_id),
        "passage_index": passage_rows_batch(text_changed, [bodies[d].text for d in text_changed]),
    }
    return Rebuilt(tables, relabelled, text_changed)


PARTS = pa.schema([("doc_id", pa.string()), ("part", pa.string()), ("new", pa.bool_())])


def part_rows(manifest: pa.Table, new: bool) -> pa.Table:
    """(doc_id, part, new) rows of some documents: where their rows are, and whether this run made them."""
    return pa.table(
        {
            "doc_id": manifest.column("doc_id"),
            "part": manifest.column("part"),
            "new": pa.repeat(pa.scalar(new), manifest.num_rows),
        },
        schema=PARTS,
    )


def part_batches(located: pa.Table, batch_docs: int) -> list[pa.Table]:
    """The relabelled documents (their part_rows) in batches of whole part files, each closed once
    it holds batch_docs documents: a part's new rows are then written once, by one batch."""
    ordered = located.sort_by([("part", "ascending"), ("doc_id", "ascending")])
    return [ordered.slice(o, n) for o, n in run_batches(ordered.column("part"), batch_docs)]


def _gather(
    stored: Mapping[str, Sequence[Path]],
    staged: Mapping[str, Sequence[Path]],
    located: pa.Table,
    threads: int | None,
) -> dict[str, pa.Table]:
    """The rows a relabelling reads, of some documents (located: their part_rows): stored ones from
    the current version's files given, this run's from the staged files given."""
    old = located.filter(pc.invert(located.column("new"))).column("doc_id").to_pylist()
    new = located.filter(located.column("new")).column("doc_id").to_pylist()
    out = {}
    for table in RELABEL_TABLES:
        out[table] = pa.concat_tables(
            [
                _read_rows(stored.get(table, []), table, old, threads),
                _read_rows(staged.get(table, []), table, new, threads),
            ]
        ).sort_by("doc_id")
    return out


def write_swaps(rebuilt: Rebuilt, located: pa.Table, folder: Path) -> dict[str, dict[str, PartSwap]]:
    """Each table's new rows written by the part file that holds their documents (folder/table/part),
    with the documents whose rows they replace there: table -> part -> swap."""
    part_of = dict(zip(located.column("doc_id").to_pylist(), located.column("part").to_pylist(), strict=True))
    out: dict[str, dict[str, PartSwap]] = {}
    for table, rows in rebuilt.tables.items():
        by_part: dict[str, list[str]] = {}
        for doc_id in rebuilt.replaced(table):
            by_part.setdefault(part_of[doc_id], []).append(doc_id)
        if not by_part:
            continue
        (folder / table).mkdir(parents=True, exist_ok=True)
        ids = rows.column("doc_id")
        out[table] = {}
        for part, docs in by_part.items():
            path = folder / table / f"{part}.parquet"
            wanted = pa.array(docs, pa.string())
            out[table][part] = PartSwap(
                tuple(docs), write_staged(rows.filter(pc.is_in(ids, value_set=wanted)), path)
            )
    return out


def _with_bodies(base: pa.Table, bodies: dict[str, Body], run_id: str) -> pa.Table:
    """documents_base rows with the rebuilt body, flags and size, written by this run."""
    ids = base.column("doc_id").to_pylist()
    texts = [bodies[d].text for d in ids]
    columns = {
        "text": pa.array(texts, pa.string()),
        "text_original": pa.array([bodies[d].text_original for d in ids], pa.string()),
        "flags": pa.array([bodies[d].flags for d in ids], pa.list_(pa.string())),
        "text_chars": pa.array([len(t) for t in texts], pa.int64()),
        "run_id": pa.array([run_id] * len(ids), pa.string()),
    }
    for name, values in columns.items():
        base = base.set_column(base.schema.get_field_index(name), base.schema.field(name), values)
    return base


def _lines_table(lines: dict[str, list[PageLine]]) -> pa.Table:
    """Rows of the lines table for relabelled documents."""
    rows = [
        {
            "doc_id": doc_id,
            "line_no": pl.line.line_no,
            "text": pl.line.text,
            "label": pl.line.label,
            "reason": pl.line.reason,
            "page_label": pl.page_label,
            "page_reason": pl.page_reason,
            "fingerprint": pl.fingerprint,
        }
        for doc_id, pls in lines.items()
        for pl in pls
    ]
    return pa.Table.from_pylist(rows, schema=PER_DOCUMENT["lines"])


def _with_reasons(rows: pa.Table, reasons: Mapping[int, str]) -> pa.Table:
    """line_fingerprints rows carrying the verdict now given to each short line the page kept as text."""
    fingerprints, kept = rows.column("fingerprint").to_pylist(), rows.column("overridable").to_pylist()
    values = [reasons.get(fp) if k else None for fp, k in zip(fingerprints, kept, strict=True)]
    index = rows.schema.get_field_index("corpus_reason")
    return rows.set_column(index, rows.schema.field(index), pa.array(values, pa.string()))


@dataclass(frozen=True)
class CountJob:
    """The corpus count: the fingerprint files of the documents the new version holds, by path."""

    stored: tuple[Path, ...]  # the current version's files
    staged: tuple[Path, ...]  # this run's shard files
    gone: tuple[str, ...]  # stored documents that leave or are replaced
    temp: Path  # where DuckDB spills
    threads: int | None  # DuckDB threads of the job (None: one a core)


def count_job(job: CountJob) -> tuple[pa.Table, list[str]]:
    """The corpus verdicts and the documents whose rows disagree with them, counted where the spread
    runs the job: in a child of the flow's process with the thread runner, as each counted line
    becomes a Python row there (100k documents: the flow ended the corpus step at 351 MiB with the
    count in its process, 292-309 with the count in a child)."""
    con = _connect(job.temp, job.threads)
    try:
        _define_corpus(con, job.stored, job.staged, job.gone)
        verdicts = line_verdicts(con)
        return verdicts, documents_to_relabel(con, verdicts)
    finally:
        con.close()


@dataclass(frozen=True)
class RebuildJob:
    """One batch of whole part files to relabel: where their rows are, the verdicts, where the new
    rows go. Everything a worker needs, by path: no table of the corpus travels with it."""

    located: pa.Table  # part_rows of the batch's relabelled documents
    stored: dict[str, list[Path]]  # table -> the batch's part files in the current version
    staged: dict[str, list[Path]]  # table -> the batch's part files from this run's shards
    verdicts: Path  # the corpus verdicts (VERDICTS)
    run_id: str
    folder: Path  # where the new rows go, by table and part
    threads: int | None  # DuckDB threads of the job (None: one a core)


@dataclass(frozen=True)
class RebuildOutcome:
    """What one batch changed: its documents relabelled, those whose body changed, their swaps."""

    relabelled: list[str]
    text_changed: list[str]
    swaps: dict[str, dict[str, PartSwap]]


def rebuild_job(job: RebuildJob) -> RebuildOutcome:
    """Relabel one batch and write its new rows by part; it rewrites its own files whole, so a job
    lost with its worker is simply run again."""
    reasons = _reasons(pq.read_table(job.verdicts))
    rebuilt = rebuild(_gather(job.stored, job.staged, job.located, job.threads), reasons, job.run_id)
    return RebuildOutcome(
        rebuilt.relabelled, rebuilt.text_changed, write_swaps(rebuilt, job.located, job.folder)
    )


def _batch_files(files: Mapping[str, Sequence[Path]], batch: pa.Table) -> dict[str, list[Path]]:
    """The part files of a batch's documents, by table."""
    parts = set(batch.column("part").to_pylist())
    return {
        table: [f for f in paths if f.stem in parts]
        for table, paths in files.items()
        if table in RELABEL_TABLES
    }


def rebuild_jobs(
    located: pa.Table,
    stored: Mapping[str, Sequence[Path]],
    staged: Mapping[str, Sequence[Path]],
    verdicts: Path,
    run_id: str,
    folder: Path,
    spread: Spread,
    batch_docs: int,
) -> list[RebuildJob]:
    """The relabelling cut into batches of whole parts, each reading only its parts' files: a batch
    closes at batch_docs documents, or sooner so that every worker of the spread gets one."""
    size = max(1, min(batch_docs, -(-located.num_rows // spread.parts)))
    return [
        RebuildJob(
            batch,
            _batch_files(stored, batch),
            _batch_files(staged, batch),
            verdicts,
            run_id,
            folder,
            spread.threads,
        )
        for batch in part_batches(located, size)
    ]


def corpus_step(
    stored: dict[str, list[Path]],
    staged: dict[str, list[Path]],
    gone: Collection[str],
    parts: pa.Table,
    staging: Path,
    run_id: str,
    spread: Spread = IN_PROCESS,
    batch_docs: int = REBUILD_BATCH_DOCS,
) -> CorpusStep:
    """Count the corpus, find the documents whose rows disagree with the verdicts, and relabel them
    in batches of part files (jobs of the spread), their new rows written to staging/corpus.

    stored: table -> the current version's files; staged: table -> this run's shard files; gone:
    stored documents that leave or are replaced; parts: part_rows of every document that stays or
    comes (the part file that holds its rows, and whether this run made it).
    """
    temp = staging / "duckdb-tmp"
    temp.mkdir(parents=True, exist_ok=True)
    count = CountJob(
        tuple(stored["line_fingerprints"]),
        tuple(staged["line_fingerprints"]),
        tuple(sorted(gone)),
        temp,
        spread.threads,
    )
    [(verdicts, doc_ids)] = spread.run("corpus-count", [functools.partial(count_job, count)])
    if not doc_ids:
        return CorpusStep()
    located = parts.filter(pc.is_in(parts.column("doc_id"), value_set=pa.array(doc_ids, pa.string())))
    folder = staging / "corpus"
    verdicts_file = write_staged(verdicts, folder / "verdicts.parquet")
    jobs = rebuild_jobs(located, stored, staged, verdicts_file, run_id, folder, spread, batch_docs)
    outcomes = spread.run("corpus-rebuild", [functools.partial(rebuild_job, job) for job in jobs])
    swaps: dict[str, dict[str, PartSwap]] = {}
    for outcome in outcomes:
        for table, by_part in outcome.swaps.items():
            swaps.setdefault(table, {}).update(by_part)
    return CorpusStep(
        relabelled=sorted(d for o in outcomes for d in o.relabelled),
        text_changed=sorted(d for o in outcomes for d in o.text_changed),
        stored=sorted(located.filter(pc.invert(located.column("new"))).column("doc_id").to_pylist()),
        replacements=Replacements(swaps),
    )
