"""Where the review site marks text: pinyin annotations a repair removed, passages shared by reports.

Pure functions on strings. A page shows text as segments (a run of characters and what, if anything,
marks it); the templates wrap marked segments in an element and escape every character.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from transforms.pinyin import annotation_spans

Span = tuple[int, int]
PINYIN = "pinyin"
SHARED = "shared"


@dataclass(frozen=True)
class Segment:
    """A run of text and its mark: None, PINYIN (removed by the repair) or SHARED (with group number)."""

    text: str
    mark: str | None = None
    group: int | None = None
    note: str | None = None


def pinyin_segments(raw: str) -> tuple[Segment, ...]:
    """The input line with the annotations the repair removed marked, so a reviewer sees both texts
    (the unmarked segments joined are strip_annotations(raw): the repair's own spans)."""
    out: list[Segment] = []
    at = 0
    for start, end in annotation_spans(raw):
        if start > at:
            out.append(Segment(raw[at:start]))
        out.append(Segment(raw[start:end], PINYIN))
        at = end
    if at < len(raw) or not out:
        out.append(Segment(raw[at:]))
    return tuple(out)


def passage_spans(text: str, passages: Sequence[str]) -> list[Span | None]:
    """Where each passage lies in the body it was split from, in order (None if it is not found).

    Passages are the body's sentences with white space collapsed (transforms.overlap), so they are
    looked up with white space ignored, each after the one before.
    """
    positions = [i for i, char in enumerate(text) if not char.isspace()]
    squeezed = "".join(text[i] for i in positions)
    spans: list[Span | None] = []
    cursor = 0
    for passage in passages:
        key = "".join(passage.split())
        found = squeezed.find(key, cursor) if key else -1
        if found < 0:
            spans.append(None)
            continue
        end = found + len(key)
        spans.append((positions[found], positions[end - 1] + 1))
        cursor = end
    return spans


def _offset_map(simplified: str, original: str) -> list[int]:
    """For each offset 0..len(simplified), the matching offset in the original-script text.

    OpenCC converts character for character almost always, so equal lengths map one to one; else the
    texts are aligned (equal runs and same-length replacements map inside, other edits to their edges).
    """
    if len(simplified) == len(original):
        return list(range(len(simplified) + 1))
    mapping = [0] * (len(simplified) + 1)
    matcher = difflib.SequenceMatcher(None, simplified, original, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for i in range(i1, i2):
            same_size = tag == "equal" or (i2 - i1) == (j2 - j1)
            mapping[i] = j1 + (i - i1) if same_size else j1
    mapping[len(simplified)] = len(original)
    return mapping


def original_spans(simplified: str, original: str, spans: Iterable[Span | None]) -> list[Span | None]:
    """The spans of the Simplified body carried over to the body in the page's own script."""
    mapping = _offset_map(simplified, original)
    out: list[Span | None] = []
    for span in spans:
        if span is None:
            out.append(None)
            continue
        start, end = mapping[span[0]], mapping[span[1]]
        out.append((start, end) if end > start else None)
    return out


def marked_segments(text: str, marks: Sequence[tuple[Span, int, str]]) -> tuple[Segment, ...]:
    """The text cut at the marked spans (span, group, note); spans overlapping an earlier one are left out."""
    out: list[Segment] = []
    at = 0
    for (start, end), group, note in sorted(marks):
        if start < at or end > len(text):
            continue
        if start > at:
            out.append(Segment(text[at:start]))
        out.append(Segment(text[start:end], SHARED, group, note))
        at = end
    if at < len(text) or not out:
        out.append(Segment(text[at:]))
    return tuple(out)


class _Groups:
    """Union-find over (doc, passage) keys: passages linked directly or through others are one group."""

    def __init__(self) -> None:
        self.parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(self, key: tuple[str, int]) -> tuple[str, int]:
        root = self.parent.setdefault(key, key)
        while root != self.parent[root]:
            root = self.parent[root]
        while key != root:  # path compression
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: tuple[str, int], b: tuple[str, int]) -> None:
        self.parent[self.find(a)] = self.find(b)


def shared_groups(
    order: Sequence[tuple[str, int]], links: Iterable[tuple[str, int, str, int]]
) -> dict[tuple[str, int], int]:
    """Group numbers (1, 2, ...) of passages shared within one event, numbered in reading order.

    order: every (doc_id, passage_no) of the event's reports as the page shows them; links: each
    passage that repeats another (doc_id, passage_no, duplicate_of_doc, duplicate_of_passage). A link
    to a passage outside `order` (a report of another event) marks nothing.
    """
    known = set(order)
    groups = _Groups()
    linked: set[tuple[str, int]] = set()
    for doc, passage, other_doc, other_passage in links:
        a, b = (doc, passage), (other_doc, other_passage)
        if a in known and b in known:
            groups.union(a, b)
            linked.update((a, b))
    numbers: dict[tuple[str, int], int] = {}
    by_root: dict[tuple[str, int], int] = {}
    for key in order:
        if key in linked:
            numbers[key] = by_root.setdefault(groups.find(key), len(by_root) + 1)
    return numbers
