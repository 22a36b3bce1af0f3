"""Export: the clean, deduplicated documents as sharded files that other tools load without our code.

One record per document in doc_id order, JSON Lines or Parquet shards under DIR/data/, and a dataset
card (DIR/README.md: counts, schema, the run the export came from) whose front matter tells Hugging
Face `datasets` where the data files are. Nothing in the output depends on when the export ran, so an
export of an unchanged warehouse is identical byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.catalog import connect_read_only

FORMATS = ("jsonl", "parquet")
# Records per shard: 10,000 documents of news text are 20-40 MB of JSON, a size every tool streams.
SHARD_RECORDS = 10_000
COLUMNS = (
    "doc_id",
    "title",
    "published_date",
    "source_outlet",
    "author",
    "editor",
    "text",
    "text_original",
    "event_id",
    "is_canonical",
    "flags",
    "rules_version",
)
RECORDS_SQL = f"""
select {", ".join(COLUMNS)} from documents
where is_canonical or not $canonical_only
order by doc_id
"""


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote."""

    records: int
    shards: list[Path]
    run_id: str | None


def _batches(con: duckdb.DuckDBPyConnection, canonical_only: bool) -> Iterator[pa.Table]:
    """The records in doc_id order, a shard at a time."""
    reader = con.sql(RECORDS_SQL, params={"canonical_only": canonical_only}).to_arrow_reader(SHARD_RECORDS)
    pending: list[pa.RecordBatch] = []
    size = 0
    for batch in reader:
        pending.append(batch)
        size += batch.num_rows
        if size >= SHARD_RECORDS:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, SHARD_RECORDS)
            rest = table.slice(SHARD_RECORDS)
            pending, size = rest.to_batches(), rest.num_rows
    if size:
        yield pa.Table.from_batches(pending)


def _write_jsonl(table: pa.Table, path: Path) -> None:
    """One JSON object a line; dates as ISO strings, no ASCII escaping of Chinese."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in table.to_pylist():
            if record["published_date"] is not None:
                record["published_date"] = record["published_date"].isoformat()
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")


def _card(
    summary_records: int, shards: list[Path], fmt: str, run_id: str | None, canonical_only: bool
) -> str:
    """The dataset card: front matter for `datasets`, then what the files hold."""
    fields = "\n".join(f"| `{c}` |" for c in COLUMNS)
    selection = "canonical reports only (one per event)" if canonical_only else "every document"
    return f"""---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/*.{fmt}
---
# zhnews export

{summary_records} records ({selection}), {len(shards)} shard(s) of {fmt}, from warehouse run `{run_id}`.
One record per document, in `doc_id` order: the clean body in Simplified script (`text`) and in the
page's own script (`text_original`), metadata (NULL where the page does not say), the event it belongs
to and whether it is that event's canonical (most complete) report, quality flags, and the version of
the rules that cleaned it.

Load it with DuckDB (`select * from read_{"json" if fmt == "jsonl" else "parquet"}('data/*.{fmt}')`)
or Hugging Face datasets (`load_dataset("{"json" if fmt == "jsonl" else "parquet"}",
data_files="data/*.{fmt}")`, or `load_dataset(DIR)`).

| column |
|---|
{fields}
"""


def export(warehouse: Path, out: Path, fmt: str = "jsonl", canonical_only: bool = False) -> ExportSummary:
    """Write the documents of the warehouse's last complete run under out (replacing an earlier export)."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: one of {', '.join(FORMATS)}")
    writer = _write_jsonl if fmt == "jsonl" else _write_parquet
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "data").mkdir(parents=True)
    shards: list[Path] = []
    con = connect_read_only(warehouse)
    try:
        (latest,) = con.execute("select max(run_id) from runs").fetchall()[0]
        run_id = None if latest is None else str(latest)
        (records,) = con.sql(
            f"select count(*) from ({RECORDS_SQL})", params={"canonical_only": canonical_only}
        ).fetchall()[0]
        total = -(-int(records) // SHARD_RECORDS)  # shard names carry the count: known before writing
        for k, table in enumerate(_batches(con, canonical_only)):  # a shard in memory at a time
            path = staging / "data" / f"train-{k:05d}-of-{total:05d}.{fmt}"
            writer(table, path)
            shards.append(path)
    finally:
        con.close()
    (staging / "README.md").write_text(
        _card(int(records), shards, fmt, run_id, canonical_only), encoding="utf-8"
    )
    shutil.rmtree(out, ignore_errors=True)
    os.replace(staging, out)  # a reader sees the old export or the new one, never half of one
    return ExportSummary(int(records), [out / "data" / p.name for p in shards], run_id)
