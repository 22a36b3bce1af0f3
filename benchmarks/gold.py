"""Gold bodies kept as anchors into a dev page's visible text, so no third-party text ships in the repo.

An anchor file (benchmarks/data/html_gold/<stem>.anchors) has one line per gold paragraph, in page
order: `START<TAB>END` for the span from START to the first END after it, or the paragraph verbatim.
Each paragraph is searched at or after the end of the previous one; `#` lines and empty lines are
ignored. The body is rebuilt from the page at benchmark time (see the gold spec for how to write one).
"""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
from lxml import etree

GOLD_DIR = Path(__file__).resolve().parent / "data" / "html_gold"
GOLD_SUFFIX = ".anchors"
SPACE_RE = re.compile(r"\s+")
# Browsers render text after a stray </body> or </html> (a gov.cn page has one after its header
# include); libxml2 stops there. transforms.html drops them the same way.
CLOSING_DOCUMENT_TAG_RE = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)
# Elements whose text a reader never sees.
INVISIBLE_TAGS = ("script", "style", "noscript", "template")


class GoldError(ValueError):
    """An anchor file that does not resolve against its page: the benchmark refuses it, never guesses."""


def decode_page(raw: bytes) -> str:
    """UTF-8 when it decodes, else GB18030 (the dev pages are one or the other)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", "replace")


def flat_text(raw: bytes) -> str:
    """The page's visible text with every whitespace removed: what anchors are searched in."""
    root = lxml.html.fromstring(CLOSING_DOCUMENT_TAG_RE.sub("", decode_page(raw)))
    hidden = [*root.iter(*INVISIBLE_TAGS), *root.iter(etree.Comment)]
    for element in hidden:
        if element.getparent() is not None:  # the root itself, or inside a subtree already dropped
            element.drop_tree()
    return SPACE_RE.sub("", root.text_content())


def _find(flat: str, needle: str, start: int, line_no: int, what: str) -> int:
    """Offset of the first occurrence of needle at or after start; a missing anchor is a GoldError."""
    if not needle:
        raise GoldError(f"line {line_no}: empty {what}")
    found = flat.find(needle, start)
    if found < 0:
        raise GoldError(f"line {line_no}: {what} {needle!r} not found at or after offset {start}")
    return found


def _span(line: str, flat: str, cursor: int, line_no: int) -> tuple[int, int]:
    """Start and end offsets of one anchor line's paragraph, searched from the cursor."""
    if "\t" not in line:
        text = SPACE_RE.sub("", line)
        begin = _find(flat, text, cursor, line_no, "paragraph")
        return begin, begin + len(text)
    parts = line.split("\t")
    if len(parts) != 2:
        raise GoldError(f"line {line_no}: expected START<TAB>END, got {len(parts)} fields")
    start, end = (SPACE_RE.sub("", part) for part in parts)
    begin = _find(flat, start, cursor, line_no, "START")
    stop = _find(flat, end, begin + len(start), line_no, "END")
    return begin, stop + len(end)


def resolve(anchors: str, flat: str) -> list[str]:
    """The gold paragraphs an anchor file names in the flat text, in order (a cursor keeps them apart)."""
    paragraphs: list[str] = []
    cursor = 0
    for line_no, line in enumerate(anchors.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        begin, cursor = _span(line, flat, cursor, line_no)
        paragraphs.append(flat[begin:cursor])
    return paragraphs


def gold_path(stem: str, gold_dir: Path = GOLD_DIR) -> Path:
    """Where the anchor file of a dev page lives."""
    return gold_dir / f"{stem}{GOLD_SUFFIX}"


def load_gold(stem: str, page_bytes: bytes, gold_dir: Path = GOLD_DIR) -> str:
    """The gold body of a dev page, one paragraph a line, rebuilt from the page itself."""
    path = gold_path(stem, gold_dir)
    try:
        paragraphs = resolve(path.read_text(encoding="utf-8"), flat_text(page_bytes))
    except GoldError as error:
        raise GoldError(f"{path.name}: {error}") from error
    return "\n".join(paragraphs)
