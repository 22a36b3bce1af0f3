"""Script detection and Traditional-to-Simplified conversion (OpenCC, phrase level)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import opencc

from transforms.model import Script

# A document is called traditional (or simplified) when at most this share of its script-specific
# characters belongs to the other script. Single characters are ambiguous at the edges (后 is both the
# Simplified of 後 and a Traditional word for "empress"; 干, 里, 只 alike), so a pure page still shows a
# few percent of "wrong" characters (seeds 000, 002, 003 show 1.4% to 2.4%, and a short sentence with
# two 后 reaches 15%); a real mix of the scripts has long stretches of each, far above a fifth.
MINORITY_SHARE_MAX = 0.2

# The CJK ranges scanned to build the script-specific character sets (basic block and extension A).
_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF))
# Script tables cover the Basic Multilingual Plane; rarer planes are script-neutral here.
_BMP = 0x10000
# Every code point (a str never holds more), and the classes of the script table.
_UNICODE = 0x110000
_TRADITIONAL_ONLY = 1
_SIMPLIFIED_ONLY = 2
_CLASSES = 3


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    """One converter per process: building it loads the dictionaries (milliseconds each time)."""
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    """The reverse converter, only used once to find characters that exist only in Simplified."""
    return opencc.OpenCC("s2t")


def to_simplified(text: str) -> str:
    """Traditional to Simplified with OpenCC's phrase-level t2s dictionaries.

    Plain t2s, not tw2s/hk2s: the corpus is mainland news whose Traditional pages are machine
    conversions with OpenCC-standard characters, and regional variants (裡, 著) are in t2s already.
    """
    return str(_t2s().convert(text))


def to_simplified_lines(lines: Sequence[str]) -> list[str]:
    """Each line in Simplified script, in one OpenCC call (conversion never crosses a line break);
    a line that holds a break of its own (an HTML block) is converted alone."""
    if not lines:
        return []
    if any("\n" in line for line in lines):
        return [to_simplified(line) for line in lines]
    converted = to_simplified("\n".join(lines)).split("\n")
    return converted if len(converted) == len(lines) else [to_simplified(line) for line in lines]


@lru_cache(maxsize=1)
def _script_tables() -> tuple[np.ndarray, np.ndarray]:
    """Boolean tables over the BMP: Traditional-only and Simplified-only characters, from OpenCC itself."""
    chars = [chr(c) for lo, hi in _CJK_RANGES for c in range(lo, hi + 1)]
    joined = "\n".join(chars)
    simp = str(_t2s().convert(joined)).split("\n")
    trad = str(_s2t().convert(joined)).split("\n")
    trad_only = np.zeros(_BMP, dtype=bool)
    simp_only = np.zeros(_BMP, dtype=bool)
    for c, s, t in zip(chars, simp, trad, strict=True):
        if s != c:
            trad_only[ord(c)] = True
        elif t != c:
            simp_only[ord(c)] = True
    return trad_only, simp_only


@lru_cache(maxsize=1)
def _script_classes() -> np.ndarray:
    """One table over every code point: 0 neutral, 1 Traditional-only, 2 Simplified-only (above the
    BMP: neutral), so a text is classified with one gather and one bincount, without a mask."""
    trad_only, simp_only = _script_tables()
    classes = np.zeros(_UNICODE, dtype=np.uint8)
    classes[:_BMP][trad_only] = _TRADITIONAL_ONLY
    classes[:_BMP][simp_only] = _SIMPLIFIED_ONLY
    return classes


def script_counts(text: str) -> tuple[int, int]:
    """How many characters only Traditional writes, and how many only Simplified writes."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    counts = np.bincount(_script_classes()[codes], minlength=_CLASSES)
    return int(counts[_TRADITIONAL_ONLY]), int(counts[_SIMPLIFIED_ONLY])


def detect_script(text: str) -> Script:
    """Traditional, simplified or mixed by the share of script-specific characters; neutral is simplified."""
    trad, simp = script_counts(text)
    total = trad + simp
    if total == 0 or trad <= total * MINORITY_SHARE_MAX:
        return "simplified"
    if simp <= total * MINORITY_SHARE_MAX:
        return "traditional"
    return "mixed"
