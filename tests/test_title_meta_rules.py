"""Rule tables for titles, <meta> authors, colon-less meta lines and sentence captions (issue 3)."""

from __future__ import annotations

import datetime as dt

import pytest

from transforms.clean import clean_document, html_title, is_title_tag_part, title_tag_headline
from transforms.metadata import MetaFields, author_fields, is_meta_line, parse_meta_line
from transforms.shape import is_photo_credit, is_sentence_caption

TITLE_TAGS = [
    (
        "阿里发布最强AI芯片：性能“吊打”同行，一块顶十块GPU-EDN 电子技术设计",
        "阿里发布最强AI芯片：性能“吊打”同行，一块顶十块GPU",
    ),
    ("法国全国大罢工再次严重影响交通-新华网", "法国全国大罢工再次严重影响交通"),
    ("新闻动态--中国地理学会官网", "新闻动态"),
    (
        "外媒眼中的武汉长假：蓬勃发展，欢声笑语_首页武汉_新闻中心_长江网_cjn.cn",
        "外媒眼中的武汉长假：蓬勃发展，欢声笑语",
    ),
    ("蔡健雅_百度百科", "蔡健雅"),
    ("标题党的一天｜某某网", "标题党的一天"),
    (
        "明日股市预测--最新出炉联合国贸发报告：2019年全球经济增长率降至2.3%",
        "最新出炉联合国贸发报告：2019年全球经济增长率降至2.3%",
    ),
    (
        "1-10月德清县固定资产投资结构趋稳趋优",
        "1-10月德清县固定资产投资结构趋稳趋优",
    ),  # a range, not a separator
    ("台北国际书展开幕 - 某某新闻网", "台北国际书展开幕"),
]


@pytest.mark.parametrize(("tag", "headline"), TITLE_TAGS)
def test_title_tag_headline(tag: str, headline: str) -> None:
    assert title_tag_headline(tag) == headline


HTML_TITLES = [
    # (h1, <title>, og:title) -> title
    ("姚明对周琦说了啥", "姚明对周琦说了啥_网易新闻", None, "姚明对周琦说了啥"),
    (
        "山西省人民政府网站",
        "山西品牌丝路行（南美站）正式启动 - 山西省人民政府门户网站",
        None,
        "山西品牌丝路行（南美站）正式启动",
    ),
    (None, "法国全国大罢工再次严重影响交通-新华网", None, "法国全国大罢工再次严重影响交通"),
    (None, None, "三星 Galaxy S20 系列手机正式发布", "三星 Galaxy S20 系列手机正式发布"),
    ("只有一个标题", None, None, "只有一个标题"),
    (None, None, None, None),
]


@pytest.mark.parametrize(("h1", "tag", "og", "title"), HTML_TITLES)
def test_html_title(h1: str | None, tag: str | None, og: str | None, title: str | None) -> None:
    assert html_title(h1, tag, og) == title


@pytest.mark.parametrize(
    ("key", "tag", "expected"),
    [
        ("中华人民共和国监察法", "中华人民共和国监察法-纪检", True),
        ("东区办事处", "顺德区一行到众创金融街开展调研工作 东区办事处_中山网", True),
        (
            "全国人民代表大会常务委员会",
            "全国人民代表大会常务委员会关于批准的决议__公报",
            False,
        ),  # inside a part
    ],
)
def test_is_title_tag_part(key: str, tag: str, expected: bool) -> None:
    assert is_title_tag_part(key, tag) is expected


AUTHORS = [
    ("name, email@gmail.com", MetaFields()),  # template default
    ("王五, wang@example.com", MetaFields(author="王五")),
    ("104363", MetaFields()),  # a staff id
    ("环球网", MetaFields(source_outlet="环球网")),
    ("新浪财经-自媒体综合", MetaFields(source_outlet="新浪财经-自媒体综合")),
    ("CSDN.NET", MetaFields(source_outlet="CSDN.NET")),
    ("kingname", MetaFields(author="kingname")),
    ("马娟", MetaFields(author="马娟")),
]


@pytest.mark.parametrize(("value", "fields"), AUTHORS)
def test_author_fields(value: str, fields: MetaFields) -> None:
    assert author_fields(value) == fields


META = [
    (
        "发表于2014-08-24 21:30| 1164次阅读| 来源CSDN| 0 条评论| 作者魏星",
        MetaFields(dt.date(2014, 8, 24), "CSDN", "魏星"),
    ),
    ("2019-09-07 13:43:45 来源: 证券市场红周刊 举报", MetaFields(dt.date(2019, 9, 7), "证券市场红周刊")),
    ("2018年12月28日 19:55 新京报", MetaFields(dt.date(2018, 12, 28), "新京报")),
    (
        "2019-09-26 12:11来源：证券时报网作者：李在山",
        MetaFields(dt.date(2019, 9, 26), "证券时报网", "李在山"),
    ),
    (
        "新华网河北频道 ( 2012-06-04 09:20:26 ) 稿件来源： 河北日报",
        MetaFields(dt.date(2012, 6, 4), "河北日报"),
    ),
    ("来源于：东区办事处", MetaFields(source_outlet="东区办事处")),
    ("时间：2019-09-25 作者：网络整理", MetaFields(dt.date(2019, 9, 25))),
    ("2023年01月14日 16:35   来源:中国经济网   苏兰", MetaFields(dt.date(2023, 1, 14), "中国经济网", "苏兰")),
]


@pytest.mark.parametrize(("line", "fields"), META)
def test_meta_lines(line: str, fields: MetaFields) -> None:
    assert is_meta_line(line)
    assert parse_meta_line(line) == fields


@pytest.mark.parametrize("line", ["棱镜|数据业大整顿：爬虫与现金贷共生共荣", "首页 | 新闻 | 体育 | 财经"])
def test_bar_lines_without_keys_are_not_meta(line: str) -> None:
    assert not is_meta_line(line)


CAPTIONS = [
    ("▲图片来自视频截图。", True, True),
    ("10月4日，旅游专列开往襄阳。 通讯员刘娟 摄", True, True),
    ("小花母亲说，女儿的左眼被塞了不止几十块小纸片。 小花母亲供图", True, True),
    ("“救命啊SOS”纸团。沙坪坝区公安分局供图 华龙网", True, False),
    ("新闻发布会现场。刘铭摄", True, True),
    ("他在现场拍摄了大量照片。", False, False),
    ("记者走访了多家摄影器材店，价格普遍上涨。", False, False),
]


@pytest.mark.parametrize(("line", "credit", "sentence_caption"), CAPTIONS)
def test_captions(line: str, credit: bool, sentence_caption: bool) -> None:
    assert (is_photo_credit(line), is_sentence_caption(line)) == (credit, sentence_caption)


ARTICLE = "".join(
    f"<p>第{n}段正文，记者了解到，本次活动共有多家单位参加，现场气氛热烈。</p>" for n in "一二三四"
)
HEADLINE = "全国铁路暑运正式启动"


@pytest.mark.parametrize(
    ("holder", "label", "reason"),
    [
        # no block is the headline (no <h1>; og:title gives it): a block holding it stands for it
        (f"{HEADLINE}（组图）", "title", "html_title"),
        # ...but not a lead that opens by restating the headline and ends like a sentence: body text
        (f"{HEADLINE},预计发送旅客6.8亿人次,铁路部门将增开旅客列车。", "body", "paragraph"),
    ],
)
def test_block_holding_the_headline(holder: str, label: str, reason: str) -> None:
    page = (
        f"<html><head><title>{HEADLINE}_新闻频道</title><meta property='og:title' content='{HEADLINE}'>"
        f"</head><body><div class='article'><p>{holder}</p>{ARTICLE}</div></body></html>"
    )
    doc = clean_document(page, "html")
    assert doc.metadata.title == HEADLINE
    assert {ln.text: (ln.label, ln.reason) for ln in doc.lines}[holder] == (label, reason)
