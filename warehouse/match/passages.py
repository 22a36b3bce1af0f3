"""Passage links stage: each matched passage points to the kept occurrence it directly matches.

The most complete occurrence is kept (longest passage, then the event's canonical document); links
of events that neither gained nor lost a document are carried over as they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

import pyarrow as pa
import pyarrow.compute as pc

from warehouse.runs import run_batches
from warehouse.schema import PASSAGE_LINKS, PASSAGE_MATCHES

PassageKey = tuple[str, int]


def passage_links(
    matches: pa.Table,
    events: pa.Table,
    previous_links: pa.Table | None,
    carried_docs: Collection[str],
    batch_matches: int,
) -> pa.Table:
    """Links built from the passage matches (PASSAGE_MATCHES), a batch of whole events at a time,
    plus the previous links of carried_docs."""
    # canonical documents matter to the links only among the documents of the matches
    # chunks, not columns, go into one array: pa.chunked_array of ChunkedArrays converts every value
    # through Python (800 real pages' 244,333 matches: 0.21 CPU s against 0.005)
    linked = pc.unique(
        pa.chunked_array(matches.column("doc_a").chunks + matches.column("doc_b").chunks, pa.string())
    )
    heads = events.filter(
        pc.and_(events.column("is_canonical"), pc.is_in(events.column("doc_id"), value_set=linked))
    )
    canonical = {str(d) for d in heads.column("doc_id").to_pylist()}
    built = [build_passage_links(batch, canonical) for batch in event_batches(matches, events, batch_matches)]
    links = pa.concat_tables(
        [PASSAGE_LINKS.empty_table(), *built, _carried_links(previous_links, carried_docs)]
    )
    return links.sort_by([("doc_id", "ascending"), ("passage_no", "ascending")]).combine_chunks()


def event_batches(matches: pa.Table, events: pa.Table, batch_matches: int) -> list[pa.Table]:
    """The passage matches in batches of whole events: a passage is linked only to passages it
    matches, all in its own event, so a batch decides its links alone."""
    event_ids = events.column("event_id").combine_chunks()
    at = pc.index_in(
        matches.column("doc_a").combine_chunks(), value_set=events.column("doc_id").combine_chunks()
    )
    event_of = event_ids.take(at)
    order = pc.sort_indices(event_of)
    ordered = matches.take(order)
    return [ordered.slice(o, n) for o, n in run_batches(event_of.take(order), batch_matches)]


def build_passage_links(matches: pa.Table, canonical: set[str]) -> pa.Table:
    """Most complete occurrences first: each passage points to the kept one it directly matches."""
    edges: dict[PassageKey, list[tuple[float, PassageKey]]] = defaultdict(list)
    chars: dict[PassageKey, int] = {}
    columns = [matches.column(n).to_pylist() for n in PASSAGE_MATCHES.names]
    for doc_a, no_a, chars_a, doc_b, no_b, chars_b, containment in zip(*columns, strict=True):
        ka, kb = (doc_a, no_a), (doc_b, no_b)
        chars[ka], chars[kb] = chars_a, chars_b
        edges[ka].append((containment, kb))
        edges[kb].append((containment, ka))
    order = sorted(edges, key=lambda k: (-chars[k], k[0] not in canonical, k))
    kept: set[PassageKey] = set()
    rows: list[tuple[str, int, str, int, float]] = []
    for node in order:
        targets = [(c, other) for c, other in edges[node] if other in kept]
        if not targets:
            kept.add(node)
            continue
        best_c, best = min(targets, key=lambda t: (-t[0], t[1]))
        rows.append((node[0], node[1], best[0], best[1], round(best_c, 4)))
    rows.sort()
    cols = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in PASSAGE_LINKS]
    return pa.table(dict(zip(PASSAGE_LINKS.names, cols, strict=True)), schema=PASSAGE_LINKS)


def _carried_links(previous_links: pa.Table | None, docs: Collection[str]) -> pa.Table:
    """Previous links of the given documents (those of unchanged events)."""
    if previous_links is None or not docs:
        return PASSAGE_LINKS.empty_table()
    links = previous_links.select(PASSAGE_LINKS.names).cast(PASSAGE_LINKS)
    keep = pc.is_in(links.column("doc_id"), value_set=pa.array(sorted(docs), pa.string()))
    return links.filter(keep)
