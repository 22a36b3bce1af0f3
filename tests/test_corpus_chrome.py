"""Corpus-level chrome (transforms.corpus): the verdicts, the relabelling and the body rebuilt from lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clean_snapshot import project_paths
from transforms.clean import clean_document
from transforms.corpus import LineCounts, PageLine, body_of, corpus_reason, page_lines, relabel
from transforms.decode import Decoded, decode_bytes, sniff_format
from transforms.model import LabelledLine
from transforms.repetition import (
    KIND_LINE,
    KIND_SENTENCE,
    evidence_fingerprints,
    fingerprint_rows,
    line_fingerprint,
)

# (pages carrying the line, of them sharing no paragraph with another carrier) -> reason
VERDICTS = [
    (LineCounts(2, 2), None),  # two pages: as often two reports of one story
    (LineCounts(3, 3), "repeated_unrelated_line:docs=3,unrelated=3"),
    (LineCounts(3, 2), None),  # two of three carriers are one story: a quote, not a teaser
    (LineCounts(10, 3), "repeated_unrelated_line:docs=10,unrelated=3"),
    (LineCounts(10, 0), None),  # ten reports of one story quoting one line
    (LineCounts(49, 2), None),
    (LineCounts(50, None), "common_line:docs>=50"),
    (LineCounts(5000, None), "common_line:docs>=50"),
]


@pytest.mark.parametrize(("counts", "reason"), VERDICTS)
def test_corpus_reason(counts: LineCounts, reason: str | None) -> None:
    assert corpus_reason(counts) == reason


TEASER = "本网推荐：全市新建五十所幼儿园《详全文》"
PAGE = [
    LabelledLine(1, "全市新建五十所幼儿园", "title", "heading_above_meta"),
    LabelledLine(2, "来源：某某日报 2023-08-01", "meta", "meta_line"),
    LabelledLine(3, TEASER, "body", "paragraph"),
    LabelledLine(
        4, "今年以来，全市新建幼儿园五十所，新增学位一万两千个，覆盖所有街道和乡镇。", "body", "paragraph"
    ),
    LabelledLine(5, "图为新建的幼儿园", "caption", "short_line_between_paragraphs"),
    LabelledLine(6, "教育部门表示，将继续扩大普惠性学前教育资源。", "body", "paragraph"),
    LabelledLine(7, "分享到", "boilerplate", "share_widget"),
]
REASON = "repeated_unrelated_line:docs=4,unrelated=4"


def _labels(lines: list[PageLine]) -> list[tuple[int, str, str, str | None, str | None]]:
    return [(p.line.line_no, p.line.label, p.line.reason, p.page_label, p.page_reason) for p in lines]


def test_relabel_drops_a_chrome_line_and_remembers_the_page_label() -> None:
    verdicts = {line_fingerprint(TEASER): REASON, line_fingerprint("图为新建的幼儿园"): REASON}
    got = relabel(page_lines(PAGE), verdicts)
    assert _labels(got)[2:5] == [
        (3, "boilerplate", REASON, "body", "paragraph"),
        (4, "body", "paragraph", None, None),
        (5, "boilerplate", REASON, "caption", "short_line_between_paragraphs"),
    ]
    assert body_of([p.line for p in got]).text.split("\n") == [PAGE[3].text, PAGE[5].text]
    # no verdict any more (the other carriers were deleted): the page's own labels come back
    assert _labels(relabel(got, {})) == _labels(page_lines(PAGE))


def test_relabel_never_overrides_title_meta_or_chrome() -> None:
    verdicts = {line_fingerprint(ln.text): REASON for ln in PAGE if ln.label != "body"}
    got = relabel(page_lines(PAGE), verdicts)
    assert [(p.line.label, p.line.reason) for p in got if p.line.line_no != 5] == [
        (ln.label, ln.reason) for ln in PAGE if ln.line_no != 5
    ]


def test_relabel_never_empties_a_page() -> None:
    """A flash copied by several sites is all repeated lines: it is the article, not chrome."""
    verdicts = {line_fingerprint(ln.text): REASON for ln in PAGE if ln.label == "body"}
    assert _labels(relabel(page_lines(PAGE), verdicts)) == _labels(page_lines(PAGE))


def test_fingerprint_rows_short_lines_and_paragraph_sentences() -> None:
    long_line = (
        "今年以来，全市新建幼儿园五十所，新增学位一万两千个。教育部门表示，将继续扩大普惠性学前教育资源，"
        "并在明年再建三十所，缓解入园难的问题。好。"
    )
    lines = [*PAGE, LabelledLine(8, long_line, "body", "paragraph")]
    rows = fingerprint_rows(lines)
    short = sorted(line_fingerprint(ln.text) for ln in PAGE)
    sentences = evidence_fingerprints(lines, [ln.text for ln in lines])
    assert len(sentences) == 2  # the two sentences of 15+ characters; 好。 is too short
    assert rows.values == short + sorted(sentences)
    assert rows.kinds == [KIND_LINE] * len(short) + [KIND_SENTENCE] * 2
    # only the lines the page kept as text (body, caption) can be changed by a verdict
    kept = {line_fingerprint(ln.text) for ln in PAGE if ln.label in ("body", "caption")}
    assert rows.overridable == [fp in kept for fp in short] + [False, False]
    assert evidence_fingerprints([LabelledLine(8, long_line, "side", "profile_block")], [long_line]) == set()


def test_a_teaser_in_traditional_script_or_with_pinyin_is_the_same_line() -> None:
    """Fingerprints are taken on the Simplified line without pinyin: one teaser, whatever the page."""
    lines = [
        "本網推薦：全市新建五十所幼兒園《詳全文》",
        "本网推荐：全市新建五十所幼(yòu)儿园《详全文》",
        TEASER,
    ]
    prints = {fingerprint_rows([LabelledLine(1, text, "body", "paragraph")]).values[0] for text in lines}
    assert prints == {line_fingerprint(TEASER)}
    page = page_lines([LabelledLine(1, lines[0], "body", "paragraph"), PAGE[3]])
    relabelled = relabel(page, {line_fingerprint(TEASER): REASON})
    assert [(p.line.label, p.line.reason) for p in relabelled] == [
        ("boilerplate", REASON),
        ("body", "paragraph"),
    ]


@pytest.mark.parametrize("path", project_paths(), ids=lambda p: p.name)
def test_body_rebuilt_from_lines_equals_the_cleaners(path: Path) -> None:
    """The corpus step rebuilds a body from stored lines: it must be the cleaner's own, to the byte."""
    decoded = decode_bytes(path.read_bytes())
    assert isinstance(decoded, Decoded)
    doc = clean_document(decoded.text, sniff_format(decoded.text))
    body = body_of(doc.lines)
    assert (body.text, body.text_original, body.flags) == (doc.text, doc.text_original, doc.flags)
