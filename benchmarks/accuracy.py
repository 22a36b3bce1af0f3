"""Cleaning and overlap accuracy of a run against the generated truth (issue 7).

Reads OUT/truth.jsonl and OUT/pairs.jsonl of a generated corpus and the `lines`, `documents` and
`doc_pairs` tables of a warehouse built from OUT/seeds (made here with a cold run unless given).
Reports per-label precision and recall, body recall by content (every true body line's text is in
the document's text_original), chrome precision, planted-pair precision and recall, and the worst
lines (lost body lines, wrongly dropped lines) with the rule (reason) that decided them.

Targets: body recall 1.0, chrome precision >= 0.99, planted-pair recall >= 0.95 at precision >= 0.99.

Run: .venv/bin/python -m benchmarks.accuracy --docs 2000 [--warehouse DIR] [--worst 30]
     .venv/bin/python -m benchmarks.accuracy --corpus OUT --direct   (clean_document per file, no flow:
     the same labels as a cold run, which has no common lines yet; no pairs scored)
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from benchmarks.harness import WORK, corpus, fresh, run_zhnews
from transforms.clean import clean_document
from transforms.decode import Decoded, decode_bytes, sniff_format
from transforms.model import CleanDocument

LABELS = ("title", "meta", "body", "caption", "boilerplate", "side")
MISSING = "(missing)"  # a true line the warehouse has no line for (HTML blocks merged or dropped)
TARGET_BODY_RECALL = 1.0
TARGET_CHROME_PRECISION = 0.99
TARGET_PAIR_RECALL = 0.95
TARGET_PAIR_PRECISION = 0.99
SHOW_CHARS = 60  # characters of a line shown in the worst-lines list
_SPACE = re.compile(r"\s+")

Key = tuple[str, str]  # (doc_id, line key)


def squash(text: str) -> str:
    """Whitespace-free text: the matching key between a true line and a stored line or body."""
    return _SPACE.sub("", text)


@dataclass
class Scores:
    """Confusion counts and the examples behind the worst cells."""

    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    body_total: int = 0
    body_in_text: int = 0
    lost_body: list[tuple[str, str, str, str]] = field(default_factory=list)  # doc, predicted, reason, text
    wrong_chrome: list[tuple[str, str, str, str]] = field(default_factory=list)  # doc, truth, reason, text
    reasons: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # truth, predicted, reason

    def precision(self, label: str) -> float:
        predicted = sum(n for (_, p), n in self.confusion.items() if p == label)
        return self.confusion[(label, label)] / predicted if predicted else float("nan")

    def recall(self, label: str) -> float:
        true = sum(n for (t, _), n in self.confusion.items() if t == label)
        return self.confusion[(label, label)] / true if true else float("nan")


def read_jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def stored(
    warehouse: Path,
) -> tuple[dict[str, list[tuple[int, str, str, str]]], dict[str, str], set[tuple[str, str]]]:
    """Lines per document, text_original per document and the pairs, from the warehouse."""
    con = duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True)
    try:
        lines: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)
        rows = con.execute("select doc_id, line_no, text, label, reason from lines order by doc_id, line_no")
        while batch := rows.fetchmany(100_000):
            for doc, no, text, label, reason in batch:
                lines[doc].append((no, text, label, reason))
        texts = dict(con.execute("select doc_id, text_original from documents").fetchall())
        pairs = {(a, b) for a, b in con.execute("select doc_a, doc_b from doc_pairs").fetchall()}
    finally:
        con.close()
    return lines, texts, pairs


Stored = tuple[dict[str, list[tuple[int, str, str, str]]], dict[str, str]]


def clean_seeds(root: Path, doc_ids: Iterable[str]) -> Iterator[tuple[str, CleanDocument]]:
    """Each readable seed file of a generated corpus cleaned by clean_document, as a cold run cleans it."""
    for doc in doc_ids:
        decoded = decode_bytes((root / "seeds" / doc).read_bytes())
        if isinstance(decoded, Decoded):
            yield doc, clean_document(decoded.text, sniff_format(decoded.text))


def cleaned_directly(root: Path, doc_ids: list[str]) -> Stored:
    """Lines and text_original per document from clean_document on each seed (as a cold run stores)."""
    lines: dict[str, list[tuple[int, str, str, str]]] = {}
    texts: dict[str, str] = {}
    for doc, cleaned in clean_seeds(root, doc_ids):
        lines[doc] = [(ln.line_no, ln.text, ln.label, ln.reason) for ln in cleaned.lines]
        texts[doc] = cleaned.text_original
    return lines, texts


def match_lines(
    truth: list[dict[str, object]], found: list[tuple[int, str, str, str]], fmt: str
) -> list[tuple[dict[str, object], str, str]]:
    """Each true line with the stored label and reason: by line number for text, by text for HTML."""
    if fmt == "text":
        by_no = {no: (label, reason) for no, _, label, reason in found}
        return [(t, *by_no.get(int(str(t["line_no"])), (MISSING, ""))) for t in truth]
    queues: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for _, text, label, reason in found:
        queues[squash(text)].append((label, reason))
    out = []
    for t in truth:
        queue = queues.get(squash(str(t["text"])))
        out.append((t, *queue.pop(0)) if queue else (t, MISSING, ""))
    return out


def score_lines(truth: list[dict[str, object]], warehouse: Path) -> tuple[Scores, set[tuple[str, str]]]:
    lines, texts, pairs = stored(warehouse)
    return score_stored(truth, (lines, texts)), pairs


def score_stored(truth: list[dict[str, object]], found: Stored) -> Scores:
    """Confusions of the stored lines against the truth, and body recall by content."""
    lines, texts = found
    scores = Scores()
    for record in truth:
        doc = str(record["doc_id"])
        true_lines = record["lines"]
        assert isinstance(true_lines, list)
        body_text = squash(texts.get(doc) or "")
        for t, label, reason in match_lines(true_lines, lines.get(doc, []), str(record["format"])):
            want = str(t["label"])
            scores.confusion[(want, label)] += 1
            scores.reasons[(want, label, reason)] += 1
            if want == "body":
                scores.body_total += 1
                if squash(str(t["plain"])) in body_text:
                    scores.body_in_text += 1
                else:
                    scores.lost_body.append((doc, label, reason, str(t["text"])))
            if label == "boilerplate" and want != "boilerplate":
                scores.wrong_chrome.append((doc, want, reason, str(t["text"])))
    return scores


def pair_lines(planted: list[dict[str, object]], found: set[tuple[str, str]], worst: int) -> list[str]:
    truth = {(str(p["doc_a"]), str(p["doc_b"])): str(p["relation"]) for p in planted}
    hit = set(truth) & found
    recall = len(hit) / len(truth) if truth else float("nan")
    precision = len(hit) / len(found) if found else float("nan")
    out = [
        f"planted pairs: {len(truth)}, found pairs: {len(found)}, both: {len(hit)}",
        f"pair recall {recall:.3f} (target >= {TARGET_PAIR_RECALL}), precision {precision:.3f} "
        f"(target >= {TARGET_PAIR_PRECISION})",
    ]
    for relation in ("duplicate", "overlap"):
        planted_rel = {k for k, v in truth.items() if v == relation}
        if planted_rel:
            share = len(planted_rel & found) / len(planted_rel)
            out.append(f"  {relation}: recall {share:.3f} of {len(planted_rel)}")
    missed = sorted(set(truth) - found)[:worst]
    extra = sorted(found - set(truth))[:worst]
    out += [f"  missed {a} ~ {b} ({truth[(a, b)]})" for a, b in missed]
    out += [f"  unplanted {a} ~ {b}" for a, b in extra]
    return out


def cut(text: str) -> str:
    text = text.strip()
    return text if len(text) <= SHOW_CHARS else text[:SHOW_CHARS] + "…"


def report(scores: Scores, worst: int) -> list[str]:
    out = [f"{'label':<12} {'precision':>9} {'recall':>7} {'true lines':>10}"]
    for label in LABELS:
        true = sum(n for (t, _), n in scores.confusion.items() if t == label)
        out.append(f"{label:<12} {scores.precision(label):>9.4f} {scores.recall(label):>7.4f} {true:>10,}")
    missing = sum(n for (_, p), n in scores.confusion.items() if p == MISSING)
    out.append(f"true lines with no stored line ({MISSING}): {missing:,}")
    body_recall = scores.body_in_text / scores.body_total if scores.body_total else float("nan")
    out.append(
        f"body recall by content (true body line found in text_original): {body_recall:.4f} "
        f"of {scores.body_total:,} (target {TARGET_BODY_RECALL})"
    )
    out.append(
        f"chrome precision: {scores.precision('boilerplate'):.4f} (target >= {TARGET_CHROME_PRECISION})"
    )
    out.append("confusions by rule (true -> predicted [reason]: lines), largest first:")
    off = [(k, n) for k, n in scores.reasons.most_common() if k[0] != k[1]]
    out += [f"  {t} -> {p} [{r}]: {n:,}" for (t, p, r), n in off[:worst]]
    out.append("worst lines: lost body lines (doc, predicted [reason], text):")
    out += [f"  {d} {p} [{r}] {cut(x)}" for d, p, r, x in scores.lost_body[:worst]]
    out.append("worst lines: non-chrome labelled boilerplate (doc, true label [reason], text):")
    out += [f"  {d} {t} [{r}] {cut(x)}" for d, t, r, x in scores.wrong_chrome[:worst]]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=None, help="a generated corpus (default: cached)")
    parser.add_argument("--warehouse", type=Path, default=None, help="a warehouse built from its seeds")
    parser.add_argument("--worst", type=int, default=20, help="examples listed per category")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--direct", action="store_true", help="clean each seed here, without the flow")
    args = parser.parse_args(argv)
    root = args.corpus or corpus(args.docs, args.seed)
    if args.direct:
        truth = read_jsonl(root / "truth.jsonl")
        cleaned = cleaned_directly(root, [str(r["doc_id"]) for r in truth])
        print(f"corpus {root}, cleaned directly (no common lines)")
        print("\n".join(report(score_stored(truth, cleaned), args.worst)))
        return 0
    warehouse = args.warehouse
    if warehouse is None:
        warehouse = fresh(WORK / f"wh-accuracy-{root.name}")
        run_zhnews(root / "seeds", warehouse, args.timeout).check()
    scores, found = score_lines(read_jsonl(root / "truth.jsonl"), warehouse)
    print(f"corpus {root}, warehouse {warehouse}")
    print("\n".join(report(scores, args.worst)))
    print("\n".join(pair_lines(read_jsonl(root / "pairs.jsonl"), found, args.worst)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
