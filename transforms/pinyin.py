"""Removal of pinyin glued after characters by a converter, e.g. 網(wǎng) -> 網."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

# A CJK ideograph (basic block, extension A, compatibility) directly followed by a parenthesised
# run of lower-case latin letters with pinyin tone marks: the shape a "add pinyin" converter leaves.
# Upper case is excluded on purpose: (ISO), (UNIDO) are acronyms, never pinyin annotations.
# The match is the parenthesised part only and opens on the bracket (so the regex engine skips
# ahead to brackets instead of trying every character); the ideograph is read by a lookbehind
# (group 1) and stays in the text when the annotation is removed.
_CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_ANNOTATION = re.compile(
    rf"[(（](?<=({_CJK})[(（])"
    r"([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüêńňǹḿɑ\u0304\u0301\u030c\u0300]{1,7})[)）]"
)
# Cheap pre-check: no "(" followed by a latin letter means there is nothing to repair.
_MAYBE_ANNOTATED = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüɑ]")


@lru_cache(maxsize=1)
def reading_table() -> Mapping[int, str]:
    """pypinyin's single-character readings ("líng,yuán,xīng" by code point), loaded on first use.

    `pypinyin.pinyin` would also import its phrase dictionary (0.28 s in every process that imports
    the transforms, the flow's included, against 0.15 s for this table); one character never needs
    it, and its heteronym readings are this table's (all 41,923 characters compared).
    """
    from pypinyin.pinyin_dict import pinyin_dict

    return pinyin_dict


@lru_cache(maxsize=65536)
def readings(char: str) -> frozenset[str]:
    """All tone-marked readings pypinyin knows for one character (cached: a corpus reuses few thousand)."""
    found = reading_table().get(ord(char), "") if len(char) == 1 else ""
    return frozenset(unicodedata.normalize("NFC", r) for r in found.split(",") if r)


def _normalise_reading(text: str) -> str:
    """NFC, and the Latin alpha some fonts use for a: pinyin written either way is the same reading."""
    return unicodedata.normalize("NFC", text).replace("ɑ", "a")


@lru_cache(maxsize=65536)
def is_reading_of(char: str, annotation: str) -> bool:
    """True when the parenthesised latin text is one of the character's pinyin readings."""
    return _normalise_reading(annotation) in readings(char)


def annotation_spans(text: str) -> list[tuple[int, int]]:
    """Where the annotations strip_annotations removes stand in the text (the review site marks them)."""
    if not _MAYBE_ANNOTATED.search(text):
        return []
    return [m.span() for m in _ANNOTATION.finditer(text) if is_reading_of(m.group(1), m.group(2))]


def strip_annotations(text: str) -> tuple[str, int]:
    """Text without 字(pīnyīn) annotations that read that very character, and how many were removed.

    Parentheses that are content stay: (ISO), (上海), (记者 王某), (一), f(x), and latin text that is
    not a reading of the character before it.
    """
    if not _MAYBE_ANNOTATED.search(text):
        return text, 0
    found = set(_ANNOTATION.findall(text))
    if all(is_reading_of(char, annotation) for char, annotation in found):
        # The usual page: every annotation reads its character, so one C-level substitution does.
        return _ANNOTATION.subn("", text)
    count = 0

    def repl(match: re.Match[str]) -> str:
        nonlocal count
        if is_reading_of(match.group(1), match.group(2)):
            count += 1
            return ""
        return match.group(0)

    return _ANNOTATION.sub(repl, text), count
