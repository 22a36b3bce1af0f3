"""Detection of blocks unrelated to the article (an association profile appended below it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SideSpan:
    """Paragraphs[start:end] form one unrelated block; reason names the evidence and its score."""

    start: int
    end: int
    reason: str


def find_side_blocks(title: str | None, paragraphs: Sequence[str]) -> list[SideSpan]:
    """Stub: nothing is unrelated."""
    del title, paragraphs
    return []
