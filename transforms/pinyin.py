"""Removal of pinyin glued after characters by a converter, e.g. 網(wǎng) -> 網."""

from __future__ import annotations


def strip_annotations(text: str) -> tuple[str, int]:
    """Stub: text unchanged, no repairs."""
    return text, 0
