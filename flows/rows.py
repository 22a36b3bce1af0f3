"""How `zhnews query` prints a result: batch by batch, so a large result never sits in memory whole."""

from __future__ import annotations

import csv
import datetime as dt
import json
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import TextIO

# Rows fetched and printed at a time: the table format aligns each batch on the widest cell seen so
# far (a batch this size is a few screens, and memory stays flat on a million-row result).
BATCH_ROWS = 1000

Row = Sequence[object]
Batches = Iterable[Sequence[Row]]


def jsonable(value: object) -> object:
    """Dates and timestamps as ISO strings; everything else as JSON takes it."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_table(columns: Sequence[str], batches: Batches, out: TextIO) -> int:
    """Aligned columns (NULL for null, newlines as \\n), a rule under the header, a row count last."""
    widths = [display_width(c) for c in columns]
    count = 0
    for batch in batches:
        cells = [[_cell(v) for v in row] for row in batch]
        widths = [max([w, *(display_width(row[i]) for row in cells)]) for i, w in enumerate(widths)]
        if count == 0:
            out.write(_aligned(list(columns), widths) + "\n" + "-+-".join("-" * w for w in widths) + "\n")
        out.writelines(_aligned(row, widths) + "\n" for row in cells)
        count += len(cells)
    if count == 0:
        out.write(_aligned(list(columns), widths) + "\n" + "-+-".join("-" * w for w in widths) + "\n")
    out.write(f"({count} row{'s' if count != 1 else ''})\n")
    return count


def _cell(value: object) -> str:
    return "NULL" if value is None else str(jsonable(value)).replace("\n", "\\n")


def _aligned(cells: Sequence[str], widths: Sequence[int]) -> str:
    return " | ".join(c + " " * (w - display_width(c)) for c, w in zip(cells, widths, strict=True))


def write_csv(columns: Sequence[str], batches: Batches, out: TextIO) -> int:
    """RFC 4180 CSV with a header; NULL is an empty field."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for batch in batches:
        writer.writerows([["" if v is None else jsonable(v) for v in row] for row in batch])
        count += len(batch)
    return count


def _record(columns: Sequence[str], row: Row) -> dict[str, object]:
    return {c: jsonable(v) for c, v in zip(columns, row, strict=True)}


def write_json(columns: Sequence[str], batches: Batches, out: TextIO) -> int:
    """One JSON array of records, written record by record."""
    count = 0
    for batch in batches:
        for row in batch:
            text = json.dumps(_record(columns, row), ensure_ascii=False, indent=1, default=str)
            out.write(("[\n" if count == 0 else ",\n") + "\n".join(" " + ln for ln in text.split("\n")))
            count += 1
    out.write("\n]\n" if count else "[]\n")
    return count


def write_jsonl(columns: Sequence[str], batches: Batches, out: TextIO) -> int:
    """One JSON record a line (JSON Lines), for tools that read a stream."""
    count = 0
    for batch in batches:
        out.writelines(
            json.dumps(_record(columns, row), ensure_ascii=False, default=str) + "\n" for row in batch
        )
        count += len(batch)
    return count


WRITERS: dict[str, Callable[[Sequence[str], Batches, TextIO], int]] = {
    "table": write_table,
    "csv": write_csv,
    "json": write_json,
    "jsonl": write_jsonl,
}
