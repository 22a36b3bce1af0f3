"""Corpus-level line repetition: fingerprints of normalised lines, counted across documents (as cc_net).

Two kinds of fingerprint per document: its short lines, which may be chrome when many pages carry
them, and the sentences of its paragraphs, the evidence that pages carrying one line are reports of
one story (they share paragraph text too) rather than pages of one site.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from transforms.model import LabelledLine
from transforms.pinyin import strip_annotations
from transforms.script import to_simplified_lines

# Only lines up to this length are fingerprinted and may be judged chrome for being common: site
# chrome is short (teaser headlines are headlines: news titles stay under 64 characters, the title
# limit of the line labeller), while a longer line seen in many documents is a syndicated paragraph
# that the overlap step must still see.
COMMON_LINE_MAX_CHARS = 64
# Paragraph sentences shorter than this (normalised) say little about a story: 15 characters is a
# clause with a subject and a verb; shorter ones are stock phrases (据了解，…).
EVIDENCE_MIN_CHARS = 15
KIND_LINE = 0  # a short line of any label: a chrome candidate
KIND_SENTENCE = 1  # a sentence of a longer body line: evidence of what the page is about
# Labels a corpus verdict may override: what the page alone kept as article text.
OVERRIDABLE = frozenset({"body", "caption"})

# Whitespace, punctuation and symbols are dropped and digits folded, so that "浏览:1412" and
# "浏览：1500" or a breadcrumb with other spacing count as the same line.
_NOISE = re.compile(r"[\s\W_]+")
_DIGITS = re.compile(r"\d+")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")


def normalise_line(line: str) -> str:
    """The form lines are compared in: no spaces or punctuation, digits as 0, case-folded."""
    return _DIGITS.sub("0", _NOISE.sub("", line)).casefold()


def _key_fingerprint(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def line_fingerprint(line: str) -> int:
    """A stable signed 64-bit key of a normalised line, so counts survive across runs."""
    return _key_fingerprint(normalise_line(line))


def comparable_lines(texts: Sequence[str]) -> list[str]:
    """Lines as the corpus compares them: pinyin annotations removed, in Simplified script, so that a
    site's teaser on a Traditional page and on a Simplified one count as one line."""
    return to_simplified_lines([strip_annotations(t)[0] for t in texts])


def is_fingerprinted(line: str) -> bool:
    """True for the lines that take part in corpus repetition: short, with a word or a number in it
    (lines of symbols alone, emoji or icon glyphs, would all count as one line: their key is empty)."""
    return _is_short(line) and bool(normalise_line(line))


def _is_short(line: str) -> bool:
    return 0 < len(line.strip()) <= COMMON_LINE_MAX_CHARS


def document_fingerprints(lines: Iterable[str]) -> set[int]:
    """Distinct fingerprints of one document's short lines (count each document once per line)."""
    keys = (normalise_line(line) for line in lines if _is_short(line))
    return {_key_fingerprint(key) for key in keys if key}


def evidence_fingerprints(lines: Sequence[LabelledLine], texts: Sequence[str]) -> set[int]:
    """Distinct fingerprints of the sentences of a document's longer body lines (its own story);
    texts are the lines' comparable forms."""
    out = set()
    for line, text in zip(lines, texts, strict=True):
        if line.label != "body" or len(text.strip()) <= COMMON_LINE_MAX_CHARS:
            continue
        for sentence in _SENTENCE_END.split(text):
            key = normalise_line(sentence)
            if len(key) >= EVIDENCE_MIN_CHARS:
                out.add(_key_fingerprint(key))
    return out


@dataclass(frozen=True)
class Fingerprints:
    """A document's rows of line_fingerprints (short lines first, then paragraph sentences, each
    sorted) and each input line's own fingerprint (None where it is not short).

    overridable: per row, whether the page kept a line with that fingerprint as text, so that a
    verdict on it changes the page (only such rows are compared with the verdicts).
    """

    values: list[int]
    kinds: list[int]
    overridable: list[bool]
    per_line: list[int | None]


def line_prints(texts: Sequence[str]) -> list[int | None]:
    """Each comparable line's fingerprint, None where the line is not short enough to be chrome."""
    return [_key_fingerprint(normalise_line(t)) if is_fingerprinted(t) else None for t in texts]


def fingerprint_rows(lines: Sequence[LabelledLine]) -> Fingerprints:
    """Fingerprints of a document's short lines and of its paragraph sentences."""
    texts = comparable_lines([ln.text for ln in lines])
    per_line = line_prints(texts)
    kept = {fp for fp, ln in zip(per_line, lines, strict=True) if fp is not None and ln.label in OVERRIDABLE}
    short = sorted({fp for fp in per_line if fp is not None})
    sentences = sorted(evidence_fingerprints(lines, texts))
    return Fingerprints(
        short + sentences,
        [KIND_LINE] * len(short) + [KIND_SENTENCE] * len(sentences),
        [fp in kept for fp in short] + [False] * len(sentences),
        per_line,
    )
