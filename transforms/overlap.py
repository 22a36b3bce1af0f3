"""Passages and their MinHash band hashes, per document (pure; the global match is in warehouse/)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pyarrow as pa

U64 = npt.NDArray[np.uint64]

PASSAGE_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("passage_no", pa.int32()),
        ("text", pa.string()),
        ("norm_chars", pa.int32()),
        ("bands", pa.list_(pa.int64())),
    ]
)

# Character n-gram size: 3-grams of Chinese characters are specific enough that two unrelated
# sentences rarely share more than one or two (dev pages: 0.3 per random passage pair), while a
# reworded sentence keeps most of them (seed 000/001's shared passages keep 55-90 % of the smaller
# side's 3-grams). 2-grams raise a reworded pair's Jaccard but random pairs share 0.64 on average.
SHINGLE_CHARS = 3
# One-permutation hashing: every shingle hash falls into one of BINS bins (its high bits) and each
# bin keeps its minimum, O(1) per shingle instead of one multiply per permutation. A passage of 45
# characters fills about 24 of 32 bins; more bins would mostly stay empty (no densification: an
# empty bin is no evidence, so bands that touch one are not emitted).
BINS = 32
# A band is the pair of bins (i, i + offset): two exact bin minima, so two passages of Jaccard J
# collide in a band with p ~ (0.75 J)^2 (0.09 at J = 0.4, 0.0001 at J = 0.013, the dev pages'
# random pair). Offsets 1 and 2 give 2 x BINS = 64 bands, ~6 collisions per shared reworded passage
# (benchmarks/overlap.py: recall vs candidates measured for offsets (16,), (1, 16), (1, 2), (1, 2, 3)).
BAND_OFFSETS = (1, 2)
BANDS = BINS * len(BAND_OFFSETS)
# A passage shorter than this (normalised characters) carries too little to match on its own
# ("刘三江称。", "据悉,"): it is merged into its neighbour. Shortest full clause in the seeds is ~12.
MIN_PASSAGE_CHARS = 12

_SENTENCE = re.compile(r"[^。！？!…\n]+(?:[。！？!…]+[”’」』\"'）)]?)?|[。！？!…]+[”’」』\"'）)]?")
_NON_WORD = re.compile(r"[\W_]+")
# The separator of normalise_many: NFKC and lower() never change it or combine across it (a starter
# that composes with nothing), and the batch's removal of non-word characters keeps it.
_JOIN = "\x00"
# normalise_many's table covers the Basic Multilingual Plane; a text beyond it takes the regex.
_BMP = 0x10000
# Characters of Chinese text that NFKC changes, each with its compatibility decomposition (NFKD),
# most frequent first (measured on the cleaned text of 1,000 generated documents and the dev pages:
# together over 99.9 % of the non-NFKC characters). Replacing a character by its NFKD leaves the
# NFKC of the text unchanged, and without them NFKC's quick check usually passes and skips the
# slow composition pass over the whole text.
_COMMON_COMPAT = tuple((c, unicodedata.normalize("NFKD", c)) for c in "，）\u3000（…；：？～！")

_C1 = np.uint64(0x9E3779B97F4A7C15)
_C2 = np.uint64(0xBF58476D1CE4E5B9)
_C3 = np.uint64(0x94D049BB133111EB)
_LOW32 = np.uint64(0xFFFFFFFF)
_EMPTY = np.uint64(1 << 40)  # above every 32-bit bin minimum
# Fixed salts make band hashes of old documents comparable with new ones across runs and machines.
_BAND_SALT = np.random.default_rng(20230822).integers(1, 2**63, size=BANDS, dtype=np.uint64).astype(np.uint64)


def _nfkc(text: str) -> str:
    """NFKC, with the common full-width punctuation decomposed first by plain replaces (same result)."""
    for char, decomposed in _COMMON_COMPAT:
        if char in text:
            text = text.replace(char, decomposed)
    return unicodedata.normalize("NFKC", text)


def normalise(text: str) -> str:
    """Matching key: width-folded, lower-cased, punctuation and spaces dropped (rewording-tolerant)."""
    return _NON_WORD.sub("", _nfkc(text).lower())


@lru_cache(maxsize=1)
def word_chars() -> npt.NDArray[np.bool_]:
    """The BMP code points _NON_WORD keeps (str.isalnum(): re's \\w without the _ it drops too), and
    normalise_many's separator."""
    table = np.array([chr(c).isalnum() for c in range(_BMP)], dtype=bool)
    table[ord(_JOIN)] = True
    return table


def normalise_many(texts: Sequence[str]) -> list[str]:
    """normalise of each text, over the texts joined: NFKC and lower() once, and the non-word
    characters dropped by a table lookup per code point (a regex costs ~20 ns a character)."""
    if not texts or any(_JOIN in text for text in texts):
        return [normalise(text) for text in texts]
    joined = _nfkc(_JOIN.join(texts)).lower()
    try:
        points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # a lone surrogate
        return [normalise(text) for text in texts]
    if points.size and int(points.max()) >= _BMP:
        return [normalise(text) for text in texts]
    kept = points[word_chars()[points]]
    return kept.tobytes().decode("utf-32-le").split(_JOIN)


def _mix(x: U64) -> U64:
    """splitmix64 finaliser: a well-spread 64-bit hash of each element."""
    x = x * _C1
    x ^= x >> np.uint64(31)
    x *= _C2
    x ^= x >> np.uint64(29)
    x *= _C3
    x ^= x >> np.uint64(32)
    return x


def _sentences(text: str) -> list[str]:
    """Sentences (closing quotes stay with their sentence); lists joined by ';' stay one passage."""
    out = []
    for piece in _SENTENCE.findall(text):
        piece = " ".join(piece.split())
        if piece:
            out.append(piece)
    return out


def split_keyed(text: str) -> tuple[list[str], list[str]]:
    """Passages (short fragments merged into a neighbour) and their normalised keys, in one pass."""
    passages: list[str] = []
    keys: list[str] = []
    pending, pending_key = "", ""
    sentences = _sentences(text)
    for sentence, key in zip(sentences, normalise_many(sentences), strict=True):
        if not key:
            if passages:
                passages[-1] += sentence
            continue
        if pending:
            sentence, key = pending + sentence, pending_key + key
            pending, pending_key = "", ""
        if len(key) >= MIN_PASSAGE_CHARS:
            passages.append(sentence)
            keys.append(key)
        elif passages:
            passages[-1] += sentence
            keys[-1] += key
        else:
            pending, pending_key = sentence, key
    if pending:
        passages.append(pending)
        keys.append(pending_key)
    return passages, keys


def split_passages(text: str) -> list[str]:
    """Passages: sentences, with fragments too short to match merged into the previous one."""
    return split_keyed(text)[0]


def _shingle_hashes(keys: Sequence[str]) -> tuple[U64, npt.NDArray[np.int64]]:
    """64-bit hash of every character n-gram of every key (a short key is one n-gram), and its key."""
    padded = [k if len(k) >= SHINGLE_CHARS else k.ljust(SHINGLE_CHARS, "\0") for k in keys]
    lengths = np.fromiter(map(len, padded), np.int64, len(padded))
    cps = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    owner = np.repeat(np.arange(len(padded), dtype=np.int64), lengths)
    # Code points fit in 21 bits, so three of them pack into one 63-bit id without collisions.
    ids = (cps[:-2] << np.uint64(42)) | (cps[1:-1] << np.uint64(21)) | cps[2:]
    inside = owner[:-2] == owner[2:]
    return _mix(ids[inside]), owner[:-2][inside]


def bin_minima(keys: Sequence[str]) -> U64:
    """One-permutation MinHash (keys x BINS): each bin's minimum 32-bit hash, _EMPTY where no shingle fell."""
    sig = np.full(len(keys) * BINS, _EMPTY, dtype=np.uint64)
    if not keys:
        return sig.reshape(0, BINS)
    hashes, owner = _shingle_hashes(keys)
    slot = owner * BINS + (hashes >> np.uint64(64 - BINS.bit_length() + 1)).astype(np.int64)
    # an unbuffered minimum per slot: 3-4x faster than sorting (slot, value) pairs (1.4M shingles)
    np.minimum.at(sig, slot, hashes & _LOW32)
    return sig.reshape(len(keys), BINS)


def band_hashes(minima: U64) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Band hashes (keys x BANDS) of bin pairs (i, i + offset), and which bands have both bins filled."""
    filled = minima != _EMPTY
    pairs = [
        ((minima << np.uint64(32)) | np.roll(minima, -d, axis=1), filled & np.roll(filled, -d, axis=1))
        for d in BAND_OFFSETS
    ]
    values = np.concatenate([v for v, _ in pairs], axis=1)
    ok = np.concatenate([f for _, f in pairs], axis=1)
    return _mix(values ^ _BAND_SALT[None, :]).view(np.int64), ok


def passage_rows_batch(doc_ids: Sequence[str], texts: Sequence[str]) -> pa.Table:
    """Passage rows of many documents with one hashing pass (faster than per-document calls)."""
    ids: list[str] = []
    nos: list[int] = []
    passages: list[str] = []
    keys: list[str] = []
    for doc_id, text in zip(doc_ids, texts, strict=True):
        split, split_keys = split_keyed(text)
        ids.extend([doc_id] * len(split))
        nos.extend(range(len(split)))
        passages.extend(split)
        keys.extend(split_keys)
    hashes, ok = band_hashes(bin_minima(keys))
    flat = pa.array(hashes[ok], type=pa.int64())
    offsets = pa.array(np.concatenate(([0], np.cumsum(ok.sum(axis=1)))).astype(np.int32))
    return pa.table(
        {
            "doc_id": pa.array(ids, pa.string()),
            "passage_no": pa.array(nos, pa.int32()),
            "text": pa.array(passages, pa.string()),
            "norm_chars": pa.array([len(k) for k in keys], pa.int32()),
            "bands": pa.ListArray.from_arrays(offsets, flat),
        },
        schema=PASSAGE_SCHEMA,
    )


def passage_rows(doc_id: str, text: str) -> pa.Table:
    """Passage rows of one document (doc_id, passage_no, text, norm_chars, band hashes)."""
    return passage_rows_batch([doc_id], [text])
