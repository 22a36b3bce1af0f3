"""Script detection and Traditional-to-Simplified conversion (OpenCC, phrase level)."""

from __future__ import annotations

from functools import lru_cache

import opencc

from transforms.model import Script


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    """One converter per process: building it loads the dictionaries (milliseconds each time)."""
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional to Simplified with OpenCC's phrase-level t2s dictionaries."""
    return str(_t2s().convert(text))


def detect_script(text: str) -> Script:
    """Stub: traditional when conversion changes the text, else simplified."""
    return "traditional" if to_simplified(text) != text else "simplified"
