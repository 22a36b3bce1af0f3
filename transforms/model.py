"""Plain data records passed between the pure transforms and the flow (no behaviour here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

Label = Literal["title", "meta", "body", "caption", "boilerplate", "side"]
Script = Literal["traditional", "simplified", "mixed"]
InputFormat = Literal["text", "html"]


@dataclass(frozen=True)
class LabelledLine:
    """One input line (or HTML block) with the label and the name of the rule that decided it."""

    line_no: int
    text: str
    label: Label
    reason: str


@dataclass(frozen=True)
class Metadata:
    """Article metadata pulled out of title and meta lines; None where the page does not say."""

    title: str | None = None
    published_date: dt.date | None = None
    source_outlet: str | None = None
    author: str | None = None
    editor: str | None = None
    # where each value came from: "title=html_title,published_date=meta_line,author=html_meta"
    source: str = ""


@dataclass(frozen=True)
class SideBlock:
    """A contiguous block of text unrelated to the article, kept apart from the body."""

    block_no: int
    text: str
    text_original: str
    reason: str


@dataclass(frozen=True)
class CleanDocument:
    """What the per-document transforms make of one decoded page."""

    script: Script
    metadata: Metadata
    lines: list[LabelledLine]
    text: str
    text_original: str
    pinyin_repairs: int
    flags: list[str] = field(default_factory=list)
    side_blocks: list[SideBlock] = field(default_factory=list)
