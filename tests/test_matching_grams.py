"""Integer n-gram codes and the array passage matcher against the plain definitions on strings."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.overlap import SHINGLE_CHARS
from warehouse.match import MatchConfig
from warehouse.match.grams import CODE_BITS, PAD_CODE, batch_gram_codes, gram_batch, gram_codes, shingles
from warehouse.match.verify import Doc, longest_run, make_doc, not_one_clause, passage_matches

CONFIG = MatchConfig()


def decode(code: int) -> str:
    """The n-gram (or short key) a code stands for."""
    fields = [(code >> (CODE_BITS * (SHINGLE_CHARS - 1 - f))) & PAD_CODE for f in range(SHINGLE_CHARS)]
    return "".join(chr(c) for c in fields if c != PAD_CODE)


@pytest.mark.parametrize(
    ("key", "grams"),
    [
        ("", [""]),
        ("质", ["质"]),
        ("质量", ["质量"]),
        ("质量网", ["质量网"]),
        ("质量网站", ["质量网", "量网站"]),
        ("哈哈哈哈哈", ["哈哈哈"]),
        ("abab", ["aba", "bab"]),
        ("a\ud800b", ["a\ud800b"]),  # a lone surrogate of a damaged page is a character like any other
        ("𠀀𠀁𠀂𠀃", ["𠀀𠀁𠀂", "𠀁𠀂𠀃"]),  # beyond the BMP
    ],
)
def test_gram_codes_stand_for_the_shingles(key: str, grams: list[str]) -> None:
    codes = gram_codes(key).tolist()
    assert codes == sorted(codes)
    assert sorted(decode(c) for c in codes) == sorted(grams)
    assert set(grams) == set(shingles(key))


def test_short_keys_never_share_a_code_with_an_ngram() -> None:
    # "ab" alone and the n-gram "xab" or "abx" are different shingles, so different codes
    codes, offsets = batch_gram_codes(["ab", "xab", "abx", "b", "", "abc", "zabc"])
    runs = [set(codes[offsets[k] : offsets[k + 1]].tolist()) for k in range(len(offsets) - 1)]
    assert runs[0].isdisjoint(runs[1] | runs[2] | runs[3] | runs[4])
    assert runs[5] < runs[6]  # a key of exactly one n-gram is that n-gram


def test_empty_batch() -> None:
    codes, offsets = batch_gram_codes([])
    assert codes.tolist() == [] and offsets.tolist() == [0]


keys = st.text(alphabet="甲乙丙丁a𠀀", max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.lists(keys, max_size=12))
def test_batch_codes_equal_the_string_shingles(batch: list[str]) -> None:
    codes, offsets = batch_gram_codes(batch)
    for k, key in enumerate(batch):
        run = codes[offsets[k] : offsets[k + 1]].tolist()
        assert run == sorted(set(run))
        assert {decode(c) for c in run} == shingles(key)


def docs(passages: dict[str, list[str]]) -> dict[str, Doc]:
    """Documents as verification loads them (rows sorted by document), every passage of weight 1."""
    ids = [d for d in sorted(passages) for _ in passages[d]]
    texts = [p for d in sorted(passages) for p in passages[d]]
    nos = [n for d in sorted(passages) for n in range(len(passages[d]))]
    batch = gram_batch(ids, texts)
    out = {}
    for d, doc_id in enumerate(sorted(d for d in passages if passages[d])):
        rows = batch.rows(d)
        out[doc_id] = make_doc(batch, d, nos, texts, [1] * (rows.stop - rows.start), CONFIG)
    return out


def reference_matches(a: list[str], b: list[str]) -> set[tuple[int, int, float, bool]]:
    """The string definition: identical n-gram sets once per document, postings and a Counter per passage."""

    def distinct(texts: list[str]) -> list[tuple[str, frozenset[str]]]:
        seen: set[frozenset[str]] = set()
        out = []
        for t in texts:
            if shingles(t) not in seen:
                seen.add(shingles(t))
                out.append((t, shingles(t)))
        return out

    da, db = distinct(a), distinct(b)
    postings: dict[str, list[int]] = defaultdict(list)
    for j, (_, g) in enumerate(db):
        for s in g:
            postings[s].append(j)
    out = set()
    for i, (ka, ga) in enumerate(da):
        for j, shared in Counter(j for s in ga for j in postings.get(s, ())).items():
            kb, gb = db[j]
            containment = shared / min(len(ga), len(gb))
            if shared >= CONFIG.min_shared_shingles and containment >= CONFIG.passage_containment:
                out.add((i, j, containment, not_one_clause(shared, len(ga), len(gb), ka, kb, CONFIG)))
    return out


# few distinct characters: passages share many n-grams, and some repeat within a document
passage = st.text(alphabet="甲乙丙丁戊", min_size=0, max_size=60)


@settings(max_examples=150, deadline=None)
@given(st.lists(passage, min_size=1, max_size=6), st.lists(passage, min_size=1, max_size=6))
def test_array_matches_equal_the_string_definition(a: list[str], b: list[str]) -> None:
    loaded = docs({"a": a, "b": b})
    found, common = passage_matches(loaded["a"], loaded["b"], True, CONFIG)
    assert set(found) == reference_matches(a, b)
    all_a = frozenset().union(*map(shingles, a))
    all_b = frozenset().union(*map(shingles, b))
    assert common == len(all_a & all_b)


def test_identical_passages_of_a_document_are_kept_once() -> None:
    loaded = docs(
        {"a": ["甲乙丙丁戊己", "庚辛壬", "甲乙丙丁戊己", "乙丙乙丙乙", "乙丙乙丙"], "b": ["庚辛壬癸"]}
    )
    # "乙丙乙丙乙" and "乙丙乙丙" are different texts with the same n-gram set {乙丙乙, 丙乙丙}
    assert loaded["a"].nos == [0, 1, 3]
    assert loaded["a"].sizes.tolist() == [4, 1, 2]
    assert loaded["a"].owner.tolist() == [0, 0, 0, 0, 1, 2, 2]
    assert loaded["b"].nos == [0] and loaded["b"].owner.tolist() == [0, 0]


@pytest.mark.parametrize(
    ("x", "y", "run"),
    [
        ("", "", 0),
        ("甲乙丙", "", 0),
        ("甲乙丙", "甲乙丙", 3),
        ("乙丙", "甲乙丙丁", 2),  # the shorter inside the longer
        ("甲乙丙丁", "乙丙", 2),
        ("甲乙丙丁戊", "丁戊己甲乙丙", 3),  # two common runs: the longer one
        ("甲乙", "丙丁", 0),
    ],
)
def test_longest_run(x: str, y: str, run: int) -> None:
    assert longest_run(x, y) == run
