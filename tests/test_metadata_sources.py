"""Metadata from what the page says about itself (issue 18): JSON-LD, post headers, plausible dates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from transforms.clean import clean_document
from transforms.metadata import is_meta_line, parse_date, parse_meta_line

BODY = (
    "<p>今年以来，全市新建幼儿园五十所，新增学位一万两千个，覆盖所有街道和乡镇。</p>"
    "<p>教育部门表示，将继续扩大普惠性学前教育资源，明年再建三十所。</p>"
)


TITLE = "全市新建五十所幼儿园"


def page(head: str = "", lead: str = "", extra: str = "") -> str:
    """A news page: <head> extras, the headline, lines under it (lead), the body, and what follows
    the article (extra)."""
    return (
        f"<html><head><title>{TITLE}</title>{head}</head><body><h1>{TITLE}</h1>{lead}"
        f"<div class='content'>{BODY}</div>{extra}</body></html>"
    )


def ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


@pytest.mark.parametrize(
    ("head", "date", "author"),
    [
        (
            ld(
                {
                    "@type": "NewsArticle",
                    "datePublished": "2023-08-01T09:00:00+08:00",
                    "author": {"name": "王伟"},
                }
            ),
            dt.date(2023, 8, 1),
            "王伟",
        ),
        (
            ld(
                {
                    "@type": "NewsArticle",
                    "datePublished": "2023-08-01",
                    "author": [{"name": "王伟"}, {"name": "李强"}],
                }
            ),
            dt.date(2023, 8, 1),
            "王伟 李强",
        ),
        (
            ld(
                {
                    "@graph": [
                        {"@type": "BreadcrumbList", "datePublished": "2001-01-01"},
                        {"@type": "Article", "datePublished": "2023-08-02"},
                    ]
                }
            ),
            dt.date(2023, 8, 2),
            None,
        ),
        (
            ld(
                {
                    "@context": "https://ziyuan.baidu.com/contexts/cambrian.jsonld",
                    "pubDate": "2019-09-11T02:46:57",
                }
            ),
            dt.date(2019, 9, 11),
            None,
        ),
        # a <meta> tag wins over JSON-LD for the same key
        (
            ld({"@type": "NewsArticle", "datePublished": "2023-08-01"})
            + '<meta property="article:published_time" content="2023-07-30">',
            dt.date(2023, 7, 30),
            None,
        ),
        # junk in JSON-LD is junk: not stored
        (ld({"@type": "NewsArticle", "author": {"name": "新闻,幼儿园,教育,学位"}}), None, None),
        ('<script type="application/ld+json">{not json</script>', None, None),
    ],
)
def test_json_ld(head: str, date: dt.date | None, author: str | None) -> None:
    meta = clean_document(page(head), "html").metadata
    assert (meta.published_date, meta.author) == (date, author)


@pytest.mark.parametrize(
    ("line", "date", "author"),
    [
        ("发表于 2005-5-7 21:23:57", dt.date(2005, 5, 7), None),
        ("楼主 张三 发表于 2005-5-7 21:23:57", dt.date(2005, 5, 7), "张三"),
        ("发布于：2011年3月2日", dt.date(2011, 3, 2), None),
        ("Posted on 2009-01-02", dt.date(2009, 1, 2), None),
    ],
)
def test_forum_and_blog_post_headers(line: str, date: dt.date, author: str | None) -> None:
    assert is_meta_line(line)
    fields = parse_meta_line(line)
    assert (fields.published_date, fields.author) == (date, author)


def test_a_sentence_about_posting_is_not_a_header() -> None:
    assert not is_meta_line("发表于此的文章我们都会认真阅读。")


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("3019-09-07", None),
        ("0001-01-01", None),
        ("1989-12-31", None),
        ("1990-01-01", dt.date(1990, 1, 1)),
        ("更新 3019-09-07，发布 2019-09-07", dt.date(2019, 9, 7)),
    ],
)
def test_only_plausible_dates(text: str, date: dt.date | None) -> None:
    assert parse_date(text) == date


def test_each_value_says_where_it_came_from() -> None:
    head = ld({"@type": "NewsArticle", "datePublished": "2023-08-01", "author": {"name": "王伟"}})
    html = page(head, lead="<p>来源：某某日报</p>")
    meta = clean_document(html, "html").metadata
    assert meta.source == (
        "title=html_title,published_date=html_meta,source_outlet=meta_line,author=html_meta"
    )
    seed = (Path(__file__).resolve().parent.parent / "seeds" / "001_f24825251813daa7.txt").read_text("utf-8")
    assert clean_document(seed, "text").metadata.source == (
        "title=heading_above_meta,published_date=meta_line,source_outlet=meta_line"
    )


@pytest.mark.parametrize(
    ("html", "date", "author"),
    [
        (  # schema.org microdata on ordinary elements
            page(
                lead='<span itemprop="datePublished" content="2023-08-01T09:00:00+08:00">8月1日</span>'
                '<div itemprop="author" itemscope><span itemprop="name">王伟</span></div>'
            ),
            dt.date(2023, 8, 1),
            "王伟",
        ),
        (  # an HTML5 <time> that says it is the publication time
            page(
                lead='<time pubdate datetime="2023-08-02">昨天</time>',
                extra='<time datetime="2023-09-30">评论</time>',
            ),
            dt.date(2023, 8, 2),
            None,
        ),
        (  # the page's only <time>
            page(lead='<time class="date" datetime="2023-08-03T10:00">8月3日</time>'),
            dt.date(2023, 8, 3),
            None,
        ),
        (  # two <time> elements and neither says which is the article's: no date from them
            page(lead='<time datetime="2023-08-04">一</time>', extra='<time datetime="2023-08-05">二</time>'),
            None,
            None,
        ),
        (  # a microdata author that is a whole block of text is not a name
            page(
                lead='<div itemprop="author">本报记者在现场采访了多位家长和老师，'
                "大家都对新建幼儿园表示欢迎</div>"
            ),
            None,
            None,
        ),
    ],
    ids=["microdata", "time_pubdate", "only_time", "ambiguous_times", "author_block"],
)
def test_microdata_and_time_elements(html: str, date: dt.date | None, author: str | None) -> None:
    metadata = clean_document(html, "html").metadata
    assert (metadata.published_date, metadata.author) == (date, author)


@pytest.mark.parametrize(
    ("html", "date", "origin"),
    [
        (  # the date line under the headline sits in a share bar: still the article's date
            page(lead="<div class='share-bar'>2023-08-01 · 某某日报 <a>分享</a></div>"),
            dt.date(2023, 8, 1),
            "head_line",
        ),
        (  # an account name glued to the date (qq, toutiao) under the headline: a date line
            page(lead="<div class='author-info'>金融市场棱镜2019-09-23 07:48</div>"),
            dt.date(2019, 9, 23),
            "meta_line",
        ),
        (  # a keyed date line the markup put away from the headline (a footer-like info table)
            page(extra="<div class='footer-info'>发布日期：2019-09-23 14:34:05 所属分类： 头条</div>"),
            dt.date(2019, 9, 23),
            "keyed_date_line",
        ),
        (  # keyed date lines that disagree: the page does not say which is its own
            page(
                extra="<div class='footer'>发布时间：2019-09-23</div>"
                "<div class='footer'>发布时间：2019-09-24</div>",
            ),
            None,
            "",
        ),
        (  # a date in a list below the article is a sidebar's, not the article's
            page(extra="<ul class='list'><li><a>往期回顾</a> 2019-05-05</li><li><a>更早</a></li></ul>"),
            None,
            "",
        ),
    ],
    ids=[
        "chrome_head_line",
        "account_and_date",
        "keyed_line",
        "keyed_lines_disagree",
        "sidebar_date_refused",
    ],
)
def test_head_and_keyed_date_lines(html: str, date: dt.date | None, origin: str) -> None:
    metadata = clean_document(html, "html").metadata
    assert metadata.published_date == date
    assert (f"published_date={origin}" in metadata.source) == bool(origin)


def test_a_note_that_mentions_a_day_is_not_a_date_line() -> None:
    note = "<p>（2007年6月29日第十届全国人民代表大会常务委员会第二十八次会议通过）</p>"
    metadata = clean_document(page(lead=note), "html").metadata
    assert metadata.published_date is None


def test_bare_names_after_a_date_are_all_kept() -> None:
    assert parse_meta_line("2020-06-05 20:35 叨叨姐 胡一刀 李小飞刀").author == "叨叨姐 胡一刀 李小飞刀"
    assert parse_meta_line("2019年10月23日 09:05 环球网").author is None


def test_wechat_script_time_is_the_day_in_china_time() -> None:
    # 1581517074 is 2020-02-12 22:17:54 in UTC+8 (14:17:54 UTC); the page itself shows only 昨天
    html = page(lead="<em id='publish_time'>昨天</em><script>var ct = \"1581517074\";</script>")
    metadata = clean_document(html, "html").metadata
    assert metadata.published_date == dt.date(2020, 2, 12)
    assert "published_date=html_meta" in metadata.source


def test_a_heading_opening_the_text_beats_a_section_name_in_title() -> None:
    """<title> names the section (新闻动态--…官网) and no line is that headline: the heading element
    that opens the text is the article's, even when it ends like a sentence."""
    headline = "2019年人文地理学术年会在重庆成功举行！"
    html = (
        "<html><head><title>新闻动态--某某学会官网</title></head><body>"
        "<div class='nav'><a>首页</a> <a>学会概况</a> <a>新闻动态</a></div>"
        f"<div class='news'><h5>{headline}</h5>"
        "<div class='ly'>发布时间：2019-05-18 来源：某某学会</div>"
        f"<div class='text'>{BODY}</div></div></body></html>"
    )
    metadata = clean_document(html, "html").metadata
    assert metadata.title == headline
    assert "title=heading_opening_text" in metadata.source
