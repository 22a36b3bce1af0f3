"""The match step: candidates -> n-gram verification -> pair verdict -> events -> passage links.

Each stage is given its inputs and returns its outputs (Arrow tables, or a Parquet path for the
passage frequencies); this module only passes them along. Previous pairs are carried over as they
are; passage links are rebuilt only for events that gained or lost a document, whose carried pairs
are matched again for them.
"""

from __future__ import annotations

import functools
import itertools
import tempfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from warehouse.match.candidates import NO_CANDIDATES, Candidates, find_candidates
from warehouse.match.config import MatchConfig, job_config
from warehouse.match.events import changed_events, events_of, members, string_array
from warehouse.match.passages import passage_links
from warehouse.match.verdict import NO_VERDICTS, Verdicts, judge_pairs, matched_pairs
from warehouse.match.verify import verify_pairs
from warehouse.schema import CANDIDATE_PAIRS, DOC_PAIRS
from warehouse.spread import IN_PROCESS, Spread, run_jobs


@dataclass(frozen=True)
class MatchStats:
    """How much work a match did (for tests and benchmarks: counts, never times)."""

    band_rows: int = 0  # band hash rows searched for candidates (those of 2+ document buckets are kept)
    join_rows: int = 0  # upper bound of the candidate joins' rows (sets their passes)
    candidate_pairs: int = 0  # new pairs judged
    rematched_pairs: int = 0  # carried pairs matched again because their event changed
    passages_verified: int = 0  # passages loaded as n-gram codes (a document in two batches counts twice)


@dataclass(frozen=True)
class MatchResult:
    """Global tables of the current state (pairs and links of unchanged events carried over)."""

    doc_pairs: pa.Table
    events: pa.Table
    passage_links: pa.Table
    stats: MatchStats = MatchStats()


DEFAULT_CONFIG = MatchConfig()


@dataclass(frozen=True)
class MatchState:
    """What every stage of one match reads: the passage files, the documents, new and old ids, and
    the previous pairs carried over as they are."""

    files: list[str]
    documents: pa.Table
    new: pa.Array
    old: pa.Array
    carried: pa.Table


def match_state(
    passage_files: Sequence[Path],
    documents: pa.Table,
    new_doc_ids: Collection[str] | pa.Array | pa.ChunkedArray,
    previous_pairs: pa.Table | None,
) -> MatchState:
    """The match's inputs: new documents sorted apart from old ones, previous pairs between old ones."""
    doc_ids = string_array(documents.column("doc_id"))
    is_new = pc.is_in(doc_ids, value_set=string_array(new_doc_ids))
    new = _sorted_ids(doc_ids.filter(is_new))
    old = _sorted_ids(doc_ids.filter(pc.invert(is_new)))
    return MatchState(
        [str(f) for f in passage_files], documents, new, old, _carried_pairs(previous_pairs, old)
    )


def candidates_of(
    state: MatchState, work: Path, temp_dir: Path | None, config: MatchConfig, spread: Spread = IN_PROCESS
) -> Candidates:
    """The candidates stage over a state (none when it has no passage file or no new document)."""
    if not state.files or not len(state.new):
        return NO_CANDIDATES
    work.mkdir(parents=True, exist_ok=True)
    return find_candidates(state.files, state.new, state.old, work, temp_dir, config, spread)


def judge_candidates(
    state: MatchState,
    found: Candidates,
    temp_dir: Path | None,
    config: MatchConfig,
    spread: Spread = IN_PROCESS,
) -> Verdicts:
    """Verification and verdict of the candidate pairs, in consecutive slices, one a job (a pair's
    verdict is its own, so the merged slices are what one pass would give)."""
    if found.df is None:
        return NO_VERDICTS
    slices = split_candidates(found.pairs, config.jobs(found.pairs.num_rows, config.job_pairs, spread.parts))
    shared = job_config(config, spread)
    jobs = [
        functools.partial(verify_candidates, state.files, part, found.df, config=shared) for part in slices
    ]
    return merge_verdicts(run_jobs(spread, "match-verify", jobs, temp_dir))


def verify_candidates(
    files: Sequence[str], pairs: pa.Table, df: Path | None, temp_dir: Path | None, config: MatchConfig
) -> Verdicts:
    """Verification and verdict of candidate pairs (any slice of them: a pair's verdict is its own)."""
    return judge_pairs(verify_pairs(files, pairs, df, True, temp_dir, config), config)


def split_candidates(pairs: pa.Table, parts: int) -> list[pa.Table]:
    """The pairs in min(parts, pairs) consecutive slices of sizes that differ by one at most (in
    order, so merged verdicts keep it)."""
    count = min(max(parts, 1), pairs.num_rows)
    bounds = [pairs.num_rows * k // count for k in range(count + 1)] if count else [0]
    return [pairs.slice(start, stop - start) for start, stop in itertools.pairwise(bounds)]


def merge_verdicts(parts: Sequence[Verdicts]) -> Verdicts:
    """The verdicts of consecutive slices as one, in their order (what one call over all would give)."""
    if not parts:
        return NO_VERDICTS
    return Verdicts(
        pa.concat_tables([p.pairs for p in parts]).combine_chunks(),
        pa.concat_tables([p.matches for p in parts]).combine_chunks(),
        sum(p.passages for p in parts),
    )


def finish_match(
    state: MatchState,
    found: Candidates,
    judged: Verdicts,
    previous_events: pa.Table | None,
    previous_links: pa.Table | None,
    temp_dir: Path | None,
    config: MatchConfig,
) -> MatchResult:
    """Pairs, events and passage links from the judged candidates and what the last state carries."""
    doc_pairs = _sorted_pairs(state.carried, judged.pairs)
    events = events_of(state.documents, doc_pairs)
    changed = changed_events(events, previous_events if previous_links is not None else None, state.new)
    in_changed = {d for m in changed.values() for d in m}
    rematch = _pairs_in(state.carried, in_changed) if state.files else CANDIDATE_PAIRS.empty_table()
    again = matched_pairs(verify_pairs(state.files, rematch, None, False, temp_dir, config))
    unchanged = {d for m in members(events).values() for d in m} - in_changed
    matches = pa.concat_tables([judged.matches, again.matches])
    links = passage_links(matches, events, previous_links, unchanged, config.link_batch_matches)
    stats = MatchStats(
        found.band_rows,
        found.join_rows,
        found.pairs.num_rows,
        rematch.num_rows,
        judged.passages + again.passages,
    )
    return MatchResult(doc_pairs, events, links, stats)


def match_corpus(
    passage_files: Sequence[Path],
    documents: pa.Table,
    new_doc_ids: Collection[str] | pa.Array | pa.ChunkedArray,
    previous_pairs: pa.Table | None,
    previous_events: pa.Table | None = None,
    previous_links: pa.Table | None = None,
    temp_dir: Path | None = None,
    config: MatchConfig = DEFAULT_CONFIG,
    spread: Spread = IN_PROCESS,
) -> MatchResult:
    """Pairs (duplicate / overlap), events and passage links of the whole current state, in this process.

    passage_files: Parquet files of the passage table of the whole new state (old and new documents);
    documents: doc_id and text_chars of every current document; new_doc_ids: documents processed in
    this run (new or changed; an Arrow array or a Python collection); previous_pairs: the last
    state's doc_pairs, already without rows of deleted or changed documents (carried over as they
    are); previous_events and previous_links: the last state's tables (links of events that did not
    change are carried over; without them every event's links are rebuilt); temp_dir: where DuckDB
    spills (None: DuckDB's default); spread: where the stages' jobs run (the flow's runs them as
    tasks on its workers; by default they run here, one after another).
    """
    state = match_state(passage_files, documents, new_doc_ids, previous_pairs)
    with _work_dir(temp_dir) as work:
        found = candidates_of(state, work, temp_dir, config, spread)
        judged = judge_candidates(state, found, temp_dir, config, spread)
    return finish_match(state, found, judged, previous_events, previous_links, temp_dir, config)


@contextmanager
def _work_dir(temp_dir: Path | None) -> Iterator[Path]:
    """A private folder for the stages' files (inside temp_dir when given), removed afterwards."""
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="match-", dir=temp_dir) as work:
        yield Path(work)


def _sorted_ids(ids: pa.Array) -> pa.Array:
    """Ids in ascending order (Python's string order)."""
    return ids.take(pc.array_sort_indices(ids))


def _carried_pairs(previous_pairs: pa.Table | None, old: pa.Array) -> pa.Table:
    """Previous pairs between documents this run did not process: kept as they are."""
    carried = previous_pairs if previous_pairs is not None else DOC_PAIRS.empty_table()
    return carried.filter(
        pc.and_(
            pc.is_in(carried.column("doc_a"), value_set=old), pc.is_in(carried.column("doc_b"), value_set=old)
        )
    )


def _sorted_pairs(carried: pa.Table, fresh: pa.Table) -> pa.Table:
    """Carried-over and new pair rows in one table, ordered by (doc_a, doc_b)."""
    both = pa.concat_tables([carried.select(DOC_PAIRS.names).cast(DOC_PAIRS), fresh])
    return both.sort_by([("doc_a", "ascending"), ("doc_b", "ascending")]).combine_chunks()


def _pairs_in(carried: pa.Table, docs: set[str]) -> pa.Table:
    """Carried pairs inside the given documents' events, sorted (a pair's first document tells its event)."""
    again = carried.filter(pc.is_in(carried.column("doc_a"), value_set=pa.array(sorted(docs), pa.string())))
    ordered = sorted(
        (str(a), str(b))
        for a, b in zip(again.column("doc_a").to_pylist(), again.column("doc_b").to_pylist(), strict=True)
    )
    return pa.table(
        {"doc_a": [a for a, _ in ordered], "doc_b": [b for _, b in ordered]}, schema=CANDIDATE_PAIRS
    )
