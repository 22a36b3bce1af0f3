"""Where the review site marks text: pinyin the repair removed, passages shared by an event's reports."""

from __future__ import annotations

from transforms.overlap import split_passages
from warehouse.report_marks import (
    PINYIN,
    SHARED,
    Segment,
    marked_segments,
    original_spans,
    passage_spans,
    pinyin_segments,
    shared_groups,
)


def test_pinyin_segments_mark_exactly_what_the_repair_removed() -> None:
    assert pinyin_segments("中國計量網(wǎng)——門戶網(wǎng)站") == (
        Segment("中國計量網"),
        Segment("(wǎng)", PINYIN),
        Segment("——門戶網"),
        Segment("(wǎng)", PINYIN),
        Segment("站"),
    )


def test_parentheses_that_are_content_are_not_marked() -> None:
    assert pinyin_segments("國際標準化組織(ISO)與中國(上海)") == (Segment("國際標準化組織(ISO)與中國(上海)"),)
    # latin text that is no reading of the character before it stays
    assert pinyin_segments("函數f(x)和網(xyz)") == (Segment("函數f(x)和網(xyz)"),)


def test_passages_are_found_in_the_body_they_were_split_from() -> None:
    text = (
        "第一句话说明了会议的时间和地点。  第二句 话提到了参会的人数和来宾。\n"
        "第三段只有这一句,讲的是展览的安排。"
    )
    passages = split_passages(text)
    spans = passage_spans(text, passages)
    assert [text[a:b] for a, b in spans] == [  # type: ignore[misc]
        "第一句话说明了会议的时间和地点。",
        "第二句 话提到了参会的人数和来宾。",
        "第三段只有这一句,讲的是展览的安排。",
    ]


def test_a_passage_not_in_the_body_is_none_and_the_search_goes_on() -> None:
    text = "甲乙丙丁。戊己庚辛。"
    assert passage_spans(text, ["甲乙丙丁。", "不在正文里。", "戊己 庚辛。"]) == [(0, 5), None, (5, 10)]


def test_original_spans_are_the_same_offsets_when_conversion_kept_the_length() -> None:
    simplified, original = "国家质检总局发布了新的标准。", "國家質檢總局發佈了新的標準。"
    assert original_spans(simplified, original, [(0, 6), None]) == [(0, 6), None]


def test_original_spans_follow_an_alignment_when_lengths_differ() -> None:
    simplified = "开头一句。质量大会在成都举行。结尾"
    original = "開頭的一句。質量大會在成都舉行。結尾"  # one character more before the span
    (span,) = original_spans(simplified, original, [(5, 15)])
    assert span is not None
    assert original[span[0] : span[1]] == "質量大會在成都舉行。"


def test_marked_segments_cut_the_text_at_the_marks() -> None:
    assert marked_segments("abcdefgh", [((5, 7), 2, "n2"), ((1, 3), 1, "n1")]) == (
        Segment("a"),
        Segment("bc", SHARED, 1, "n1"),
        Segment("de"),
        Segment("fg", SHARED, 2, "n2"),
        Segment("h"),
    )
    assert marked_segments("", []) == (Segment(""),)
    # an overlapping mark is left out rather than shown twice
    assert marked_segments("abcdef", [((0, 4), 1, "x"), ((2, 6), 2, "y")]) == (
        Segment("abcd", SHARED, 1, "x"),
        Segment("ef"),
    )


def test_shared_groups_join_linked_passages_and_number_them_in_reading_order() -> None:
    order = [("a", 0), ("a", 1), ("a", 2), ("b", 0), ("b", 1), ("c", 0)]
    links = [
        ("b", 1, "a", 0),  # b1 repeats a0
        ("c", 0, "b", 1),  # c0 repeats b1: the same group as a0
        ("b", 0, "a", 2),
        ("b", 0, "z", 9),  # a passage of another event marks nothing more
    ]
    assert shared_groups(order, links) == {
        ("a", 0): 1,
        ("a", 2): 2,
        ("b", 0): 2,
        ("b", 1): 1,
        ("c", 0): 1,
    }
    assert shared_groups(order, [("a", 1, "z", 0)]) == {}
