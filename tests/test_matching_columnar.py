"""The match step's columnar state: events, new ids as Arrow, band buckets in hash partitions."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pytest

from tests.overlap_fixtures import documents_table, seed_body, write_passages
from warehouse.match import MatchConfig, MatchResult, match_corpus
from warehouse.match.events import build_events, changed_events
from warehouse.schema import CANDIDATE_PAIRS, EVENTS

DEFAULT = MatchConfig()
T = TypeVar("T")

SEED_IDS = ["000", "001", "002", "003", "004"]


def reference_events(
    doc_ids: Sequence[str], text_chars: Sequence[int | None], pairs: Iterable[tuple[str, str]]
) -> pa.Table:
    """build_events as it was before it went columnar (Python objects for every document): the oracle."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    chars = [int(c or 0) for c in text_chars]
    groups: dict[str, list[int]] = defaultdict(list)
    for k, d in enumerate(doc_ids):
        groups[find(d)].append(k)
    ev: list[str] = []
    ids: list[str] = []
    canon: list[bool] = []
    for members in groups.values():
        event_id = min(doc_ids[k] for k in members)
        best = min(members, key=lambda k: (-chars[k], doc_ids[k]))
        for k in members:
            ev.append(event_id)
            ids.append(doc_ids[k])
            canon.append(k == best)
    order = sorted(range(len(ids)), key=lambda k: (ev[k], ids[k]))
    return pa.table(
        {
            "event_id": [ev[k] for k in order],
            "doc_id": [ids[k] for k in order],
            "is_canonical": [canon[k] for k in order],
        },
        schema=EVENTS,
    )


# (documents as (doc_id, text_chars), pairs, expected events as (event_id, doc_id, is_canonical))
EVENT_CASES = [
    pytest.param(
        [("c", 10), ("a", 5), ("b", 30), ("z", 1), ("y", 7)],
        [("a", "b"), ("b", "c")],
        [
            ("a", "a", False),
            ("a", "b", True),  # the longest body of the chain a-b-c
            ("a", "c", False),
            ("y", "y", True),
            ("z", "z", True),
        ],
        id="three-chained-and-singletons",
    ),
    pytest.param(
        [("m", 20), ("k", 20), ("q", 20), ("p", 3)],
        [("m", "q"), ("k", "m")],
        [("k", "k", True), ("k", "m", False), ("k", "q", False), ("p", "p", True)],
        id="tie-on-text-chars-smallest-id-is-canonical",
    ),
    pytest.param(
        [("d2", None), ("d1", 0), ("d3", None)],
        [("d2", "d3")],
        [("d1", "d1", True), ("d2", "d2", True), ("d2", "d3", False)],
        id="missing-length-counts-as-zero",
    ),
    pytest.param(
        [("乙", 4), ("甲", 9), ("b", 9), ("a", 1)],
        [("甲", "乙"), ("a", "b")],
        [("a", "a", False), ("a", "b", True), ("乙", "乙", False), ("乙", "甲", True)],
        id="code-point-order-of-non-ascii-ids",
    ),
    pytest.param([("x", 1), ("w", 2)], [], [("w", "w", True), ("x", "x", True)], id="no-pairs"),
    pytest.param([], [], [], id="no-documents"),
]


@pytest.mark.parametrize(("docs", "pairs", "expected"), EVENT_CASES)
def test_events_equal_the_reference_construction(
    docs: list[tuple[str, int | None]], pairs: list[tuple[str, str]], expected: list[tuple[str, str, bool]]
) -> None:
    ids = [d for d, _ in docs]
    chars = [c for _, c in docs]
    old = reference_events(ids, chars, pairs)
    variants: list[tuple[pa.Array | pa.ChunkedArray, pa.Array | pa.ChunkedArray]] = [
        (pa.array(ids, pa.string()), pa.array(chars, pa.int64())),
        (
            pa.chunked_array([ids[:2], ids[2:]], pa.string()),
            pa.chunked_array([chars[:2], chars[2:]], pa.int64()),
        ),
        (pa.chunked_array([], pa.string()), pa.chunked_array([], pa.int64()))
        if not ids
        else (pa.array(ids, pa.large_string()), pa.array(chars, pa.int32())),
    ]
    for doc_ids, text_chars in variants:
        new = build_events(doc_ids, text_chars, pairs)
        assert new.equals(old)
        assert [(r["event_id"], r["doc_id"], r["is_canonical"]) for r in new.to_pylist()] == expected


def events_table(rows: list[tuple[str, str]]) -> pa.Table:
    return pa.table({"event_id": [e for e, _ in rows], "doc_id": [d for _, d in rows]})


@pytest.mark.parametrize(
    ("new_ids", "expected"),
    [
        (set(), {"c"}),
        ({"b"}, {"a", "c"}),
        (pa.array(["b", "zz"], pa.string()), {"a", "c"}),
        (pa.chunked_array([["e"], ["b"]], pa.string()), {"a", "c"}),  # e is alone: its event has no links
    ],
)
def test_changed_events_take_new_ids_as_arrow_or_python(new_ids: object, expected: set[str]) -> None:
    before = events_table([("a", "a"), ("a", "b"), ("c", "c"), ("c", "d"), ("e", "e")])
    now = events_table([("a", "a"), ("a", "b"), ("c", "c"), ("c", "d"), ("c", "x"), ("e", "e")])
    assert set(changed_events(now, before, new_ids)) == expected  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def bodies() -> dict[str, str]:
    docs = {f"{p}.txt": seed_body(p) for p in SEED_IDS}
    docs["repost3.txt"] = "转载。\n" + docs["003.txt"]
    return docs


def assert_same(a: MatchResult, b: MatchResult) -> None:
    assert a.doc_pairs.equals(b.doc_pairs)
    assert a.events.equals(b.events)
    assert a.passage_links.equals(b.passage_links)
    assert a.stats == b.stats


def test_new_ids_as_arrow_give_the_same_result(tmp_path: Path, bodies: dict[str, str]) -> None:
    path = write_passages(tmp_path, "p", bodies)
    documents = documents_table(bodies)
    python = match_corpus([path], documents, set(bodies), None)
    assert [(r["doc_a"], r["doc_b"]) for r in python.doc_pairs.to_pylist()] == [
        ("000.txt", "001.txt"),
        ("003.txt", "repost3.txt"),
    ]
    for ids in (
        pa.array(sorted(bodies), pa.string()),
        pa.chunked_array([list(bodies)[:2], list(bodies)[2:]]),
    ):
        assert_same(match_corpus([path], documents, ids, None), python)


def test_passage_links_built_an_event_at_a_time_equal_those_built_at_once(
    tmp_path: Path, bodies: dict[str, str]
) -> None:
    """Batches of whole events bound the flow's memory at 1M documents; a passage links only inside
    its event, so the batch size never changes a link."""
    path = write_passages(tmp_path, "p", bodies)
    at_once = match_corpus([path], documents_table(bodies), set(bodies), None)
    # each passage points to its most complete occurrence: the repost (the longer body) keeps all of
    # the story's, while 000 and 001 each hold some of their shared passages' longer versions
    links = Counter((r["doc_id"], r["duplicate_of_doc"]) for r in at_once.passage_links.to_pylist())
    assert links == {("003.txt", "repost3.txt"): 42, ("001.txt", "000.txt"): 7, ("000.txt", "001.txt"): 4}
    one_event = replace(DEFAULT, link_batch_matches=1)
    assert_same(match_corpus([path], documents_table(bodies), set(bodies), None, config=one_event), at_once)


@pytest.mark.parametrize(("groups", "passes"), [(1_000, 1), (3_000, 1), (1_000, 4), (3_000, 7)])
def test_bucket_partitions_give_the_same_result(
    tmp_path: Path, bodies: dict[str, str], groups: int, passes: int
) -> None:
    old = {k: v for k, v in bodies.items() if k not in ("001.txt", "repost3.txt")}
    path_old = write_passages(tmp_path, "old", old)
    path_new = write_passages(tmp_path, "new", {k: bodies[k] for k in ("001.txt", "repost3.txt")})
    first = match_corpus([path_old], documents_table(old), set(old), None)
    # an incremental run (2 new documents of 6: a semi-join on the new documents' buckets)
    second = match_corpus([path_old, path_new], documents_table(bodies), {"001.txt", "repost3.txt"}, None)
    scratch = match_corpus([path_old, path_new], documents_table(bodies), set(bodies), None)
    # the band rows also split in many small batches (a row group a batch in each range's file)
    config = replace(DEFAULT, partition_groups=groups, split_batch_rows=groups // 10)
    assert config.partitions(scratch.stats.band_rows) > 2
    assert scratch.stats.band_rows > 20 * config.split_batch_rows
    if passes > 1:
        # the candidate self-join in passes over document residues, the incremental run's too
        config = replace(config, join_rows_per_pass=-(-second.stats.join_rows // passes))
        assert config.doc_passes(second.stats.join_rows) == passes
        assert config.doc_passes(scratch.stats.join_rows) >= passes
    assert_same(match_corpus([path_old], documents_table(old), set(old), None, config=config), first)
    assert_same(
        match_corpus(
            [path_old, path_new], documents_table(bodies), {"001.txt", "repost3.txt"}, None, config=config
        ),
        second,
    )
    assert_same(
        match_corpus([path_old, path_new], documents_table(bodies), set(bodies), None, config=config), scratch
    )


@pytest.mark.parametrize(
    ("groups", "parts"),
    [
        (0, 1),
        (1, 1),
        (DEFAULT.partition_groups, 1),
        (DEFAULT.partition_groups + 1, 2),
        (35 * DEFAULT.partition_groups - 1, 35),
    ],
)
def test_partitions(groups: int, parts: int) -> None:
    assert DEFAULT.partitions(groups) == parts
    assert DEFAULT.partitions(groups, threads=2) == parts


@pytest.mark.parametrize(
    ("groups", "parts"),
    [
        (0, 1),
        (DEFAULT.one_thread_range_rows, 1),
        (DEFAULT.one_thread_range_rows + 1, 2),
        (DEFAULT.partition_groups, -(-DEFAULT.partition_groups // DEFAULT.one_thread_range_rows)),
    ],
)
def test_one_thread_jobs_count_smaller_ranges(groups: int, parts: int) -> None:
    assert DEFAULT.partitions(groups, threads=1) == parts


@pytest.mark.parametrize(
    ("rows", "passes"),
    [
        (0, 1),
        (DEFAULT.join_rows_per_pass, 1),
        (DEFAULT.join_rows_per_pass + 1, 2),
        (70 * DEFAULT.join_rows_per_pass, 70),
    ],
)
def test_doc_passes(rows: int, passes: int) -> None:
    assert DEFAULT.doc_passes(rows) == passes


def test_one_pass_and_three_pass_incremental_runs_agree(tmp_path: Path, bodies: dict[str, str]) -> None:
    """A few new documents take one pass over the stored band lists (copies dropped among the rows
    in their buckets), more take three; both keep the same passages, so the results are equal."""
    lines = bodies["003.txt"].splitlines()
    # a copy of passages inside one old and one new document: each keeps its first copy only
    docs = {**bodies, "copies.txt": "\n".join([*lines[:6], *lines[:3], *lines[6:9]])}
    new = {"001.txt", "repost3.txt", "copies.txt"}
    path_old = write_passages(tmp_path, "old", {k: v for k, v in docs.items() if k not in new})
    path_new = write_passages(tmp_path, "new", {k: docs[k] for k in sorted(new)})
    one_pass = match_corpus([path_old, path_new], documents_table(docs), new, None)
    three_pass = match_corpus(
        [path_old, path_new], documents_table(docs), new, None, config=replace(DEFAULT, one_pass_max_new=0)
    )
    assert_same(one_pass, three_pass)
    assert one_pass.stats == three_pass.stats
    assert ("003.txt", "copies.txt") in {(r["doc_a"], r["doc_b"]) for r in one_pass.doc_pairs.to_pylist()}


@dataclass
class RecordingSpread:
    """Runs every job here, one after another, and records how many jobs each stage was cut into."""

    parts: int
    threads: int | None = 1
    jobs: dict[str, int] = field(default_factory=dict)

    def run(self, stage: str, jobs: Sequence[Callable[[], T]]) -> list[T]:
        self.jobs[stage] = len(jobs)
        return [job() for job in jobs]


@pytest.mark.parametrize("parts", [2, 3, 5])
@pytest.mark.parametrize("run", ["first", "few new", "many new"])
def test_stages_cut_into_jobs_give_the_same_tables(
    tmp_path: Path, bodies: dict[str, str], parts: int, run: str
) -> None:
    """Workers get a stage's work in jobs (files, hash ranges, document residues, pair slices); however
    it is cut, the tables and the counts are those of one job a stage (issue 20)."""
    lines = bodies["003.txt"].splitlines()
    docs = {**bodies, "copies.txt": "\n".join([*lines[:6], *lines[:3], *lines[6:9]])}
    new = set(docs) if run == "first" else {"001.txt", "repost3.txt", "copies.txt"}
    shards = [["000.txt", "001.txt"], ["002.txt", "003.txt"], ["004.txt", "repost3.txt", "copies.txt"]]
    files = [write_passages(tmp_path, f"s{n}", {k: docs[k] for k in shard}) for n, shard in enumerate(shards)]
    # the smallest jobs: every stage cut into as many jobs as it can be
    config = replace(DEFAULT, job_band_rows=1, job_join_rows=1, job_pairs=1)
    if run == "many new":
        config = replace(config, one_pass_max_new=0)  # the three-pass incremental split
    whole = match_corpus(files, documents_table(docs), new, None, config=config)
    spread = RecordingSpread(parts)
    cut = match_corpus(files, documents_table(docs), new, None, config=config, spread=spread)
    # a document whose pairs fall in two verification slices is loaded by both: the one count that grows
    assert_same(
        replace(cut, stats=replace(cut.stats, passages_verified=whole.stats.passages_verified)), whole
    )
    assert cut.stats.passages_verified >= whole.stats.passages_verified
    assert whole.stats.candidate_pairs >= 2
    assert spread.jobs == {
        "match-split": min(parts, len(files)),
        "match-buckets": parts,
        "match-join": parts,
        "match-pairs": parts,
        "match-verify": min(parts, whole.stats.candidate_pairs),
    }


def test_verification_in_small_batches_gives_the_same_tables(tmp_path: Path, bodies: dict[str, str]) -> None:
    """Verification streams its passages batch after batch from one query; a batch of two documents
    (each pair its own batch, or two) finds the same matches as one batch of all."""
    path = write_passages(tmp_path, "p", bodies)
    at_once = match_corpus([path], documents_table(bodies), set(bodies), None)
    small = match_corpus(
        [path], documents_table(bodies), set(bodies), None, config=replace(DEFAULT, verify_batch_docs=2)
    )
    assert small.doc_pairs.equals(at_once.doc_pairs)
    assert small.events.equals(at_once.events)
    assert small.passage_links.equals(at_once.passage_links)


def test_a_batch_of_documents_without_passages_sits_between_the_others(
    tmp_path: Path, bodies: dict[str, str]
) -> None:
    """Documents absent from the passage files (nothing to match) make a batch with no rows in the
    stream: the batches after it still get their own passages."""
    from warehouse.match.verify import verify_pairs

    path = write_passages(tmp_path, "p", bodies)
    pairs = pa.table(
        {"doc_a": ["000.txt", "gone-a", "003.txt"], "doc_b": ["001.txt", "gone-b", "repost3.txt"]},
        schema=CANDIDATE_PAIRS,
    )
    config = replace(DEFAULT, verify_batch_docs=2)
    evidence = [
        e for batch in verify_pairs([str(path)], pairs, None, True, None, config) for e in batch.pairs
    ]
    assert [(e.doc_a, len(e.a.nos) > 0, len(e.matches) > 0) for e in evidence] == [
        ("000.txt", True, True),
        ("gone-a", False, False),
        ("003.txt", True, True),
    ]
    alone = verify_pairs([str(path)], pairs.slice(2), None, True, None, config)
    assert [e.matches for batch in alone for e in batch.pairs] == [evidence[2].matches]


def test_the_passage_stream_is_cut_at_each_batch_number_across_chunks() -> None:
    from warehouse.match.verify import _runs_by_batch

    def chunk(vb: list[int], docs: list[str]) -> pa.RecordBatch:
        return pa.record_batch({"vb": pa.array(vb, pa.int32()), "doc_id": pa.array(docs, pa.string())})

    chunks = [chunk([0, 0, 2], ["a", "b", "c"]), chunk([2, 3], ["d", "e"]), chunk([5], ["f"])]

    def reader_of(chunks: list[pa.RecordBatch]) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(chunks[0].schema, chunks)

    reader = reader_of(chunks)
    runs = [(k, rows.column("doc_id").to_pylist(), rows.column_names) for k, rows in _runs_by_batch(reader)]
    assert runs == [
        (0, ["a", "b"], ["doc_id"]),
        (2, ["c", "d"], ["doc_id"]),
        (3, ["e"], ["doc_id"]),
        (5, ["f"], ["doc_id"]),
    ]
