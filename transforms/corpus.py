"""Corpus-level chrome: lines a page's own rules kept, judged again with counts over the whole corpus.

A short line that many pages carry is site chrome (teaser headlines, subscription notices, partner
portals), unless the pages that carry it are reports of one story, which share their paragraphs too.
The counts come from the corpus (warehouse.corpus); here the verdicts are pure functions of them, so
a page's labels depend on the corpus alone, never on the order in which its files arrived. Rules are
tried in order; the first that fires names the `reason` (rule and evidence, like side-text reasons).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from transforms.clean import strip_edge_chrome
from transforms.model import LabelledLine
from transforms.pinyin import strip_annotations
from transforms.quality import quality_flags
from transforms.repetition import OVERRIDABLE, comparable_lines, line_prints
from transforms.script import to_simplified_lines

# Fewer carriers than this never make a line chrome: two pages sharing a line are as often two
# reports of one story; the teaser headlines sit on 3-10 pages of one site.
MIN_DOCS = 3
# From this many pages up a short line is chrome by frequency alone (cc_net keeps no line seen this
# often); a handful of reports of one story quoting one line stays far below it. Below it the pages'
# relatedness is checked, which costs a join over the carriers' sentences, so it also caps that cost.
FREQUENT_DOCS = 50
# Carriers that share no paragraph sentence with any other carrier of the line: this many make it
# chrome (as many as MIN_DOCS: every carrier of a minimal repeat must be unrelated).
MIN_UNRELATED = 3


@dataclass(frozen=True)
class LineCounts:
    """How a short line is spread over the corpus: pages carrying it, and how many of them share
    nothing else with the others (None when not counted: the line is frequent enough without it)."""

    docs: int
    unrelated: int | None


def common_line(counts: LineCounts) -> str | None:
    """On FREQUENT_DOCS pages or more: chrome whatever the pages are about."""
    return f"common_line:docs>={FREQUENT_DOCS}" if counts.docs >= FREQUENT_DOCS else None


def repeated_unrelated_line(counts: LineCounts) -> str | None:
    """On a few pages that share no paragraph with each other: a site's teaser or notice, not a quote."""
    if counts.docs < MIN_DOCS or counts.unrelated is None or counts.unrelated < MIN_UNRELATED:
        return None
    return f"repeated_unrelated_line:docs={counts.docs},unrelated={counts.unrelated}"


RULES: tuple[Callable[[LineCounts], str | None], ...] = (common_line, repeated_unrelated_line)


def corpus_reason(counts: LineCounts) -> str | None:
    """The first rule that calls the line chrome, with its evidence; None when none does."""
    for rule in RULES:
        reason = rule(counts)
        if reason is not None:
            return reason
    return None


@dataclass(frozen=True)
class PageLine:
    """A stored line: its final label and reason, its fingerprint as the corpus compares it (None
    when it is not short), and what the page's own rules said (when a verdict overrode them)."""

    line: LabelledLine
    fingerprint: int | None = None
    page_label: str | None = None
    page_reason: str | None = None

    @property
    def own(self) -> tuple[str, str]:
        """The label and reason the page's own rules gave."""
        if self.page_label is None or self.page_reason is None:
            return self.line.label, self.line.reason
        return self.page_label, self.page_reason


def page_lines(lines: Sequence[LabelledLine]) -> list[PageLine]:
    """A cleaned page's lines with their fingerprints, ready for the verdicts."""
    prints = line_prints(comparable_lines([ln.text for ln in lines]))
    return [PageLine(ln, fp) for ln, fp in zip(lines, prints, strict=True)]


def relabel(lines: Sequence[PageLine], verdicts: Mapping[int, str]) -> list[PageLine]:
    """Apply the corpus verdicts (fingerprint -> reason) to a page's own labels.

    A page is never emptied by them: when every body line would go, the lines that many pages carry
    are the article itself (a short flash copied by several sites), and the page keeps its labels.
    """
    marked = [
        verdicts.get(pl.fingerprint) if pl.fingerprint is not None and pl.own[0] in OVERRIDABLE else None
        for pl in lines
    ]
    keeps_body = any(m is None and pl.own[0] == "body" for pl, m in zip(lines, marked, strict=True))
    out = []
    for pl, reason in zip(lines, marked, strict=True):
        label, own_reason = pl.own
        if reason is not None and keeps_body:
            line = LabelledLine(pl.line.line_no, pl.line.text, "boilerplate", reason)
            out.append(PageLine(line, pl.fingerprint, label, own_reason))
        else:
            line = LabelledLine(pl.line.line_no, pl.line.text, label, own_reason)  # type: ignore[arg-type]
            out.append(PageLine(line, pl.fingerprint))
    return out


@dataclass(frozen=True)
class Body:
    """The article body rebuilt from labelled lines, as clean_document builds it."""

    text: str
    text_original: str
    flags: list[str]


def body_of(lines: Sequence[LabelledLine]) -> Body:
    """Simplified and original body text and its quality flags, from the stored input lines."""
    originals = [strip_annotations(ln.text)[0].strip() for ln in lines if ln.label == "body"]
    simplified = [strip_edge_chrome(t) for t in to_simplified_lines(originals)]
    kept = [t for t in simplified if t]
    return Body(
        "\n".join(kept),
        "\n".join(t for t in (strip_edge_chrome(o) for o in originals) if t),
        quality_flags(kept),
    )
