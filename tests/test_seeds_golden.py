"""Every statement of SEEDS-EXPECTED.md about cleaning, as golden tests on the five seed files."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pytest

from transforms.clean import clean_document
from transforms.model import CleanDocument
from transforms.pinyin import strip_annotations

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
S000 = "000_1225d317e96cbfe0.txt"
S001 = "001_f24825251813daa7.txt"
S002 = "002_99c907c693dd63b5.txt"
S003 = "003_c459d15ed45112de.txt"
S004 = "004_4ae39a300e80b9e5.txt"


@cache
def cleaned(name: str) -> CleanDocument:
    return clean_document((SEEDS / name).read_text(encoding="utf-8"), "text")


def labels(name: str) -> dict[int, tuple[str, str]]:
    return {ln.line_no: (ln.label, ln.reason) for ln in cleaned(name).lines}


def label_of(name: str, line_no: int) -> str:
    return labels(name)[line_no][0]


def body_lines(name: str) -> list[int]:
    return [ln.line_no for ln in cleaned(name).lines if ln.label == "body"]


# (seed, title, date, source, author, editor, script)
METADATA = [
    (S000, None, None, None, None, None, "traditional"),
    (
        S001,
        "第五届中国质量大会将于9月1日在成都开幕",
        dt.date(2023, 8, 22),
        "中国消费者报•中国消费网",
        None,
        None,
        "simplified",
    ),
    (
        S002,
        "第二届中国质量(上海)大会圆满举行",
        dt.date(2017, 9, 19),
        "国家质检总局",
        None,
        None,
        "traditional",
    ),
    (
        S003,
        '聚焦"加快建设质量强国 助推中国式现代化" 2022年度"质量之光"论坛成功举办',
        dt.date(2023, 1, 14),
        "中国经济网",
        "苏兰",
        "佟明彪",
        "traditional",
    ),
    (S004, None, None, None, None, None, "simplified"),
]


@pytest.mark.parametrize(("seed", "title", "date", "source", "author", "editor", "script"), METADATA)
def test_metadata(
    seed: str,
    title: str | None,
    date: dt.date | None,
    source: str | None,
    author: str | None,
    editor: str | None,
    script: str,
) -> None:
    doc = cleaned(seed)
    meta = doc.metadata
    assert (meta.title, meta.published_date, meta.source_outlet, meta.author, meta.editor) == (
        title,
        date,
        source,
        author,
        editor,
    )
    assert doc.script == script


@pytest.mark.parametrize(
    ("seed", "flags"),
    [
        (S000, ["truncated_lead"]),
        (S001, ["elided_entity"]),
        (S002, ["replacement_char"]),
        (S003, ["replacement_char"]),
        (S004, []),
    ],
)
def test_flags(seed: str, flags: list[str]) -> None:
    assert cleaned(seed).flags == flags


@pytest.mark.parametrize(("seed", "repairs"), [(S000, 0), (S001, 0), (S002, 160), (S003, 411), (S004, 0)])
def test_pinyin_repairs(seed: str, repairs: int) -> None:
    assert cleaned(seed).pinyin_repairs == repairs
    assert strip_annotations((SEEDS / seed).read_text(encoding="utf-8"))[1] == repairs


def test_000_all_three_lines_body_and_trailing_bar_removed() -> None:
    doc = cleaned(S000)
    assert body_lines(S000) == [1, 2, 3]
    assert doc.text.endswith("中国质量报刊社3家单位承办。")
    assert not doc.text.rstrip().endswith("|")
    assert doc.text_original.endswith("中國質量報刊社3家單位承辦。")


def test_001_labels() -> None:
    got = labels(S001)
    assert got[1] == ("title", "heading_above_meta")
    assert got[3] == ("meta", "meta_line")
    assert got[7] == ("caption", "photo_credit")
    assert [n for n in range(5, 18, 2) if n != 7] == body_lines(S001)
    for n in (19, 20, 21, 22, 23, 24, 25, 26, 27, 64, 65):
        assert label_of(S001, n) == "boilerplate", n
    assert got[19][1] == "duplicated_link_text"
    assert got[22][1] == "repeated_line"
    assert got[64][1] == "after_last_paragraph"


def test_001_body_text_runs_from_first_to_last_paragraph() -> None:
    text = cleaned(S001).text
    assert text.startswith("8月21日, 在成都召开新闻发布会")
    assert text.endswith("汇集中国质量发展最新成果的盛会。")
    assert "刘铭摄" not in text


def test_001_side_block_is_the_association_profile_whole() -> None:
    doc = cleaned(S001)
    side = [ln.line_no for ln in doc.lines if ln.label == "side"]
    assert side == [29, 31, 33, 35, 37, 39, *range(41, 59), 60, 62]
    assert len(doc.side_blocks) == 1
    block = doc.side_blocks[0]
    assert block.text.startswith("中国质量检验协会是由")
    assert block.text.endswith("(简称原质检总局)。")
    assert "中国质量检验协会" not in doc.text


def test_002_labels() -> None:
    got = labels(S002)
    for n in (1, 2, 3, 4, 46, 47, 48, 49, 50, 51, 52, 53):
        assert got[n][0] == "boilerplate", n
    assert got[4][1] == "breadcrumb"
    assert got[46][1] == "share_widget"
    assert got[49][1] == "account_widget"
    assert got[6] == ("title", "heading_above_meta")
    assert got[8] == ("meta", "meta_line")
    assert got[10] == ("body", "deck_line")
    assert got[12] == ("body", "deck_line")
    assert body_lines(S002) == [10, 12, 15, 19, 23, 27, 31, 35, 39, 41, 43]


def test_002_text_keeps_content_parentheses() -> None:
    text = cleaned(S002).text
    assert text.startswith("王勇宣读习近平致大会贺信并致辞 37个国家和地区680多位嘉宾参会\n")
    assert "新华社上海9月15日电 中国质量(上海)大会15日在上海召开" in text
    assert "又 讯" in text
    for kept in ("(ISO)", "(IEC)", "(UNIDO)", "(EA)"):
        assert kept in text
    assert text.endswith("共680多人参加大会。")
    assert "(" + "wǎng)" not in cleaned(S002).text_original


def test_003_labels() -> None:
    got = labels(S003)
    assert got[1][0] == "boilerplate"
    assert got[3] == ("title", "heading_above_meta")
    assert got[5] == ("meta", "meta_line")
    assert got[56] == ("meta", "editor_line")
    assert got[58] == ("boilerplate", "related_links_heading")
    assert got[60] == ("boilerplate", "repeats_title")
    assert got[62] == ("boilerplate", "repeated_meta")
    assert got[63] == ("boilerplate", "read_more")
    assert body_lines(S003) == [*range(7, 48, 2), 50, 52, 54]
    text = cleaned(S003).text
    assert text.startswith("中国经济网北京1月14日讯")
    assert text.endswith("新闻界代表参加论坛。")


def test_004_captions_and_body() -> None:
    got = labels(S004)
    captions = [n for n, (label, _) in got.items() if label == "caption"]
    assert captions == [4, 7, 8, 9]
    assert got[4] == ("caption", "short_line_between_paragraphs")
    assert body_lines(S004) == [1, 2, 3, 5, 6, *range(10, 16)]


def test_every_nonblank_input_line_has_exactly_one_label() -> None:
    for seed in (S000, S001, S002, S003, S004):
        raw = (SEEDS / seed).read_text(encoding="utf-8").split("\n")
        expected = [i + 1 for i, line in enumerate(raw) if line.strip()]
        doc = cleaned(seed)
        assert [ln.line_no for ln in doc.lines] == expected
        assert all(ln.text == raw[ln.line_no - 1] for ln in doc.lines)
