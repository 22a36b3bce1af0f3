"""The floor benchmark's HTML step: every text node of the page, and nothing of scripts or styles."""

from __future__ import annotations

import pytest

from benchmarks.floor import html_text

CASES = [
    ("<html><body><p>质检总局发布公告。</p></body></html>", "质检总局发布公告。"),
    ("<p>第一段</p><div> 第二段 <b>加粗</b></div>", "第一段\n第二段\n加粗"),
    ("<head><script>var a = 1;</script><style>p {}</style></head><p>正文</p>", "正文"),
    ("<p>前<script>x()</script>后</p>", "前后"),  # the text after a script stays where it was
    ("", ""),
]


@pytest.mark.parametrize(("page", "expected"), CASES)
def test_html_text(page: str, expected: str) -> None:
    assert html_text(page) == expected
