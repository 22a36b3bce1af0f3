"""Body-text extraction quality and speed: zhnews vs trafilatura, readability-lxml and resiliparse.

Run: .venv/bin/python -m benchmarks.html_extraction

Quality is character-level F1 (multiset of non-space characters, and of character bigrams, which
also punishes text in the wrong place) against hand-made reference bodies in
benchmarks/data/html_gold/ (article paragraphs only, no captions, bylines or editor lines), plus
the with/without segments of trafilatura's own evaluation set (gold.json). "blocks" is the DOM
stage alone (blocks without chrome_rule); "pipeline" is the whole cleaner, clean_document(...).text,
the body the warehouse stores. Every text and every gold body is compared in Simplified script.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import lxml.html
import trafilatura
from readability import Document
from resiliparse.extract.html2text import extract_plain_text

from benchmarks.devpages import DEV_PAGES
from benchmarks.gold import GOLD_DIR, GOLD_SUFFIX, load_gold
from transforms.clean import clean_document
from transforms.decode import Decoded, decode_bytes
from transforms.html import html_to_blocks
from transforms.script import to_simplified

ROOT = Path(__file__).resolve().parent
PAGES_DIR = DEV_PAGES
PAGE_FOLDERS = ("trafilatura-eval", "gne")
SEGMENTS_FILE = PAGES_DIR / "trafilatura-eval" / "gold.json"
SPACE_RE = re.compile(r"\s+")
BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article")
# The target: zhnews's mean body F1 at least this far above the best peer's.
MARGIN_TARGET = 0.03
# Timing: repeat each extractor over every page this many times and keep the best run.
TIMING_ROUNDS = 3

Extractor = Callable[[str], str]


def decode(raw: bytes) -> str:
    """The page as the pipeline decodes it (the peers get the same text)."""
    decoded = decode_bytes(raw)
    if isinstance(decoded, Decoded):
        return decoded.text
    return raw.decode("utf-8", "replace")


def ours(html: str) -> str:
    """Our body: the blocks with no DOM chrome rule."""
    return "\n".join(block.text for block in html_to_blocks(html).blocks if block.chrome_rule is None)


def pipeline(html: str) -> str:
    """The full cleaner's title and body (DOM rules, line labels, side text removed), in Simplified."""
    document = clean_document(html, "html")
    return with_title(document.metadata.title, document.text)


def with_title(title: str | None, body: str) -> str:
    """A peer's headline before its body, as the gold and our body carry it (not twice)."""
    if not title or SPACE_RE.sub("", title) in SPACE_RE.sub("", body):
        return body
    return f"{title}\n{body}"


def theirs(html: str) -> str:
    """trafilatura's body with its defaults (no comments), after its own title."""
    found = trafilatura.bare_extraction(html, include_comments=False, with_metadata=True)
    if found is None:
        return ""
    title, text = (
        (found.get("title"), found.get("text")) if isinstance(found, dict) else (found.title, found.text)
    )
    return with_title(title, text or "")


def fragment_text(fragment: str) -> str:
    """Text of an HTML fragment, one line per block element."""
    root = lxml.html.fromstring(fragment)
    for element in root.iter(*BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
    return str(root.text_content())


def readability_lxml(html: str) -> str:
    """readability-lxml (Mozilla Readability's algorithm): its summary's text after its short title."""
    document = Document(html)
    return with_title(document.short_title(), fragment_text(document.summary(html_partial=True)))


def resiliparse(html: str) -> str:
    """resiliparse's main-content text (its headline is part of the text it keeps)."""
    return str(extract_plain_text(html, main_content=True, alt_texts=False))


EXTRACTORS: dict[str, Extractor] = {
    "pipeline": pipeline,
    "blocks": ours,
    "trafilatura": theirs,
    "readability": readability_lxml,
    "resiliparse": resiliparse,
}
PEERS = ("trafilatura", "readability", "resiliparse")


def char_counts(text: str, n: int) -> Counter[str]:
    """Multiset of character n-grams of the text with whitespace removed."""
    flat = SPACE_RE.sub("", text)
    return Counter(flat[i : i + n] for i in range(len(flat) - n + 1))


def f1(predicted: str, gold: str, n: int) -> tuple[float, float, float]:
    """Precision, recall, F1 over character n-gram multisets."""
    pred, ref = char_counts(to_simplified(predicted), n), char_counts(to_simplified(gold), n)
    overlap = sum((pred & ref).values())
    precision = overlap / max(sum(pred.values()), 1)
    recall = overlap / max(sum(ref.values()), 1)
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, score


def page_path(stem: str) -> Path:
    """The dev page a gold file names."""
    for folder in PAGE_FOLDERS:
        candidate = PAGES_DIR / folder / f"{stem}.html"
        if candidate.exists():
            return candidate
    raise FileNotFoundError(stem)


def gold_bodies() -> dict[str, str]:
    """Every gold body, by page stem, rebuilt from its page (pages judged to have no article left out)."""
    bodies = {}
    for path in sorted(GOLD_DIR.glob(f"*{GOLD_SUFFIX}")):
        body = load_gold(path.stem, page_path(path.stem).read_bytes())
        if body:
            bodies[path.stem] = body
    return bodies


def quality_table(pages: dict[str, str], golds: dict[str, str]) -> dict[str, list[float]]:
    """Print per-page P/R/F1 for each extractor; return the F1 lists."""
    scores: dict[str, list[float]] = {name: [] for name in EXTRACTORS}
    print(
        f"{'page':<36}",
        *(f"{name + ' P/R/F1':>22}" for name in EXTRACTORS),
        *(f"{name[:5] + ' bi-F1':>11}" for name in EXTRACTORS),
    )
    for stem, gold in golds.items():
        row = [f"{stem[:36]:<36}"]
        bigram = []
        for name, extract in EXTRACTORS.items():
            text = extract(pages[stem])
            p, r, score = f1(text, gold, 1)
            scores[name].append(score)
            scores[name + "_bigram"] = [*scores.get(name + "_bigram", []), f1(text, gold, 2)[2]]
            bigram.append(scores[name + "_bigram"][-1])
            row.append(f"{p:6.3f} {r:6.3f} {score:6.3f}  ")
        row.extend(f"{value:11.3f}" for value in bigram)
        print(" ".join(row))
    return scores


def segment_table(pages: dict[str, str]) -> None:
    """trafilatura's own with/without segment checks on its four Chinese pages."""
    gold = json.loads(SEGMENTS_FILE.read_text(encoding="utf-8"))
    totals = {name: [0, 0, 0, 0] for name in EXTRACTORS}
    for file_name, expected in gold.items():
        html = pages.get(Path(file_name).stem) or decode((SEGMENTS_FILE.parent / file_name).read_bytes())
        for name, extract in EXTRACTORS.items():
            flat = SPACE_RE.sub("", extract(html))
            found = sum(SPACE_RE.sub("", s) in flat for s in expected["with"])
            leaked = sum(SPACE_RE.sub("", s) in flat for s in expected["without"])
            totals[name][0] += found
            totals[name][1] += len(expected["with"])
            totals[name][2] += len(expected["without"]) - leaked
            totals[name][3] += len(expected["without"])
    print("\ntrafilatura-eval segments (4 pages): 'with' found, 'without' kept out")
    for name, (found, n_with, kept_out, n_without) in totals.items():
        print(f"  {name:<12} with {found}/{n_with}   without {kept_out}/{n_without}")


def throughput(pages: list[str]) -> dict[str, float]:
    """Best-of-N pages/s per extractor over the same pages."""
    size_mb = sum(len(page.encode("utf-8")) for page in pages) / 1e6
    rates: dict[str, float] = {}
    print(f"\nthroughput over {len(pages)} pages, {size_mb:.1f} MB (best of {TIMING_ROUNDS})")
    for name, extract in EXTRACTORS.items():
        best = float("inf")
        for _ in range(TIMING_ROUNDS):
            start = time.perf_counter()
            for page in pages:
                extract(page)
            best = min(best, time.perf_counter() - start)
        rates[name] = len(pages) / best
        print(f"  {name:<12} {len(pages) / best:7.1f} pages/s  {size_mb / best:6.2f} MB/s")
    for peer in PEERS:
        print(f"  ratio pipeline/{peer}: {rates['pipeline'] / rates[peer]:.2f}x")
    return rates


def main() -> int:
    """Print quality and throughput tables."""
    if not PAGES_DIR.exists():
        print(f"dev pages not found at {PAGES_DIR}", file=sys.stderr)
        return 1
    golds = gold_bodies()
    pages = {stem: decode(page_path(stem).read_bytes()) for stem in golds}
    print(f"{len(golds)} pages with a gold body")
    scores = quality_table(pages, golds)
    for name in EXTRACTORS:
        mean = sum(scores[name]) / len(scores[name])
        mean_bi = sum(scores[name + "_bigram"]) / len(scores[name + "_bigram"])
        print(f"mean F1 {name:<12} chars {mean:.3f}  bigrams {mean_bi:.3f}")
    means = {name: sum(scores[name]) / len(scores[name]) for name in EXTRACTORS}
    best_peer = max(PEERS, key=lambda name: means[name])
    margin = means["pipeline"] - means[best_peer]
    print(f"pipeline - best peer ({best_peer}), mean char F1: {margin:+.3f} (target >= +{MARGIN_TARGET})")
    segment_table(pages)
    every_page = [
        decode(path.read_bytes())
        for folder in PAGE_FOLDERS
        for path in sorted((PAGES_DIR / folder).glob("*.html"))
    ]
    throughput(every_page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
