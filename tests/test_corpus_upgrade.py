"""A warehouse written before the corpus step (fingerprint files without kind, overridable or
verdict) is read by the corpus step: its rows count as short lines, and the run does not fail."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.corpus import _connect, _define_corpus, line_verdicts
from warehouse.schema import PER_DOCUMENT


def test_older_fingerprint_files_are_read_with_their_columns_filled(tmp_path: Path) -> None:
    old = tmp_path / "old.parquet"
    pq.write_table(pa.table({"doc_id": ["a", "b", "c"], "fingerprint": pa.array([7, 7, 7], pa.int64())}), old)
    new = tmp_path / "new.parquet"
    rows = {"doc_id": ["d"], "fingerprint": [7], "kind": [0], "overridable": [True], "corpus_reason": [None]}
    pq.write_table(pa.Table.from_pydict(rows, schema=PER_DOCUMENT["line_fingerprints"]), new)
    con = _connect(tmp_path)
    try:
        _define_corpus(con, [old], [new], gone={"c"})
        assert con.execute("select doc_id, kind, overridable from lf order by 1").fetchall() == [
            ("a", 0, False),
            ("b", 0, False),
            ("d", 0, True),
        ]
        verdicts = line_verdicts(con).to_pylist()
    finally:
        con.close()
    # three carriers that share no paragraph: a repeated line (the old rows count as carriers)
    assert verdicts == [{"fingerprint": 7, "reason": "repeated_unrelated_line:docs=3,unrelated=3"}]
