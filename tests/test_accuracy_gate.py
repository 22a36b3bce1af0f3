"""Quality gate (issue 7): cleaning and pair accuracy on small generated corpora must not fall below
the floors.

Like trafilatura's tests/eval_gate.py: a fixed-seed corpus is generated in tmp_path from the seeds
and the test pages (the project's own text, the same in every clone), each file is cleaned with
clean_document (decode_bytes, sniff_format) and judged by the corpus step over all of them, as a
run stores them, and the figures of benchmarks.accuracy are printed and checked against pinned
floors. The pair gate signs the cleaned texts and matches them with the match step's own function
(no flow), then scores the pairs found against the planted ones.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.accuracy import (
    TARGET_CHROME_PRECISION,
    TARGET_PAIR_PRECISION,
    TARGET_PAIR_RECALL,
    cleaned_directly,
    cleaned_with_corpus,
    read_jsonl,
    score_stored,
)
from benchmarks.gen_corpus import PROJECT_SOURCES, Params, generate
from benchmarks.overlap import documents_of, write_shards
from warehouse.match import match_corpus

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
    generate(tmp_path, Params(GATE_DOCS, GATE_SEED), PROJECT_SOURCES)
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


# Enough documents for the planted pairs to be many (94 at seed 7: 3% duplicates, 5% overlaps) and
# for unrelated articles to share a topic; about 4 s. Recall and precision are 1.0 there (also at
# seeds 11 and 23); the floors are the targets, so at this size precision allows no false pair.
PAIR_GATE_DOCS = 1000


def test_pair_accuracy_gate(tmp_path: Path) -> None:
    generate(tmp_path, Params(PAIR_GATE_DOCS, GATE_SEED, line_truth=False), PROJECT_SOURCES)
    ids = [str(r["doc_id"]) for r in read_jsonl(tmp_path / "truth.jsonl")]
    texts = {doc: body.text for doc, (_, body) in cleaned_with_corpus(tmp_path, ids).items()}
    read = list(texts)  # the files that decoded
    files = write_shards(texts, read, tmp_path)
    result = match_corpus(files, documents_of(texts, read), read, None, temp_dir=tmp_path / "duck")
    pairs = result.doc_pairs
    found = set(zip(pairs.column("doc_a").to_pylist(), pairs.column("doc_b").to_pylist(), strict=True))
    planted = {(str(p["doc_a"]), str(p["doc_b"])) for p in read_jsonl(tmp_path / "pairs.jsonl")}
    recall = len(found & planted) / len(planted)
    precision = len(found & planted) / max(len(found), 1)
    print(f"pair gate: {PAIR_GATE_DOCS} docs, {len(planted)} planted pairs")
    print(f"pair gate: recall {recall:.3f}, precision {precision:.3f}")
    assert len(planted) >= 50, "too few planted pairs for the gate to mean anything"
    assert recall >= TARGET_PAIR_RECALL, sorted(planted - found)[:5]
    assert precision >= TARGET_PAIR_PRECISION, sorted(found - planted)[:5]
