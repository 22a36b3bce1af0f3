"""Corpus-level line repetition: fingerprints of normalised lines, counted across documents (as cc_net)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

# Only lines up to this length are fingerprinted and may be judged chrome for being common: site chrome
# is short (the longest chrome line in the seeds has 34 characters), while a long line seen in many
# documents is a syndicated paragraph that the overlap step must still see.
COMMON_LINE_MAX_CHARS = 40

# Whitespace, punctuation and symbols are dropped and digits folded, so that "浏览:1412" and
# "浏览：1500" or a breadcrumb with other spacing count as the same line.
_NOISE = re.compile(r"[\s\W_]+")
_DIGITS = re.compile(r"\d+")


def normalise_line(line: str) -> str:
    """The form lines are compared in: no spaces or punctuation, digits as 0, case-folded."""
    return _DIGITS.sub("0", _NOISE.sub("", line)).casefold()


def line_fingerprint(line: str) -> int:
    """A stable signed 64-bit key of a normalised line, so counts survive across runs."""
    key = normalise_line(line)
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def is_fingerprinted(line: str) -> bool:
    """True for the lines that take part in corpus repetition: short and not blank."""
    stripped = line.strip()
    return 0 < len(stripped) <= COMMON_LINE_MAX_CHARS


def document_fingerprints(lines: Iterable[str]) -> set[int]:
    """Distinct fingerprints of one document's short lines (count each document once per line)."""
    return {line_fingerprint(line) for line in lines if is_fingerprinted(line)}
