"""Author and editor values are names or nothing (issue 18): junk seen on real pages is refused."""

from __future__ import annotations

import pytest

from transforms.clean import clean_document
from transforms.names import EDITOR_RULES, name_problem, valid_name

# (value, the rule that refuses it); the junk values are the ones real pages gave as authors.
REFUSED = [
    ("佚名", "placeholder"),
    ("Admin", "placeholder"),
    ("发表于", "widget_word"),
    ("楼主", "widget_word"),
    ("网友评论", "widget_word"),
    ("L_104485", "user_handle"),
    ("user123", "user_handle"),
    ("Discuz! Team and Comsenz UI Team", "too_long"),
    ("Comsenz UI Team", "software_credit"),
    ("新闻,财经,股票,基金,理财", "keyword_list"),
    ("教育、高考、志愿填报", "keyword_list"),
    ("赵", "cut_name"),
    ("记者", "role_word_alone"),
    ("本报记者", "role_word_alone"),
    ("责任编辑", "role_word_alone"),
    ("据新华社报道。", "sentence"),
    ("2019-09-07", "no_letters"),
    ("本文由网友投稿，不代表本站观点，如有侵权请联系删除", "keyword_list"),
    # trafilatura's authors on the dev pages that are no one's name (benchmarks.metadata)
    ("网易上海市杨浦区手机网友 Ip", "commenter"),
    ("我已授权", "first_person"),
    ("Name; Email Com", "sentence"),
]
ACCEPTED = [
    "赵培",
    "魏星",
    "欧阳明明",
    "王建宏 张文攀",
    "王建宏、张文攀、李强",
    "阿卜杜拉·阿齐兹",
    "Mark Smith",
    "HN666 编辑部",
]


@pytest.mark.parametrize(("value", "rule"), REFUSED)
def test_refused(value: str, rule: str) -> None:
    assert name_problem(value) == rule
    assert valid_name(value) is None


@pytest.mark.parametrize("value", ACCEPTED)
def test_accepted(value: str) -> None:
    assert valid_name(f" {value} ") == value


def test_an_editor_may_sign_with_a_code() -> None:
    """责任编辑：HN666 (hexun's desks sign so): a code is refused as an author, kept as an editor."""
    assert valid_name("HN666") is None
    assert valid_name("HN666", EDITOR_RULES) == "HN666"


BODY = (
    "　　今年以来，全市新建幼儿园五十所，新增学位一万两千个，覆盖所有街道和乡镇。\n"
    "　　教育部门表示，将继续扩大普惠性学前教育资源，明年再建三十所。\n"
)
# (page, author, editor): small pages in the shapes real pages have
PAGES = [
    (f"全市新建五十所幼儿园\n记者 王建宏 张文攀\n{BODY}", "王建宏 张文攀", None),
    (f"全市新建五十所幼兒園\n記者 陳嘉怡\n{BODY}", "陈嘉怡", None),
    (f"全市新建五十所幼儿园\n来源：某某日报 作者：楼主 2023-08-01\n{BODY}", None, None),
    (f"全市新建五十所幼儿园\n来源：某某日报 2023-08-01 记者\n{BODY}(责任编辑：赵)\n", None, None),
    (
        "<html><head><title>全市新建五十所幼儿园</title><meta name='author' content='新闻,幼儿园,教育,学位'>"
        f"</head><body><h1>全市新建五十所幼儿园</h1><p>{BODY.splitlines()[0]}</p>"
        f"<p>{BODY.splitlines()[1]}</p></body></html>",
        None,
        None,
    ),
]


@pytest.mark.parametrize(("page", "author", "editor"), PAGES)
def test_pages_store_names_or_nothing(page: str, author: str | None, editor: str | None) -> None:
    meta = clean_document(page, "html" if page.startswith("<html") else "text").metadata
    assert (meta.author, meta.editor) == (author, editor)
