"""The match step at scale: carried pairs and links equal a scratch run; degenerate input stays cheap."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.overlap_fixtures import documents_table, seed_body, write_passages
from transforms.overlap import passage_rows_batch
from warehouse.match import MatchConfig, MatchResult, match_corpus
from warehouse.match.events import changed_events

DEFAULT = MatchConfig()
MAX_PASSAGES_PER_DOC = DEFAULT.max_passages_per_doc
RARE_BUCKET_DOCS = DEFAULT.rare_bucket_docs

SEED_IDS = ["000", "001", "002", "003", "004"]
# One sentence a hostile file repeats (its normalised key is the same every time).
REPEATED = "国务院新闻办公室今天举行发布会，介绍今年前三季度国民经济运行情况。"
OTHER = "国家统计局新闻发言人表示，前三季度经济运行总体平稳，就业形势保持稳定。"


@pytest.fixture(scope="module")
def bodies() -> dict[str, str]:
    return {f"{p}.txt": seed_body(p) for p in SEED_IDS}


def pairs(result: MatchResult) -> list[tuple[str, str, str]]:
    return [(r["doc_a"], r["doc_b"], r["relation"]) for r in result.doc_pairs.to_pylist()]


class Corpus:
    """A warehouse in miniature: one passage file per run, the previous state fed to the next match."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.files: dict[str, Path] = {}
        self.docs: dict[str, str] = {}
        self.last: MatchResult | None = None

    def run(self, added: dict[str, str], removed: frozenset[str] = frozenset()) -> MatchResult:
        """Add (or replace) and remove documents, then match incrementally like the flow does."""
        gone = removed | set(added)
        for doc in removed:
            del self.docs[doc]
        self.docs.update(added)
        # rewrite every file that held a removed or replaced document, as the flow rewrites shards
        for path in list(self.files.values()):
            table = pq.read_table(path)
            keep = pc.invert(pc.is_in(table.column("doc_id"), value_set=pa.array(sorted(gone), pa.string())))
            pq.write_table(table.filter(keep), path)
        if added:
            name = f"run{len(self.files)}"
            self.files[name] = write_passages(self.tmp, name, added)
        prev = self.last
        old_pairs = None
        if prev is not None:
            touched = pa.array(sorted(gone), pa.string())
            pairs_table = prev.doc_pairs
            keep = pc.invert(
                pc.or_(
                    pc.is_in(pairs_table.column("doc_a"), value_set=touched),
                    pc.is_in(pairs_table.column("doc_b"), value_set=touched),
                )
            )
            old_pairs = pairs_table.filter(keep)
        self.last = match_corpus(
            list(self.files.values()),
            documents_table(self.docs),
            set(added),
            old_pairs,
            prev.events if prev else None,
            prev.passage_links if prev else None,
            self.tmp / "duckdb-tmp",
        )
        return self.last

    def scratch(self, tmp: Path) -> MatchResult:
        """The same state matched from nothing."""
        tmp.mkdir()
        path = write_passages(tmp, "scratch", self.docs)
        return match_corpus([path], documents_table(self.docs), set(self.docs), None)


def assert_same(a: MatchResult, b: MatchResult) -> None:
    assert a.doc_pairs.equals(b.doc_pairs)
    assert a.events.equals(b.events)
    assert a.passage_links.equals(b.passage_links)


def test_carried_pairs_and_links_equal_a_scratch_run(tmp_path: Path, bodies: dict[str, str]) -> None:
    corpus = Corpus(tmp_path)
    first = corpus.run({k: v for k, v in bodies.items() if k != "001.txt"})
    assert pairs(first) == []
    # 001 joins 000: the event gained a document, its links are built
    second = corpus.run({"001.txt": bodies["001.txt"]})
    assert pairs(second) == [("000.txt", "001.txt", "overlap")]
    assert second.stats.rematched_pairs == 0 and second.passage_links.num_rows > 0
    assert_same(second, corpus.scratch(tmp_path / "s2"))
    # a repost of 003: 000/001's event is untouched, its pair and links are carried, not verified
    third = corpus.run({"repost3.txt": "转载。\n" + bodies["003.txt"]})
    assert pairs(third) == [("000.txt", "001.txt", "overlap"), ("003.txt", "repost3.txt", "duplicate")]
    # candidates only pair the new document with others: at most one per old document
    assert 1 <= third.stats.candidate_pairs <= len(bodies) - 1 and third.stats.rematched_pairs == 0
    assert_same(third, corpus.scratch(tmp_path / "s3"))
    # a repost of 000 joins 000/001's event: the carried pair is matched again to rebuild its links
    fourth = corpus.run({"repost0.txt": "转载。\n" + bodies["000.txt"]})
    assert fourth.stats.rematched_pairs == 1
    assert_same(fourth, corpus.scratch(tmp_path / "s4"))
    # the repost of 003 is deleted: 003's event lost a document, 000's event keeps its links
    fifth = corpus.run({}, frozenset({"repost3.txt"}))
    assert ("003.txt", "repost3.txt", "duplicate") not in pairs(fifth)
    assert len(pairs(fifth)) == len(pairs(fourth)) - 1
    assert (fifth.stats.candidate_pairs, fifth.stats.rematched_pairs) == (0, 0)
    assert_same(fifth, corpus.scratch(tmp_path / "s5"))
    assert (tmp_path / "duckdb-tmp").is_dir()


def test_changed_events_are_those_that_gained_or_lost_a_document() -> None:
    def events(rows: list[tuple[str, str]]) -> pa.Table:
        return pa.table({"event_id": [e for e, _ in rows], "doc_id": [d for _, d in rows]})

    before = events([("a", "a"), ("a", "b"), ("c", "c"), ("c", "d"), ("e", "e"), ("e", "f"), ("e", "g")])
    now = events([("a", "a"), ("a", "b"), ("c", "c"), ("c", "d"), ("c", "x"), ("e", "e"), ("e", "f")])
    assert changed_events(now, before, set()) == {
        "c": frozenset({"c", "d", "x"}),  # gained x
        "e": frozenset({"e", "f"}),  # lost g
    }
    # a reprocessed document changes its event even when the members stay the same
    assert set(changed_events(now, before, {"b"})) == {"a", "c", "e"}
    # without the previous state every event of two or more documents is rebuilt
    assert set(changed_events(now, None, set())) == {"a", "c", "e"}


def test_repeated_sentence_is_matched_once(tmp_path: Path, bodies: dict[str, str]) -> None:
    hostile = "\n".join([bodies["003.txt"]] + [REPEATED] * 20_000)
    docs = {**bodies, "hostile.txt": hostile, "hostile2.txt": "\n".join([REPEATED] * 20_000 + [OTHER] * 3)}
    table = passage_rows_batch(list(docs), list(docs.values()))
    path = tmp_path / "p.parquet"
    pq.write_table(table, path)
    result = match_corpus([path], documents_table(docs), set(docs), None)
    assert pairs(result) == [("000.txt", "001.txt", "overlap"), ("003.txt", "hostile.txt", "duplicate")]
    # band rows: every document's distinct passages once (each copy of the sentence has the same bands)
    rows = table.to_pylist()
    distinct = {(r["doc_id"], tuple(r["bands"])) for r in rows if r["passage_no"] < MAX_PASSAGES_PER_DOC}
    assert result.stats.band_rows == sum(len(bands) for _, bands in distinct)
    assert len(rows) > 40_000 and result.stats.band_rows < 10_000
    # verification loads each candidate document's distinct passages once, not the 20,000 copies
    assert 0 < result.stats.passages_verified <= len({(r["doc_id"], tuple(r["bands"])) for r in rows}) < 200


def test_passages_beyond_the_cap_take_no_part(tmp_path: Path) -> None:
    sentences = [f"第{n}号公告称该地区今年共新建学校{n * 7}所。" for n in range(MAX_PASSAGES_PER_DOC + 500)]
    docs = {"long.txt": "\n".join(sentences)}
    table = passage_rows_batch(list(docs), list(docs.values()))
    path = tmp_path / "p.parquet"
    pq.write_table(table, path)
    result = match_corpus([path], documents_table(docs), set(docs), None)
    # distinct passages within the cap ("第111号…777所" and "第1111号…7777所" have the same 3-grams)
    capped = {tuple(r["bands"]) for r in table.to_pylist() if r["passage_no"] < MAX_PASSAGES_PER_DOC}
    assert table.num_rows == MAX_PASSAGES_PER_DOC + 500 and len(capped) == MAX_PASSAGES_PER_DOC - 1
    assert result.stats.band_rows == sum(map(len, capped))


def test_a_story_reposted_by_many_outlets_links_every_copy(tmp_path: Path, bodies: dict[str, str]) -> None:
    # eight copies: every band bucket of the story holds more documents than RARE_BUCKET_DOCS, so
    # its passage pairs become candidates as identical passages, not through rare buckets
    copies = {f"copy{k}.txt": bodies["003.txt"] + f"\n本文转载自第{k}家合作媒体。" for k in range(8)}
    assert len(copies) > RARE_BUCKET_DOCS
    docs = {**bodies, **copies}
    path = write_passages(tmp_path, "p", docs)
    result = match_corpus([path], documents_table(docs), set(docs), None)
    expected = [("000.txt", "001.txt", "overlap")]
    expected += [(a, b, "duplicate") for a in ["003.txt", *sorted(copies)] for b in sorted(copies) if a < b]
    assert pairs(result) == expected


def test_a_story_held_by_more_than_the_clique_size_meets_its_leads(
    tmp_path: Path, bodies: dict[str, str]
) -> None:
    # the same nine copies, passages held by more than three documents made stars: every copy is
    # paired with the story's three leading documents (the first by doc_id), one event as before
    copies = {f"copy{k}.txt": bodies["003.txt"] + f"\n本文转载自第{k}家合作媒体。" for k in range(8)}
    docs = {**bodies, **copies}
    path = write_passages(tmp_path, "p", docs)
    clique = match_corpus([path], documents_table(docs), set(docs), None)
    # the cap: every document of the corpus
    config = replace(DEFAULT, max_bucket_docs=3, bucket_share_docs=1)
    assert config.bucket_cap(len(docs)) == len(docs)
    star = match_corpus([path], documents_table(docs), set(docs), None, config=config)
    story = ["003.txt", *sorted(copies)]
    leads = story[: config.star_leads]
    expected = [("000.txt", "001.txt", "overlap")]
    expected += sorted({(min(a, b), max(a, b), "duplicate") for a in leads for b in story if a != b})
    assert pairs(star) == expected
    assert star.events.equals(clique.events)
    assert star.stats.join_rows < clique.stats.join_rows
