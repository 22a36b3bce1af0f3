"""Passages and their MinHash band hashes, per document (pure; the global match is in warehouse/)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

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
# sentences rarely share more than one or two, while a reworded sentence keeps most of them
# (seed 000/001's shared passages keep 55-90 % of the smaller side's 3-grams).
SHINGLE_CHARS = 3
# LSH banding: BANDS bands of BAND_ROWS MinHash values each. With 4 rows a passage pair of
# Jaccard 0.5 collides in a band with p = 0.0625, so in one of 24 bands with p = 0.79; a chance
# pair of Jaccard 0.05 collides with p = 6e-6 per band (measured trade-off in benchmarks/overlap.py).
BAND_ROWS = 4
BANDS = 24
NUM_PERM = BANDS * BAND_ROWS
# A passage shorter than this (normalised characters) carries too little to match on its own
# ("刘三江称。", "据悉,"): it is merged into its neighbour. Shortest full clause in the seeds is ~12.
MIN_PASSAGE_CHARS = 12
# Shingle hashing works on this many shingles at a time, so the (shingles x permutations) matrix
# stays near 25 MB.
CHUNK_SHINGLES = 32_768

_SENTENCE_END = re.compile(r"(?<=[。！？!…])(?![。！？!…”’」』\"'）)])|(?<=[。！？!…][”’」』\"'）)])")
_NON_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")

# Fixed seeds make signatures of old documents comparable with new ones across runs and machines.
_RNG = np.random.default_rng(20230822)
_PERM_A = (_RNG.integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)).astype(np.uint64)
_PERM_B = _RNG.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64).astype(np.uint64)
_BAND_SALT = _RNG.integers(1, 2**63, size=BANDS, dtype=np.uint64).astype(np.uint64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_EMPTY_SIG = np.uint64(0xFFFFFFFF)


def normalise(text: str) -> str:
    """Matching key: width-folded, lower-cased, punctuation and spaces dropped (rewording-tolerant)."""
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def _sentences(text: str) -> list[str]:
    """Sentences (closing quotes stay with their sentence); lists joined by ';' stay one passage."""
    out: list[str] = []
    for line in text.split("\n"):
        for piece in _SENTENCE_END.split(line):
            piece = _SPACES.sub(" ", piece).strip()
            if piece:
                out.append(piece)
    return out


def split_passages(text: str) -> list[str]:
    """Passages: sentences, with fragments too short to match merged into the previous one."""
    passages: list[str] = []
    pending = ""
    for sentence in _sentences(text):
        if not normalise(sentence):
            if passages:
                passages[-1] += sentence
            continue
        if pending:
            sentence = pending + sentence
            pending = ""
        if len(normalise(sentence)) >= MIN_PASSAGE_CHARS:
            passages.append(sentence)
        elif passages:
            passages[-1] += sentence
        else:
            pending = sentence
    if pending:
        passages.append(pending)
    return passages


def _shingle_ids(keys: Sequence[str]) -> tuple[U64, npt.NDArray[np.int64]]:
    """Exact 63-bit ids of every character n-gram of every key, and each key's first shingle index."""
    lengths = np.fromiter((max(len(k) - SHINGLE_CHARS + 1, 1) for k in keys), np.int64, len(keys))
    padded = "".join(k.ljust(SHINGLE_CHARS, "\0") for k in keys)
    cps = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    # Code points fit in 21 bits, so three of them pack into one 63-bit id without collisions.
    ids = (cps[:-2] << np.uint64(42)) | (cps[1:-1] << np.uint64(21)) | cps[2:]
    key_lens = np.fromiter((max(len(k), SHINGLE_CHARS) for k in keys), np.int64, len(keys))
    key_starts = np.concatenate(([0], np.cumsum(key_lens)[:-1]))
    # Keep only n-grams that start inside a key and end before the next one begins.
    keep = np.repeat(key_starts, lengths) + (
        np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return ids[keep], starts.astype(np.int64)


def minhash_signatures(keys: Sequence[str]) -> npt.NDArray[np.uint32]:
    """MinHash (keys x NUM_PERM) over character n-grams, all keys in one vectorised pass."""
    sig = np.full((len(keys), NUM_PERM), _EMPTY_SIG, dtype=np.uint64)
    if not keys:
        return sig.astype(np.uint32)
    ids, starts = _shingle_ids(keys)
    owner = np.repeat(np.arange(len(keys)), np.diff(np.append(starts, len(ids))))
    for lo in range(0, len(ids), CHUNK_SHINGLES):
        chunk = ids[lo : lo + CHUNK_SHINGLES]
        # Multiply-shift hashing (Dietzfelbinger): (a*x + b) mod 2^64, top 32 bits; in place.
        hashed = np.multiply(chunk[:, None], _PERM_A[None, :])
        hashed += _PERM_B[None, :]
        hashed >>= np.uint64(32)
        own = owner[lo : lo + CHUNK_SHINGLES]
        cut = np.flatnonzero(np.diff(own)) + 1
        seg_start = np.concatenate(([0], cut))
        mins = np.minimum.reduceat(hashed, seg_start, axis=0)
        rows = own[seg_start]
        sig[rows] = np.minimum(sig[rows], mins)
    return sig.astype(np.uint32)


def band_hashes(signatures: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
    """One 64-bit hash per band; the band number is mixed in, so all bands share one hash space."""
    n = signatures.shape[0]
    rows = signatures.astype(np.uint64).reshape(n, BANDS, BAND_ROWS)
    acc = np.broadcast_to(_BAND_SALT, (n, BANDS)).copy()
    for r in range(BAND_ROWS):
        acc = (acc ^ rows[:, :, r]) * _MIX
        acc ^= acc >> np.uint64(29)
    return acc.view(np.int64)


def passage_rows_batch(doc_ids: Sequence[str], texts: Sequence[str]) -> pa.Table:
    """Passage rows of many documents with one hashing pass (faster than per-document calls)."""
    ids: list[str] = []
    nos: list[int] = []
    passages: list[str] = []
    for doc_id, text in zip(doc_ids, texts, strict=True):
        split = split_passages(text)
        ids.extend([doc_id] * len(split))
        nos.extend(range(len(split)))
        passages.extend(split)
    keys = [normalise(p) for p in passages]
    bands = band_hashes(minhash_signatures(keys))
    flat = pa.array(bands.reshape(-1), type=pa.int64())
    offsets = pa.array(np.arange(0, (len(keys) + 1) * BANDS, BANDS, dtype=np.int32))
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
