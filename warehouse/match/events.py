"""Events stage: documents linked by pairs grouped into events, and the events a run changed.

Columnar: a document in no pair is its own event (made with Arrow, no Python object per document);
only the documents of pairs go through union-find.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.schema import EVENTS


class _UnionFind:
    """Disjoint sets over hashable keys (path halving)."""

    def __init__(self) -> None:
        self.parent: dict[object, object] = {}

    def find(self, x: object) -> object:
        """Root of x's set."""
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, x: object, y: object) -> None:
        """Merge the sets of x and y."""
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[ry] = rx


def string_array(values: pa.Array | pa.ChunkedArray | Iterable[str]) -> pa.Array:
    """Document ids as one Arrow string array, from Arrow (as the flow passes them) or Python."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks().cast(pa.string()) if values.num_chunks else pa.array([], pa.string())
    if isinstance(values, pa.Array):
        return values.cast(pa.string())
    return pa.array([str(v) for v in values], pa.string())


def _int_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Text lengths as one int64 array, a missing length counting as 0."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.int64())
    return pc.fill_null(values.cast(pa.int64()), 0)


def events_of(documents: pa.Table, doc_pairs: pa.Table) -> pa.Table:
    """The events table of documents (doc_id, text_chars) linked by doc_pairs."""
    pairs = zip(doc_pairs.column("doc_a").to_pylist(), doc_pairs.column("doc_b").to_pylist(), strict=True)
    return build_events(documents.column("doc_id"), documents.column("text_chars"), pairs)


def build_events(
    doc_ids: pa.Array | pa.ChunkedArray,
    text_chars: pa.Array | pa.ChunkedArray,
    pairs: Iterable[tuple[str, str]],
) -> pa.Table:
    """Connected components; event_id is the smallest doc_id, canonical the longest body."""
    ids = string_array(doc_ids)
    uf = _UnionFind()
    for a, b in pairs:
        uf.union(str(a), str(b))
    paired = pc.is_in(ids, value_set=pa.array(sorted(map(str, uf.parent)), pa.string()))
    alone = ids.filter(pc.invert(paired))
    singles = pa.table(
        {"event_id": alone, "doc_id": alone, "is_canonical": pa.array(np.ones(len(alone), dtype=np.bool_))},
        schema=EVENTS,
    )
    members = [str(d) for d in ids.filter(paired).to_pylist()]
    chars = [int(c) for c in _int_array(text_chars).filter(paired).to_pylist()]
    groups: dict[object, list[int]] = defaultdict(list)
    for k, d in enumerate(members):
        groups[uf.find(d)].append(k)
    ev: list[str] = []
    canon: list[bool] = []
    order: list[int] = []
    for group in groups.values():
        event_id = min(members[k] for k in group)
        best = min(group, key=lambda k: (-chars[k], members[k]))
        for k in group:
            ev.append(event_id)
            order.append(k)
            canon.append(k == best)
    grouped = pa.table(
        {"event_id": ev, "doc_id": [members[k] for k in order], "is_canonical": canon}, schema=EVENTS
    )
    # Arrow orders strings by their UTF-8 bytes, which is Python's code point order
    both = pa.concat_tables([singles, grouped])
    return both.sort_by([("event_id", "ascending"), ("doc_id", "ascending")]).combine_chunks()


def members(events: pa.Table) -> dict[str, frozenset[str]]:
    """Event id -> its documents, for events of more than one document (the only ones with links)."""
    rows = events.select(["event_id", "doc_id"])
    sizes = rows.group_by("event_id").aggregate([("doc_id", "count_distinct")])
    several = sizes.filter(pc.greater(sizes.column("doc_id_count_distinct"), 1)).column("event_id")
    rows = rows.filter(pc.is_in(rows.column("event_id"), value_set=several.combine_chunks()))
    groups: dict[str, set[str]] = defaultdict(set)
    for event_id, doc_id in zip(
        rows.column("event_id").to_pylist(), rows.column("doc_id").to_pylist(), strict=True
    ):
        groups[str(event_id)].add(str(doc_id))
    return {e: frozenset(m) for e, m in groups.items()}


def changed_events(
    events: pa.Table,
    previous_events: pa.Table | None,
    new_doc_ids: Collection[str] | pa.Array | pa.ChunkedArray,
) -> dict[str, frozenset[str]]:
    """Events (of two or more documents) that gained or lost a document, or hold a document of this run."""
    now = members(events)
    if previous_events is None:
        return now
    before = members(previous_events)
    new_ids = string_array(new_doc_ids)
    grouped = pa.array(sorted({d for m in now.values() for d in m}), pa.string())
    new = {str(d) for d in new_ids.filter(pc.is_in(new_ids, value_set=grouped)).to_pylist()}
    return {e: m for e, m in now.items() if before.get(e) != m or not new.isdisjoint(m)}
