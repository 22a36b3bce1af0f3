"""The benchmark corpus generator: deterministic for a seed, and its truth matches the files."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from benchmarks.gen_corpus import (
    GENERATOR_VERSION,
    HEADLINE_MAX_CHARS,
    PROFILE_PHRASES,
    Params,
    doc_id,
    generate,
    redraw_digits,
    sentence,
    split_charter,
)
from transforms.pinyin import strip_annotations
from transforms.script import to_simplified

PROJECT = Path(__file__).resolve().parent.parent
# The five seeds alone: a small, fixed pool, so the test is fast and its figures stable.
SOURCES = (PROJECT / "seeds",)
DOCS = 200
SEED = 3
SYNTHETIC = 2000  # fewer model-made clauses than the default 50,000: the test stays under seconds


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    generate(out, Params(DOCS, SEED, synthetic_clauses=SYNTHETIC), SOURCES)
    return out


def _records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_corpus(corpus: Path, tmp_path: Path) -> None:
    generate(tmp_path, Params(DOCS, SEED, synthetic_clauses=SYNTHETIC), SOURCES)
    assert _files(tmp_path) == _files(corpus)


def test_other_seed_other_corpus(corpus: Path, tmp_path: Path) -> None:
    generate(tmp_path, Params(DOCS, SEED + 1, synthetic_clauses=SYNTHETIC), SOURCES)
    assert (tmp_path / "truth.jsonl").read_bytes() != (corpus / "truth.jsonl").read_bytes()


def test_manifest_counts_golden(corpus: Path) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["docs"] == DOCS
    assert manifest["real_clauses"] == 599  # article clauses; charter clauses go to profiles
    assert manifest["charter_clauses"] == 26  # real and model-made clauses with a charter phrase
    assert manifest["generator"] == GENERATOR_VERSION
    assert manifest["counts"] == {
        "duplicate": 6,
        "overlap": 10,
        "html": 30,
        "traditional": 54,
        "pinyin": 13,
        "gbk": 15,
        "big5": 11,
        "side": 22,
    }


def test_text_lines_are_the_truth_lines(corpus: Path) -> None:
    for record in _records(corpus / "truth.jsonl"):
        if record["format"] != "text":
            continue
        text = (corpus / "seeds" / str(record["doc_id"])).read_bytes().decode(str(record["encoding"]))
        lines = text.split("\n")
        truth = record["lines"]
        assert isinstance(truth, list)
        assert [(t["line_no"], t["text"]) for t in truth] == [
            (i + 1, line) for i, line in enumerate(lines) if line.strip()
        ]


def test_pinyin_count_is_what_the_pipeline_strips(corpus: Path) -> None:
    checked = 0
    for record in _records(corpus / "truth.jsonl"):
        if record["format"] == "text" and record["pinyin_annotations"]:
            text = (corpus / "seeds" / str(record["doc_id"])).read_text(encoding="utf-8")
            assert strip_annotations(text)[1] == record["pinyin_annotations"]
            checked += 1
    assert checked > 0


def test_every_label_and_planted_pair_present(corpus: Path) -> None:
    labels = {t["label"] for r in _records(corpus / "truth.jsonl") for t in r["lines"]}  # type: ignore[attr-defined]
    assert labels == {"title", "meta", "body", "caption", "boilerplate", "side"}
    pairs = _records(corpus / "pairs.jsonl")
    assert {p["relation"] for p in pairs} == {"duplicate", "overlap"}
    for pair in pairs:
        assert str(pair["doc_a"]) < str(pair["doc_b"])
        assert (corpus / "seeds" / str(pair["doc_a"])).is_file()
        assert (corpus / "seeds" / str(pair["doc_b"])).is_file()


@pytest.mark.parametrize(
    ("index", "fmt", "expected"),
    [
        (0, "text", "0000/0000000.txt"),
        (1234, "html", "0001/0001234.html"),
        (999_999, "text", "0999/0999999.txt"),
    ],
)
def test_doc_id(index: int, fmt: str, expected: str) -> None:
    assert doc_id(index, fmt) == expected


def test_redraw_digits_keeps_shape() -> None:
    import random

    out = redraw_digits(random.Random(1), "2023年9月1日,共680多人")
    assert len(out) == len("2023年9月1日,共680多人")
    assert out.replace("年", "").replace("月", "").replace("日", "")[:4].isdigit()
    assert out[4] == "年" and out.endswith("多人")


def test_headlines_are_short_and_body_lines_carry_no_profile_phrase(corpus: Path) -> None:
    for record in _records(corpus / "truth.jsonl"):
        lines = record["lines"]
        assert isinstance(lines, list)
        for line in lines:
            plain = to_simplified(str(line["plain"]))
            if line["label"] == "title":
                assert len(plain.strip()) <= HEADLINE_MAX_CHARS, plain
            if line["label"] == "body":
                assert not any(phrase in plain for phrase in PROFILE_PHRASES), plain


# Clauses without digits (sentence() redraws every digit), told apart by one character.
TOPIC = [f"话题分句{chr(0x4E00 + i)}" for i in range(40)]
POOL = [f"其他分句{chr(0x5E00 + i)}" for i in range(1000)]


@pytest.mark.parametrize(
    ("share", "max_topic", "expected_topic_clauses"),
    [
        (1.0, 1, {1}),  # after the lead: one topic clause however likely, the rest from the pool
        (1.0, 5, {3, 4, 5}),  # the lead: every clause from the topic (3-5 clauses a sentence)
        (0.0, 5, {0}),  # a share of nothing: every clause from the pool
    ],
)
def test_sentence_topic_clauses(share: float, max_topic: int, expected_topic_clauses: set[int]) -> None:
    rng = random.Random(5)
    counts = set()
    for _ in range(200):
        text = sentence(rng, POOL, "，", TOPIC, share, max_topic)
        assert text.endswith("。")
        counts.add(sum(part in TOPIC for part in text[:-1].split("，")))
    assert counts == expected_topic_clauses


@pytest.mark.parametrize(
    ("clause", "profile"),
    [
        ("中国质量检验协会是由相关单位自愿结成的", True),  # charter wording
        ("江城华检检测技术有限公司成立于2008年", True),  # a company profile's facts
        ("总部位于武汉东湖高新区", True),
        ("注册资本500万元", True),
        ("记者从会上了解到", False),
        ("全国铁路暑运正式启动", False),
    ],
)
def test_profile_clauses_leave_the_article_pool(clause: str, profile: bool) -> None:
    articles, profiles = split_charter(["新闻正文的一个分句", clause])
    assert (clause in profiles, clause in articles) == (profile, not profile)
    assert "新闻正文的一个分句" in articles
