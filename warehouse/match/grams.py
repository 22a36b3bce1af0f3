"""Exact character n-grams of normalised passages as int64 codes, a whole batch at a time in numpy.

Each n-gram is one integer of its code points (no Python object per n-gram, and no hash that could
collide and change a verdict); shingles() is the definition on strings the codes follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from transforms.overlap import SHINGLE_CHARS

I64 = npt.NDArray[np.int64]

# Bits per code point in a code: every code point is below 0x110000 < 2**21, so SHINGLE_CHARS = 3 of
# them fill 63 bits exactly and two distinct n-grams never share a code.
CODE_BITS = 21
# A field value above every code point: pads a key shorter than an n-gram on the left, so the whole
# short key is one code that no n-gram of a longer key has.
PAD_CODE = (1 << CODE_BITS) - 1


def shingles(key: str) -> frozenset[str]:
    """Exact character n-grams of a normalised passage (the whole key when shorter): the definition
    gram_codes follows, kept for tests and readers."""
    if len(key) <= SHINGLE_CHARS:
        return frozenset([key])
    return frozenset(key[i : i + SHINGLE_CHARS] for i in range(len(key) - SHINGLE_CHARS + 1))


def batch_gram_codes(keys: Sequence[str]) -> tuple[I64, I64]:
    """Each key's distinct n-gram codes (sorted, concatenated) and the offsets of each key's run.

    One code per n-gram of shingles(key): a key shorter than an n-gram is padded on the left with
    PAD_CODE to one n-gram (a key of exactly SHINGLE_CHARS characters is its own n-gram, as there).
    """
    codes, owner = all_grams(keys)
    distinct, rank = np.unique(codes, return_inverse=True)
    return distinct_per_group(distinct, rank.reshape(-1), owner, len(keys))


def gram_codes(key: str) -> I64:
    """The distinct n-gram codes of one normalised passage, sorted (one code per element of shingles(key))."""
    return batch_gram_codes([key])[0]


def all_grams(keys: Sequence[str]) -> tuple[I64, I64]:
    """Every n-gram code of every key in text order (repeats included), and the key it belongs to."""
    n = SHINGLE_CHARS
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    # surrogatepass: a lone surrogate of a damaged page is a code point like any other
    points = np.frombuffer("".join(keys).encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.int64)
    padded_len = np.maximum(lengths, n)
    padded_start = np.cumsum(padded_len) - padded_len
    total = int(padded_len.sum())
    padded = np.full(total, PAD_CODE, dtype=np.int64)
    shift = padded_start + (padded_len - lengths) - (np.cumsum(lengths) - lengths)
    padded[np.repeat(shift, lengths) + np.arange(len(points))] = points
    starts = np.arange(max(total - n + 1, 0))
    codes = np.zeros(len(starts), dtype=np.int64)
    for field in range(n):
        codes |= padded[starts + field] << (CODE_BITS * (n - 1 - field))
    owner = np.repeat(np.arange(len(keys), dtype=np.int64), padded_len)[: len(starts)]
    # an n-gram must end inside its own key
    inside = starts - padded_start[owner] <= padded_len[owner] - n
    return codes[inside], owner[inside]


def distinct_per_group(distinct: I64, rank: I64, group: I64, groups: int) -> tuple[I64, I64]:
    """The distinct codes of each group (sorted, concatenated, groups in order) and each group's offsets.

    distinct: the sorted distinct codes, rank: each code's index in them. One sort of (group, rank)
    packed in an int64: the ranks take bit_length(len(distinct)) bits, the group number the rest (a
    batch holds far fewer than 2**31 codes and groups).
    """
    bits = max(len(distinct), 1).bit_length()
    packed = _sorted_distinct((group << bits) | rank.reshape(-1))
    offsets = np.zeros(groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(packed >> bits, minlength=groups), out=offsets[1:])
    return distinct[packed & ((1 << bits) - 1)], offsets


def _sorted_distinct(values: I64) -> I64:
    """Distinct values by a sort and a neighbour test (np.unique's hash table is far slower on these)."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=np.bool_)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


@dataclass(frozen=True)
class GramBatch:
    """The n-gram codes of a batch's passages (rows sorted by document), per passage and per document."""

    grams: I64  # each row's distinct codes, sorted, row after row
    offsets: I64  # each row's run in grams
    local: I64  # for each code of grams: its row's index within its document
    bounds: I64  # each document's first row, and the row count last
    vocab: I64  # each document's distinct codes, sorted, document after document
    vocab_offsets: I64  # each document's run in vocab
    repeats: npt.NDArray[np.bool_]  # documents that may hold identical passages (checked exactly)

    def rows(self, d: int) -> slice:
        """Rows of the d-th document."""
        return slice(int(self.bounds[d]), int(self.bounds[d + 1]))


def gram_batch(ids: Sequence[str], keys: Sequence[str]) -> GramBatch:
    """Distinct n-gram codes of each row and of each document, in a few array passes over the batch."""
    bounds = np.asarray([k for k in range(len(ids)) if k == 0 or ids[k] != ids[k - 1]] + [len(ids)])
    doc_of_row = np.repeat(np.arange(len(bounds) - 1, dtype=np.int64), np.diff(bounds))
    codes, owner = all_grams(keys)
    distinct, rank = np.unique(codes, return_inverse=True)
    rank = rank.reshape(-1)
    grams, offsets = distinct_per_group(distinct, rank, owner, len(keys))
    vocab, vocab_offsets = distinct_per_group(distinct, rank, doc_of_row[owner], len(bounds) - 1)
    sizes = np.diff(offsets)
    row_of_gram = np.repeat(np.arange(len(keys), dtype=np.int64), sizes)
    local = row_of_gram - bounds[doc_of_row[row_of_gram]]
    # a fingerprint of each row's code set: equal sets have equal fingerprints (a collision only
    # sends a document to the exact check)
    sums = np.add.reduceat(grams.view(np.uint64), offsets[:-1]) if len(keys) else np.zeros(0, np.uint64)
    sized = np.asarray(sums ^ sizes.view(np.uint64), dtype=np.uint64)
    fingerprint = _mix(np.asarray(_mix(sized) ^ doc_of_row.view(np.uint64), dtype=np.uint64))
    order = np.sort(fingerprint)
    twice = order[1:][order[1:] == order[:-1]]
    repeats = np.zeros(len(bounds) - 1, dtype=np.bool_)
    repeats[doc_of_row[np.isin(fingerprint, twice)]] = True
    return GramBatch(grams, offsets, local, bounds, vocab, vocab_offsets, repeats)


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64 finaliser: well-spread 64-bit values (wrapping arithmetic)."""
    x = x * np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(31)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(29)
    return x
