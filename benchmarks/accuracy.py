"""Cleaning and overlap accuracy of a run against the generated truth (issue 7).

Reads OUT/truth.jsonl and OUT/pairs.jsonl of a generated corpus and the `lines`, `documents`,
`doc_pairs` and `events` tables of a warehouse built from OUT/seeds (made here with a cold run unless
given). Reports per-label precision and recall, body recall by content (every true body line's text
is in the document's text_original), chrome precision, planted-pair precision and recall, the worst
lines (lost body lines, wrongly dropped lines) with the rule (reason) that decided them, within-event
precision (the share of document pairs inside an event that are one planted story: the connected
components of the planted pairs) with the largest events holding false pairs, and the chrome-only
pairs (unplanted reported pairs whose documents share a planted teaser line).

Targets: body recall 1.0, chrome precision >= 0.99, planted-pair recall >= 0.95 at precision >= 0.99,
within-event precision >= 0.99, no chrome-only pair.

Run: .venv/bin/python -m benchmarks.accuracy --docs 2000 [--warehouse DIR] [--worst 30]
     .venv/bin/python -m benchmarks.accuracy --corpus OUT --direct   (clean_document per file, no flow:
     the same labels as a run: each page cleaned, then the corpus step over them all; no pairs scored)
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from benchmarks.harness import WORK, corpus, fresh, run_zhnews
from transforms.clean import clean_document
from transforms.corpus import Body
from transforms.decode import Decoded, decode_bytes, sniff_format
from transforms.model import CleanDocument, LabelledLine
from warehouse.corpus import relabelled_in_memory

LABELS = ("title", "meta", "body", "caption", "boilerplate", "side")
MISSING = "(missing)"  # a true line the warehouse has no line for (HTML blocks merged or dropped)
TARGET_BODY_RECALL = 1.0
TARGET_CHROME_PRECISION = 0.99
TARGET_PAIR_RECALL = 0.95
TARGET_PAIR_PRECISION = 0.99
# Events are built from the pairs, so they are held to the pairs' precision: one false pair can merge
# two stories into one event, and every pair across them is false.
TARGET_EVENT_PRECISION = 0.99
# A pair whose documents share only a site's teaser lines is no overlap at all: none is allowed.
TARGET_CHROME_ONLY_PAIRS = 0
SHOW_CHARS = 60  # characters of a line shown in the worst-lines list
_SPACE = re.compile(r"\s+")

Key = tuple[str, str]  # (doc_id, line key)
Pair = tuple[str, str]  # (doc_a, doc_b)


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
    """Each readable seed file of a generated corpus cleaned by clean_document, as a shard cleans it."""
    for doc in doc_ids:
        decoded = decode_bytes((root / "seeds" / doc).read_bytes())
        if isinstance(decoded, Decoded):
            yield doc, clean_document(decoded.text, sniff_format(decoded.text))


def cleaned_with_corpus(root: Path, doc_ids: Iterable[str]) -> dict[str, tuple[list[LabelledLine], Body]]:
    """Each readable seed cleaned, then judged by the corpus step over all of them: what a run stores."""
    return relabelled_in_memory({doc: cleaned.lines for doc, cleaned in clean_seeds(root, doc_ids)})


def cleaned_directly(root: Path, doc_ids: list[str]) -> Stored:
    """Lines and text_original per document, cleaned and judged by the corpus step without the flow."""
    lines: dict[str, list[tuple[int, str, str, str]]] = {}
    texts: dict[str, str] = {}
    for doc, (relabelled, body) in cleaned_with_corpus(root, doc_ids).items():
        lines[doc] = [(ln.line_no, ln.text, ln.label, ln.reason) for ln in relabelled]
        texts[doc] = body.text_original
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


def stored_events(warehouse: Path) -> dict[str, list[str]]:
    """The documents of each event, from the warehouse's events table."""
    con = duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True)
    try:
        rows = con.execute("select event_id, doc_id from events order by event_id, doc_id").fetchall()
    finally:
        con.close()
    events: dict[str, list[str]] = defaultdict(list)
    for event, doc in rows:
        events[event].append(doc)
    return dict(events)


def stories(planted: Iterable[Pair]) -> dict[str, str]:
    """Each planted document's story: its connected component over the planted pairs (a transitive
    closure, so a chain a~b, b~c is one story), named by its smallest doc_id."""
    parent: dict[str, str] = {}

    def root(doc: str) -> str:
        while parent.setdefault(doc, doc) != doc:
            parent[doc] = parent[parent[doc]]  # path halving keeps chains short
            doc = parent[doc]
        return doc

    for a, b in planted:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {doc: root(doc) for doc in parent}


@dataclass(frozen=True)
class EventScore:
    """Document pairs inside events of 2+ documents, those of one planted story, and the events with
    false pairs (event_id, documents, false pairs), largest first."""

    pairs: int
    true_pairs: int
    worst: list[tuple[str, int, int]]

    @property
    def precision(self) -> float:
        return self.true_pairs / self.pairs if self.pairs else float("nan")


def event_precision(events: Mapping[str, Sequence[str]], planted: Iterable[Pair]) -> EventScore:
    """Within-event precision: every pair of an event's documents is true when the planted pairs
    join them into one story; counted per story, so a large event costs no pair loop."""
    story = stories(planted)
    pairs = true_pairs = 0
    worst: list[tuple[str, int, int]] = []
    for event, docs in events.items():
        n = len(docs)
        if n < 2:
            continue
        together = Counter(story.get(doc, doc) for doc in docs).values()
        event_pairs, event_true = n * (n - 1) // 2, sum(k * (k - 1) // 2 for k in together)
        pairs += event_pairs
        true_pairs += event_true
        if event_true < event_pairs:
            worst.append((event, n, event_pairs - event_true))
    worst.sort(key=lambda w: (-w[1], -w[2], w[0]))
    return EventScore(pairs, true_pairs, worst)


def event_lines(score: EventScore, events: Mapping[str, Sequence[str]], worst: int) -> list[str]:
    """The figure, and the largest events with false pairs: where a false merge costs most."""
    out = [
        f"within-event precision {score.precision:.4f} over {score.pairs:,} document pairs in events "
        f"(target >= {TARGET_EVENT_PRECISION}), events with false pairs: {len(score.worst):,}"
    ]
    for event, n, false in score.worst[:worst]:
        docs = sorted(events[event])
        shown = " ".join(docs[:4]) + (" …" if n > 4 else "")
        out.append(f"  event {event}: {n} documents, {false} false pairs: {shown}")
    return out


def teaser_numbers(record: Mapping[str, object]) -> set[int]:
    """The planted teasers on a document: its boilerplate lines that carry a teaser number."""
    lines = record.get("lines")
    if not isinstance(lines, list):
        return set()
    return {int(str(t["teaser"])) for t in lines if t.get("label") == "boilerplate" and "teaser" in t}


def chrome_only_pairs(
    found: Iterable[Pair], planted: Iterable[Pair], truth: Iterable[Mapping[str, object]]
) -> list[Pair]:
    """Reported pairs that are not planted and whose documents share a teaser line (the same planted
    headline in both, per the truth): pairs made by site chrome rather than by a story."""
    teasers = {str(r["doc_id"]): teaser_numbers(r) for r in truth}
    known = {tuple(sorted(p)) for p in planted}
    return sorted(
        (a, b)
        for a, b in found
        if tuple(sorted((a, b))) not in known and teasers.get(a, set()) & teasers.get(b, set())
    )


def chrome_pair_lines(pairs: list[Pair] | None, worst: int) -> list[str]:
    """The count, and the first pairs to look at (n/a when the truth has no lines to tell teasers by)."""
    head = "chrome-only pairs (unplanted, sharing a teaser line):"
    if pairs is None:
        return [f"{head} n/a (a corpus without line truth)"]
    out = [f"{head} {len(pairs):,} (target {TARGET_CHROME_ONLY_PAIRS})"]
    out += [f"  chrome-only {a} ~ {b}" for a, b in pairs[:worst]]
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
        print(f"corpus {root}, cleaned directly (clean_document, then the corpus step in memory)")
        print("\n".join(report(score_stored(truth, cleaned), args.worst)))
        return 0
    warehouse = args.warehouse
    if warehouse is None:
        warehouse = fresh(WORK / f"wh-accuracy-{root.name}")
        run_zhnews(root / "seeds", warehouse, args.timeout).check()
    truth = read_jsonl(root / "truth.jsonl")
    scores, found = score_lines(truth, warehouse)
    planted = read_jsonl(root / "pairs.jsonl")
    print(f"corpus {root}, warehouse {warehouse}")
    print("\n".join(report(scores, args.worst)))
    print("\n".join(pair_lines(planted, found, args.worst)))
    planted_pairs = [(str(p["doc_a"]), str(p["doc_b"])) for p in planted]
    events = stored_events(warehouse)
    print("\n".join(event_lines(event_precision(events, planted_pairs), events, args.worst)))
    chrome_only = chrome_only_pairs(found, planted_pairs, truth) if truth and "lines" in truth[0] else None
    print("\n".join(chrome_pair_lines(chrome_only, args.worst)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
