"""Pinyin annotation repair: removed only where the pinyin reads the character before it."""

from __future__ import annotations

import pytest

from transforms.pinyin import annotation_spans, is_reading_of, strip_annotations

CASES = [
    # (input, expected text, repairs)
    ("中國計量網(wǎng)", "中國計量網", 1),
    ("質(zhì)量發(fā)展", "質量發展", 2),
    ("國際標準化組織(ISO)", "國際標準化組織(ISO)", 0),
    ("中國質量(上海)大會", "中國質量(上海)大會", 0),
    ("(記者 王某)報道", "(記者 王某)報道", 0),
    ("(一)加強領導", "(一)加強領導", 0),
    ("函數f(x)的值", "函數f(x)的值", 0),
    ("網(zhōng)站", "網(zhōng)站", 0),  # zhōng is not a reading of 網: not an annotation of it
    ("會(huì)議和會(kuài)計", "會議和會計", 2),  # heteronyms: every reading counts
    ("行(hang)業", "行(hang)業", 0),  # no tone mark: not the converter's pinyin
    ("系統(tǒng)(t", "系統(t", 1),  # a cut-off annotation at the end of a line stays
    ("中（zhōng）国", "中国", 1),  # full-width brackets
    ("沒有括號的句子。", "沒有括號的句子。", 0),
]


@pytest.mark.parametrize(("text", "expected", "repairs"), CASES)
def test_strip_annotations(text: str, expected: str, repairs: int) -> None:
    assert strip_annotations(text) == (expected, repairs)


@pytest.mark.parametrize(
    ("char", "reading", "expected"),
    [
        ("網", "wǎng", True),
        ("網", "wang", False),
        ("乾", "qián", True),
        ("乾", "gān", True),
        ("中", "guó", False),
    ],
)
def test_is_reading_of(char: str, reading: str, expected: bool) -> None:
    assert is_reading_of(char, reading) is expected


@pytest.mark.parametrize(
    "text",
    [
        "中國計量網(wǎng)——門戶網(wǎng)站",
        "國際標準化組織(ISO)與中國(上海)",
        "函數f(x)和網(xyz)",
        "網(wǎng)與網(xyz)",
        "沒有註音",
    ],
)
def test_annotation_spans_are_what_strip_annotations_removes(text: str) -> None:
    spans = annotation_spans(text)
    starts = [0] + [end for _, end in spans]
    stops = [start for start, _ in spans] + [len(text)]
    kept = "".join(text[a:b] for a, b in zip(starts, stops, strict=True))
    assert (kept, len(spans)) == strip_annotations(text)
