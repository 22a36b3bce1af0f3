"""Rule tables: chrome patterns, meta lines and fields, shape, quality flags (input -> exact answer)."""

from __future__ import annotations

import datetime as dt

import pytest

from transforms.chrome import chrome_reason
from transforms.clean import clean_document
from transforms.metadata import MetaFields, is_meta_line, parse_meta_line
from transforms.quality import has_elided_entity, has_replacement_char, has_truncated_lead
from transforms.repetition import line_fingerprint
from transforms.shape import is_enumerated, is_paragraph, is_photo_credit

CHROME = [
    ("【纠错】", "bracketed_button"),
    ("[我要评论]", "bracketed_button"),
    ("（打印）", "bracketed_button"),
    ("【纠错】新华社记者发现的问题", None),  # a bracketed word that opens text is not a button
    ("当前位置：首页 > 新闻 > 正文", "breadcrumb"),
    ("您当前的位置: 首页 > 新闻 > 计量与质量", "breadcrumb"),
    ("分享到:", "share_widget"),
    ("会员注册", "account_widget"),
    ("登录 | 注册", "account_widget"),
    ("找回密码", "account_widget"),
    ("已有账号,", "account_widget"),
    ("查看余下全文", "read_more"),
    ("上一篇：外汇储备创新高", "prev_next_link"),
    ("扫一扫在手机打开当前页", "scan_qr_code"),
    ("京ICP备12345678号", "icp_copyright"),
    ("Copyright © 2023 某某网 All Rights Reserved", "icp_copyright"),
    ("返回顶部", "back_to_top"),
    ("打印本页 关闭窗口", "print_page"),
    ("通知 点击查看 点击查看", "click_here"),
    ("精彩图片", "related_links_heading"),
    ("【相关阅读】", "related_links_heading"),
    ("手机看中经经济日报微信中经网微信", "app_promo"),
    ("中国计量网 http://www.example.com/", "site_url_line"),
    ("公告 征订通知 征订通知", "duplicated_link_text"),
    # hard negatives: content that names a widget
    ("他在会上分享了企业开办的经验。", None),
    ("英国正式退出欧盟", None),
    ("公司注册资本增至10亿元", None),
    ("扫码支付新规出台", None),
    ("会议议程如下：", None),
    ("一、会议时间", None),
    ("市政府召开优化营商环境推进会", None),
]


@pytest.mark.parametrize(("line", "reason"), CHROME)
def test_chrome_reason(line: str, reason: str | None) -> None:
    assert chrome_reason(line) == reason


META = [
    (
        "时间:2023-08-22 来源:中国消费者报•中国消费网",
        MetaFields(dt.date(2023, 8, 22), "中国消费者报•中国消费网"),
    ),
    (
        "发布时间:2017-09-19 作者: 来源:国家质检总局 浏览:1412",
        MetaFields(dt.date(2017, 9, 19), "国家质检总局"),
    ),
    ("2023年01月14日 16:35   来源:中国经济网   苏兰", MetaFields(dt.date(2023, 1, 14), "中国经济网", "苏兰")),
    ("(责任编辑:佟明彪)", MetaFields(editor="佟明彪")),
    ("来源：新华网  2023-05-06 10:20  作者：李明", MetaFields(dt.date(2023, 5, 6), "新华网", "李明")),
    ("（记者 王某）", MetaFields(author="王某")),
    ("日期：7月24日 来源：聊城日报", MetaFields(None, "聊城日报")),
]


@pytest.mark.parametrize(("line", "fields"), META)
def test_meta_lines(line: str, fields: MetaFields) -> None:
    assert is_meta_line(line)
    assert parse_meta_line(line) == fields


@pytest.mark.parametrize(
    "line",
    [
        "会议时间：2023年6月1日",  # a notice's field, not page meta
        "2023年1月14日，记者从会议上获悉，全年目标已完成。",
        "据新华社报道，来源：未知的说法不可信。",
        "7月24日,中国(聊城)区域高质量发展论坛召开",
    ],
)
def test_not_meta_lines(line: str) -> None:
    assert not is_meta_line(line)


@pytest.mark.parametrize(
    ("line", "paragraph", "enumerated", "credit"),
    [
        ("会议议程如下：", True, False, False),
        ("新闻发布会现场。刘铭摄", False, False, True),
        ("聊城上链企业签约", False, False, False),
        ("一、会议时间", False, True, False),
        ("（三）参会人员", False, True, False),
        ("3. 会议地点", False, True, False),
        ("3.5亿元资金到位", False, False, False),
        ("图为活动现场", False, False, True),
    ],
)
def test_shape(line: str, paragraph: bool, enumerated: bool, credit: bool) -> None:
    assert (is_paragraph(line), is_enumerated(line), is_photo_credit(line)) == (paragraph, enumerated, credit)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("威廉姆?特洛伊等在开幕式上致辞", True),
        ("中央党?茖W社会主义教研部", True),
        ("文字\ufffd丢失", True),
        ("你知道这是为什么?我也不知道", False),  # a real question mark
        ("ISO 9001?", False),
    ],
)
def test_replacement_char(text: str, expected: bool) -> None:
    assert has_replacement_char(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("大会由 、四川省人民政府主办", True),
        ("国家市场监督管理总局(简称 )2018年成立", True),
        ("由市场监管总局、四川省人民政府主办", False),
        ("国家市场监督管理总局(简称市场监管总局)", False),
    ],
)
def test_elided_entity(text: str, expected: bool) -> None:
    assert has_elided_entity(text) is expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("市场监管总局召开的中国质量(成都)大会新闻发布会上了解到,9月1日-2日,大会将在成都举办。", True),
        ("，今年全市新增就业岗位3.2万个。", True),
        ("记者从市场监管总局召开的新闻发布会上了解到,大会将在成都举办。", False),
        ("近日，记者从总局获悉，新规即将出台。", False),
        ("据了解，新规即将出台。", False),
        ("8月21日, 在成都召开新闻发布会,介绍有关情况。", False),
    ],
)
def test_truncated_lead(line: str, expected: bool) -> None:
    assert has_truncated_lead(line) is expected


def test_fingerprint_folds_spacing_punctuation_and_digits() -> None:
    assert line_fingerprint("浏览:1412") == line_fingerprint("浏览： 20")
    assert line_fingerprint("首页 > 新闻") == line_fingerprint("首页>新闻")
    assert line_fingerprint("首页 > 新闻") != line_fingerprint("首页 > 体育")


def test_widget_above_and_below_and_an_attachment_line() -> None:
    """【纠错】 above and below the article is chrome at both ends; 附件：… closes the notice: body."""
    body = "　　今年以来，全市新建幼儿园五十所，新增学位一万两千个。\n　　教育部门表示，明年再建三十所。\n"
    page = f"全市新建五十所幼儿园\n来源：某某日报 2023-08-01\n【纠错】\n{body}附件：名单.xlsx\n【纠错】\n"
    got = [(ln.label, ln.reason) for ln in clean_document(page, "text").lines]
    assert got[2] == ("boilerplate", "bracketed_button")
    assert got[-2:] == [("body", "attachment_line"), ("boilerplate", "bracketed_button")]
