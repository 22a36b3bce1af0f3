"""Short lines between a page's paragraphs (issue 18): captions sit right after an image; other short
lines in the article's container are its text (agenda items, headings, one-line stanzas); code
listings are text however often a line repeats. Plain text keeps the run rules (no markup to read)."""

from __future__ import annotations

import pytest

from transforms.clean import clean_document

PARA1 = (
    "近日，全市教育工作会议在市政府召开，会议总结了过去一年的工作，部署了今年的重点任务，各区县负责同志参加。"
)
PARA2 = "会议强调，要坚持以人民为中心的发展思想，办好人民满意的教育，推动教育事业高质量发展。"
TITLE = "全市教育工作会议召开"


def page(middle: str) -> str:
    body = f"<p>{PARA1}</p>{middle}<p>{PARA2}</p>"
    return f"<html><body><h1>{TITLE}</h1><div class='content'>{body}</div></body></html>"


CASES = [
    (
        "agenda_items_are_text",
        "<p>会议议程</p><p>一是听取工作报告</p><p>二是表彰先进集体</p><p>三是签订目标责任书</p>"
        "<p>四是领导讲话</p><p>五是分组讨论</p>",
        [
            ("会议议程", "body", "short_line_in_text"),
            ("一是听取工作报告", "body", "short_line_in_text"),
            ("二是表彰先进集体", "body", "short_line_in_text"),
            ("三是签订目标责任书", "body", "short_line_in_text"),
            ("四是领导讲话", "body", "short_line_in_text"),
            ("五是分组讨论", "body", "short_line_in_text"),
        ],
    ),
    (
        "line_after_an_image_is_its_caption",
        "<p><img src='a.jpg'></p><p>会议现场</p><p>会场外景</p>",
        [
            ("会议现场", "caption", "short_line_between_paragraphs"),
            ("会场外景", "body", "short_line_in_text"),
        ],
    ),
    (
        "photo_credit_is_a_caption_anywhere",
        "<p>（记者 王伟 摄）</p>",
        [("（记者 王伟 摄）", "caption", "photo_credit")],
    ),
    (
        "code_lines_are_text_even_when_repeated",
        "<pre>import json\nprint(1)</pre>"
        "<p>再看第二个例子，同样的导入语句写在文件开头，然后调用另一个函数。</p>"
        "<pre>import json\nprint(2)</pre>",
        [
            ("import json", "body", "preformatted"),
            ("print(1)", "body", "preformatted"),
            ("import json", "body", "preformatted"),
            ("print(2)", "body", "preformatted"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("middle", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_short_lines_between_paragraphs(middle: str, expected: list[tuple[str, str, str]]) -> None:
    document = clean_document(page(middle), "html")
    texts = {text for text, _, _ in expected}
    got = [(line.text, line.label, line.reason) for line in document.lines if line.text in texts]
    assert got == expected


def test_plain_text_keeps_the_run_rules() -> None:
    text = "\n".join([TITLE, PARA1, "会议现场", PARA2])
    document = clean_document(text, "text")
    assert [(ln.label, ln.reason) for ln in document.lines if ln.text == "会议现场"] == [
        ("caption", "short_line_between_paragraphs")
    ]
