"""Recall and precision of the passage-level matcher on planted pairs, with datasketch as baseline.

Usage: .venv/bin/python benchmarks/overlap.py --docs 10000 [--seed 1] [--baseline-docs 20000]
       .venv/bin/python benchmarks/overlap.py --docs 20000 --incremental   (1 new document vs the full match)

A generated corpus (benchmarks/planted.py) holds planted duplicates (reposts with small edits) and
planted overlaps (4-6 reworded shared passages); everything else is unrelated, but shares stock
sentences. We run passage_rows_batch + match_corpus, and datasketch's MinHashLSH over whole
documents (character 3-grams, 128 permutations, threshold 0.3) on the same corpus. The match step runs
in a fresh process, so its peak RSS (ru_maxrss) is the match's own, not the generator's.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.planted import generate
from transforms.overlap import SHINGLE_CHARS, normalise, passage_rows, passage_rows_batch
from warehouse.match import MatchResult, match_corpus

SHARD_DOCS = 2000  # documents per passage_index file, like the flow's shards
BASELINE_THRESHOLD = 0.3  # datasketch's Jaccard threshold; lower only adds false positives
BASELINE_PERM = 128


def components(truth: set[tuple[str, str]]) -> dict[str, str]:
    """Planted groups: a repost of a report, or a report of a report, belongs with the original."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in truth:
        parent[find(b)] = find(a)
    return {x: find(x) for x in list(parent)}


def score(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float]:
    """Recall on planted pairs; precision counts a found pair right when both are in one planted group."""
    group = components(truth)
    right = sum(1 for a, b in found if a in group and group[a] == group.get(b))
    return len(found & truth) / max(len(truth), 1), right / max(len(found), 1)


def _match_child(
    args: tuple[list[Path], pa.Table, set[str], MatchResult | None, Path],
) -> tuple[float, float, MatchResult]:
    """match_corpus in a fresh process: seconds, peak RSS (MB), the result and its work counts."""
    files, documents, new, prev, tmp = args
    t0 = time.perf_counter()
    result = match_corpus(
        files,
        documents,
        new,
        prev.doc_pairs if prev else None,
        prev.events if prev else None,
        prev.passage_links if prev else None,
        temp_dir=tmp / "duckdb-tmp",
    )
    seconds = time.perf_counter() - t0
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, result


def match_in_child(
    files: list[Path], documents: pa.Table, new: set[str], prev: MatchResult | None, tmp: Path
) -> tuple[float, float, MatchResult]:
    """Seconds, peak RSS in MB and result of one match in a spawned process."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        seconds, rss, result = pool.apply(_match_child, ((files, documents, new, prev, tmp),))
    return seconds, rss, result


def write_shards(docs: dict[str, str], ids: list[str], tmp: Path, prefix: str = "p") -> list[Path]:
    """Per-shard passage rows, like the flow's passage_index files."""
    files = []
    for k in range(0, len(ids), SHARD_DOCS):
        chunk = ids[k : k + SHARD_DOCS]
        path = tmp / f"{prefix}{k:07d}.parquet"
        pq.write_table(passage_rows_batch(chunk, [docs[d] for d in chunk]), path)
        files.append(path)
    return files


def documents_of(docs: dict[str, str], ids: list[str]) -> pa.Table:
    """The documents argument of match_corpus."""
    return pa.table({"doc_id": ids, "text_chars": pa.array([len(docs[d]) for d in ids], pa.int64())})


def run_ours(docs: dict[str, str], tmp: Path) -> tuple[set[tuple[str, str]], dict[str, str], float, float]:
    """Our pipeline: per-shard passage rows, then one global match."""
    ids = list(docs)
    t0 = time.perf_counter()
    files = write_shards(docs, ids, tmp)
    t_sign = time.perf_counter() - t0
    t_match, rss, result = match_in_child(files, documents_of(docs, ids), set(ids), None, tmp)
    print(f"match step: {t_match:.1f} s, peak RSS {rss:.0f} MB, {result.stats}")
    rows = result.doc_pairs.to_pylist()
    return (
        {(r["doc_a"], r["doc_b"]) for r in rows},
        {f"{r['doc_a']}|{r['doc_b']}": r["relation"] for r in rows},
        t_sign,
        t_match,
    )


def run_incremental(n_docs: int, seed: int) -> None:
    """Full match of n_docs, then one new document (a planted overlap of an old one) against them."""
    docs, planted = generate(n_docs + 1, np.random.default_rng(seed))
    ids = list(docs)
    old, new = ids[:-1], ids[-1]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = write_shards(docs, old, tmp)
        t_full, rss_full, full = match_in_child(files, documents_of(docs, old), set(old), None, tmp)
        print(f"full match of {len(old)}: {t_full:.1f} s, peak RSS {rss_full:.0f} MB, {full.stats}")
        files += write_shards(docs, [new], tmp, prefix="new")
        t_inc, rss_inc, inc = match_in_child(files, documents_of(docs, ids), {new}, full, tmp)
        print(f"1 new vs {len(old)}: {t_inc:.1f} s, peak RSS {rss_inc:.0f} MB, {inc.stats}")
        print(f"incremental / full time: {t_inc / t_full:.3f}")
        t_all, _, scratch = match_in_child(files, documents_of(docs, ids), set(ids), None, tmp)
        same = all(
            getattr(inc, t).equals(getattr(scratch, t)) for t in ("doc_pairs", "events", "passage_links")
        )
        print(f"from scratch {len(ids)}: {t_all:.1f} s; incremental result identical: {same}")
        truth = sorted(p for p in planted if new in p)
        found = [
            (r["doc_a"], r["doc_b"]) for r in inc.doc_pairs.to_pylist() if new in (r["doc_a"], r["doc_b"])
        ]
        print(f"planted pairs of the new document: {truth}; found: {found}")


def run_datasketch(docs: dict[str, str]) -> tuple[set[tuple[str, str]], float]:
    """Baseline: one MinHash per document, MinHashLSH at BASELINE_THRESHOLD."""
    from datasketch import MinHash, MinHashLSH

    t0 = time.perf_counter()
    lsh = MinHashLSH(threshold=BASELINE_THRESHOLD, num_perm=BASELINE_PERM)
    sigs = {}
    for doc_id, text in docs.items():
        key = normalise(text)
        grams = {key[i : i + SHINGLE_CHARS].encode() for i in range(max(len(key) - SHINGLE_CHARS + 1, 1))}
        m = MinHash(num_perm=BASELINE_PERM)
        m.update_batch(list(grams))
        sigs[doc_id] = m
        lsh.insert(doc_id, m)
    found = set()
    for doc_id, m in sigs.items():
        for other in lsh.query(m):
            if other != doc_id:
                found.add((min(doc_id, other), max(doc_id, other)))
    return found, time.perf_counter() - t0


def per_doc_vs_batch(docs: dict[str, str], n: int = 2000) -> tuple[float, float, float, int]:
    """Seconds for n documents: one passage_rows call each, one batch call, OpenCC t2s; and chars."""
    import opencc

    ids = list(docs)[:n]
    t0 = time.perf_counter()
    for d in ids:
        passage_rows(d, docs[d])
    single = time.perf_counter() - t0
    t0 = time.perf_counter()
    passage_rows_batch(ids, [docs[d] for d in ids])
    batch = time.perf_counter() - t0
    converter = opencc.OpenCC("t2s")
    t0 = time.perf_counter()
    for d in ids:
        converter.convert(docs[d])
    return single, batch, time.perf_counter() - t0, sum(len(docs[d]) for d in ids)


def main() -> None:
    """Generate, run both, print recall / precision per relation and timings."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--baseline-docs", type=int, default=0, help="run datasketch on the first N docs only")
    ap.add_argument(
        "--incremental", action="store_true", help="time 1 new document against --docs stored ones"
    )
    args = ap.parse_args()
    if args.incremental:
        run_incremental(args.docs, args.seed)
        return
    t0 = time.perf_counter()
    docs, planted = generate(args.docs, np.random.default_rng(args.seed))
    chars = sum(len(t) for t in docs.values())
    print(
        f"corpus: {len(docs)} docs, {chars / 1e6:.1f} M chars, planted {len(planted)} pairs "
        f"({sum(r == 'duplicate' for r in planted.values())} duplicate), {time.perf_counter() - t0:.1f} s"
    )
    truth = set(planted)
    single, batch, t2s, n_chars = per_doc_vs_batch(docs)
    print(
        f"passage rows, 2000 docs ({n_chars / 1e6:.1f} M chars): per-document calls {single:.2f} s, "
        f"one batch call {batch:.2f} s, OpenCC t2s {t2s:.2f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        found, relations, t_sign, t_match = run_ours(docs, Path(tmp))
    recall, precision = score(found, truth)
    print(
        f"ours: recall {recall:.4f} precision {precision:.4f} (found {len(found)}); "
        f"sign {t_sign:.1f} s, match {t_match:.1f} s"
    )
    for rel in ("duplicate", "overlap"):
        sub = {p for p, r in planted.items() if r == rel}
        got = {p for p in sub if relations.get(f"{p[0]}|{p[1]}") == rel}
        print(
            f"  {rel}: recall {len(found & sub) / max(len(sub), 1):.4f}, with the right relation "
            f"{len(got) / max(len(sub), 1):.4f}"
        )
    if not args.no_baseline:
        if 0 < args.baseline_docs < len(docs):
            docs = dict(list(docs.items())[: args.baseline_docs])
            planted = {p: r for p, r in planted.items() if p[0] in docs and p[1] in docs}
            truth = set(planted)
            print(f"baseline on the first {len(docs)} documents ({len(truth)} planted pairs among them)")
        base, t_base = run_datasketch(docs)
        b_recall, b_precision = score(base, truth)
        print(
            f"datasketch MinHashLSH (doc level, t={BASELINE_THRESHOLD}): recall {b_recall:.4f} "
            f"precision {b_precision:.4f} (found {len(base)}); {t_base:.1f} s"
        )
        for rel in ("duplicate", "overlap"):
            sub = {p for p, r in planted.items() if r == rel}
            print(f"  {rel}: recall {len(base & sub) / max(len(sub), 1):.4f}")


if __name__ == "__main__":
    main()
