"""Corpus-level line repetition: fingerprints of normalised lines, counted across documents."""

from __future__ import annotations

import hashlib
import re

_SPACE = re.compile(r"\s+")


def line_fingerprint(line: str) -> int:
    """A stable signed 64-bit key of a whitespace-folded line, so counts survive across runs."""
    key = _SPACE.sub("", line)
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little", signed=True)
