"""Per-document cleaning: label every line, pull metadata, repair pinyin, convert script.

Labels are decided in order of trust: the DOM (HTML chrome blocks), Chinese web-chrome patterns and
meta lines, the shape of the page (title above the meta line, header above the title, captions and
link blocks between paragraphs, footer below the last paragraph, repeats). Repetition across the corpus
is judged later, over the whole corpus (transforms.corpus). Each rule's name is the `reason` stored
with the line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TypeVar

from transforms.chrome import chrome_reason, is_subheading_text
from transforms.html import html_to_blocks
from transforms.metadata import (
    MetaFields,
    author_fields,
    is_date_line,
    is_keyed_date_line,
    is_meta_line,
    parse_date,
    parse_meta_line,
)
from transforms.model import CleanDocument, InputFormat, Label, LabelledLine, Metadata, SideBlock
from transforms.names import EDITOR_RULES, valid_name
from transforms.pinyin import strip_annotations
from transforms.quality import quality_flags
from transforms.repetition import normalise_line
from transforms.script import detect_script, to_simplified_lines
from transforms.shape import ends_sentence, is_enumerated, is_paragraph, is_photo_credit, is_sentence_caption
from transforms.sidetext import find_side_blocks

# A title is a heading: the longest title in the seeds has 42 characters; news titles rarely pass 60.
TITLE_MAX_CHARS = 64
# More short lines than this in a row between paragraphs are a block of links, not photo captions:
# seed 004 has three captions in a row (a photo gallery), seed 001's link block has nine lines.
MAX_CAPTION_RUN = 4
# The article's head: the lines from its headline to its first paragraph, at most this many (the
# DOM side's MAX_HEADLINE_GAP_BLOCKS: a headline further than that from the text is not its own).
HEAD_MAX_LINES = 15
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Blocks whose lines are the text itself, repeated or not (code listings in a tutorial).
PREFORMATTED_TAGS = frozenset({"pre", "code", "listing", "plaintext"})

# A line naming the article's attachment (附件：名单.xlsx, 附件1：…, 附件下载：…): part of the notice it
# closes, though it sits after the last paragraph where the page footer is.
_ATTACHMENT = re.compile(r"^附件\s*\d*\s*(?:下载)?\s*[:：]\s*\S")
_T = TypeVar("_T")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SPACES = re.compile(r"\s+")
# Chrome glued to the ends of a body line: a lone | or ｜ separator left by a link bar.
_BARS = ("|", "｜")
# A line ending in a clause comma continues on the next line: it is text, never a link or headline.
_CLAUSE_ENDS = ("，", ",", "、")
_EDGE_CHROME = re.compile(r"^(?:[|｜]\s*)+|(?:\s*[|｜])+\s*$")
# A headline broken over lines: two or three blocks on the dev pages (a long resolution title); more
# than this many blocks in a row that spell the title are a coincidence of short words.
MAX_TITLE_BLOCKS = 4
# A headline inside <title> is at least this long: shorter parts are site or channel names (新华网,
# 新闻动态) that <title>s carry around the headline (the same cut-off as html.MIN_HEADLINE_CHARS).
MIN_HEADLINE_CHARS = 6
# A <title> opens with its headline unless a later part is more than this many times longer than the
# first (明日股市预测--<32-character headline>); site names on the dev pages are at most as long as the
# headline they follow (蔡健雅_百度百科).
HEADLINE_PART_RATIO = 2
# Separators between the headline and the site/channel names in a <title>: "标题_新闻_某某网",
# "标题 - 某某网", "标题-某某网", "栏目--标题", "标题|某某网", "标题｜某某网", "标题——某某网". A dash between
# digits is a range (1-10月), not a separator.
_TITLE_SEPARATOR = re.compile(r"\s*(?:_+|[|｜]|\s[-–—]+\s|-{2,}|—{2,}|(?<!\d)[-–—](?!\d))\s*")
# Characters that may stand right beside the headline inside a <title>: separators, a space, brackets.
_TITLE_EDGES = frozenset("-–—_|｜ ·•]】)）>›»")
# Publication date keys first; a page that gives only its last update (an encyclopedia entry) is
# dated by it. apub:time: Tencent news pages (qq.com).
_HTML_DATE_KEYS = (
    "article:published_time",
    "apub:time",
    "pubdate",
    "publishdate",
    "publish_date",
    "datepublished",
    "firstpublishedtime",
    "date",
    "ptime",
    "time_element",
    "wechat:ct",
    "datemodified",
    "dateupdate",
)
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
    # From the page's markup (None for plain text): in the article's container, right after an image.
    in_main: bool | None = None
    after_media: bool = False
    heading: bool = False  # an <h1>-<h6> block

    def __post_init__(self) -> None:
        """The key is the Simplified line as the body prints it (no lone | at its ends), runs of
        whitespace folded: the rules judge the text a reader sees, so a body cleaned again keeps it
        (a 19-character line with a trailing | was a paragraph at 20, and boilerplate once printed)."""
        self.key = _SPACES.sub(" ", strip_edge_chrome(self.simplified))


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
    if "\r" not in text:
        return text.split("\n")  # the common case, without a regex scan
    return _LINE_BREAK.split(text)


def strip_edge_chrome(text: str) -> str:
    """A body line without surrounding spaces and a lone trailing or leading | separator."""
    text = text.strip()
    if text[:1] in _BARS or text[-1:] in _BARS:
        return _EDGE_CHROME.sub("", text).strip()
    return text


def title_tag_headline(title_tag: str) -> str | None:
    """The headline part of a <title>: the first part (标题_新闻_某某网, 蔡健雅_百度百科), or a much longer
    later one when the site or channel comes first (栏目--标题)."""
    parts = [p for p in _TITLE_SEPARATOR.split(_SPACES.sub(" ", title_tag.strip())) if p]
    if not parts:
        return None
    longest = max(parts, key=len)
    return longest if len(longest) > HEADLINE_PART_RATIO * len(parts[0]) else parts[0]


def _h1_is_headline(h1: str, title_tag: str | None) -> bool:
    """An <h1> is the headline when the <title> repeats it (or there is no <title>); otherwise it is
    the site's logo or name (山西省人民政府网站)."""
    if not title_tag:
        return True
    headline = title_tag_headline(title_tag)
    return h1 in title_tag or (headline is not None and headline in h1)


def html_title(h1: str | None, title_tag: str | None, og_title: str | None = None) -> str | None:
    """<h1> when the <title> confirms it, else the <title>'s headline part, else og:title."""
    h1 = _SPACES.sub(" ", h1.strip()) if h1 else None
    if h1 and _h1_is_headline(h1, title_tag):
        return h1
    headline = title_tag_headline(title_tag) if title_tag else None
    return headline or (og_title.strip() if og_title and og_title.strip() else None) or h1


def _at_edges(text: str, start: int, end: int) -> bool:
    """True when text[start:end] is delimited in text by its ends, separators, spaces or brackets."""
    return (start == 0 or text[start - 1] in _TITLE_EDGES) and (end == len(text) or text[end] in _TITLE_EDGES)


def is_title_tag_part(key: str, title_tag: str) -> bool:
    """A block that stands in the <title> as one whole part (标题 in 栏目--标题-某某网)."""
    start = title_tag.find(key)
    while start >= 0:
        if _at_edges(title_tag, start, start + len(key)):
            return True
        start = title_tag.find(key, start + 1)
    return False


def _html_meta(meta: dict[str, str]) -> MetaFields:
    """Date, author and source from <meta> tags, where the page has them."""
    lowered = {k.lower(): v for k, v in meta.items()}

    def pick(keys: tuple[str, ...]) -> str | None:
        return next((lowered[k].strip() for k in keys if lowered.get(k, "").strip()), None)

    date_text = pick(_HTML_DATE_KEYS)
    author_text = pick(_HTML_AUTHOR_KEYS)
    by = author_fields(author_text) if author_text else MetaFields()
    source = pick(_HTML_SOURCE_KEYS)
    return MetaFields(
        parse_date(date_text) if date_text else None,
        _clean_source(source) if source else by.source_outlet,
        by.author,
    )


def _clean_source(value: str) -> str | None:
    """A <meta name=source> value without its own key and trailing note (来源：人民网 原创稿 -> 人民网)."""
    fields = parse_meta_line(value) if is_meta_line(value) else MetaFields()
    return fields.source_outlet or value


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


def _text_title(
    lines: list[_Line], found: tuple[int, str] | None, headline: str | None
) -> tuple[str | None, str]:
    """The title and its rule where no line is the markup's headline: a heading element opening the
    text, else the markup's headline, else the line the text rules found."""
    if found is not None and found[1] == "heading_opening_text":
        return lines[found[0]].key, found[1]
    if headline:
        return headline, "html_headline"
    if found is not None:
        return lines[found[0]].key, found[1]
    return None, ""


def _heading_opening_text(lines: list[_Line], first_para: int) -> tuple[int, str] | None:
    """A heading element (<h1>-<h6>) that opens the text, where the markup's headline (a section
    name in <title>: 新闻动态--中国地理学会官网) is on no line: the article's own headline, even when
    it ends like a sentence (…成功举行！)."""
    if first_para >= len(lines):
        return None
    line = lines[first_para]
    if line.heading and line.label is None and len(line.key) <= TITLE_MAX_CHARS:
        return first_para, "heading_opening_text"
    return None


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


# A deck line says something: a line of digits and marks under the title is a counter or a card's
# figure (a forum poster's 12 / 340 / 1052, a comment count), never a subtitle.
_LETTER = re.compile(r"[^\W\d_]")


def _label_head(lines: list[_Line], title_index: int | None, first_para: int) -> None:
    """Above the title: page header; between title and first paragraph: deck lines (subtitles); a
    copy of the title is left for `_label_repeats`."""
    if title_index is None:
        return
    title_key = normalise_line(lines[title_index].key)
    for i, line in enumerate(lines[:first_para]):
        if line.label is not None or normalise_line(line.key) == title_key:
            continue
        if i < title_index:
            _set(line, "boilerplate", "page_header")
        elif not _LETTER.search(line.key):
            _set(line, "boilerplate", "head_number")
        elif is_date_line(line.key):
            _set(line, "meta", "head_date_line")
        elif is_photo_credit(line.key):
            _set(line, "caption", "photo_credit")
        elif is_sentence_caption(line.key):
            _set(line, "caption", "sentence_caption")
        else:
            _set(line, "body", "deck_line")


def _is_link_text(key: str) -> bool:
    """Headline-shaped: short, and not ending like a sentence or mid-sentence (a clause comma)."""
    return len(key) <= TITLE_MAX_CHARS and not ends_sentence(key) and not key.endswith(_CLAUSE_ENDS)


def _label_related_links(lines: list[_Line]) -> None:
    """Open headline-shaped lines under a related-links heading (相关阅读) are its links, up to the
    first line that reads as a sentence or is meta or content."""
    i = 0
    while i < len(lines):
        if lines[i].reason != "related_links_heading":
            i += 1
            continue
        i += 1
        while i < len(lines):
            line = lines[i]
            if line.label == "boilerplate":
                i += 1
                continue
            if line.label is not None or not _is_link_text(line.key):
                break
            _set(line, "boilerplate", "related_link")
            i += 1


def _label_meta_lines(lines: list[_Line], meta: _Meta, first_para: int) -> None:
    """Meta lines give fields; below the article start, one that adds nothing is a repeat (chrome),
    except an editor credit ((责任编辑:…) closing the article is its own even when the top line named
    an editor)."""
    for i, line in enumerate(lines):
        if line.label != "meta":
            continue
        fields = parse_meta_line(line.key)
        editor_only = fields.editor is not None and fields == MetaFields(editor=fields.editor)
        if i > first_para and not meta.adds_to(fields) and not editor_only:
            _set(line, "boilerplate", "repeated_meta")
            continue
        meta.fields.append(fields)
        if editor_only:
            line.reason = "editor_line"


def _label_repeats(lines: list[_Line], title: str | None) -> None:
    """Open short lines that repeat the title, or occur twice on the page, are chrome."""
    title_key = normalise_line(title) if title else None
    if title_key:
        for line in lines:
            if (
                line.label is None
                and len(line.key) <= TITLE_MAX_CHARS
                and normalise_line(line.key) == title_key
            ):
                _set(line, "boilerplate", "repeats_title")
    short = [ln for ln in lines if ln.label is None and not is_paragraph(ln.key)]
    counts = Counter(normalise_line(ln.key) for ln in short)
    for line in short:
        norm = normalise_line(line.key)
        if norm and counts[norm] > 1:
            _set(line, "boilerplate", "repeated_line")


def _chrome_editor(lines: list[_Line]) -> str | None:
    """An editor credit the DOM put inside a chrome box (责任编辑： beside the share bar): the article's
    editor. Only a line that names nothing but the editor counts (dates in chrome are other articles')."""
    for line in lines:
        if line.label != "boilerplate" or not line.reason.startswith("dom_") or not is_meta_line(line.key):
            continue
        fields = parse_meta_line(line.key)
        if fields.editor is not None and fields == MetaFields(editor=fields.editor):
            return fields.editor
    return None


def _label_runs(lines: list[_Line]) -> None:
    """Trust 3: paragraphs are body; short lines between paragraphs are captions, or a link block
    when many come in a row; short lines after the last paragraph are the page footer."""
    for line in lines:
        if line.label is None and is_enumerated(line.key):
            _set(line, "body", "enumerated_heading")
        elif line.label is None and _ATTACHMENT.match(line.key):
            _set(line, "body", "attachment_line")
        elif line.label is None and is_paragraph(line.key) and is_sentence_caption(line.key):
            _set(line, "caption", "sentence_caption")
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


def _label_short_html_line(line: _Line) -> None:
    """A short line between paragraphs of a page: a caption where captions sit (right after an image,
    or a photo credit), else the article's own text (an agenda item, a heading, a one-line stanza).
    Markup tells them apart; plain text cannot, so there the run rules below decide."""
    if is_photo_credit(line.key):
        _set(line, "caption", "photo_credit")
    elif line.after_media or not line.in_main:
        _set(line, "caption", "short_line_between_paragraphs")
    else:
        _set(line, "body", "short_line_in_text")


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
    if before and after and open_lines[0].in_main is not None:
        for line in open_lines:
            _label_short_html_line(line)
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
                "\n".join(strip_edge_chrome(ln.simplified) for ln in members),
                "\n".join(strip_edge_chrome(ln.original) for ln in members),
                span.reason,
            )
        )
    return blocks


@dataclass(frozen=True)
class _PageTitle:
    """What the markup says about the title: the chosen headline and the whole <title> (Simplified)."""

    headline: str | None = None
    title_tag: str | None = None


def _prepare(text: str, input_format: InputFormat) -> tuple[list[_Line], str, int, _PageTitle, MetaFields]:
    """Input lines (blocks for HTML) with pinyin repaired and converted; also script, repairs, HTML title."""
    page_title, page_meta, title_tag = None, MetaFields(), None
    if input_format == "html":
        page = html_to_blocks(text)
        raws = [block.text for block in page.blocks]
        page_title = html_title(page.h1, page.title_tag, page.meta.get("og:title"))
        page_meta = _html_meta(page.meta)
        title_tag = page.title_tag
        repaired_all, repairs = strip_annotations("\n".join(raws))
        multi = "\n" in "".join(raws)
        repaired = [strip_annotations(r)[0] for r in raws] if multi else repaired_all.split("\n")
        chrome = [block.chrome_rule for block in page.blocks]
        subheads = [block.emphasised for block in page.blocks]
        places: list[tuple[bool | None, bool, bool, bool]] = [
            (block.in_main, block.after_media, block.tag in PREFORMATTED_TAGS, block.tag in HEADING_TAGS)
            for block in page.blocks
        ]
    else:
        raws = _split_lines(text)
        repaired_all, repairs = strip_annotations(text)
        repaired = _split_lines(repaired_all)
        chrome = [None] * len(raws)
        subheads = [False] * len(raws)
        places = [(None, False, False, False)] * len(raws)
    script = detect_script(repaired_all)
    keep = [i for i, raw in enumerate(raws) if raw.strip()]
    simplified = to_simplified_lines([repaired[i].strip() for i in keep])
    lines = [
        _Line(i + 1, raws[i], repaired[i].strip(), simp) for i, simp in zip(keep, simplified, strict=True)
    ]
    for line, i in zip(lines, keep, strict=True):
        line.in_main, line.after_media, preformatted, line.heading = places[i]
        if chrome[i]:
            _set(line, "boilerplate", str(chrome[i]))
        elif preformatted and line.in_main:
            _set(line, "body", "preformatted")
        elif subheads[i] and is_subheading_text(line.key):
            _set(line, "body", "bold_subheading")
    titles = [t for t in (page_title, title_tag) if t]
    simplified_titles = iter(to_simplified_lines(titles)) if titles else iter(())
    marked = _PageTitle(
        next(simplified_titles) if page_title else None, next(simplified_titles) if title_tag else None
    )
    return lines, script, repairs, marked, _site_is_no_author(page_meta, title_tag)


def _site_is_no_author(fields: MetaFields, title_tag: str | None) -> MetaFields:
    """A <meta name=author> that the <title> names beside the headline (标题_网易财经) is the site: it
    is the outlet when nothing else is, never the author."""
    author = fields.author
    if not author or not title_tag:
        return fields
    headline = title_tag_headline(title_tag) or ""
    site_part = title_tag.replace(headline, " ", 1) if headline else title_tag
    if author not in site_part:
        return fields
    return MetaFields(fields.published_date, fields.source_outlet or author, None, fields.editor)


def _may_be_title(line: _Line) -> bool:
    """Open, or only taken as a bold subheading (a headline set in bold is bold too)."""
    return line.label is None or line.reason == "bold_subheading"


def _split_title(lines: list[_Line], key: str) -> list[int] | None:
    """Consecutive open blocks that together are the headline (a title broken over lines)."""
    for i, line in enumerate(lines):
        norm = normalise_line(line.key) if _may_be_title(line) else ""
        if not norm or norm == key or not key.startswith(norm):
            continue
        joined, run = norm, [i]
        for j in range(i + 1, min(i + MAX_TITLE_BLOCKS, len(lines))):
            part = normalise_line(lines[j].key)
            if not _may_be_title(lines[j]) or not key.startswith(joined + part):
                break
            joined, run = joined + part, [*run, j]
            if joined == key:
                return run
    return None


def _label_html_title(lines: list[_Line], page: _PageTitle) -> tuple[list[int], str] | None:
    """The title blocks and the title: the block that is the headline (<h1> / <title>), else blocks
    that together are it, else the longest block that is a whole part of the <title>, else the first
    block that contains the headline and does not end like a sentence (a lead that opens by restating
    the headline is body text)."""
    if not page.headline:
        return None
    key = normalise_line(page.headline)
    open_lines = [
        (i, ln) for i, ln in enumerate(lines) if _may_be_title(ln) and len(ln.key) <= TITLE_MAX_CHARS
    ]
    exact = next((i for i, ln in open_lines if normalise_line(ln.key) == key), None)
    if exact is not None:
        return [exact], lines[exact].key
    split = _split_title(lines, key) if key else None
    if split is not None:
        return split, page.headline
    tag = page.title_tag
    if tag:
        parts = [
            i for i, ln in open_lines if len(ln.key) >= MIN_HEADLINE_CHARS and is_title_tag_part(ln.key, tag)
        ]
        if parts:
            best = max(parts, key=lambda i: len(lines[i].key))
            return [best], lines[best].key
    if len(page.headline) >= MIN_HEADLINE_CHARS:
        holder = next(
            (i for i, ln in open_lines if page.headline in ln.key and not ends_sentence(ln.key)), None
        )
        if holder is not None:
            return [holder], page.headline
    return None


def _keyed_date(lines: list[_Line]) -> dt.date | None:
    """The day of the page's keyed date lines (发布日期：2019-09-23, 发布时间：…) wherever the markup put
    them, when they all give the same day: a sidebar lists dates without a key, and a page whose
    keyed lines disagree does not say which is its own."""
    days = {
        day
        for line in lines
        if line.label != "side" and is_keyed_date_line(line.key)
        for day in [parse_date(line.key)]
        if day is not None
    }
    return days.pop() if len(days) == 1 else None


def _head_date(lines: list[_Line], title_index: int | None) -> dt.date | None:
    """The day a line of the article's head gives (2019-05-17 · 苏皖城市报道, 金融市场棱镜2019-09-23
    07:48), whatever the markup around it said: the date line under a headline, never a sidebar's."""
    if title_index is None:
        return None
    for line in lines[title_index + 1 : title_index + 1 + HEAD_MAX_LINES]:
        if line.label == "body" and is_paragraph(line.key):
            return None
        if line.label != "side" and is_date_line(line.key):
            return parse_date(line.key)
    return None


def _published_date(
    fields: MetaFields,
    page_meta: MetaFields,
    lines: list[_Line],
    title_index: int | None,
) -> tuple[dt.date | None, str]:
    """The day from the page's meta lines, its markup, its head, then a keyed date line anywhere."""
    found = _first(
        (fields.published_date, "meta_line"),
        (page_meta.published_date, "html_meta"),
        (_head_date(lines, title_index), "head_line"),
    )
    if found[0] is None:
        return _keyed_date(lines), "keyed_date_line"
    return found


def _first(*candidates: tuple[_T | None, str]) -> tuple[_T | None, str]:
    """The first candidate value that is set, with where it came from."""
    return next(((v, origin) for v, origin in candidates if v is not None), (None, ""))


def clean_document(text: str, input_format: InputFormat) -> CleanDocument:
    """One decoded page to labelled lines, metadata, Simplified body, side blocks and quality flags.

    What the page says on its own: lines repeated across the corpus are judged afterwards, over the
    whole corpus (transforms.corpus), so a page's labels never depend on which pages came before it.
    """
    lines, script, repairs, page, page_meta = _prepare(text, input_format)
    _label_chrome_and_meta(lines)
    first_para = _first_paragraph(lines)
    meta = _Meta()
    html_found = _label_html_title(lines, page)
    if html_found is not None:
        title_index: int | None = html_found[0][-1]
        for index in html_found[0]:
            _set(lines[index], "title", "html_title")
        meta.title, title_origin = html_found[1], "html_title"
    else:
        found = _find_title(lines, first_para) or _heading_opening_text(lines, first_para)
        title_index = found[0] if found else None
        if found is not None:
            _set(lines[found[0]], "title", found[1])
        meta.title, title_origin = _text_title(lines, found, page.headline)
    _label_head(lines, title_index, first_para)
    _label_meta_lines(lines, meta, first_para)
    _label_repeats(lines, meta.title)
    _label_related_links(lines)
    _label_runs(lines)
    side_blocks = _apply_side_blocks(meta.title, lines)
    body = [ln for ln in lines if ln.label == "body"]
    body_simplified = [strip_edge_chrome(ln.simplified) for ln in body]
    fields = meta.merged()
    # each field from the first place that gives it: the page's meta lines, then its markup (<meta>
    # tags, JSON-LD); a credit only when it can be a name (transforms.names): NULL beats a wrong value
    picked = {
        "title": (meta.title, title_origin),
        "published_date": _published_date(fields, page_meta, lines, title_index),
        "source_outlet": _first((fields.source_outlet, "meta_line"), (page_meta.source_outlet, "html_meta")),
        "author": _first(
            (valid_name(fields.author), "meta_line"), (valid_name(page_meta.author), "html_meta")
        ),
        "editor": _first(
            (valid_name(fields.editor, EDITOR_RULES), "meta_line"),
            (valid_name(_chrome_editor(lines), EDITOR_RULES), "chrome_editor"),
        ),
    }
    metadata = Metadata(
        title=meta.title,
        published_date=picked["published_date"][0],  # type: ignore[arg-type]
        source_outlet=picked["source_outlet"][0],  # type: ignore[arg-type]
        author=picked["author"][0],  # type: ignore[arg-type]
        editor=picked["editor"][0],  # type: ignore[arg-type]
        source=",".join(f"{name}={origin}" for name, (value, origin) in picked.items() if value is not None),
    )
    return CleanDocument(
        script=script,  # type: ignore[arg-type]
        metadata=metadata,
        lines=[LabelledLine(ln.no, ln.raw, ln.label or "body", ln.reason or "paragraph") for ln in lines],
        text="\n".join(t for t in body_simplified if t),
        text_original="\n".join(t for t in (strip_edge_chrome(ln.original) for ln in body) if t),
        pinyin_repairs=repairs,
        flags=quality_flags([t for t in body_simplified if t]),
        side_blocks=side_blocks,
    )
