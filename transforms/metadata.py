"""Meta lines (date / source / author / editor / views) and the fields they carry."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from transforms.shape import TAIL_CHARS

# A meta line is a short header line; anything longer is prose that happens to contain 来源: or a date.
META_MAX_CHARS = 100
# A bare name (苏兰, 欧阳明明) has 2 to 4 characters; used for the name that follows a source.
NAME_MIN_CHARS = 2
NAME_MAX_CHARS = 4

# Keys as they open a field: at line start or after a space/bracket, so 会议时间： in a notice is content.
_KEY = re.compile(
    r"(?:^|(?<=[\s(（【\[|｜]))"
    r"(?P<key>(?:发布|发表|更新|出版|录入|上传)?(?:时间|日期)|来源|出处|作者|责任编辑|编辑|责编|记者|通讯员"
    r"|浏览(?:次数|量)?|阅读(?:量|数)?|点击(?:数|量)?)\s*[:：]"
)
_DATE = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_DATE_FIRST = re.compile(
    r"^[(（【\[]?\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?[)）】\]]?(?:\s|$)"
)
_BYLINE = re.compile(
    r"^[(（]?(?:本报记者|记者|通讯员|实习生|作者)\s*(?P<name>[\u4e00-\u9fff·]{2,8}(?:\s+[\u4e00-\u9fff·]{2,8})*)[)）]?$"
)
_SENTENCE_END = re.compile(r"[。！？!?][”’」』）)]*$")
_VALUE_TRIM = re.compile(r"^[\s(（【\[]+|[\s)）】\]|｜,，;；。]+$")
_NAME = re.compile(rf"^[\u4e00-\u9fff·]{{{NAME_MIN_CHARS},{NAME_MAX_CHARS}}}$")
_TIME = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$")


@dataclass(frozen=True)
class MetaFields:
    """Fields one meta line gives; None where the line does not say."""

    published_date: dt.date | None = None
    source_outlet: str | None = None
    author: str | None = None
    editor: str | None = None


def is_meta_line(line: str) -> bool:
    """A short non-sentence line with a meta key (来源:, 发布时间:, 责任编辑:), leading date or byline."""
    if len(line) > META_MAX_CHARS or _SENTENCE_END.search(line[-TAIL_CHARS:]):
        return False
    has_key = (":" in line or "：" in line) and _KEY.search(line) is not None  # every key ends with a colon
    return bool(has_key or _DATE_FIRST.match(line) or _BYLINE.match(line))


def parse_date(text: str) -> dt.date | None:
    """The first full year-month-day date in the text (2023-08-22, 2023年01月14日); no year gives None."""
    for match in _DATE.finditer(text):
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
    return None


def _clean_value(value: str) -> str | None:
    """A field value without surrounding brackets and separators; empty becomes None."""
    value = _VALUE_TRIM.sub("", value)
    return value or None


def _segments(line: str) -> list[tuple[str | None, str]]:
    """(key, text up to the next key) pairs; the text before the first key has key None."""
    parts: list[tuple[str | None, str]] = []
    start, key = 0, None
    for match in _KEY.finditer(line):
        parts.append((key, line[start : match.start()]))
        key, start = match.group("key"), match.end()
    parts.append((key, line[start:]))
    return parts


def _loose_name(tokens: list[str]) -> str | None:
    """A bare name left over beside the fields (… 来源:中国经济网 苏兰): the author."""
    for token in tokens:
        token = _VALUE_TRIM.sub("", token)
        if _NAME.match(token) and not _DATE.search(token):
            return token
    return None


def parse_meta_line(line: str) -> MetaFields:
    """Date, source, author and editor from one meta line."""
    byline = _BYLINE.match(line)
    if byline:
        return MetaFields(author=byline.group("name").split()[0])
    source = author = editor = None
    loose: list[str] = []
    for key, text in _segments(line):
        tokens = text.split()
        first = _clean_value(tokens[0]) if tokens else None
        if key == "来源" or key == "出处":
            source, loose = source or first, loose + tokens[1:]
        elif key in ("作者", "记者", "通讯员"):
            author = author or first
        elif key in ("责任编辑", "编辑", "责编"):
            editor = editor or first
        elif key is None:
            loose += [t for t in tokens if not _TIME.match(t) and not _DATE.search(t)]
    return MetaFields(parse_date(line), source, author or _loose_name(loose), editor)
