"""Per-document cleaning: label every line, pull metadata, repair pinyin, convert script.

Labels are decided in order of trust: the DOM (HTML chrome blocks), Chinese web-chrome patterns and
meta lines, the shape of the page (title above the meta line, header above the title, captions and
link blocks between paragraphs, footer below the last paragraph, repeats), and last repetition across
the corpus (`common_lines`). Each rule's name is the `reason` stored with the line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from transforms.chrome import chrome_reason, is_subheading_text
from transforms.html import html_to_blocks
from transforms.metadata import MetaFields, is_meta_line, parse_date, parse_meta_line
from transforms.model import CleanDocument, InputFormat, Label, LabelledLine, Metadata, SideBlock
from transforms.pinyin import strip_annotations
from transforms.quality import quality_flags
from transforms.repetition import is_fingerprinted, line_fingerprint, normalise_line
from transforms.script import detect_script, to_simplified
from transforms.shape import is_enumerated, is_paragraph, is_photo_credit
from transforms.sidetext import find_side_blocks

# A title is a heading: the longest title in the seeds has 42 characters; news titles rarely pass 60.
TITLE_MAX_CHARS = 64
# More short lines than this in a row between paragraphs are a block of links, not photo captions:
# seed 004 has three captions in a row (a photo gallery), seed 001's link block has nine lines.
MAX_CAPTION_RUN = 4

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SPACES = re.compile(r"\s+")
# Chrome glued to the ends of a body line: a lone | or ｜ separator left by a link bar.
_BARS = ("|", "｜")
_EDGE_CHROME = re.compile(r"^(?:[|｜]\s*)+|(?:\s*[|｜])+\s*$")
# <title> suffixes: "标题_新闻_某某网", "标题 - 某某网", "标题|某某网".
_TITLE_SUFFIX = re.compile(r"\s*(?:[_|｜]|\s[-–—]\s|——).*$")
_HTML_DATE_KEYS = ("article:published_time", "pubdate", "publishdate", "publish_date", "date", "ptime")
_HTML_AUTHOR_KEYS = ("author", "article:author")
_HTML_SOURCE_KEYS = ("source", "article:source")


@dataclass
class _Line:
    """One input line on its way through the rules."""

    no: int
    raw: str
    original: str
    simplified: str
    key: str = ""
    label: Label | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        """The key is the Simplified line with runs of whitespace folded, as the rules read it."""
        self.key = _SPACES.sub(" ", self.simplified)


@dataclass
class _Meta:
    """Metadata gathered while labelling (mutable while one document is cleaned)."""

    title: str | None = None
    fields: list[MetaFields] = field(default_factory=list)

    def adds_to(self, new: MetaFields) -> bool:
        """True when a meta line says something not said yet (a second source, an editor at the end)."""
        have = self.merged()
        return any(
            getattr(new, name) is not None and getattr(have, name) is None
            for name in ("published_date", "source_outlet", "author", "editor")
        )

    def merged(self) -> MetaFields:
        """The first value of each field over the meta lines, in page order."""

        fs = self.fields
        return MetaFields(
            next((f.published_date for f in fs if f.published_date is not None), None),
            next((f.source_outlet for f in fs if f.source_outlet is not None), None),
            next((f.author for f in fs if f.author is not None), None),
            next((f.editor for f in fs if f.editor is not None), None),
        )


def _split_lines(text: str) -> list[str]:
    """Input lines as an editor numbers them (\\n, \\r\\n or \\r)."""
    return _LINE_BREAK.split(text)


def _convert_lines(lines: Sequence[str]) -> list[str]:
    """Simplified lines in one OpenCC call (conversion never crosses a line break)."""
    if any("\n" in line for line in lines):
        return [to_simplified(line) for line in lines]
    converted = to_simplified("\n".join(lines)).split("\n")
    return converted if len(converted) == len(lines) else [to_simplified(line) for line in lines]


def _strip_edge_chrome(text: str) -> str:
    """A body line without surrounding spaces and a lone trailing or leading | separator."""
    text = text.strip()
    if text[:1] in _BARS or text[-1:] in _BARS:
        return _EDGE_CHROME.sub("", text).strip()
    return text


def html_title(h1: str | None, title_tag: str | None) -> str | None:
    """<h1>, else <title> without the site suffix (标题_新闻_某某网 -> 标题)."""
    if h1 and h1.strip():
        return _SPACES.sub(" ", h1.strip())
    if title_tag and title_tag.strip():
        return _TITLE_SUFFIX.sub("", title_tag.strip()) or None
    return None


def _html_meta(meta: dict[str, str]) -> MetaFields:
    """Date, author and source from <meta> tags, where the page has them."""
    lowered = {k.lower(): v for k, v in meta.items()}

    def pick(keys: tuple[str, ...]) -> str | None:
        return next((lowered[k].strip() for k in keys if lowered.get(k, "").strip()), None)

    date_text = pick(_HTML_DATE_KEYS)
    return MetaFields(
        parse_date(date_text) if date_text else None, pick(_HTML_SOURCE_KEYS), pick(_HTML_AUTHOR_KEYS)
    )


def _set(line: _Line, label: Label, reason: str) -> None:
    """Give a line its label and the name of the rule that decided it."""
    line.label, line.reason = label, reason


def _label_chrome_and_meta(lines: list[_Line]) -> None:
    """Trust 2: meta lines (marked provisionally) and chrome patterns on lines the DOM left open."""
    for line in lines:
        if line.label is not None:
            continue
        key = line.key
        if is_meta_line(key):
            _set(line, "meta", "meta_line")
            continue
        reason = chrome_reason(key)
        if reason is not None:
            _set(line, "boilerplate", reason)


def _first_paragraph(lines: list[_Line]) -> int:
    """Index of the first open line that reads as running text (len(lines) when there is none)."""
    return next((i for i, ln in enumerate(lines) if ln.label is None and is_paragraph(ln.key)), len(lines))


def _is_title_shaped(line: _Line) -> bool:
    """An open short line without closing punctuation that is not a numbered heading."""
    key = line.key
    return (
        line.label is None
        and len(key) <= TITLE_MAX_CHARS
        and not is_paragraph(key)
        and not is_enumerated(key)
        and not is_photo_credit(key)
    )


def _find_title(lines: list[_Line], first_para: int) -> tuple[int, str] | None:
    """The title line and rule: the heading right above the first meta line, else one opening the page."""
    first_meta = next((i for i, ln in enumerate(lines[:first_para]) if ln.label == "meta"), None)
    if first_meta is not None:
        above = [i for i in range(first_meta) if lines[i].label is None]
        if above and _is_title_shaped(lines[above[-1]]):
            return above[-1], "heading_above_meta"
        return None
    opening = next((i for i in range(first_para) if lines[i].label is None), None)
    if opening is not None and first_para < len(lines) and _is_title_shaped(lines[opening]):
        return opening, "opening_heading"
    return None


def _label_head(lines: list[_Line], title_index: int | None, first_para: int) -> None:
    """Above the title: page header; between title and first paragraph: deck lines (subtitles)."""
    if title_index is None:
        return
    for i, line in enumerate(lines[:first_para]):
        if line.label is not None:
            continue
        if i < title_index:
            _set(line, "boilerplate", "page_header")
        elif is_photo_credit(line.key):
            _set(line, "caption", "photo_credit")
        else:
            _set(line, "body", "deck_line")


def _label_meta_lines(lines: list[_Line], meta: _Meta, first_para: int) -> None:
    """Meta lines give fields; below the article start, one that adds nothing is a repeat (chrome)."""
    for i, line in enumerate(lines):
        if line.label != "meta":
            continue
        fields = parse_meta_line(line.key)
        if i > first_para and not meta.adds_to(fields):
            _set(line, "boilerplate", "repeated_meta")
            continue
        meta.fields.append(fields)
        if fields.editor is not None and fields == MetaFields(editor=fields.editor):
            line.reason = "editor_line"


def _label_repeats(lines: list[_Line], title: str | None) -> None:
    """Open short lines that repeat the title, or occur twice on the page, are chrome."""
    title_key = normalise_line(title) if title else None
    short = [ln for ln in lines if ln.label is None and not is_paragraph(ln.key)]
    counts = Counter(normalise_line(ln.key) for ln in short)
    for line in short:
        norm = normalise_line(line.key)
        if title_key and norm == title_key:
            _set(line, "boilerplate", "repeats_title")
        elif norm and counts[norm] > 1:
            _set(line, "boilerplate", "repeated_line")


def _label_common(lines: list[_Line], common_lines: Collection[int]) -> None:
    """Trust 4: an open short line seen in many documents of the corpus is chrome."""
    if not common_lines:
        return
    for line in lines:
        if line.label is None and is_fingerprinted(line.raw) and line_fingerprint(line.raw) in common_lines:
            _set(line, "boilerplate", "common_line")


def _label_runs(lines: list[_Line]) -> None:
    """Trust 3: paragraphs are body; short lines between paragraphs are captions, or a link block
    when many come in a row; short lines after the last paragraph are the page footer."""
    for line in lines:
        if line.label is None and is_enumerated(line.key):
            _set(line, "body", "enumerated_heading")
    paragraph = [ln.label is None and is_paragraph(ln.key) for ln in lines]
    body_like = [p or (ln.label == "body") for p, ln in zip(paragraph, lines, strict=True)]
    last_body = max((i for i, b in enumerate(body_like) if b), default=-1)
    i = 0
    while i < len(lines):
        if body_like[i] or lines[i].label == "meta":
            i += 1
            continue
        j = i
        while j < len(lines) and not body_like[j] and lines[j].label != "meta":
            j += 1
        lead_in = i > 0 and body_like[i - 1] and _is_lead_in(lines[i - 1].key)
        _label_run(lines[i:j], before=any(body_like[:i]), after=j <= last_body, lead_in=lead_in)
        i = j
    for line, is_para in zip(lines, paragraph, strict=True):
        if is_para:
            _set(line, "body", "paragraph")


def _is_lead_in(line: str) -> bool:
    """A line that announces what follows (议程如下：, 一、会议时间): the short lines after it are content."""
    return is_enumerated(line) or line.rstrip().endswith((":", "："))


def _label_run(run: list[_Line], before: bool, after: bool, lead_in: bool) -> None:
    """One run of short lines: captions between paragraphs, a link block when long, else header/footer;
    short lines right after a lead-in (a colon or a numbered heading) are list content."""
    open_lines = [ln for ln in run if ln.label is None]
    if not open_lines:
        return
    if lead_in and before:
        for line in open_lines:
            _set(line, "body", "after_lead_in")
        return
    if before and after:
        if len(run) > MAX_CAPTION_RUN:
            for line in open_lines:
                _set(line, "boilerplate", "link_block")
            return
        for line in open_lines:
            reason = "photo_credit" if is_photo_credit(line.key) else "short_line_between_paragraphs"
            _set(line, "caption", reason)
        return
    reason = "after_last_paragraph" if before else "before_first_paragraph"
    for line in open_lines:
        _set(line, "boilerplate", reason)


def _apply_side_blocks(title: str | None, lines: list[_Line]) -> list[SideBlock]:
    """Side text found among the content lines (body and captions) becomes label `side`."""
    content = [ln for ln in lines if ln.label in ("body", "caption")]
    blocks = []
    for block_no, span in enumerate(find_side_blocks(title, [ln.simplified for ln in content])):
        members = content[span.start : span.end]
        for line in members:
            _set(line, "side", span.reason)
        blocks.append(
            SideBlock(
                block_no,
                "\n".join(_strip_edge_chrome(ln.simplified) for ln in members),
                "\n".join(_strip_edge_chrome(ln.original) for ln in members),
                span.reason,
            )
        )
    return blocks


def _prepare(text: str, input_format: InputFormat) -> tuple[list[_Line], str, int, str | None, MetaFields]:
    """Input lines (blocks for HTML) with pinyin repaired and converted; also script, repairs, HTML title."""
    page_title, page_meta = None, MetaFields()
    if input_format == "html":
        page = html_to_blocks(text)
        raws = [block.text for block in page.blocks]
        page_title, page_meta = html_title(page.h1, page.title_tag), _html_meta(page.meta)
        repaired_all, repairs = strip_annotations("\n".join(raws))
        multi = "\n" in "".join(raws)
        repaired = [strip_annotations(r)[0] for r in raws] if multi else repaired_all.split("\n")
        chrome = [block.chrome_rule for block in page.blocks]
        subheads = [block.emphasised for block in page.blocks]
    else:
        raws = _split_lines(text)
        repaired_all, repairs = strip_annotations(text)
        repaired = _split_lines(repaired_all)
        chrome = [None] * len(raws)
        subheads = [False] * len(raws)
    script = detect_script(repaired_all)
    keep = [i for i, raw in enumerate(raws) if raw.strip()]
    simplified = _convert_lines([repaired[i].strip() for i in keep])
    lines = [
        _Line(i + 1, raws[i], repaired[i].strip(), simp) for i, simp in zip(keep, simplified, strict=True)
    ]
    for line, i in zip(lines, keep, strict=True):
        if chrome[i]:
            _set(line, "boilerplate", str(chrome[i]))
        elif subheads[i] and is_subheading_text(line.key):
            _set(line, "body", "bold_subheading")
    return lines, script, repairs, page_title, page_meta


def _label_html_title(lines: list[_Line], page_title: str | None) -> int | None:
    """The first open block that is the page title (<h1> / <title>) is the title line."""
    if not page_title:
        return None
    key = normalise_line(to_simplified(page_title))
    return next((i for i, ln in enumerate(lines) if ln.label is None and normalise_line(ln.key) == key), None)


def clean_document(
    text: str, input_format: InputFormat, common_lines: Collection[int] = frozenset()
) -> CleanDocument:
    """One decoded page to labelled lines, metadata, Simplified body, side blocks and quality flags."""
    lines, script, repairs, page_title, page_meta = _prepare(text, input_format)
    _label_chrome_and_meta(lines)
    first_para = _first_paragraph(lines)
    html_index = _label_html_title(lines, page_title)
    found = (html_index, "html_title") if html_index is not None else _find_title(lines, first_para)
    title_index = found[0] if found else None
    meta = _Meta()
    if found is not None:
        _set(lines[found[0]], "title", found[1])
        meta.title = lines[found[0]].key
    elif page_title:
        meta.title = to_simplified(page_title)
    _label_head(lines, title_index, first_para)
    _label_meta_lines(lines, meta, first_para)
    _label_repeats(lines, meta.title)
    _label_common(lines, common_lines)
    _label_runs(lines)
    side_blocks = _apply_side_blocks(meta.title, lines)
    body = [ln for ln in lines if ln.label == "body"]
    body_simplified = [_strip_edge_chrome(ln.simplified) for ln in body]
    fields = meta.merged()
    metadata = Metadata(
        title=meta.title,
        published_date=fields.published_date or page_meta.published_date,
        source_outlet=fields.source_outlet or page_meta.source_outlet,
        author=fields.author or page_meta.author,
        editor=fields.editor,
    )
    return CleanDocument(
        script=script,  # type: ignore[arg-type]
        metadata=metadata,
        lines=[LabelledLine(ln.no, ln.raw, ln.label or "body", ln.reason or "paragraph") for ln in lines],
        text="\n".join(t for t in body_simplified if t),
        text_original="\n".join(t for t in (_strip_edge_chrome(ln.original) for ln in body) if t),
        pinyin_repairs=repairs,
        flags=quality_flags([t for t in body_simplified if t]),
        side_blocks=side_blocks,
    )
