"""Properties of the transforms on any input (hypothesis): no exceptions, idempotence, invariants."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st
from pypinyin import Style, pinyin

from transforms.clean import clean_document
from transforms.decode import Decoded, Rejection, decode_bytes, sniff_format
from transforms.overlap import passage_rows
from transforms.pinyin import readings, strip_annotations
from transforms.script import detect_script, to_simplified

# Enough examples to find shallow bugs while the whole module stays a few seconds; no deadline,
# because a timing assertion on a shared 2-core machine fails for reasons other than the code.
EXAMPLES = 150
PROPERTY_SETTINGS = settings(max_examples=EXAMPLES, deadline=None)

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
# Text a page is made of: CJK, Chinese and ASCII punctuation, latin, digits, white space and markup.
PAGE_ALPHABET = st.one_of(
    CJK,
    st.sampled_from(list("，。、；：？！“”‘’《》（）()【】—…·\n\n\r\t <>/=\"'&;#-_|")),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(codec="utf-8"),
)
PAGE_TEXT = st.text(PAGE_ALPHABET, max_size=400)
HTML_TEXT = st.lists(
    st.one_of(
        PAGE_TEXT,
        st.sampled_from(["<p>", "</p>", "<div class='nav'>", "</div>", "<br>", "<a href='/x'>", "</a>"]),
        st.sampled_from(["<html><body>", "</body></html>", "<title>", "</title>", "<script>", "</script>"]),
    ),
    max_size=30,
).map("".join)

# Code points that are not CJK ideographs or compatibility ideographs (what OpenCC converts).
NON_CJK = st.characters(
    exclude_categories=["Cs"],
    exclude_characters="".join(chr(c) for c in range(0x2E80, 0x2FE0)),  # CJK and Kangxi radicals
).filter(
    lambda ch: (
        not (
            0x3400 <= ord(ch) <= 0x4DBF
            or 0x4E00 <= ord(ch) <= 0x9FFF
            or 0xF900 <= ord(ch) <= 0xFAFF
            or 0x20000 <= ord(ch) <= 0x3FFFF
            or 0x3000 <= ord(ch) <= 0x303F  # CJK punctuation, which t2s may normalise
        )
    )
)


@PROPERTY_SETTINGS
@given(PAGE_TEXT)
def test_clean_text_never_raises(text: str) -> None:
    doc = clean_document(text, "text")
    assert isinstance(doc.text, str)


@PROPERTY_SETTINGS
@given(HTML_TEXT)
def test_clean_html_never_raises(text: str) -> None:
    doc = clean_document(text, "html")
    assert isinstance(doc.text, str)


@PROPERTY_SETTINGS
@given(st.binary(max_size=2000))
def test_decode_never_raises(data: bytes) -> None:
    assert isinstance(decode_bytes(data), Decoded | Rejection)


@PROPERTY_SETTINGS
@given(st.text(max_size=400))
def test_text_transforms_never_raise_on_any_string(text: str) -> None:
    assert isinstance(to_simplified(text), str)
    assert strip_annotations(text)[1] >= 0
    assert detect_script(text) in ("traditional", "simplified", "mixed")
    assert sniff_format(text) in ("text", "html")
    assert passage_rows("doc", text).num_rows >= 0


@PROPERTY_SETTINGS
@given(PAGE_TEXT)
# found by hypothesis: the trailing | counted toward a paragraph's length, then the body printed without it
@example("000000000000000000,|")
@example("| 市场监管总局发布新版计量法规。")
def test_cleaning_is_idempotent(text: str) -> None:
    """Cleaning a clean body again changes nothing."""
    once = clean_document(text, "text").text
    assert clean_document(once, "text").text == once


@PROPERTY_SETTINGS
@given(st.text(NON_CJK, max_size=300))
def test_conversion_leaves_non_cjk_text_unchanged(text: str) -> None:
    assert to_simplified(text) == text


@PROPERTY_SETTINGS
@given(st.text(max_size=300))
def test_conversion_is_idempotent(text: str) -> None:
    once = to_simplified(text)
    assert to_simplified(once) == once


def _readings(char: str) -> set[str]:
    """The oracle: pypinyin's tone-marked readings of one character, NFC."""
    found = pinyin(char, style=Style.TONE, heteronym=True, errors="ignore")
    return {unicodedata.normalize("NFC", r) for group in found for r in group}


@PROPERTY_SETTINGS
@given(CJK)
def test_readings_table_equals_pypinyin(char: str) -> None:
    """The single-character table gives exactly pypinyin's heteronym readings (no phrase dictionary)."""
    assert readings(char) == _readings(char)


PINYIN_LETTERS = "abcdefghijklmnopqrstuvwxyzāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"


@st.composite
def annotated(draw: st.DrawFn) -> tuple[str, str]:
    """A character with a parenthesised latin run after it, and what repair must leave of it."""
    char = draw(CJK)
    readings = sorted(_readings(char))
    if bool(readings) and draw(st.booleans()):
        return f"{char}({draw(st.sampled_from(readings))})", char
    latin = draw(st.text(st.sampled_from(PINYIN_LETTERS), min_size=1, max_size=7))
    bracket = draw(st.sampled_from(["()", "（）"]))
    text = f"{char}{bracket[0]}{latin}{bracket[1]}"
    return text, char if unicodedata.normalize("NFC", latin) in readings else text


PLAIN = st.text(st.one_of(CJK, st.sampled_from(list("，。 abc123ISO上海"))), max_size=8)


@PROPERTY_SETTINGS
@given(st.lists(st.tuples(PLAIN, annotated()), max_size=12))
def test_pinyin_repair_removes_only_readings_of_the_character_before(
    parts: list[tuple[str, tuple[str, str]]],
) -> None:
    """A parenthesis stays unless its content is a reading of the character right before it."""
    text = "".join(plain + seg for plain, (seg, _) in parts)
    expected = "".join(plain + kept for plain, (_, kept) in parts)
    removed = sum(1 for _, (seg, kept) in parts if seg != kept)
    assert strip_annotations(text) == (expected, removed)


@PROPERTY_SETTINGS
@given(st.text(max_size=300))
def test_pinyin_repair_only_deletes(text: str) -> None:
    """Repair never adds or rewrites characters: the output is the input with spans removed."""
    out, count = strip_annotations(text)
    it = iter(text)
    assert all(ch in it for ch in out)  # out is a subsequence of text
    assert (count == 0) == (out == text)
