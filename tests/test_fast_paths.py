"""Fast paths of the transforms give exactly what the plain definitions give (speed work, issue 7)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms import overlap

# Enough examples to find shallow differences while the module stays a few seconds; no deadline
# (a shared 2-core machine makes timing assertions fail for reasons other than the code).
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)
# Text that stresses normalisation: CJK, the full-width punctuation the fast path replaces, other
# compatibility characters, latin letters with combining marks (composition), sigma (final-sigma
# lower-casing) and any other code point.
NORMALISATION_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from(list("，）\u3000（…；：？～！。、℃Ⅱ①㈱ＡＺａｚ０９eEΣσ_ \n")),
    st.sampled_from(["\u0301", "\u0308", "\u0327", "\u3099", "\u309a"]),
    # the batch functions' separator, final sigma's neighbours, casefold's expansions, digits
    st.sampled_from(["\x00", "Α", "ς", "İ", "ß", "\ufb01", "٣", "7"]),
    st.characters(codec="utf-8"),
)
NORMALISATION_TEXT = st.text(NORMALISATION_ALPHABET, max_size=60)
_NON_WORD = re.compile(r"[\W_]+")


def reference_normalise(text: str) -> str:
    """The plain definition of the passage key: NFKC, lower case, no punctuation or spaces."""
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("记者，王某（实习生）报道：", "记者王某实习生报道"),
        ("Ａ股上涨１０％！", "a股上涨10"),
        ("e，\u0301", "e"),  # the comma stays a starter between the letter and the accent: no é
        ("气温２５℃…", "气温25c"),
        ("", ""),
    ],
)
def test_normalise_examples(text: str, expected: str) -> None:
    assert overlap.normalise(text) == expected


def test_common_compat_pairs_are_their_decompositions() -> None:
    for char, decomposed in overlap._COMMON_COMPAT:
        assert decomposed == unicodedata.normalize("NFKD", char) != char


@PROPERTY_SETTINGS
@given(NORMALISATION_TEXT)
def test_normalise_equals_plain_definition(text: str) -> None:
    assert overlap.normalise(text) == reference_normalise(text)


@PROPERTY_SETTINGS
@given(st.lists(NORMALISATION_TEXT, max_size=8))
def test_normalise_many_equals_normalise_of_each(texts: list[str]) -> None:
    assert overlap.normalise_many(texts) == [overlap.normalise(t) for t in texts]


def test_word_chars_table_is_the_regex_over_the_whole_bmp() -> None:
    """normalise_many's table keeps exactly the characters _NON_WORD keeps (and its separator)."""
    table = overlap.word_chars()
    points = [c for c in range(len(table)) if not 0xD800 <= c <= 0xDFFF and c != 0]
    expected = [_NON_WORD.fullmatch(chr(c)) is None for c in points]
    assert table[points].tolist() == expected and table[0]
