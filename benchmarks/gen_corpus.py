"""Synthetic seed corpus with ground truth, deterministic for a seed (issue 7).

Body sentences are recombined from clauses of real text (the seeds, the test pages and the shared
dev pages), with their numbers redrawn, so the text reads like news while sentences stay rare across
the corpus (as they are in real news) and only planted pairs share passages. Around the body: site
chrome (per site, so it repeats across that site's pages, plus per-page related links), title and
meta lines, captions, appended organisation profiles (side text), a share in Traditional (some
with pinyin annotations), GBK/Big5 encodings and HTML pages. A quarter of the sites also carry teaser
headlines of their other stories inside the article (a block of 2-5 a page, the same block on the
3-10 pages of one "day" of the site, then another), and short articles that the teasers can make half
of: lines no page tells from its paragraphs, which only their spread over unrelated pages marks as
chrome.

Layout written under OUT (the run is given OUT/seeds only, so the truth stays outside it):
- OUT/seeds/<bucket>/<n>.txt|.html  the seed files (1,000 per folder)
- OUT/truth.jsonl                   one record per document: format, encoding, script, pinyin count,
                                    and every non-empty line (text as written, text without pinyin,
                                    label, line_no for text files; teaser lines, labelled boilerplate,
                                    also carry `teaser`: the planted headline's number, one per text)
- OUT/pairs.jsonl                   planted pairs: doc_a < doc_b, relation duplicate | overlap
- OUT/manifest.json                 parameters, counts and the pool's fingerprint

Run: .venv/bin/python -m benchmarks.gen_corpus OUT --docs 20000 --seed 7
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import re
import sys
from array import array
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TextIO

import lxml.html
import opencc
from pypinyin import Style, pinyin

from benchmarks.devpages import DEV_PAGES
from transforms.decode import Decoded, decode_bytes
from transforms.pinyin import strip_annotations
from transforms.repetition import normalise_line
from transforms.script import to_simplified

PROJECT = Path(__file__).resolve().parent.parent
# Real text to pool sentences from: the project's seeds and test pages (what every clone has, and
# what the gates in tests/ generate from), and for benchmarks the third-party dev pages too.
PROJECT_SOURCES = (PROJECT / "seeds", PROJECT / "tests" / "pages")
DEFAULT_SOURCES = (*PROJECT_SOURCES, DEV_PAGES)
FILES_PER_FOLDER = 1000  # keeps directory listings short at 1M files
# Written into the manifest; raised whenever a seed's corpus changes, so that a corpus kept from an
# earlier generator is made again (benchmarks.harness.corpus). 2: one topic clause a body sentence;
# 3: company-profile facts kept out of articles; 4: teaser headlines inside the articles of a quarter
# of the sites (changing every 3-10 pages of the site), short articles on those sites, and each
# page's site drawn up front (so that a site's days can be planned).
GENERATOR_VERSION = 4

# Shares of documents with each property (a document can have several). Chosen to exercise every
# path often enough at 1k documents (>= 50 of each) while Simplified UTF-8 text stays the bulk,
# as in the seeds (2 of 5 Traditional, 2 of 5 with pinyin annotations).
TRADITIONAL_SHARE = 0.25
PINYIN_SHARE_OF_TRADITIONAL = 0.3
GBK_SHARE_OF_SIMPLIFIED = 0.12
BIG5_SHARE_OF_TRADITIONAL = 0.3
HTML_SHARE = 0.15
SIDE_SHARE = 0.08
CAPTION_SHARE = 0.25
# Planted pairs: a copy of a recent document's body (duplicate) or a report reusing a few of its
# sentences (overlap). Each document is in at most one planted pair, so no pair is implied.
DUPLICATE_SHARE = 0.03
OVERLAP_SHARE = 0.05
# An overlap shares this many sentences (seeds 000/001 share 4-9 passages).
OVERLAP_SENTENCES = (3, 6)
# Sources are drawn from the last this many documents, so the generator keeps little in memory.
SOURCE_WINDOW = 2000
# One site per ~this many pages, at least MIN_SITES: chrome repeats within a site.
PAGES_PER_SITE = 60
MIN_SITES = 20
# Body shape: paragraphs per article and sentences per paragraph (seed articles: 3-12 paragraphs).
PARAGRAPHS = (3, 9)
SENTENCES_PER_PARAGRAPH = (1, 4)
# Clauses per sentence: three or more keep two sentences that share one clause below the
# matcher's passage containment of 0.5.
CLAUSES_PER_SENTENCE = (3, 5)
# Pooled clauses: long enough to carry content, short enough to combine (characters).
CLAUSE_CHARS = (6, 40)
# A pooled sentence must be mostly Han characters (navigation and code are not).
MIN_HAN_SHARE = 0.6
# Real clauses are a few thousand; at 20k documents each would recur in hundreds of them. Clauses
# drawn from an order-2 character model of the same text add variety (read like news, say nothing),
# so that sentences shared by chance stay as rare as in real news.
SYNTHETIC_CLAUSES = 50_000
MARKOV_ORDER = 2
# Topic: each article draws its title, its lead and this share of its other clauses from a window
# of consecutive real clauses (one source article or two), so title and lead relate as in news.
TOPIC_CLAUSES = 40
TOPIC_SHARE = 0.25
LEAD_TOPIC_SHARE = 0.75
# At most one topic clause in a sentence after the lead: two unrelated articles on one topic then
# share at most one clause in such sentences, which no rule may take for an overlap. With more,
# several sentence pairs sharing two clauses each made unrelated documents overlap by their text
# alone, pairs the truth did not list (20k, seed 7, through the flow: 62 of the 1,698 pairs found
# were unplanted, precision 0.963; with this rule 10 of 1,589, 0.994). The lead keeps all its topic
# clauses (one shared passage is no overlap).
BODY_TOPIC = (TOPIC_SHARE, 1)
LEAD_TOPIC = (LEAD_TOPIC_SHARE, CLAUSES_PER_SENTENCE[1])
# Headlines are short: the longest seed title has 42 characters and news titles rarely pass 40
# (two pooled clauses can reach 81, which no headline, related link or caption does).
HEADLINE_MAX_CHARS = 40
# Legal phrases of an association's charter (the wording of a 社会团体 charter: 自愿结成的…非营利性
# 社会组织, 业务主管单位, 登记管理机关). A clause carrying one comes from a profile, so it goes to the
# profiles appended to pages; an article about something else does not splice it into its prose.
CHARTER_PHRASES = (
    "自愿结成",
    "自愿组成",
    "非营利",
    "社会团体",
    "社团法人",
    "法人资格",
    "业务主管",
    "登记管理机关",
    "业务范围",
    "本会",
)
# A company profile's facts, for the same reason: a clause stating one (…有限公司成立于2008年, 总部
# 位于…, 注册资本…) names a company and says what it is; spliced into an unrelated article's closing
# paragraph it reads as that company's appended profile, which the truth would call body (generator 2,
# 50k: two articles whose closing paragraphs held such clauses from a profile fixture in the pool).
COMPANY_FACT_PHRASES = ("成立于", "总部位于", "注册资本", "主营业务", "经营范围")
PROFILE_PHRASES = CHARTER_PHRASES + COMPANY_FACT_PHRASES
PINYIN_ANNOTATE_SHARE = 0.6  # share of Traditional-only characters that get an annotation
# Teaser headlines (generator 4): sites that put headlines of their other stories inside the
# article (「标题……《详全文》」, 即时新闻 notices, three featured headlines above the text), as
# finance and news portals do; the issue asks for about a quarter of the sites.
TEASER_SITE_SHARE = 0.25
# Pages of a site that carry one day's block: at least the 3 carriers the corpus step's relatedness
# rule needs (transforms.corpus MIN_DOCS) and at most 10, far below the 50 pages from which any line
# is chrome (FREQUENT_DOCS): only the pages' unrelatedness tells these lines from a quoted passage.
TEASER_PAGES = (3, 10)
TEASERS_PER_BLOCK = (2, 5)  # the issue: a block of 2-5 teasers a page
# Where a site puts its block: above the first paragraph, between two, or below the last.
TEASER_PLACES = ("top", "between", "after")
# A teaser line is a headline with its site's decoration: (before, after). Seen on portals: a link
# word after the headline, a notice label before it, or a bare featured headline. None ends like a
# sentence, and the longest line (40 + 6 characters) stays a short line for the corpus step (<= 64).
TEASER_FORMS = (
    ("", "《详全文》"),
    ("", "【详细】"),
    ("", "……全文"),
    ("", ""),
    ("【即时新闻】", ""),
    ("今日推荐：", ""),
)
# Model-made clauses that teaser headlines are made of, none inside a pooled clause: two-clause
# headlines give millions of distinct lines, far more than the ~120k teasers of a 1M-document corpus
# (233 at 2,000 documents, seed 7).
TEASER_CLAUSES = 5000
# On teaser sites this share of articles are flashes of SHORT_PARAGRAPHS paragraphs, so that the
# teasers can be half of the body lines, as on real finance sites.
SHORT_ARTICLE_SHARE = 0.5
SHORT_PARAGRAPHS = (1, 3)
# Planted pairs copy only articles as long as the shortest before short articles (3 paragraphs of one
# sentence): a planted overlap shares as many sentences as it did in generator 3.
MIN_SOURCE_SENTENCES = PARAGRAPHS[0] * SENTENCES_PER_PARAGRAPH[0]
TEASER = "teaser"  # the label of a teaser line in a Page; the truth calls it boilerplate

_SENTENCE_SPLIT = re.compile(r"(?<=[。！？!?])")
_CLAUSE_SPLIT = re.compile(r"[，,；;：:]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_BAD = re.compile(r"[^\u0020-\u007e\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e“”‘’—…·•]")
# Navigation bars are not prose: URLs, markup and link separators (| and the CJK bar 丨 of
# 安全隐私 丨 版权保护 丨 联系我们 footers).
_JUNK = re.compile(r"https?|www|[?<>{}\[\]|=_/\\@#*丨]")
_DIGITS = re.compile(r"\d")
_TRIM = re.compile(r"^[\s“”\"'‘’「」『』()（）、。！？!?]+|[\s“”\"'‘’「」『』()（）、。！？!?]+$")
_HAN_CHAR = re.compile(r"[\u4e00-\u9fff]")

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国晓东海燕文博思雨欣宇浩然志远"
SITE_CHARS = "华夏中原东方南方北方新闻时代经济科技质量财经民生都市晨报晚报在线视界天下环球城市信息"
SECTIONS = ("国内", "国际", "财经", "科技", "社会", "地方", "质量", "产业", "要闻", "综合", "评论", "图片")
NAV_ITEMS = (
    "首页",
    "新闻",
    "财经",
    "科技",
    "体育",
    "娱乐",
    "汽车",
    "房产",
    "教育",
    "健康",
    "视频",
    "图片",
    "专题",
)
PROVINCES = "京沪粤浙苏鲁豫川鄂湘闽皖"
PROFILE_KINDS = ("协会", "学会", "联合会", "促进会", "研究会")
COMPANY_WORDS = ("科技", "仪器", "检测", "精密", "信息", "质量技术")

HEADER_TEMPLATES = (
    "{site} {url}",
    "{site}——{slogan}",
    "您当前的位置: 首页 > {section} > 正文",
    "首页 > {section}",
    "手机看{site} 微信 微博",
    "登录 | 注册",
)
FOOTER_TEMPLATES = (
    "分享到:",
    "扫一扫在手机打开当前页",
    "【打印】 【关闭】",
    "关于我们 | 联系我们 | 网站地图 | 广告服务",
    "版权所有 © {year} {site} All Rights Reserved",
    "{province}ICP备{icp}号",
    "会员登录",
    "找回密码",
    "精彩图片",
    "查看余下全文",
)
META_TEMPLATES = (
    "时间:{date} 来源:{outlet}",
    "{date_cn} {time}   来源:{outlet}   {author}",
    "发布时间:{date} 作者:{author} 来源:{outlet} 浏览:{views}",
    "来源：{outlet}  编辑：{editor}  {date} {time}",
)


@dataclass(frozen=True)
class Site:
    """A synthetic site: its chrome repeats on every page it publishes."""

    name: str
    header: tuple[str, ...]
    footer: tuple[str, ...]
    meta_template: str
    comma: str
    indent: str
    blank_between: bool


@dataclass
class Page:
    """One generated page in Simplified, before script, pinyin, encoding and format."""

    lines: list[tuple[str, str]] = field(default_factory=list)  # (text, label)
    body: list[str] = field(default_factory=list)  # body sentences, for planted copies
    side_blocks: int = 0
    teasers: list[int] = field(default_factory=list)  # numbers of the TEASER lines, in line order


@dataclass(frozen=True)
class TeaserBlock:
    """One page's teaser lines (numbered headlines, decorated) and where the site puts them."""

    lines: tuple[tuple[int, str], ...]
    place: str


@dataclass
class TeaserSite:
    """A teaser site's plan: its style, the pages of each day to come, and today's block."""

    place: str
    form: tuple[str, str]
    days: deque[int]
    block: tuple[tuple[int, str], ...] = ()
    left: int = 0  # pages of the current day still to carry the block


@dataclass(frozen=True)
class Params:
    """Generator parameters (recorded in the manifest)."""

    docs: int
    seed: int
    line_truth: bool = True
    synthetic_clauses: int = SYNTHETIC_CLAUSES


def han_share(text: str) -> float:
    """Share of Han characters: prose is mostly Han, menus and code are not."""
    return len(_HAN.findall(text)) / max(len(text), 1)


def source_texts(roots: Iterable[Path]) -> Iterator[str]:
    """Decoded text of every page under the roots, in sorted order (HTML as paragraph text)."""
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".txt", ".html")):
            decoded = decode_bytes(path.read_bytes())
            if not isinstance(decoded, Decoded):
                continue
            if path.suffix == ".html":
                try:
                    tree = lxml.html.fromstring(decoded.text.encode("utf-8"))
                except (ValueError, lxml.etree.ParserError):
                    continue
                yield "\n".join(p.text_content() for p in tree.iter("p"))
            else:
                yield decoded.text


def pool_clauses(texts: Iterable[str]) -> list[str]:
    """Distinct Simplified clauses of real prose sentences, in source order (neighbours share a topic)."""
    clauses: dict[str, None] = {}
    for text in texts:
        plain = to_simplified(strip_annotations(text)[0])
        for line in plain.splitlines():
            for sentence in _SENTENCE_SPLIT.split(line.strip()):
                if len(sentence) < CLAUSE_CHARS[0] * 2 or han_share(sentence) < MIN_HAN_SHARE:
                    continue
                if _BAD.search(sentence) or _JUNK.search(sentence):
                    continue
                for clause in _CLAUSE_SPLIT.split(sentence):
                    clause = _TRIM.sub("", clause)
                    if (
                        CLAUSE_CHARS[0] <= len(clause) <= CLAUSE_CHARS[1]
                        and han_share(clause) >= MIN_HAN_SHARE
                    ):
                        clauses[clause] = None
    return list(clauses)


def markov_model(clauses: Iterable[str]) -> dict[str, list[str]]:
    """Order-2 character model: context -> observed next characters ('$' ends a clause)."""
    model: dict[str, list[str]] = {}
    for clause in clauses:
        padded = "^" * MARKOV_ORDER + clause + "$"
        for i in range(len(clause) + 1):
            model.setdefault(padded[i : i + MARKOV_ORDER], []).append(padded[i + MARKOV_ORDER])
    return model


def markov_clause(rng: random.Random, model: dict[str, list[str]]) -> str:
    """One clause walked from the model, cut at the longest pooled length."""
    context = "^" * MARKOV_ORDER
    out: list[str] = []
    while len(out) < CLAUSE_CHARS[1]:
        char = rng.choice(model[context])
        if char == "$":
            break
        out.append(char)
        context = context[1:] + char
    return "".join(out)


def synthetic_clauses(rng: random.Random, real: list[str], count: int) -> list[str]:
    """Real clauses plus `count` model-made ones of pooled length (distinct, in drawing order)."""
    model = markov_model(real)
    seen = set(real)
    made: list[str] = []
    while len(made) < count:
        clause = markov_clause(rng, model)
        if len(clause) >= CLAUSE_CHARS[0] and clause not in seen:
            seen.add(clause)
            made.append(clause)
    return real + made


def redraw_digits(rng: random.Random, text: str) -> str:
    """Numbers redrawn digit by digit: dates and counts vary, so sentences stay rare."""
    return _DIGITS.sub(lambda _: str(rng.randrange(10)), text)


def person(rng: random.Random) -> str:
    """A plausible two- or three-character name."""
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def sentence(
    rng: random.Random, clauses: list[str], comma: str, topic: list[str], share: float, max_topic: int
) -> str:
    """A body sentence: a few clauses (a share from the topic, at most max_topic), numbers redrawn,
    closed with 。."""
    parts: list[str] = []
    topical = 0
    for _ in range(rng.randint(*CLAUSES_PER_SENTENCE)):
        if topical < max_topic and rng.random() < share:
            parts.append(rng.choice(topic))
            topical += 1
        else:
            parts.append(rng.choice(clauses))
    return redraw_digits(rng, comma.join(parts)) + "。"


def title(rng: random.Random, clauses: list[str]) -> str:
    """A headline: one or two clauses, no closing punctuation, no longer than a headline gets."""
    parts = rng.sample(clauses, rng.randint(1, 2))  # two different clauses: no headline says one twice
    joined = " ".join(parts)
    return redraw_digits(rng, joined if len(joined) <= HEADLINE_MAX_CHARS else parts[0])


def fold_digits(text: str) -> str:
    """Every digit as 0: bodies redraw their digits, so a clause is in a body whatever its digits."""
    return _DIGITS.sub("0", text)


def teaser_clauses(rng: random.Random, real: list[str], pool: list[str], count: int) -> list[str]:
    """`count` model-made clauses for teaser headlines, none inside a pooled clause (digits aside), so
    that no article, title or caption carries a teaser's text; none starts or ends on punctuation or
    states a profile's facts (headlines of news, like the article clauses)."""
    model = markov_model(real)
    pooled = "\n".join(fold_digits(c) for c in pool)
    tried: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        clause = markov_clause(rng, model)
        if len(clause) < CLAUSE_CHARS[0] or clause in tried or _TRIM.sub("", clause) != clause:
            continue
        if any(phrase in clause for phrase in PROFILE_PHRASES):
            continue
        tried.add(clause)
        if fold_digits(clause) not in pooled:
            out.append(clause)
    return out


def site_plan(rng: random.Random, docs: int, sites: int) -> array[int]:
    """The site of every page, drawn up front: a site's days are planned from its number of pages."""
    return array("L", (rng.randrange(sites) for _ in range(docs)))


def day_lengths(rng: random.Random, pages: int) -> list[int]:
    """A site's pages cut into consecutive days of TEASER_PAGES pages each (none when too few), so
    that every teaser is on as many pages as its day has."""
    low, high = TEASER_PAGES
    if pages < low:
        return []
    days: list[int] = []
    while pages > high:
        days.append(rng.randint(low, min(high, pages - low)))  # leaves at least a day's minimum
        pages -= days[-1]
    return [*days, pages]


def teaser_sites(rng: random.Random, pages: Sequence[int]) -> dict[int, TeaserSite]:
    """TEASER_SITE_SHARE of the sites (by index), each with its place, decoration and days."""
    chosen = sorted(rng.sample(range(len(pages)), round(len(pages) * TEASER_SITE_SHARE)))
    return {
        i: TeaserSite(rng.choice(TEASER_PLACES), rng.choice(TEASER_FORMS), deque(day_lengths(rng, pages[i])))
        for i in chosen
    }


def new_block(
    rng: random.Random, clauses: list[str], form: tuple[str, str], used: dict[str, int]
) -> tuple[tuple[int, str], ...]:
    """A day's teasers: headlines made as title() makes them, each new to the corpus as the corpus
    step compares lines (normalise_line), numbered in order of first use."""
    block: list[tuple[int, str]] = []
    size = rng.randint(*TEASERS_PER_BLOCK)
    while len(block) < size:
        headline = title(rng, clauses)
        key = normalise_line(headline)
        if key in used:
            continue
        used[key] = len(used)
        block.append((used[key], form[0] + headline + form[1]))
    return tuple(block)


def todays_block(
    rng: random.Random, clauses: list[str], site: TeaserSite, used: dict[str, int]
) -> TeaserBlock | None:
    """The block the site's next page carries: today's, or a new day's once today's pages are done."""
    if site.left == 0:
        if not site.days:
            return None  # a site with fewer pages than a day has no teasers
        site.left = site.days.popleft()
        site.block = new_block(rng, clauses, site.form, used)
    site.left -= 1
    return TeaserBlock(site.block, site.place)


def block_index(place: str, paragraphs: int) -> int:
    """The paragraph the block goes before (paragraphs: below the last); `between` falls below a
    one-paragraph article, which has no two paragraphs to sit between."""
    if place == "top":
        return 0
    if place == "between":
        return max(1, paragraphs // 2)
    return paragraphs


def make_site(rng: random.Random, index: int) -> Site:
    """A site with its own name, header/footer chrome and meta-line style."""
    name = "".join(rng.choice(SITE_CHARS) for _ in range(rng.randint(2, 4))) + rng.choice(
        ("网", "在线", "新闻网")
    )
    values = {
        "site": name,
        "url": f"http://www.site{index:04d}.com.cn/",
        "slogan": rng.choice(("权威资讯门户", "行业门户网站", "新闻资讯平台")),
        "section": rng.choice(SECTIONS),
        "year": str(rng.randint(2005, 2024)),
        "province": rng.choice(PROVINCES),
        "icp": f"{rng.randint(10_000_000, 99_999_999)}",
    }
    nav = " ".join(rng.sample(NAV_ITEMS, rng.randint(5, 9)))
    header = [t.format(**values) for t in rng.sample(HEADER_TEMPLATES, rng.randint(1, 3))]
    if rng.random() < 0.5:
        header.insert(0, nav)
    footer = [t.format(**values) for t in rng.sample(FOOTER_TEMPLATES, rng.randint(2, 5))]
    return Site(
        name=name,
        header=tuple(header),
        footer=tuple(footer),
        meta_template=rng.choice(META_TEMPLATES),
        comma=rng.choice(("，", ",")),
        indent=rng.choice(("", "", "　　", "  ")),
        blank_between=rng.random() < 0.6,
    )


def meta_line(rng: random.Random, site: Site) -> str:
    """The date/source/author line in the site's own format."""
    year, month, day = rng.randint(2010, 2024), rng.randint(1, 12), rng.randint(1, 28)
    return site.meta_template.format(
        date=f"{year}-{month:02d}-{day:02d}",
        date_cn=f"{year}年{month:02d}月{day:02d}日",
        time=f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        outlet=rng.choice((site.name, "新华社", "人民网", "中国新闻网", "经济日报")),
        author=person(rng),
        editor=person(rng),
        views=rng.randint(10, 99_999),
    )


def split_charter(clauses: list[str]) -> tuple[list[str], list[str]]:
    """Article clauses and profile clauses (PROFILE_PHRASES), each in pool order."""
    charter = [c for c in clauses if any(phrase in c for phrase in PROFILE_PHRASES)]
    taken = set(charter)
    return [c for c in clauses if c not in taken], charter


def side_block(rng: random.Random, clauses: list[str]) -> list[str]:
    """An organisation profile appended after the article: unrelated to it, but real-looking text."""
    if rng.random() < 0.5:
        org = "中国" + "".join(rng.choice(SITE_CHARS) for _ in range(2)) + rng.choice(PROFILE_KINDS)
        lines = [
            f"{org}简介",
            f"{org}是由全国从事相关工作的企业、事业单位和个人自愿结成的全国性、行业性社会团体,是非营利性社会组织。",
            f"本会的宗旨是:{rng.choice(clauses)},{rng.choice(clauses)}。",
            "本会的业务范围:",
        ]
        numerals = "一二三四五六七八九十"
        lines += [f"({numerals[i]}){rng.choice(clauses)};" for i in range(rng.randint(3, 8))]
        lines.append(
            "本会接受业务主管单位和社团登记管理机关的业务指导和监督管理。"
            f"联系电话:010-{rng.randint(10_000_000, 99_999_999)}"
        )
    else:
        company = (
            "".join(rng.choice(SITE_CHARS) for _ in range(2)) + rng.choice(COMPANY_WORDS) + "股份有限公司"
        )
        lines = [
            "关于我们",
            f"{company}成立于{rng.randint(1990, 2020)}年,"
            f"总部位于{rng.choice(('北京', '上海', '深圳', '苏州', '杭州'))},"
            f"注册资本{rng.randint(1, 90)}000万元。",
            f"公司主营业务包括{rng.choice(clauses)}、{rng.choice(clauses)}等。",
            f"公司秉承{rng.choice(clauses)}的经营理念,致力于成为行业领先的服务商。",
        ]
    return [redraw_digits(rng, line) for line in lines]


def build_page(
    rng: random.Random,
    site: Site,
    clauses: list[str],
    real: int,
    body: list[list[str]] | None,
    charter: list[str] | None = None,
    paragraphs: tuple[int, int] = PARAGRAPHS,
    teasers: TeaserBlock | None = None,
) -> Page:
    """Lines of one page with their true labels; body paragraphs given for planted copies; profiles
    draw their purpose and items from the charter clauses when there are any; a teaser block goes
    where its site puts it, indented like the paragraphs around it."""
    page = Page()
    page.lines += [(line, "boilerplate") for line in site.header]
    start = rng.randrange(max(real - TOPIC_CLAUSES, 1))
    topic = clauses[start : start + TOPIC_CLAUSES]
    headline = title(rng, topic)
    page.lines.append((headline, "title"))
    page.lines.append((meta_line(rng, site), "meta"))
    if body is None:
        body = [
            [
                sentence(rng, clauses, site.comma, topic, *(LEAD_TOPIC if p == s == 0 else BODY_TOPIC))
                for s in range(rng.randint(*SENTENCES_PER_PARAGRAPH))
            ]
            for p in range(rng.randint(*paragraphs))
        ]
    caption_at = rng.randrange(1, len(body)) if len(body) > 1 and rng.random() < CAPTION_SHARE else -1
    teasers_at = block_index(teasers.place, len(body)) if teasers is not None else -1
    for i, paragraph in enumerate(body):
        if i == teasers_at and teasers is not None:
            add_teasers(page, site.indent, teasers)
        if i == caption_at:
            caption = title(rng, clauses)
            if rng.random() < 0.5:
                caption = f"{caption}。{person(rng)}摄"
            page.lines.append((caption, "caption"))
        page.lines.append((site.indent + "".join(paragraph), "body"))
        page.body.extend(paragraph)
    if teasers_at == len(body) and teasers is not None:
        add_teasers(page, site.indent, teasers)
    if rng.random() < 0.3:
        page.lines.append((f"(责任编辑:{person(rng)})", "meta"))
    if rng.random() < SIDE_SHARE:
        page.lines += [(line, "side") for line in side_block(rng, charter or clauses)]
        page.side_blocks = 1
    related = [f"{title(rng, clauses)}" for _ in range(rng.randint(0, 3))]
    if related:
        page.lines.append(("相关阅读", "boilerplate"))
        page.lines += [(line, "boilerplate") for line in related]
    page.lines += [(line, "boilerplate") for line in site.footer]
    if rng.random() < 0.2:
        page.lines.append((headline, "boilerplate"))  # the title repeated at the foot of the page
    return page


def add_teasers(page: Page, indent: str, block: TeaserBlock) -> None:
    """Append the block's lines as paragraphs of the article, with their numbers for the truth."""
    page.lines += [(indent + text, TEASER) for _, text in block.lines]
    page.teasers += [number for number, _ in block.lines]


@lru_cache(maxsize=8192)
def char_reading(char: str) -> str:
    """The default tone-marked reading of a character (a reading the pipeline accepts)."""
    found = pinyin(char, style=Style.TONE, errors="ignore")
    return found[0][0] if found and found[0] else ""


def annotate_pinyin(rng: random.Random, traditional: str, simplified: str) -> tuple[str, int]:
    """Glue 字(pīnyīn) after a share of the Traditional-only characters, as some converters do."""
    if len(traditional) != len(simplified):
        return traditional, 0
    out: list[str] = []
    count = 0
    for t, s in zip(traditional, simplified, strict=True):
        out.append(t)
        if t != s and _HAN_CHAR.match(t) and rng.random() < PINYIN_ANNOTATE_SHARE:
            reading = char_reading(t)
            if reading:
                out.append(f"({reading})")
                count += 1
    return "".join(out), count


def html_page(lines: list[tuple[str, str]], charset: str) -> str:
    """The page as HTML: chrome in header/nav/footer elements, the article in <article> (teasers
    too: paragraphs of the article, as portals put them)."""
    head_title = next((t for t, label in lines if label == "title"), "")
    parts = [
        f'<!DOCTYPE html>\n<html><head><meta charset="{charset}">'
        f"<title>{html.escape(head_title)}</title></head><body>"
    ]
    section = ""
    for text, label in lines:
        wanted = {"boilerplate": "chrome", "side": "side"}.get(label, "article")
        if wanted != section:
            if section:
                parts.append({"chrome": "</div>", "side": "</div>", "article": "</article>"}[section])
            parts.append(
                {"chrome": '<div class="nav">', "side": '<div class="about">', "article": "<article>"}[wanted]
            )
            section = wanted
        tag = {"title": "h1", "meta": 'div class="info"', "caption": 'p class="caption"'}.get(label, "p")
        close = tag.split()[0]
        parts.append(f"<{tag}>{html.escape(text.strip())}</{close}>")
    if section:
        parts.append({"chrome": "</div>", "side": "</div>", "article": "</article>"}[section])
    parts.append("</body></html>\n")
    return "\n".join(parts)


@dataclass
class Rendered:
    """A page as bytes on disk, with the truth of every line."""

    data: bytes
    fmt: str
    encoding: str
    script: str
    pinyin: int
    truth_lines: list[dict[str, object]]


def render(
    rng: random.Random, page: Page, site: Site, converters: tuple[opencc.OpenCC, opencc.OpenCC]
) -> Rendered:
    """Script, pinyin, format and encoding of one page, with the truth lines as written."""
    traditional = rng.random() < TRADITIONAL_SHARE
    with_pinyin = traditional and rng.random() < PINYIN_SHARE_OF_TRADITIONAL
    is_html = rng.random() < HTML_SHARE
    if traditional:
        big5 = not with_pinyin and rng.random() < BIG5_SHARE_OF_TRADITIONAL
        encoding = "big5" if big5 else "utf-8"
    else:
        encoding = "gbk" if rng.random() < GBK_SHARE_OF_SIMPLIFIED else "utf-8"
    # Big5 pages are Taiwan-standard (為, 裡, 著): OpenCC's own standard (爲, 裏, 着) is not in Big5.
    converter = converters[1] if encoding == "big5" else converters[0]
    lines: list[tuple[str, str, str]] = []  # (as written, without pinyin, label)
    pinyin_total = 0
    for text, label in page.lines:
        plain = str(converter.convert(text)) if traditional else text
        written = plain
        if with_pinyin:
            written, n = annotate_pinyin(rng, plain, text)
            pinyin_total += n
        lines.append((written, plain, label))
    truth: list[dict[str, object]] = []
    numbers = iter(page.teasers)
    if is_html:
        text = html_page([(w, label) for w, _, label in lines], encoding)
        for written, plain, label in lines:
            truth.append({"text": written.strip(), "plain": plain.strip(), **truth_label(label, numbers)})
    else:
        out: list[str] = []
        for written, plain, label in lines:
            if out and site.blank_between and label in ("title", "meta", "body", TEASER):
                out.append("")
            out.append(written)
            truth.append(
                {"line_no": len(out), "text": written, "plain": plain, **truth_label(label, numbers)}
            )
        text = "\n".join(out) + "\n"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        encoding = "utf-8"
        data = text.encode(encoding)
        if is_html:
            data = data.replace(b'charset="big5"', b'charset="utf-8"').replace(
                b'charset="gbk"', b'charset="utf-8"'
            )
    return Rendered(
        data,
        "html" if is_html else "text",
        encoding,
        "traditional" if traditional else "simplified",
        pinyin_total,
        truth,
    )


def truth_label(label: str, numbers: Iterator[int]) -> dict[str, object]:
    """A line's true label; a teaser is boilerplate and carries its number (the next of the page's)."""
    if label == TEASER:
        return {"label": "boilerplate", "teaser": next(numbers)}
    return {"label": label}


def pages_per_site(plan: Iterable[int], sites: int) -> list[int]:
    """How many pages each site publishes in the plan."""
    counts = Counter(plan)
    return [counts[i] for i in range(sites)]


def doc_id(index: int, fmt: str) -> str:
    """Relative path of the n-th document (1,000 per folder)."""
    suffix = "html" if fmt == "html" else "txt"
    return f"{index // FILES_PER_FOLDER:04d}/{index:07d}.{suffix}"


def pool_fingerprint(clauses: list[str]) -> str:
    """Short hash of the clause pool: same pool and seed, same corpus."""
    return hashlib.sha256("\n".join(clauses).encode("utf-8")).hexdigest()[:16]


def generate(out: Path, params: Params, sources: Iterable[Path] = DEFAULT_SOURCES) -> dict[str, object]:
    """Write the seeds, truth.jsonl, pairs.jsonl and manifest.json under out; return the manifest."""
    real_clauses = pool_clauses(source_texts(sources))
    if len(real_clauses) < 100:
        raise SystemExit(f"only {len(real_clauses)} clauses of real text found: check the source folders")
    rng = random.Random(params.seed)
    real = len(split_charter(real_clauses)[0])  # real article clauses stay first in the pool
    pool = synthetic_clauses(rng, real_clauses, params.synthetic_clauses)
    clauses, charter = split_charter(pool)
    sites = [make_site(rng, i) for i in range(max(MIN_SITES, params.docs // PAGES_PER_SITE))]
    teaser_pool = teaser_clauses(rng, real_clauses, pool, TEASER_CLAUSES)
    plan = site_plan(rng, params.docs, len(sites))
    teasing = teaser_sites(rng, pages_per_site(plan, len(sites)))
    days = sum(len(t.days) for t in teasing.values())
    used: dict[str, int] = {}  # teaser headlines (as normalise_line compares them) -> number
    converters = (opencc.OpenCC("s2t"), opencc.OpenCC("s2tw"))
    seeds = out / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    recent: deque[tuple[str, list[list[str]]]] = deque(maxlen=SOURCE_WINDOW)
    paired: set[str] = set()
    counts = {
        "duplicate": 0,
        "overlap": 0,
        "html": 0,
        "traditional": 0,
        "pinyin": 0,
        "gbk": 0,
        "big5": 0,
        "side": 0,
        "teaser_blocks": 0,
        "teaser_lines": 0,
    }
    chars = 0
    with (
        (out / "truth.jsonl").open("w", encoding="utf-8") as truth,
        (out / "pairs.jsonl").open("w", encoding="utf-8") as pairs,
    ):
        for index in range(params.docs):
            site = sites[plan[index]]
            teaser_site = teasing.get(plan[index])
            block = todays_block(rng, teaser_pool, teaser_site, used) if teaser_site else None
            short = teaser_site is not None and rng.random() < SHORT_ARTICLE_SHARE
            roll = rng.random()
            source = _pick_source(rng, recent, paired) if roll < DUPLICATE_SHARE + OVERLAP_SHARE else None
            relation = "duplicate" if roll < DUPLICATE_SHARE else "overlap"
            body = None
            shared = 0
            if source is not None and relation == "duplicate":
                body = source[1]
            page = build_page(
                rng, site, clauses, real, body, charter, SHORT_PARAGRAPHS if short else PARAGRAPHS, block
            )
            if source is not None and relation == "overlap":
                shared = _plant_overlap(rng, page, source[1])
            rendered = render(rng, page, site, converters)
            this_id = doc_id(index, rendered.fmt)
            path = seeds / this_id
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(rendered.data)
            chars += len(rendered.data)
            if source is not None:
                paired.update((source[0], this_id))
                a, b = sorted((source[0], this_id))
                n_shared = sum(len(p) for p in source[1]) if relation == "duplicate" else shared
                _write(pairs, {"doc_a": a, "doc_b": b, "relation": relation, "shared_sentences": n_shared})
                counts[relation] += 1
            elif len(page.body) >= MIN_SOURCE_SENTENCES:
                recent.append((this_id, _paragraphs(page)))
            _count(counts, rendered, page)
            _write(truth, _truth_record(this_id, site, rendered, page, params.line_truth))
    manifest: dict[str, object] = {
        "generator": GENERATOR_VERSION,
        "docs": params.docs,
        "seed": params.seed,
        "synthetic_clauses": params.synthetic_clauses,
        "real_clauses": real,
        "clauses": len(clauses),
        "charter_clauses": len(charter),
        "pool_sha256": pool_fingerprint(clauses),
        "sites": len(sites),
        "bytes": chars,
        "counts": counts,
        "teasers": {"sites": len(teasing), "days": days, "headlines": len(used)},
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest


def _paragraphs(page: Page) -> list[list[str]]:
    """The body of a page as paragraphs of sentences (from its body sentences, one per paragraph group)."""
    return [page.body[i : i + 3] for i in range(0, len(page.body), 3)]


def _pick_source(
    rng: random.Random, recent: deque[tuple[str, list[list[str]]]], paired: set[str]
) -> tuple[str, list[list[str]]] | None:
    """A recent unpaired document to copy from, or None."""
    candidates = [item for item in recent if item[0] not in paired]
    return rng.choice(candidates) if candidates else None


def _plant_overlap(rng: random.Random, page: Page, source: list[list[str]]) -> int:
    """Replace the new page's body with its own sentences plus a few of the source's, verbatim."""
    flat = [s for p in source for s in p]
    k = min(len(flat), rng.randint(*OVERLAP_SENTENCES))
    start = rng.randrange(0, len(flat) - k + 1)
    borrowed = flat[start : start + k]
    body_rows = [i for i, (_, label) in enumerate(page.lines) if label == "body"]
    at = body_rows[rng.randrange(len(body_rows))]
    text, _ = page.lines[at]
    indent = text[: len(text) - len(text.lstrip())]
    page.lines.insert(at + 1, (indent + "".join(borrowed), "body"))
    page.body.extend(borrowed)
    return k


def _count(counts: dict[str, int], rendered: Rendered, page: Page) -> None:
    counts["html"] += rendered.fmt == "html"
    counts["traditional"] += rendered.script == "traditional"
    counts["pinyin"] += rendered.pinyin > 0
    counts["gbk"] += rendered.encoding == "gbk"
    counts["big5"] += rendered.encoding == "big5"
    counts["side"] += page.side_blocks
    counts["teaser_blocks"] += bool(page.teasers)
    counts["teaser_lines"] += len(page.teasers)


def _truth_record(
    this_id: str, site: Site, rendered: Rendered, page: Page, with_lines: bool
) -> dict[str, object]:
    record: dict[str, object] = {
        "doc_id": this_id,
        "site": site.name,
        "format": rendered.fmt,
        "encoding": rendered.encoding,
        "script": rendered.script,
        "pinyin_annotations": rendered.pinyin,
        "side_blocks": page.side_blocks,
    }
    if with_lines:
        record["lines"] = rendered.truth_lines
    return record


def _write(handle: TextIO, record: dict[str, object]) -> None:
    handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path, help="output folder (seeds/ and the truth go inside)")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-line-truth", action="store_true", help="omit per-line truth (large corpora)")
    args = parser.parse_args(argv)
    if (args.out / "seeds").exists() and any((args.out / "seeds").iterdir()):
        print(f"{args.out}/seeds is not empty; choose a new folder", file=sys.stderr)
        return 2
    manifest = generate(args.out, Params(args.docs, args.seed, not args.no_line_truth))
    print(json.dumps(manifest, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
