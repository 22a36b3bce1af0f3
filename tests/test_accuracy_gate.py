"""Quality gate (issue 7): cleaning accuracy on a small generated corpus must not fall below the floors.

Like trafilatura's tests/eval_gate.py: a fixed-seed corpus of GATE_DOCS documents is generated in
tmp_path from the seeds, the test pages and ../shared/dev-pages, each file is cleaned with
clean_document (decode_bytes, sniff_format, no corpus counts: a cold run), and the figures of
benchmarks.accuracy are printed and checked against pinned floors.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.accuracy import TARGET_CHROME_PRECISION, cleaned_directly, read_jsonl, score_stored
from benchmarks.gen_corpus import Params, generate

GATE_DOCS = 150  # enough for every path (HTML, Big5, pinyin, profiles) at about 5 s
GATE_SEED = 7
# Body recall is at its target, 1.0: no body line may be lost (it was 0.9894 before side blocks
# needed a heading, charter wording or a named organisation stating two facts to open; on 2,000
# documents of seeds 7, 11 and 23 it is 1.0 too). Chrome precision floor pinned below the level
# reached, 0.9969 (target >= 0.99); the margin absorbs a line or two of drift from a new dev page
# in the clause pool.
BODY_RECALL_FLOOR = 1.0
CHROME_PRECISION_FLOOR = 0.994


def test_cleaning_accuracy_gate(tmp_path: Path) -> None:
    generate(tmp_path, Params(GATE_DOCS, GATE_SEED))
    truth = read_jsonl(tmp_path / "truth.jsonl")
    scores = score_stored(truth, cleaned_directly(tmp_path, [str(r["doc_id"]) for r in truth]))
    body_recall = scores.body_in_text / scores.body_total
    chrome_precision = scores.precision("boilerplate")
    print(
        f"accuracy gate: {GATE_DOCS} docs, body recall {body_recall:.4f} of {scores.body_total} lines, "
        f"chrome precision {chrome_precision:.4f}, side precision {scores.precision('side'):.4f}"
    )
    assert chrome_precision >= max(CHROME_PRECISION_FLOOR, TARGET_CHROME_PRECISION)
    assert body_recall == BODY_RECALL_FLOOR, scores.lost_body[:5]
