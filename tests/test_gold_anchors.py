"""Gold anchors: the visible text they are searched in, and how each anchor line becomes a paragraph."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.gold import GoldError, flat_text, load_gold, resolve

PAGE = """<html><head><title>站点</title><style>p { color: red; }</style>
<script>var title = "正文第一段";</script></head>
<body><div class="nav">首页 | 新闻</div>
<h1>市政府发布 新规</h1>
<!-- 这是注释：正文第一段 -->
<p>正文第一段，说明新规的内容。</p>
<noscript>请启用脚本</noscript>
<p>第二段　讲到新规的影响，新规将于明年实施。</p>
<p>新规将于明年实施。</p>
<div class="footer">版权所有</div></body></html>"""
FLAT = flat_text(PAGE.encode("utf-8"))


def test_flat_text_is_the_visible_text_without_whitespace() -> None:
    assert FLAT == (
        "站点首页|新闻市政府发布新规正文第一段，说明新规的内容。第二段讲到新规的影响，新规将于明年实施。"
        "新规将于明年实施。版权所有"
    )


def test_flat_text_reads_gb18030_pages() -> None:
    assert flat_text("<p>中文 页面</p>".encode("gb18030")) == "中文页面"


def test_whole_line_paragraphs() -> None:
    assert resolve("市政府发布 新规\n正文第一段，说明新规的内容。\n", FLAT) == [
        "市政府发布新规",
        "正文第一段，说明新规的内容。",
    ]


def test_start_end_span() -> None:
    assert resolve("第二段讲到\t明年实施。", FLAT) == ["第二段讲到新规的影响，新规将于明年实施。"]


def test_cursor_takes_the_occurrence_after_the_previous_paragraph() -> None:
    # the first paragraph ends with 新规将于明年实施。, so the second line is the last <p>, found after it
    anchors = "第二段讲到\t明年实施。\n新规将于明年实施。"
    assert resolve(anchors, FLAT) == ["第二段讲到新规的影响，新规将于明年实施。", "新规将于明年实施。"]
    assert FLAT.count("新规将于明年实施。") == 2


def test_comments_and_empty_lines_are_ignored() -> None:
    assert resolve("# the headline\n\n市政府发布新规\n  # indented comment\n", FLAT) == ["市政府发布新规"]


@pytest.mark.parametrize("hidden", ["var title", "color: red", "请启用脚本", "这是注释"])
def test_script_style_noscript_and_comment_text_is_not_visible(hidden: str) -> None:
    assert hidden.replace(" ", "") not in FLAT
    with pytest.raises(GoldError):
        resolve(hidden, FLAT)


@pytest.mark.parametrize(
    ("anchors", "message"),
    [
        ("市政府发布新规\n不在页面里的段落", "line 2: paragraph"),
        ("# comment\n不在页面\t明年实施。", "line 2: START"),
        ("正文第一段\t不在页面", "line 1: END"),
        ("新规将于明年实施。\n新规将于明年实施。\n新规将于明年实施。", "line 3: paragraph"),  # only two
        ("正文第一段\t说明\t内容", "line 1: expected START<TAB>END"),
    ],
)
def test_missing_anchor_raises_gold_error_naming_the_line(anchors: str, message: str) -> None:
    with pytest.raises(GoldError, match=message):
        resolve(anchors, FLAT)


def test_load_gold_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "page.anchors").write_text("市政府发布新规\n正文第一段\t的内容。\n", encoding="utf-8")
    assert load_gold("page", PAGE.encode("utf-8"), tmp_path) == "市政府发布新规\n正文第一段，说明新规的内容。"
    (tmp_path / "broken.anchors").write_text("不在页面\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"broken\.anchors: line 1"):
        load_gold("broken", PAGE.encode("utf-8"), tmp_path)
