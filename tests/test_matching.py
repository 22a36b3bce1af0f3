"""Golden tests of the corpus-wide match: pairs, events, passage links, incremental runs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import opencc
import pyarrow as pa
import pytest

from tests.overlap_fixtures import documents_table, seed_body, write_passages
from transforms.overlap import split_passages
from warehouse.catalog import EVENT_REPORTS_SQL
from warehouse.match import MatchConfig, MatchResult, match_corpus
from warehouse.match.step import (
    candidates_of,
    finish_match,
    match_state,
    merge_verdicts,
    split_candidates,
    verify_candidates,
)
from warehouse.match.verify import strong_match

SEED_IDS = ["000", "001", "002", "003", "004"]
# Five sentences of seed 003, reworded by hand (order, particles, words and punctuation changed).
REWORDED_003 = {
    0: "由市场监管总局指导、中国质量报刊社主办的2022年度“质量之光”论坛于1月13日在北京举行。",
    4: "中国计量测试学会理事长蒲长城(原质检总局副局长)致辞时强调:质量是兴国之道、富国之本和强国之策。",
    12: "国际质量科学院院士、国务院原参事郎志正从加快建设质量强国切入,对2022年度十大质量新闻进行了现场点评。",
    19: "市场监管总局食品抽检司二级巡视员郝明虹在主旨演讲中说,食品安全的前提是质量,而质量的基准是安全。",
    23: (
        "为打击食品掺杂掺假和农兽药残留等问题,"
        "市场监管总局目前已经制定77项食品补充检验方法、40项食品快速检测方法。"
    ),
}
SITE_CHROME = [
    "本网站所刊登的各种新闻、信息和各种专题专栏资料,均为中国质量新闻网版权所有。",
    "未经协议授权,禁止下载使用或建立镜像,违者必究法律责任。",
    "欢迎扫描二维码关注中国质量新闻网官方微信公众号,获取更多质量资讯。",
]


@pytest.fixture(scope="module")
def bodies() -> dict[str, str]:
    return {f"{p}.txt": seed_body(p) for p in SEED_IDS}


def run(tmp: Path, shards: list[dict[str, str]], new: set[str], prev: pa.Table | None = None) -> MatchResult:
    files = [write_passages(tmp, f"shard{k}", docs) for k, docs in enumerate(shards)]
    everything = {k: v for docs in shards for k, v in docs.items()}
    return match_corpus(files, documents_table(everything), new, prev)


def pairs(result: MatchResult) -> list[tuple[str, str, str]]:
    return [(r["doc_a"], r["doc_b"], r["relation"]) for r in result.doc_pairs.to_pylist()]


def events(result: MatchResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in result.events.to_pylist():
        out.setdefault(r["event_id"], []).append(r["doc_id"])
    return out


def test_seeds_one_overlap_one_event(tmp_path: Path, bodies: dict[str, str]) -> None:
    result = run(tmp_path, [bodies], set(bodies))
    assert pairs(result) == [("000.txt", "001.txt", "overlap")]
    assert events(result) == {
        "000.txt": ["000.txt", "001.txt"],
        "002.txt": ["002.txt"],
        "003.txt": ["003.txt"],
        "004.txt": ["004.txt"],
    }
    row = result.doc_pairs.to_pylist()[0]
    assert row["shared_passages"] >= 4
    assert row["similarity"] < 0.3  # document-level near-duplicate detection would miss it
    canonical = {r["doc_id"] for r in result.events.to_pylist() if r["is_canonical"]}
    assert canonical == {"000.txt", "002.txt", "003.txt", "004.txt"}


def test_seeds_shared_passages_point_to_complete_version(tmp_path: Path, bodies: dict[str, str]) -> None:
    result = run(tmp_path, [bodies], set(bodies))
    p000, p001 = split_passages(bodies["000.txt"]), split_passages(bodies["001.txt"])
    links = {(r["doc_id"], r["passage_no"]): r for r in result.passage_links.to_pylist()}

    def link_of(doc: str, passages: list[str], needle: str) -> tuple[str, str]:
        no = next(i for i, p in enumerate(passages) if needle in p)
        r = links[(doc, no)]
        kept = p000 if r["duplicate_of_doc"] == "000.txt" else p001
        return r["duplicate_of_doc"], kept[r["duplicate_of_passage"]]

    # organisers: 001's copy lost a name, so 000's complete list is kept
    doc, text = link_of("001.txt", p001, "大会由 、四川省人民政府")
    assert doc == "000.txt" and "市场监管总局、四川省人民政府" in text
    assert link_of("001.txt", p001, "已分别在北京、上海、深圳和杭州")[0] == "000.txt"
    assert "质量教育发展与展望" in link_of("001.txt", p001, "研讨内容包括")[1]
    assert "平行举办" in link_of("000.txt", p000, "此外,9月1日-3日平行举办")[1]
    # every link points to a kept occurrence, never to another duplicate
    assert not {(r["duplicate_of_doc"], r["duplicate_of_passage"]) for r in links.values()} & set(links)


def test_repost_in_other_script_is_duplicate(tmp_path: Path, bodies: dict[str, str]) -> None:
    s2t, t2s = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
    repost = "本文转载自山东质量网,原文标题见文末链接。\n" + t2s.convert(s2t.convert(bodies["004.txt"]))
    docs = {**bodies, "repost.txt": repost}
    result = run(tmp_path, [docs], set(docs))
    assert pairs(result) == [("000.txt", "001.txt", "overlap"), ("004.txt", "repost.txt", "duplicate")]
    row = result.doc_pairs.to_pylist()[1]
    assert row["containment_a"] == 1.0 and row["containment_b"] > 0.9


def test_reworded_shared_passages_are_overlap(tmp_path: Path, bodies: dict[str, str]) -> None:
    report = bodies["002.txt"] + "\n" + "\n".join(REWORDED_003.values())
    docs = {"a.txt": bodies["003.txt"], "b.txt": report, "c.txt": bodies["004.txt"]}
    result = run(tmp_path, [docs], set(docs))
    assert pairs(result) == [("a.txt", "b.txt", "overlap")]
    assert result.doc_pairs.to_pylist()[0]["shared_passages"] == 5
    links = result.passage_links.to_pylist()
    # every link crosses the two reports and points to the longer (more complete) wording
    assert {(r["doc_id"], r["duplicate_of_doc"]) for r in links} == {("a.txt", "b.txt"), ("b.txt", "a.txt")}
    assert len(links) == 6


def test_incremental_run_finds_pairs_with_old_documents(tmp_path: Path, bodies: dict[str, str]) -> None:
    old = {k: v for k, v in bodies.items() if k != "001.txt"}
    first = run(tmp_path, [old], set(old))
    assert pairs(first) == []
    second = run(tmp_path, [old, {"001.txt": bodies["001.txt"]}], {"001.txt"}, first.doc_pairs)
    assert pairs(second) == [("000.txt", "001.txt", "overlap")]
    repost = {"repost.txt": "转载。\n" + bodies["003.txt"]}
    third = run(tmp_path, [old, {"001.txt": bodies["001.txt"]}, repost], {"repost.txt"}, second.doc_pairs)
    assert pairs(third) == [("000.txt", "001.txt", "overlap"), ("003.txt", "repost.txt", "duplicate")]
    scratch = run(tmp_path, [{**bodies, **repost}], {*bodies, *repost})
    assert third.doc_pairs.equals(scratch.doc_pairs)
    assert third.events.equals(scratch.events)
    assert third.passage_links.equals(scratch.passage_links)


@pytest.mark.parametrize(("df", "weight"), [(1, 1.0), (5, 1.0), (10, 0.25), (500, 0.0001)])
def test_rarity_weight(df: int, weight: float) -> None:
    assert MatchConfig().rarity_weight(df) == weight


@pytest.mark.parametrize(("n_docs", "cap"), [(5, 50), (10_000, 50), (100_000, 100), (1_000_000, 1000)])
def test_bucket_cap_grows_with_corpus(n_docs: int, cap: int) -> None:
    assert MatchConfig().bucket_cap(n_docs) == cap


def test_event_reports_view(tmp_path: Path, bodies: dict[str, str]) -> None:
    result = run(tmp_path, [bodies], set(bodies))
    con = duckdb.connect()
    passages = pa.table(
        {
            "doc_id": [d for d, b in bodies.items() for _ in split_passages(b)],
            "passage_no": pa.array(
                [i for b in bodies.values() for i in range(len(split_passages(b)))], pa.int32()
            ),
            "text": [p for b in bodies.values() for p in split_passages(b)],
        }
    )
    con.register("passage_index", passages)
    con.register("links", result.passage_links)
    con.register("ev", result.events)
    con.register("docs", pa.table({"doc_id": list(bodies), "text": list(bodies.values())}))
    con.execute(
        "CREATE VIEW passages AS SELECT * FROM passage_index LEFT JOIN links USING (doc_id, passage_no)"
    )
    con.execute("CREATE VIEW events AS SELECT * FROM ev")
    con.execute("CREATE VIEW documents AS SELECT * FROM docs JOIN ev USING (doc_id)")
    rows = con.execute(EVENT_REPORTS_SQL).fetchall()
    assert [(r[0], r[1], r[4]) for r in rows] == [
        ("000.txt", "000.txt", 2),
        ("002.txt", "002.txt", 1),
        ("003.txt", "003.txt", 1),
        ("004.txt", "004.txt", 1),
    ]
    added = rows[0][3]
    assert any("正式代表850人" in p for p in added)  # only 001 gives the delegate numbers
    assert not any("大会由 、四川省人民政府" in p for p in added)  # 000 has the organisers
    assert rows[0][2] == bodies["000.txt"]


# A stock opening clause and an official title, each inside otherwise different sentences.
STOCK = "为深入贯彻落实党的二十大精神和中央经济工作会议部署"
TITLE = "国家市场监督管理总局党组成员副局长"


@pytest.mark.parametrize(
    ("x", "y", "strong"),
    [
        # the same sentence copied: one run covers both
        (STOCK + "全面提升产品质量水平", STOCK + "全面提升产品质量水平", True),
        # reworded: shared n-grams spread over several runs
        (
            "市场监管总局食品抽检司二级巡视员郝明虹在主旨演讲中表示食品安全的前提是质量而质量的基准是安全",
            "市场监管总局食品抽检司二级巡视员郝明虹在主旨演讲中说食品安全的前提是质量而质量的基准是安全",
            True,
        ),
        # one stock clause in two different sentences: a single run, nothing beside it
        (STOCK + "本市启动了新一轮农村电网改造工程", STOCK + "省教育厅印发了中小学课后服务指导意见", False),
        (TITLE + "田世宏出席开幕式并致辞", TITLE + "秦宜智在调研中强调要守住安全底线", False),
        # a short sentence inside a much longer one: matches, but only weakly
        (
            "平行举办质量之光成果展",
            "此外九月一日至三日还将在成都世纪城新国际会展中心平行举办质量之光成果展并组织企业开放参观活动",
            False,
        ),
    ],
)
def test_strong_match(x: str, y: str, strong: bool) -> None:
    assert strong_match(x, y, MatchConfig()) is strong


def test_stock_clause_in_different_sentences_does_not_link(tmp_path: Path) -> None:
    # four sentences of each report open with the same stock clause; the rest differs
    a = "\n".join(
        STOCK + tail
        for tail in ("本市启动农村电网改造", "区里新建十所幼儿园", "县里修通了山区公路", "镇上办起了夜校课堂")
    )
    b = "\n".join(
        STOCK + tail
        for tail in ("省里印发课后服务意见", "厂里更新了三条产线", "港口开通两条新航线", "医院增设了夜间门诊")
    )
    docs = {"a.txt": a + "。", "b.txt": b + "。"}
    docs = {k: v.replace("\n", "。\n") for k, v in docs.items()}
    assert pairs(run(tmp_path, [docs], set(docs))) == []


@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_verification_in_slices_equals_one_pass(tmp_path: Path, bodies: dict[str, str], parts: int) -> None:
    """The flow spreads verification over workers in consecutive slices of the candidate pairs; the
    merged verdicts give the same tables as one pass (issue 20)."""
    s2t, t2s = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
    reposts = {
        f"repost{n}.txt": f"转载{n}。\n" + t2s.convert(s2t.convert(bodies[k])) for n, k in enumerate(bodies)
    }
    docs = {**bodies, **reposts, "copy.txt": "转载。\n" + bodies["003.txt"]}
    files = [write_passages(tmp_path, "shard0", docs)]
    whole = match_corpus(files, documents_table(docs), set(docs), None)
    state = match_state(files, documents_table(docs), set(docs), None)
    found = candidates_of(state, tmp_path / "work", None, MatchConfig())
    slices = split_candidates(found.pairs, parts)
    assert found.pairs.num_rows >= 7 and 1 <= len(slices) <= parts and (len(slices) > 1) == (parts > 1)
    assert sum(s.num_rows for s in slices) == found.pairs.num_rows
    judged = merge_verdicts(
        [verify_candidates(state.files, s, found.df, None, MatchConfig()) for s in slices]
    )
    spread = finish_match(state, found, judged, None, None, None, MatchConfig())
    assert spread.doc_pairs.equals(whole.doc_pairs)
    assert spread.events.equals(whole.events)
    assert spread.passage_links.equals(whole.passage_links)
    # a document whose pairs fall in two slices is loaded by both: the one count that may grow
    assert replace(spread.stats, passages_verified=0) == replace(whole.stats, passages_verified=0)
    assert spread.stats.passages_verified >= whole.stats.passages_verified
