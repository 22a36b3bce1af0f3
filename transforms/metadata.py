"""Meta lines (date / source / author / editor / views) and the fields they carry."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from transforms.names import name_problem, placeholder
from transforms.shape import TAIL_CHARS, ends_sentence

# A meta line is a short header line; anything longer is prose that happens to contain 来源: or a date.
META_MAX_CHARS = 100
# A bare name (苏兰, 欧阳明明) has 2 to 4 characters; used for the name that follows a source.
NAME_MIN_CHARS = 2
NAME_MAX_CHARS = 4
# An outlet named beside the date (2019年10月23日 09:05 环球网) is a word or two: the longest on the
# gne/ dev pages (新浪财经-自媒体综合, 澎湃新闻·澎湃号·政务) has 12 characters.
OUTLET_MAX_CHARS = 20
# A meta line whose keys have no colon (发表于…| 1164次阅读| 来源CSDN| 作者魏星) is told from a title with
# a | in it by its parts: at least two of them open with a key or a date.
BARE_KEY_MIN_PARTS = 2

# Keys as they open a field: at line start, after a space/bracket, a time (12:11来源：) or an outlet's
# name (来源：证券时报网作者：…), so 会议时间： in a notice is content.
_KEY = re.compile(
    r"(?:^|(?<=[\s(（【\[|｜\d])|(?<=[网报社台刊]))"
    r"(?P<key>(?:发布|发表|更新|出版|录入|上传)?(?:时间|日期)|(?:稿件|文章|本文|信息|新闻)?来源|出处|作者|责任编辑|编辑|责编|记者|通讯员"
    r"|浏览(?:次数|量)?|阅读(?:量|数)?|点击(?:数|量)?)(?:于)?\s*[:：]"
)
# Parts of a bar-separated meta line whose key has no colon: 来源CSDN, 作者魏星, 发表于2014-08-24.
_BAR_SPLIT = re.compile(r"\s*[|｜]\s*")
_BARE_KEY = re.compile(r"^(?P<key>来源|出处|作者|责任编辑|责编|编辑|记者)\s*(?![:：于])(?=\S)")
_BARE_DATE_PART = re.compile(r"^(?:发表于|发布于|发布时间|更新于|时间|日期)?\s*\d{4}\s*[-/.年]")
# The last word of an outlet's name: newspaper, site, agency, station, channel, app (新京报, 环球网,
# 参考消息, 新浪科技, 人民网-文化频道, CSDN.NET); a person's name does not end like this.
_OUTLET_END = re.compile(
    r"(?:网|报|社|台|刊|新闻|消息|杂志|传媒|媒体|频道|综合|财经|科技|资讯|在线|日报|网站|\.(?:com|cn|net|org))$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS = re.compile(r"^[\d\s]+$")
# A token with a colon carries a key the key regex did not take (本文来源：…): not a bare name.
_HAS_COLON = re.compile(r"[:：]")
_DATE = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
# A day with its time of day, as date lines write them (2019-09-23 07:48, 2019年09月23日 07:48:01).
_DAY_AND_TIME = r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
_DATE_FIRST = re.compile(rf"^[(（【\[]?{_DAY_AND_TIME}[)）】\]]?(?:\s|$)")
_DAY_AND_TIME_RE = re.compile(_DAY_AND_TIME)
# What may stand around a date in a date line: separators and brackets.
_DATE_LINE_EDGES = " ·|｜-—()（）[]【】"
# The keys of a publication date line (not 更新时间: an update is not the publication).
_PUBLISHED_KEY = re.compile(r"(?:发布|发表|发稿|出版)(?:时间|日期)\s*[:：]|^(?:时间|日期)\s*[:：]")
# A forum or blog post header: 发表于 2005-5-7 21:23:57, 发布于：2011年3月2日, posted on 2009-01-02.
_POSTED_AT = re.compile(
    r"^(?:.{0,20}\s)?(?:发表于|发布于|发帖于|发表时间|发帖时间|posted\s+on)\s*[:：]?\s*\d{4}\s*[-/.年]",
    re.IGNORECASE,
)
# Dates outside these years are typing errors or ids (3019-09-07, 0001-01-01): Chinese news on the
# web starts in the 1990s; the ceiling is fixed so that a page's value never depends on the day it ran.
MIN_YEAR = 1990
MAX_YEAR = 2100
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


def is_outlet_name(text: str) -> bool:
    """A short name that ends like a newspaper, site or channel (新京报, 环球网, 新浪科技), not a person."""
    return len(text) <= OUTLET_MAX_CHARS and _OUTLET_END.search(text) is not None


def _is_bar_meta(line: str) -> bool:
    """发表于…| 来源CSDN| 作者魏星: bar-separated parts, two or more opening with a key or a date."""
    if "|" not in line and "｜" not in line:
        return False
    parts = _BAR_SPLIT.split(line)
    hits = sum(1 for part in parts if _BARE_KEY.match(part) or _BARE_DATE_PART.match(part))
    return hits >= BARE_KEY_MIN_PARTS


def _with_colons(line: str) -> str:
    """A bar-separated meta line with a colon after each bare key (来源CSDN -> 来源：CSDN)."""
    return " | ".join(_BARE_KEY.sub(r"\g<key>：", part) for part in _BAR_SPLIT.split(line))


def is_date_line(line: str) -> bool:
    """A date with a name beside it at most (金融市场棱镜2019-09-23 07:48, 2019-05-17 · 苏皖城市报道): a
    line that says when, not a note that mentions a day ((2007年6月29日…会议通过))."""
    if len(line) > META_MAX_CHARS or ends_sentence(line) or not parse_date(line):
        return False
    return len(_DAY_AND_TIME_RE.sub("", line).strip(_DATE_LINE_EDGES)) <= OUTLET_MAX_CHARS


def is_keyed_date_line(line: str) -> bool:
    """A meta line keyed as the publication time (发布日期：2019-09-23, 发布时间：…, 时间：…)."""
    return _PUBLISHED_KEY.search(line) is not None and is_meta_line(line)


def is_meta_line(line: str) -> bool:
    """A short non-sentence line with a meta key (来源:, 发布时间:, 责任编辑:), leading date or byline."""
    if len(line) > META_MAX_CHARS or _SENTENCE_END.search(line[-TAIL_CHARS:]):
        return False
    has_key = (":" in line or "：" in line) and _KEY.search(line) is not None  # every key ends with a colon
    return bool(
        has_key
        or _DATE_FIRST.match(line)
        or _BYLINE.match(line)
        or _POSTED_AT.match(line)
        or _is_bar_meta(line)
    )


def parse_date(text: str) -> dt.date | None:
    """The first plausible full year-month-day date in the text (2023-08-22, 2023年01月14日); no year
    gives None."""
    for match in _DATE.finditer(text):
        year = int(match.group(1))
        if not MIN_YEAR <= year <= MAX_YEAR:
            continue
        try:
            return dt.date(year, int(match.group(2)), int(match.group(3)))
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


def _is_loose_name(token: str) -> bool:
    """A bare token shaped like a person's name, not an outlet, a role or a forum's word."""
    return bool(_NAME.match(token)) and not is_outlet_name(token) and name_problem(token) is None


def _loose_name(tokens: list[str]) -> str | None:
    """The bare names left over beside the fields (… 来源:中国经济网 苏兰; 2020-06-05 20:35 叨叨姐
    胡一刀 李小飞刀): the author, every name of the first run of them."""
    trimmed = [_VALUE_TRIM.sub("", token) for token in tokens]
    start = next((i for i, token in enumerate(trimmed) if _is_loose_name(token)), None)
    if start is None:
        return None
    names = []
    for token in trimmed[start:]:
        if not _is_loose_name(token):
            break
        names.append(token)
    return " ".join(names)


def _loose_outlet(tokens: list[str]) -> str | None:
    """A bare outlet name beside the date (2018年12月28日 19:55 新京报): the source."""
    for token in tokens:
        token = _VALUE_TRIM.sub("", token)
        if token and is_outlet_name(token) and not _DATE.search(token) and not _HAS_COLON.search(token):
            return token
    return None


def author_fields(value: str) -> MetaFields:
    """A <meta name=author> value: a person is the author, an outlet the source; ids, e-mails and
    template defaults (name, email@…) say nothing."""
    value = _VALUE_TRIM.sub("", _EMAIL.sub("", value).strip(" ,，;；/|"))
    if not value or _DIGITS.match(value) or placeholder(value):
        return MetaFields()
    if is_outlet_name(value):
        return MetaFields(source_outlet=value)
    return MetaFields(author=value)


def parse_meta_line(line: str) -> MetaFields:
    """Date, source, author and editor from one meta line."""
    byline = _BYLINE.match(line)
    if byline:  # every name it credits (记者 王建宏 张文攀)
        return MetaFields(author=" ".join(byline.group("name").split()))
    if _is_bar_meta(line):
        line = _with_colons(line)
    source = author = editor = None
    loose: list[str] = []
    for key, text in _segments(line):
        tokens = text.split()
        first = _clean_value(tokens[0]) if tokens else None
        if key is not None and (key.endswith("来源") or key == "出处"):
            source, loose = source or first, loose + tokens[1:]
        elif key in ("作者", "记者", "通讯员"):
            author = author or first
        elif key in ("责任编辑", "编辑", "责编"):
            editor = editor or first
        elif key is None:
            loose += [t for t in tokens if not _TIME.match(t) and not _DATE.search(t)]
    author = None if author and placeholder(author) else author
    editor = None if editor and placeholder(editor) else editor
    return MetaFields(parse_date(line), source or _loose_outlet(loose), author or _loose_name(loose), editor)
