"""HTML page to text blocks, with the structural evidence (DOM) that some blocks are chrome.

Parsing uses lxml's HTML parser directly (the same libxml2 parser BeautifulSoup's "lxml" backend
drives) and walks the tree with lxml's C iterator: building a BeautifulSoup object costs several
times more than the whole extraction, and the corpus may be a million pages.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree


@dataclass(frozen=True)
class Block:
    """One visible text block in document order; chrome_rule names the DOM rule that marks it as chrome."""

    text: str
    chrome_rule: str | None = None
    in_main: bool = False
    tag: str = ""
    emphasised: bool = False
    # An image, video or embed comes between the previous block and this one: where captions sit.
    after_media: bool = False


@dataclass(frozen=True)
class HtmlPage:
    """Blocks plus the title candidates the markup gives (<h1>, <title>, meta tags)."""

    blocks: list[Block]
    h1: str | None = None
    title_tag: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


# --- rule names (the `reason` a reviewer greps for) -------------------------------------------
RULE_HIDDEN = "dom_hidden"
RULE_FORM_CONTROL = "dom_form_control"
RULE_NAV_ELEMENT = "dom_nav_element"
RULE_CHROME_CLASS = "dom_chrome_class"
RULE_LINK_DENSE = "dom_link_dense"
RULE_OUTSIDE_MAIN = "dom_outside_main"
RULE_THREAD_REPLY = "dom_thread_reply"

# --- tag sets (from the HTML living standard's content categories) ----------------------------
# Never rendered as text: dropped with their whole subtree.
DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "svg",
    "math",
    "object",
    "embed",
    "canvas",
    "audio",
    "video",
    "map",
    "head",
    "title",
)
# Elements that start a new line when rendered: their start and end close the running block.
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd", "details",
        "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "frame",
        "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li",
        "main", "menu", "nav", "ol", "optgroup", "option", "p", "pre", "section", "summary", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "select", "textarea", "button",
    }
)  # fmt: skip
# Paragraph-like owners: their score goes to the container that holds them (as in readability).
PARAGRAPH_TAGS = frozenset(
    {"p", "li", "dd", "dt", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
     "figcaption", "caption", "address"}
)  # fmt: skip
# HTML5 sectioning elements that hold page chrome when they are not part of an article.
NAV_TAGS = frozenset({"nav", "aside", "menu"})
PAGE_FRAME_TAGS = frozenset({"header", "footer"})
# Containers inside which <header>/<footer> are the article's own heading/byline, not page chrome.
ARTICLE_TAGS = frozenset({"article", "main"})
FORM_CONTROL_TAGS = frozenset({"select", "option", "optgroup", "textarea", "button", "label", "legend"})
# Inline emphasis: a paragraph wholly in <strong>/<b> is how Chinese news editors mark a subheading
# (on the dev pages, captions are plain or grey text, subheadings are bold).
EMPHASIS_TAGS = frozenset({"strong", "b"})
# What a caption describes: the block right after one of these is where a caption sits.
MEDIA_TAGS = frozenset({"img", "picture", "video", "iframe", "embed", "object", "svg"})

# --- chrome words in class/id ------------------------------------------------------------------
# Tokens of class/id (split on -, _, spaces and camelCase) that name page chrome. The list is the
# brief's plus the "unlikely candidates" of Mozilla readability (Readability.js REGEXPS.unlikely-
# Candidates) and the class names seen on the gne/ dev pages (post_next_post: the next article's
# teaser; rwb_tjyd: 推荐阅读; article-rightbar). Short words (ad, hot, nav, tag, ...)
# must be the whole token so that "head", "photo", "canvas", "shadow" do not match.
CHROME_TOKEN_RE = re.compile(
    r"^(?:"
    r"ads?|advert\w*|adsbygoogle|banner\w*|sponsor\w*|"
    r"nav|navs|navbar|navi|navigation|nav\w*bar|menu\w*|topbar|sitemap|"
    r"share\w*|sharing|social|bdshare\w*|jiathis\w*|"
    r"foot|footer\w*|copyright\w*|copy|"
    r"recommend\w*|related\w*|relate|rel|tuijian|xgxw|tjyd|"
    r"next|prev|previous|nextpage|prevpage|"
    r"breadcrumbs?|crumbs?|position|location|"
    r"sidebar\w*|side|aside|widget\w*|rightbar|leftbar|rbar|lbar|"
    r"comments?|comment\w*|reply|replies|disqus|"
    r"login\w*|logon|signin|signup|register|"
    r"toolbar\w*|tools?|"
    r"hot|hots|hotnews|hotlist|hotword\w*|rank\w*|popular|"
    r"tags?|keywords?|pagination|pager|paging|"
    r"print|subscribe|qrcode|ewm|declare|disclaimer|statement|"
    r"gotop|backtop|totop"
    r")$"
)
CLASS_SPLIT_RE = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")
# End tags of the document element and body: text after them still renders in a browser.
CLOSING_DOCUMENT_TAG_RE = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)
# Hidden by markup alone (no stylesheet evaluation): inline display:none / visibility:hidden.
HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

# Marks that only a sentence has (not a colon: 字体： 放大 缩小 is a tool bar), looked for in the
# block's last characters before an inline element and in the text right after it.
RUNNING_TEXT_RE = re.compile(r"[，。！？；、,;]")
RUNNING_TEXT_WINDOW = 40

# Distinct class/id values remembered: a page has a few hundred, a site's pages share most of them.
CHROME_VALUE_CACHE = 65536

# --- text measures -----------------------------------------------------------------------------
WHITESPACE_RE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
# Chinese (full-width) and ASCII sentence-internal and sentence-final punctuation: GNE's text
# density counts these symbols as the signal of running prose.
SENTENCE_PUNCT_RE = re.compile(r"[，。！？；：、,!?;…]")
SENTENCE_END_RE = re.compile(r"[。！？!?…；;]")

# "Mostly inside <a>": more than half of the block's characters are link text. Boilerpipe's
# density classifiers treat linkDensity > 0.33 as non-content; we take the majority so that a
# paragraph with a few inline links (common on Chinese news pages) is never lost.
LINK_DENSE_FRACTION = 0.5
# A paragraph this long (characters, CJK ≈ 1 word each) with sentence punctuation stays content
# even when mostly linked: readability's "weight < 25 chars" cut-off in English words ≈ 2-3 CJK
# characters per word gives ~60-80; we use 80 to stay on the safe side.
LONG_PARAGRAPH_CHARS = 80
# A "paragraph" almost wholly inside links is a teaser card (headline + summary in one <a>), even
# when long: body paragraphs on the gne/ dev pages never exceed half link text.
TEASER_LINK_FRACTION = 0.9
# Readability ignores paragraphs under 25 characters when scoring containers; CJK text packs about
# 2.5x the information per character, so 10 characters.
MIN_SCORED_CHARS = 10
# Readability adds one point per 100 characters, capped at 3.
SCORE_CHARS_PER_POINT = 100
SCORE_LENGTH_CAP = 3
# Readability credits a paragraph's score fully to its parent and half to its grandparent.
GRANDPARENT_SHARE = 0.5
# Readability appends siblings whose score is at least 20% of the top candidate's.
SIBLING_SCORE_FRACTION = 0.2
# A chrome-looking element holding more than this share of the page's sentence punctuation is a
# layout wrapper (e.g. id="main-with-sidebar"), not chrome: chrome carries few sentences.
WRAPPER_PUNCT_FRACTION = 0.5
# The headline may sit a few blocks above the text container (byline, date, source, share bar);
# more than this many blocks away it is not this article's headline. From the gne/ dev pages
# (at most 9 blocks between <h1> and the first paragraph).
MAX_HEADLINE_GAP_BLOCKS = 15
# Tags that mark the article headline above the text container.
HEADLINE_TAGS = frozenset({"h1", "h2"})
# A block found inside <title> counts as the headline only from this length on (shorter ones are
# site names like 新华网 that every <title> carries).
MIN_HEADLINE_CHARS = 6
# Below this much sentence punctuation there is no article to locate (an index or error page).
MIN_MAIN_PUNCT = 3

# Forum threads and blog comment lists (Discuz!, phpwind, Tianya, Tieba, Sina blog): posts are sibling
# elements that share an id pattern (post_880001, post_880002) or a class (atl-item, l_post), each
# with a header that gives the day and the time of day (发表于 2013-4-21 20:15:07, 时间：2012-06-18
# 10:02:47). The first post is the article; the rest are replies. A news page's date line has a time
# too, but once; a related-news list has a time per item but no first item with prose.
POST_TIME_RE = re.compile(
    r"(?<!\d)(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*\d{1,2}:\d{2}"
)
# A post header is a short line (Discuz's "发表于 2013-4-21 20:15:07 | 只看该作者" has 30 characters;
# Tianya's joined header with 楼主, 时间, 点击 and 回复 has 45); a paragraph that mentions a time is not one.
POST_HEADER_MAX_CHARS = 80
# An article and one reply make a thread.
MIN_THREAD_POSTS = 2
# What tells a thread from a live blog or a list of dated items: the words forums and comment lists
# put around posts (floor names 楼主/沙发/板凳/地板/N楼/N#, 发表于, 回复, 引用, 举报, 只看该作者).
FORUM_WORD_RE = re.compile(r"楼主|沙发|板凳|地板|\d+\s*楼|\d+\s*#|发表于|回复|引用|举报|只看该作者")
_DIGIT_RUN_RE = re.compile(r"\d+")


@dataclass
class _RawBlock:
    """A block while the page is being walked, with what the rules need to know about it."""

    text: str
    owner: Any
    link_chars: int
    chrome: tuple[tuple[Any, str], ...]
    hidden: bool
    form: bool
    tag: str
    # Wholly inside <strong>/<b>.
    emphasised: bool = False
    after_media: bool = False


def _normalise(text: str) -> str:
    """Collapse rendered whitespace (incl. nbsp, ideographic space) as a browser would."""
    return WHITESPACE_RE.sub(" ", text).strip()


def _value_tokens(value: str) -> list[str]:
    """Lower-cased words of one class or id value (split on -, _, spaces and camelCase)."""
    return [token.lower() for token in CLASS_SPLIT_RE.split(value) if token]


@lru_cache(maxsize=CHROME_VALUE_CACHE)
def _names_chrome(value: str) -> bool:
    """Whether one class or id value has a chrome word (cached: a site repeats its class names)."""
    return any(CHROME_TOKEN_RE.match(token) for token in _value_tokens(value))


def has_chrome_class(element: Any) -> bool:
    """Whether the element's class or id names page chrome (share bar, footer, nav, ads...)."""
    value = element.get("class")
    if value and _names_chrome(value):
        return True
    value = element.get("id")
    return bool(value) and _names_chrome(value)


def is_hidden(element: Any) -> bool:
    """Whether markup alone hides the element (hidden attribute, inline display:none)."""
    if element.get("hidden") is not None:
        return True
    style = element.get("style")
    return bool(style and HIDDEN_STYLE_RE.search(style))


def _chrome_rule_of(element: Any, tag: str, article_depth: int) -> str | None:
    """The DOM chrome rule an element triggers by its tag or class, if any."""
    if tag in NAV_TAGS:
        return RULE_NAV_ELEMENT
    if tag in PAGE_FRAME_TAGS and article_depth == 0:
        return RULE_NAV_ELEMENT
    if has_chrome_class(element):
        return RULE_CHROME_CLASS
    return None


class _Walker:
    """Cuts a parsed page into raw blocks in document order (one text node -> one block)."""

    def __init__(self) -> None:
        self.blocks: list[_RawBlock] = []
        self.h1_elements: list[Any] = []
        self._parts: list[str] = []
        self._link_chars = 0
        self._plain_chars = 0
        self._bold_depth = 0
        self._owners: list[Any] = []
        self._chrome: list[tuple[Any, str]] = []
        self._frames: list[tuple[bool, bool, bool, bool, bool, bool, bool]] = []
        self._link_depth = 0
        self._hidden_depth = 0
        self._form_depth = 0
        self._pre_depth = 0
        self._article_depth = 0
        self._media_pending = False

    def _flush(self) -> None:
        """Close the running block (if it has visible text)."""
        if not self._parts:
            return
        text = _normalise("".join(self._parts))
        if text:
            owner = self._owners[-1] if self._owners else None
            tag = owner.tag if owner is not None else ""
            self.blocks.append(
                _RawBlock(
                    text,
                    owner,
                    min(self._link_chars, len(text)),
                    tuple(self._chrome),
                    self._hidden_depth > 0,
                    self._form_depth > 0,
                    tag if isinstance(tag, str) else "",
                    self._plain_chars == 0,
                    self._media_pending,
                )
            )
            self._media_pending = False
        self._parts = []
        self._link_chars = 0
        self._plain_chars = 0

    def _add(self, text: str | None) -> None:
        """Append text to the running block; in <pre>, a newline ends a block."""
        if not text:
            return
        if self._pre_depth and "\n" in text:
            lines = text.split("\n")
            for line in lines[:-1]:
                self._add_run(line)
                self._flush()
            self._add_run(lines[-1])
            return
        self._add_run(text)

    def _add_run(self, text: str) -> None:
        """Append a run of inline text, counting it as link text when inside <a>."""
        if not text:
            return
        self._parts.append(text)
        if self._link_depth:
            self._link_chars += len(text.strip())
        if not self._bold_depth:
            self._plain_chars += len(text.strip())

    def _in_running_text(self, element: Any) -> bool:
        """An inline element in the middle of a sentence: a word of it whatever its class says.

        Mid-sentence: the block's text before it does not end a sentence, and a clause mark is near
        (before it or right after). sina's stock-quote links (class="keyword") sit inside paragraphs;
        a 分享 after 正文一句。 or beside 字体： 放大 缩小 (no clause mark) is a widget.
        """
        before = "".join(self._parts)[-RUNNING_TEXT_WINDOW:].rstrip()
        if before and SENTENCE_END_RE.search(before[-1]):
            return False
        return bool(RUNNING_TEXT_RE.search(before) or RUNNING_TEXT_RE.search(element.tail or ""))

    def start(self, element: Any) -> None:
        """Enter an element: open a block boundary if it renders as a block or is chrome."""
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.lower()
        rule = _chrome_rule_of(element, tag, self._article_depth)
        if rule == RULE_CHROME_CLASS and tag not in BLOCK_TAGS and self._in_running_text(element):
            rule = None
        hidden = is_hidden(element)
        boundary = tag in BLOCK_TAGS or rule is not None or hidden
        if boundary:
            self._flush()
            self._owners.append(element)
        if rule is not None:
            self._chrome.append((element, rule))
        is_link = tag == "a"
        is_form = tag in FORM_CONTROL_TAGS
        is_pre = tag in ("pre", "textarea", "plaintext", "listing")
        is_article = tag in ARTICLE_TAGS
        self._link_depth += is_link
        self._bold_depth += tag in EMPHASIS_TAGS
        self._hidden_depth += hidden
        self._form_depth += is_form
        self._pre_depth += is_pre
        self._article_depth += is_article
        self._frames.append((boundary, rule is not None, is_link, hidden, is_form, is_pre, is_article))
        if tag == "h1" and not hidden:
            self.h1_elements.append(element)
        if tag in MEDIA_TAGS and self._hidden_depth == 0:
            self._media_pending = True
        self._add(element.text)

    def end(self, element: Any) -> None:
        """Leave an element: close its block and continue with its tail in the parent's context."""
        boundary, chrome, is_link, hidden, is_form, is_pre, is_article = self._frames.pop()
        if boundary:
            self._flush()
            self._owners.pop()
        if chrome:
            self._chrome.pop()
        self._link_depth -= is_link
        self._bold_depth -= isinstance(element.tag, str) and element.tag.lower() in EMPHASIS_TAGS
        self._hidden_depth -= hidden
        self._form_depth -= is_form
        self._pre_depth -= is_pre
        self._article_depth -= is_article
        self._add(element.tail)

    def walk(self, root: Any) -> None:
        """Walk the whole tree with lxml's C iterator."""
        for event, element in etree.iterwalk(root, events=("start", "end")):
            if event == "start":
                self.start(element)
            else:
                self.end(element)
        self._flush()


def _parse(html: str) -> Any | None:
    """Parse possibly broken HTML into an lxml tree; None when there is nothing to parse.

    lxml's plain HTML parser (libxml2, the parser lxml.html uses too): lxml.html's element classes
    come from a Python lookup called for every element the walk touches, and nothing here needs them.
    """
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    # Browsers render text after a stray </body> or </html>; libxml2 stops there.
    html = CLOSING_DOCUMENT_TAG_RE.sub("", html)
    try:
        return etree.fromstring(html.encode("utf-8", "replace"), parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


# An element's text with its descendants' (what lxml.html's text_content() evaluates).
_STRING_VALUE = etree.XPath("string()", smart_strings=False)


def _text_content(element: Any) -> str:
    """The element's text and its descendants' text, in document order."""
    return str(_STRING_VALUE(element))


def _title_tag(root: Any) -> str | None:
    """Text of the first <title>."""
    for element in root.iter("title"):
        text = _normalise(_text_content(element))
        if text:
            return text
    return None


def _meta_tags(root: Any) -> dict[str, str]:
    """Meta name/property/itemprop -> content (og:title, description, article:published_time...)."""
    meta: dict[str, str] = {}
    for element in root.iter("meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop")
        content = element.get("content")
        if not key or content is None:
            continue
        key = key.strip().lower()
        value = _normalise(content)
        if key and value and key not in meta:
            meta[key] = value
    return meta


# JSON-LD types that describe the page's own article (a BreadcrumbList or Organization does not).
_ARTICLE_TYPES = frozenset({"newsarticle", "article", "reportagenewsarticle", "blogposting", "webpage"})
# A page's JSON-LD blocks are small; a larger script is data (a state dump), not page metadata.
JSON_LD_MAX_CHARS = 100_000
# A WeChat article page states its publication time in its own script: var ct = "1581517074" (Unix
# seconds); the page shows only 昨天 or 前天. Days are counted in China time (UTC+8), as WeChat shows them.
_WECHAT_CT = re.compile(r'\bvar\s+ct\s*=\s*"(\d{10})"')
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))


def _script_meta(root: Any) -> dict[str, str]:
    """What the page's scripts state about its article, in one pass over them: JSON-LD's
    datePublished / dateModified / author, and WeChat's var ct, as meta keys."""
    out: dict[str, str] = {}
    for element in root.iter("script"):
        text = element.text or ""
        if (element.get("type") or "").strip().lower() == "application/ld+json":
            if len(text) <= JSON_LD_MAX_CHARS:
                _json_ld(text, out)
        elif "var ct" in text and "wechat:ct" not in out and (found := _WECHAT_CT.search(text)):
            day = dt.datetime.fromtimestamp(int(found.group(1)), CHINA_TIME).date()
            out["wechat:ct"] = day.isoformat()
    return out


def _json_ld(text: str, out: dict[str, str]) -> None:
    """Add what one JSON-LD block says of the page's article (the first value of each key wins)."""
    try:
        data = json.loads(text)
    except ValueError:
        return
    for item in _json_ld_items(data):
        for key in ("datePublished", "dateModified", "pubDate"):
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                out.setdefault(key.lower(), value.strip())
        author = _json_ld_author(item.get("author"))
        if author:
            out.setdefault("author", author)


# Microdata (schema.org itemprop on any element) and HTML5 <time>: the page's own date and author.
_MICRODATA_DATES = ("datepublished", "datecreated", "datemodified")
# A microdata author is a name or two; a longer text is a block that happens to carry the itemprop.
MICRODATA_AUTHOR_MAX_CHARS = 40


def _itemprop_value(element: Any) -> str:
    """What a microdata property says: its content or datetime attribute, else its text."""
    return _normalise(element.get("content") or element.get("datetime") or _text_content(element))


def _microdata_author(element: Any) -> str | None:
    """An itemprop=author element's name: its nested itemprop=name, else its own short text."""
    named = [e for e in element.iter() if (e.get("itemprop") or "").lower() == "name"]
    value = _itemprop_value(named[0]) if named else _itemprop_value(element)
    return value if value and len(value) <= MICRODATA_AUTHOR_MAX_CHARS else None


def _microdata(root: Any) -> dict[str, str]:
    """datePublished / author from itemprop attributes outside <meta>, and the date of a <time>
    element that says it is the publication time (pubdate) or is the page's only one."""
    out: dict[str, str] = {}
    for element in root.iterfind(".//*[@itemprop]"):
        if element.tag == "meta":
            continue
        prop = (element.get("itemprop") or "").strip().lower()
        if prop in _MICRODATA_DATES:
            value = _itemprop_value(element)
            if value:
                out.setdefault(prop, value)
        elif prop == "author" and (author := _microdata_author(element)):
            out.setdefault("author", author)
    times = [t for t in root.iter("time") if t.get("datetime")]
    stated = [t for t in times if t.get("pubdate") is not None]
    chosen = stated or (times if len(times) == 1 else [])
    if chosen:
        out.setdefault("time_element", _normalise(chosen[0].get("datetime")))
    return out


def _json_ld_items(data: object) -> list[dict[str, Any]]:
    """The article objects of a JSON-LD document (a list, an @graph, or one object)."""
    items = data if isinstance(data, list) else [data]
    out: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("@graph"), list):
            out += _json_ld_items(item["@graph"])
            continue
        kind = item.get("@type")
        kinds = [str(k).lower() for k in (kind if isinstance(kind, list) else [kind]) if k]
        if not kinds or any(k in _ARTICLE_TYPES for k in kinds):
            out.append(item)
    return out


def _json_ld_author(value: object) -> str | None:
    """Person names of a JSON-LD author (a name, an object with a name, or a list of them)."""
    values = value if isinstance(value, list) else [value]
    names = []
    for v in values:
        name = v.get("name") if isinstance(v, dict) else v
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return " ".join(names) or None


def punctuation_count(text: str) -> int:
    """Sentence punctuation symbols in a text: the density signal of running prose (as in GNE)."""
    return len(SENTENCE_PUNCT_RE.findall(text))


def block_score(text: str, link_chars: int) -> float:
    """Readability's paragraph score adapted to Chinese, discounted by the share of link text."""
    if len(text) < MIN_SCORED_CHARS:
        return 0.0
    score = 1 + punctuation_count(text) + min(len(text) // SCORE_CHARS_PER_POINT, SCORE_LENGTH_CAP)
    return score * (1 - link_chars / len(text))


def is_link_dense(text: str, link_chars: int) -> bool:
    """Mostly link text, unless it is a long paragraph of sentences."""
    if not text or link_chars / len(text) <= LINK_DENSE_FRACTION:
        return False
    if link_chars / len(text) > TEASER_LINK_FRACTION:
        return True
    return not (len(text) >= LONG_PARAGRAPH_CHARS and SENTENCE_END_RE.search(text))


def _real_chrome(blocks: list[_RawBlock]) -> set[int]:
    """Ids of chrome-looking elements that are not layout wrappers around most of the prose."""
    total = 0
    under: dict[int, int] = {}
    for block in blocks:
        punct = punctuation_count(block.text)
        total += punct
        if punct:
            for element, _rule in block.chrome:
                under[id(element)] = under.get(id(element), 0) + punct
    wrappers = {key for key, punct in under.items() if total and punct > WRAPPER_PUNCT_FRACTION * total}
    return {id(element) for block in blocks for element, _rule in block.chrome} - wrappers


def _chrome_rule(block: _RawBlock, real: set[int]) -> str | None:
    """The innermost real chrome ancestor's rule."""
    for element, rule in reversed(block.chrome):
        if id(element) in real:
            return str(rule)
    return None


def _score_containers(blocks: list[_RawBlock], rules: list[str | None]) -> dict[int, tuple[Any, float]]:
    """Readability-style container scores from the blocks that are not chrome."""
    scores: dict[int, tuple[Any, float]] = {}

    def credit(element: Any, amount: float) -> None:
        if element is None or amount <= 0:
            return
        _, old = scores.get(id(element), (element, 0.0))
        scores[id(element)] = (element, old + amount)

    for block, rule in zip(blocks, rules, strict=True):
        if rule is not None or block.owner is None:
            continue
        score = block_score(block.text, block.link_chars)
        if score <= 0:
            continue
        container = block.owner
        if block.tag in PARAGRAPH_TAGS:
            container = container.getparent()
        if container is None:
            continue
        credit(container, score)
        credit(container.getparent(), score * GRANDPARENT_SHARE)
    return scores


def _main_elements(blocks: list[_RawBlock], rules: list[str | None]) -> list[Any]:
    """The main text container and its high-scoring siblings (readability's top candidate)."""
    total = sum(punctuation_count(b.text) for b, r in zip(blocks, rules, strict=True) if r is None)
    if total < MIN_MAIN_PUNCT:
        return []
    scores = _score_containers(blocks, rules)
    if not scores:
        return []
    top, top_score = max(scores.values(), key=lambda item: item[1])
    main = [top]
    parent = top.getparent()
    if parent is not None:
        for sibling in parent:
            if sibling is top:
                continue
            _, score = scores.get(id(sibling), (sibling, 0.0))
            if score >= SIBLING_SCORE_FRACTION * top_score:
                main.append(sibling)
    return main


def _inside(element: Any, containers: set[int]) -> bool:
    """Whether element is one of the containers or a descendant of one."""
    while element is not None:
        if id(element) in containers:
            return True
        element = element.getparent()
    return False


def _choose_h1(h1_elements: list[Any], main_ids: set[int], first_main_owner: Any, owners: list[Any]) -> Any:
    """The h1 inside the main container, else the nearest one above it, else the first."""
    for element in h1_elements:
        if _inside(element, main_ids):
            return element
    if first_main_owner is not None:
        preceding = [e for e in h1_elements if e in owners]
        if preceding:
            return preceding[-1]
    return h1_elements[0] if h1_elements else None


def _h1_block_index(h1: Any, blocks: list[_RawBlock]) -> int | None:
    """Index of the first block that belongs to the chosen h1."""
    if h1 is None:
        return None
    for index, block in enumerate(blocks):
        if block.owner is not None and _inside(block.owner, {id(h1)}):
            return index
    return None


def _outside_main_rule(block: _RawBlock) -> str | None:
    """Outside the article: chrome only when it is not a sentence (no body text may be lost)."""
    if SENTENCE_END_RE.search(block.text) and len(block.text) >= MIN_SCORED_CHARS:
        return None
    return RULE_OUTSIDE_MAIN


def _sibling_keys(element: Any) -> list[str]:
    """What a post shares with its sibling posts: its tag, alone or with an id pattern (post_#) or a class."""
    tag = element.tag if isinstance(element.tag, str) else ""
    keys = [tag]
    ident = element.get("id") or ""
    if _DIGIT_RUN_RE.search(ident):
        keys.append(f"{tag}#{_DIGIT_RUN_RE.sub('0', ident)}")
    keys.extend(f"{tag}.{token}" for token in (element.get("class") or "").split())
    return keys


def _is_post_header(text: str) -> bool:
    """A short line with a day and a time of day (发表于 2013-4-21 20:15:07)."""
    return len(text) <= POST_HEADER_MAX_CHARS and POST_TIME_RE.search(text) is not None


def _post_groups(blocks: list[_RawBlock]) -> list[tuple[Any, str, list[Any]]]:
    """(parent, key, posts): sibling elements alike by tag, id pattern or class, two or more of them
    holding a post header (a day and a time of day)."""
    groups: dict[tuple[int, str], tuple[Any, dict[int, Any]]] = {}
    for block in blocks:
        if block.owner is None or not _is_post_header(block.text):
            continue
        element = block.owner
        while (parent := element.getparent()) is not None:
            for key in _sibling_keys(element):
                groups.setdefault((id(parent), key), (parent, {}))[1][id(element)] = element
            element = parent
    return [
        (parent, key, list(posts.values()))
        for (_, key), (parent, posts) in groups.items()
        if len(posts) >= MIN_THREAD_POSTS
    ]


def _has_prose(text: str) -> bool:
    """Article text: long and with a sentence end."""
    return len(text) >= LONG_PARAGRAPH_CHARS and SENTENCE_END_RE.search(text) is not None


def _alike(parent: Any, key: str) -> list[Any]:
    """Every child of parent with the key, header or not (a thread's first post may have none)."""
    return [child for child in parent if isinstance(child.tag, str) and key in _sibling_keys(child)]


def _replies(blocks: list[_RawBlock], parent: Any, key: str, with_headers: list[Any]) -> list[Any]:
    """The replies of one group, or none when it is not a thread or comment list.

    Forum words must be in two or more posts. After an article (a blog post, a news report) every
    member is a comment; otherwise the first member is the article (a thread's first post).
    """
    if sum(1 for post in with_headers if FORUM_WORD_RE.search(_text_content(post))) < MIN_THREAD_POSTS:
        return []
    posts = _alike(parent, key)
    if _prose_before(blocks, posts[0]):
        return posts
    return posts[1:] if _has_prose(_text_content(posts[0])) else []


def _prose_before(blocks: list[_RawBlock], element: Any) -> bool:
    """Whether an article's worth of sentences comes before the element (what a comment list follows)."""
    chars = 0
    for block in blocks:
        if block.owner is not None and _inside(block.owner, {id(element)}):
            break
        if not block.hidden and len(block.text) >= MIN_SCORED_CHARS and SENTENCE_END_RE.search(block.text):
            chars += len(block.text)
    return chars >= LONG_PARAGRAPH_CHARS


def thread_replies(blocks: list[_RawBlock]) -> list[Any]:
    """The reply elements of the page's largest forum thread or comment list.

    Elements, not ids: lxml makes a new proxy (with a new id) for a node once nothing holds the old
    one, so the caller keeps these alive while it compares ids.
    """
    found = [_replies(blocks, parent, key, posts) for parent, key, posts in _post_groups(blocks)]
    return max(found, key=len, default=[])


def _block_rules(blocks: list[_RawBlock]) -> tuple[list[str | None], list[bool], Any]:
    """Chrome rule and in-main flag per block, plus the chosen h1 element."""
    real = _real_chrome(blocks)
    replies = thread_replies(blocks)
    reply_ids = {id(element) for element in replies}
    rules: list[str | None] = []
    for block in blocks:
        if block.hidden:
            rules.append(RULE_HIDDEN)
        elif block.form:
            rules.append(RULE_FORM_CONTROL)
        elif reply_ids and _inside(block.owner, reply_ids):
            rules.append(RULE_THREAD_REPLY)
        else:
            rules.append(_chrome_rule(block, real))
    main = _main_elements(blocks, rules)
    main_ids = {id(element) for element in main}
    in_main = [bool(main_ids) and _inside(block.owner, main_ids) for block in blocks]
    for index, block in enumerate(blocks):
        if rules[index] is None and is_link_dense(block.text, block.link_chars):
            rules[index] = RULE_LINK_DENSE
    return rules, in_main, main


def _headline_index(blocks: list[_RawBlock], start: int, h1_index: int | None, title_tag: str | None) -> int:
    """Nearest block above the text container that is its headline (h1/h2 or the <title> text)."""
    if h1_index is not None and 0 <= start - h1_index <= MAX_HEADLINE_GAP_BLOCKS:
        return h1_index
    for index in range(start - 1, max(start - MAX_HEADLINE_GAP_BLOCKS, 0) - 1, -1):
        block = blocks[index]
        if block.tag in HEADLINE_TAGS:
            return index
        if title_tag and len(block.text) >= MIN_HEADLINE_CHARS and block.text in title_tag:
            return index
    return start


def _region(
    blocks: list[_RawBlock], in_main: list[bool], h1_index: int | None, title_tag: str | None
) -> tuple[int, int] | None:
    """Block index span of the article: from its headline (when close) to its last main block."""
    indices = [i for i, flag in enumerate(in_main) if flag]
    if not indices:
        return None
    start, end = indices[0], indices[-1]
    return _headline_index(blocks, start, h1_index, title_tag), end


def _blocks_in_order(raw: list[_RawBlock], rules: list[str | None], in_main: list[bool]) -> Iterable[Block]:
    """Final public blocks."""
    for block, rule, main in zip(raw, rules, in_main, strict=True):
        yield Block(block.text, rule, main, block.tag, main and block.emphasised, block.after_media)


def html_to_blocks(html: str) -> HtmlPage:
    """Visible text blocks in document order, each chrome block carrying the DOM rule that says so."""
    root = _parse(html)
    if root is None:
        return HtmlPage([])
    title_tag = _title_tag(root)
    # a <meta> tag wins over the same key in microdata, and microdata over JSON-LD
    meta = {**_script_meta(root), **_microdata(root), **_meta_tags(root)}
    etree.strip_elements(root, *DROP_TAGS, with_tail=False)
    walker = _Walker()
    walker.walk(root)
    raw = walker.blocks
    rules, in_main, main = _block_rules(raw)
    main_ids = {id(element) for element in main}
    first_main = next((b.owner for b, flag in zip(raw, in_main, strict=True) if flag), None)
    owners_before: list[Any] = []
    if first_main is not None:
        stop = in_main.index(True)
        owners_before = [b.owner for b in raw[:stop]]
    h1 = _choose_h1(walker.h1_elements, main_ids, first_main, owners_before)
    h1_index = _h1_block_index(h1, raw)
    span = _region(raw, in_main, h1_index, title_tag)
    if span is not None:
        start, end = span
        for index, block in enumerate(raw):
            if rules[index] is None and not start <= index <= end:
                rules[index] = _outside_main_rule(block)
    h1_text = _normalise(_text_content(h1)) if h1 is not None else None
    return HtmlPage(list(_blocks_in_order(raw, rules, in_main)), h1_text or None, title_tag, meta)
