"""Golden tables for the chrome rules and DOM signals added from the real dev pages (issue 3)."""

from __future__ import annotations

import pytest

from transforms.chrome import chrome_reason, is_subheading_text
from transforms.clean import clean_document
from transforms.html import RULE_CHROME_CLASS, html_to_blocks

CHROME = [
    ("（原标题：姚明对周琦说了啥？周琦上下半场判若两人）", "original_title"),
    ("原标题：快讯！陈同佳刑满出狱，向潘晓颖家人鞠躬致歉", "original_title"),
    ("（原题为《新年伊始，习近平的重要文章谈了啥？》）", "original_title"),
    ("本文仅代表作者个人观点。", "disclaimer"),
    ("声明：本网力求信息真实、准确，文章提及内容仅供参考，不构成实质性投资建议。", "disclaimer"),
    ("(本文来自澎湃新闻，更多原创资讯请下载“澎湃新闻”APP)", "disclaimer"),
    ("网友评论仅供其表达个人看法，并不表明本站立场。", "disclaimer"),
    ("T + -", "font_size_widget"),
    ("字号", "font_size_widget"),
    ("调整字体", "font_size_widget"),
    ("字体： 放大 正常 缩小", "font_size_widget"),
    ("字号: [大] [中] [小] [打印]", "print_page"),
    ("Qzone", "share_button"),
    ("微博", "share_button"),
    ("关注", "share_button"),
    ("昨天", "relative_time"),
    ("3小时前", "relative_time"),
    ("安装新浪财经客户端第一时间接收最全面的市场资讯→【下载】", "app_promo"),
    # hard negatives: prose that mentions the same words
    ("他说原标题已经改过了。", None),
    ("声明称，公司将继续正常经营。", None),
    ("微博上有网友说", None),
    ("昨天下午三点", None),
]


@pytest.mark.parametrize(("line", "reason"), CHROME)
def test_chrome_reason(line: str, reason: str | None) -> None:
    assert chrome_reason(line) == reason


SUBHEADINGS = [
    ("“数字”刷新治理", True),
    ("——（宋）陆游", True),
    ("半月谈记者 史卫燕", False),  # a bold byline
    ("1", False),  # a bold list number
    ("相关阅读", False),  # chrome
    ("来源：新华网", False),  # meta
]


@pytest.mark.parametrize(("line", "expected"), SUBHEADINGS)
def test_is_subheading_text(line: str, expected: bool) -> None:
    assert is_subheading_text(line) is expected


PARAGRAPHS = (
    "<p>国家统计局今天发布数据，一季度经济增长百分之五，好于市场预期。</p>"
    "<p>专家认为，消费和投资共同发力，外贸保持稳定，就业形势总体平稳。</p>"
    "<p>下一步，有关部门将继续实施积极的财政政策，巩固经济回升向好态势。</p>"
)


def test_wholly_bold_block_in_article_is_emphasised() -> None:
    page = html_to_blocks(
        f"<div class='content'><p><strong>消费回暖</strong></p>{PARAGRAPHS}<p>半<b>粗</b></p></div>"
    )
    flags = {block.text: block.emphasised for block in page.blocks}
    assert flags["消费回暖"] is True
    assert flags["半粗"] is False


def test_bold_subheading_between_paragraphs_is_body() -> None:
    html = f"<div class='content'>{PARAGRAPHS}<p><strong>消费回暖</strong></p>{PARAGRAPHS}</div>"
    labels = {line.text: (line.label, line.reason) for line in clean_document(html, "html").lines}
    assert labels["消费回暖"] == ("body", "bold_subheading")


def test_next_post_teaser_is_chrome() -> None:
    html = (
        f"<div class='content'>{PARAGRAPHS}</div><div class='post_next_post'>"
        "<p>记得还在德国念书时，一位德国老人对我说，我们的厨具技艺精良，配得上这个称号。</p></div>"
    )
    rules = {block.text: block.chrome_rule for block in html_to_blocks(html).blocks}
    assert (
        rules["记得还在德国念书时，一位德国老人对我说，我们的厨具技艺精良，配得上这个称号。"]
        == RULE_CHROME_CLASS
    )
