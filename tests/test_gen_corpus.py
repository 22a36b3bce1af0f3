"""The benchmark corpus generator: deterministic for a seed, and its truth matches the files."""

from __future__ import annotations

import html
import json
import math
import random
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from benchmarks.accuracy import chrome_only_pairs, event_precision, stories
from benchmarks.gen_corpus import (
    GENERATOR_VERSION,
    HEADLINE_MAX_CHARS,
    PROFILE_PHRASES,
    TEASER_FORMS,
    TEASER_PAGES,
    Params,
    block_index,
    day_lengths,
    doc_id,
    fold_digits,
    generate,
    redraw_digits,
    sentence,
    split_charter,
)
from transforms.pinyin import strip_annotations
from transforms.repetition import COMMON_LINE_MAX_CHARS, normalise_line
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
        "duplicate": 5,
        "overlap": 6,
        "html": 33,
        "traditional": 55,
        "pinyin": 16,
        "gbk": 14,
        "big5": 8,
        "side": 17,
        "teaser_blocks": 47,  # pages carrying a block (seed 3 drew five teasers for every day)
        "teaser_lines": 235,
    }
    assert manifest["teasers"] == {"sites": 5, "days": 7, "headlines": 35}  # a quarter of the 20 sites


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


def _teaser_lines(records: list[dict[str, object]]) -> list[tuple[dict[str, object], dict[str, object]]]:
    """(record, truth line) of every planted teaser line."""
    return [(r, t) for r in records for t in r["lines"] if "teaser" in t]  # type: ignore[attr-defined]


def _key(record: dict[str, object], line: dict[str, object]) -> str:
    """A line as the corpus step compares it, in Simplified (pinyin is already out of `plain`)."""
    plain = str(line["plain"])
    return normalise_line(plain if record["script"] == "simplified" else to_simplified(plain))


def _headline(line: dict[str, object]) -> str:
    """A teaser line in Simplified without its site's decoration."""
    text = to_simplified(str(line["plain"])).strip()
    for before, after in TEASER_FORMS:
        if before and text.startswith(before):
            text = text[len(before) :]
        if after and text.endswith(after):
            text = text[: -len(after)]
    return text


def test_teasers_repeat_on_a_few_pages_of_one_site(corpus: Path) -> None:
    records = _records(corpus / "truth.jsonl")
    carriers: dict[object, set[str]] = defaultdict(set)
    sites: dict[object, set[str]] = defaultdict(set)
    keys: dict[object, set[str]] = defaultdict(set)
    for record, line in _teaser_lines(records):
        carriers[line["teaser"]].add(str(record["doc_id"]))
        sites[line["teaser"]].add(str(record["site"]))
        keys[line["teaser"]].add(_key(record, line))
    pages = Counter(len(docs) for docs in carriers.values())
    assert pages == {3: 5, 5: 5, 6: 5, 7: 5, 8: 5, 9: 10}  # pages per teaser, at seed 3
    assert min(pages) >= TEASER_PAGES[0] and max(pages) <= TEASER_PAGES[1]
    assert {len(s) for s in sites.values()} == {1}
    # By text: no page outside a teaser's own carriers (on its site or another) has a line like it.
    pages_with: dict[str, set[str]] = defaultdict(set)
    for record in records:
        for line in record["lines"]:  # type: ignore[attr-defined]
            pages_with[_key(record, line)].add(str(record["doc_id"]))
    for number, texts in keys.items():
        assert set().union(*(pages_with[k] for k in texts)) == carriers[number], number
    assert len(set().union(*keys.values())) >= len(keys)  # no two teasers read the same


def test_no_teaser_text_in_a_body_line(corpus: Path) -> None:
    records = _records(corpus / "truth.jsonl")
    bodies = "\n".join(
        fold_digits(to_simplified(str(t["plain"])))
        for r in records
        for t in r["lines"]  # type: ignore[attr-defined]
        if t["label"] == "body"
    )
    headlines = {_headline(t) for r, t in _teaser_lines(records) if r["script"] == "simplified"}
    assert len(headlines) == 35  # every teaser is on a Simplified page too
    for headline in headlines:
        assert fold_digits(headline) not in bodies, headline  # whatever digits either drew


def test_teaser_lines_are_boilerplate_headlines_counted_in_the_manifest(corpus: Path) -> None:
    records = _records(corpus / "truth.jsonl")
    teasers = _teaser_lines(records)
    assert {str(t["label"]) for _, t in teasers} == {"boilerplate"}
    for _, line in teasers:
        text = str(line["plain"]).strip()
        assert len(_headline(line)) <= HEADLINE_MAX_CHARS and len(text) <= COMMON_LINE_MAX_CHARS, text
        assert not text.endswith(("。", "！", "？", "!", "?", "；", ";")), text
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["teaser_lines"] == len(teasers)
    assert manifest["counts"]["teaser_blocks"] == len({str(r["doc_id"]) for r, _ in teasers})
    assert manifest["teasers"]["headlines"] == len({t["teaser"] for _, t in teasers})
    assert manifest["teasers"]["sites"] == len({str(r["site"]) for r, _ in teasers})


def test_html_teasers_are_paragraphs_of_the_article(corpus: Path) -> None:
    checked = 0
    for record, line in _teaser_lines(_records(corpus / "truth.jsonl")):
        if record["format"] != "html":
            continue
        page = (corpus / "seeds" / str(record["doc_id"])).read_bytes().decode(str(record["encoding"]))
        article = page[page.index("<article>") : page.index("</article>")]
        assert f"<p>{html.escape(str(line['text']))}</p>" in article
        checked += 1
    assert checked == 35


@pytest.mark.parametrize("pages", [0, 1, 2, 3, 9, 10, 11, 12, 13, 20, 57, 400])
def test_day_lengths_cover_the_pages_in_days_of_3_to_10(pages: int) -> None:
    for seed in range(20):
        days = day_lengths(random.Random(seed), pages)
        if pages < TEASER_PAGES[0]:
            assert days == []  # too few pages for a teaser to reach its minimum: none
        else:
            assert sum(days) == pages
            assert all(TEASER_PAGES[0] <= d <= TEASER_PAGES[1] for d in days), days


@pytest.mark.parametrize(
    ("place", "paragraphs", "expected"),
    [
        ("top", 1, 0),
        ("top", 5, 0),
        ("between", 1, 1),  # one paragraph: nothing to sit between, so below it
        ("between", 2, 1),
        ("between", 5, 2),
        ("after", 1, 1),
        ("after", 5, 5),
    ],
)
def test_block_index(place: str, paragraphs: int, expected: int) -> None:
    assert block_index(place, paragraphs) == expected


@pytest.mark.parametrize(
    ("planted", "expected"),
    [
        ([], {}),
        ([("a", "b")], {"a": "a", "b": "a"}),
        ([("b", "c"), ("a", "b")], {"a": "a", "b": "a", "c": "a"}),  # a chain is one story
        ([("a", "b"), ("c", "d")], {"a": "a", "b": "a", "c": "c", "d": "c"}),
    ],
)
def test_stories_are_connected_components(planted: list[tuple[str, str]], expected: dict[str, str]) -> None:
    assert stories(planted) == expected


@pytest.mark.parametrize(
    ("events", "planted", "pairs", "true_pairs", "worst"),
    [
        # a~b and b~c planted: a, b, c are one story, so all three pairs of the event are true
        ({"e1": ["a", "b", "c"]}, [("a", "b"), ("b", "c")], 3, 3, []),
        # d is joined to a story it is not in: 6 pairs, only a~b true
        ({"e1": ["a", "b", "c", "d"]}, [("a", "b")], 6, 1, [("e1", 4, 5)]),
        # single-document events count no pair; the larger event with false pairs comes first
        (
            {"e1": ["a", "b"], "e2": ["c", "d", "e"], "e3": ["f"], "e4": ["g", "h"]},
            [("a", "b"), ("c", "d")],
            5,
            2,
            [("e2", 3, 2), ("e4", 2, 1)],
        ),
        ({"e1": ["a"]}, [("a", "b")], 0, 0, []),
    ],
)
def test_event_precision(
    events: dict[str, list[str]],
    planted: list[tuple[str, str]],
    pairs: int,
    true_pairs: int,
    worst: list[tuple[str, int, int]],
) -> None:
    score = event_precision(events, planted)
    assert (score.pairs, score.true_pairs, score.worst) == (pairs, true_pairs, worst)
    if pairs:
        assert score.precision == true_pairs / pairs
    else:
        assert math.isnan(score.precision)


def test_chrome_only_pairs_share_a_teaser_and_are_not_planted() -> None:
    def record(doc: str, teasers: list[int], label: str = "boilerplate") -> dict[str, object]:
        lines: list[dict[str, object]] = [{"text": "正文", "plain": "正文", "label": "body"}]
        lines += [{"text": "标题", "plain": "标题", "label": label, "teaser": n} for n in teasers]
        return {"doc_id": doc, "lines": lines}

    truth = [
        record("a", [1, 2]),
        record("b", [2]),
        record("c", [3]),
        record("d", [1]),
        record("e", [3], "body"),
    ]
    found = [("a", "b"), ("a", "c"), ("a", "d"), ("c", "e")]
    # a~d is planted (a story that also shares a teaser); c~e: e's line is not boilerplate
    assert chrome_only_pairs(found, [("a", "d")], truth) == [("a", "b")]
