"""Golden tests of passage splitting, normalisation and MinHash band hashes (transforms/overlap.py)."""

from __future__ import annotations

import numpy as np
import pytest

from transforms.overlap import (
    BANDS,
    BINS,
    PASSAGE_SCHEMA,
    bin_minima,
    normalise,
    passage_rows,
    passage_rows_batch,
    split_passages,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "一二三四五六七八九十甲乙。子丑寅卯辰巳午未申酉戌亥!",
            ["一二三四五六七八九十甲乙。", "子丑寅卯辰巳午未申酉戌亥!"],
        ),
        # closing quote stays with its sentence
        (
            "他说:“质量是兴国之道、富国之本。”随后大会正式进入主论坛环节。",
            ["他说:“质量是兴国之道、富国之本。”", "随后大会正式进入主论坛环节。"],
        ),
        # a fragment too short to match is merged into the previous passage
        (
            "在四川成都举办第五届中国质量大会意义重大。 刘三江称。",
            ["在四川成都举办第五届中国质量大会意义重大。刘三江称。"],
        ),
        # ... or, at the start, into the next one
        (
            "据悉。大会正式代表850人,其中国外嘉宾200人左右。",
            ["据悉。大会正式代表850人,其中国外嘉宾200人左右。"],
        ),
        # a list joined by semicolons is one passage; paragraphs always split
        (
            "分论坛一:开展质量提升; 分论坛二:数字化质量管理。\n第二段落的内容在这里结束了。",
            ["分论坛一:开展质量提升; 分论坛二:数字化质量管理。", "第二段落的内容在这里结束了。"],
        ),
        # an ASCII question mark is a lost character in this corpus, not a sentence end
        ("威廉姆?特洛伊出席大会并致辞表示祝贺。", ["威廉姆?特洛伊出席大会并致辞表示祝贺。"]),
        ("", []),
        ("。。", []),
    ],
)
def test_split_passages(text: str, expected: list[str]) -> None:
    assert split_passages(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("中国质量(成都)大会", "中国质量成都大会"),
        ("9月1日-2日, 第五届", "9月1日2日第五届"),
        ("ＩＳＯ　９００１：２０１５", "iso90012015"),
        ("“质量之光——成果展”。", "质量之光成果展"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_passage_rows_schema_and_numbering() -> None:
    table = passage_rows("d1", "第一句话写得足够长一些了吧。第二句话也写得足够长一点。")
    assert table.schema == PASSAGE_SCHEMA
    assert table.column("passage_no").to_pylist() == [0, 1]
    assert table.column("norm_chars").to_pylist() == [13, 12]
    # 13 and 12 characters: 11 and 10 shingles fill at most that many of the BINS bins, and only
    # bands whose two bins are both filled are stored
    assert all(0 < len(b) < BANDS for b in table.column("bands").to_pylist())


def test_batch_equals_per_document_rows() -> None:
    docs = {"a": "甲乙丙丁戊己庚辛壬癸子丑。寅卯。", "b": "", "c": "完全不同的另一篇文章内容在此。\n第二段。"}
    batch = passage_rows_batch(list(docs), list(docs.values()))
    singles = [passage_rows(k, v).to_pylist() for k, v in docs.items()]
    assert batch.to_pylist() == [row for rows in singles for row in rows]


def test_identical_passages_share_every_band_and_unrelated_share_none() -> None:
    t1 = passage_rows("x", "中国质量大会是我国质量领域规格最高的国际性质量会议。").column("bands").to_pylist()
    t2 = passage_rows("y", "中國質量大會…是我国质量领域规格最高的国际性质量会议").column("bands").to_pylist()
    t3 = passage_rows("z", "聊城上链企业签约仪式在下午举行并取得圆满成功。").column("bands").to_pylist()
    assert normalise("中國質量大會") != normalise("中国质量大会")  # conversion is the caller's job
    assert len(set(t1[0]) & set(t2[0])) < BANDS
    assert not set(t1[0]) & set(t3[0])
    t4 = passage_rows("w", "中国质量大会是我国质量领域规格最高的国际性质量会议!").column("bands").to_pylist()
    assert t4 == t1


def test_bin_minima_estimate_jaccard() -> None:
    a = "".join(chr(0x4E00 + i) for i in range(200))
    b = a[:150] + "".join(chr(0x5E00 + i) for i in range(50))
    sig = bin_minima([a, b])
    assert sig.shape == (2, BINS)
    # true 3-gram Jaccard = 148 / 250 = 0.59; 198 shingles fill every one of the 32 bins, and with
    # 32 bins the estimate's sd is about 0.09
    estimate = float(np.mean(sig[0] == sig[1]))
    assert 0.35 <= estimate <= 0.83


def test_bin_minima_leave_bins_of_short_keys_empty() -> None:
    sig = bin_minima(["甲乙丙丁戊", "甲"])
    # 3 shingles fill at most 3 bins; a key shorter than a shingle is one padded shingle
    assert 1 <= int(np.sum(sig[0] < 2**32)) <= 3
    assert int(np.sum(sig[1] < 2**32)) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "一二三四五六七八九十甲乙。“子丑寅卯辰巳午未申酉戌亥!”",
            ["一二三四五六七八九十甲乙。", "“子丑寅卯辰巳午未申酉戌亥!”"],
        ),
        (
            "一二三四五六七八九十甲乙……子丑寅卯辰巳午未申酉戌亥",
            ["一二三四五六七八九十甲乙……", "子丑寅卯辰巳午未申酉戌亥"],
        ),
        ("  一二三四五六  七八九十甲乙 。 ", ["一二三四五六 七八九十甲乙 。"]),
    ],
)
def test_split_passages_quotes_ellipsis_spaces(text: str, expected: list[str]) -> None:
    assert split_passages(text) == expected
