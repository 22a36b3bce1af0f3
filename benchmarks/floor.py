"""The floor of a zhnews run with no cleaning rule at all, against OpenCC t2s alone (issue 7).

Asks whether the throughput target (a full run within 4x of OpenCC alone) is reachable by making the
rules cheaper. Three passes over the same files in one process, CPU time, best of --rounds after a
warm-up (as benchmarks.shard_profile measures):
- baseline: read, decode, t2s (the issue's floor, as benchmarks.throughput measures it);
- skeleton: only what any run of this pipeline must do to a file whatever its rules: read it and
  hash it (the manifest), decode it (the pipeline's decoder, which detects GB18030/Big5), turn HTML
  into text (lxml's parser and its text nodes: the least an HTML page costs), t2s, sign the passages
  (MinHash bands: the match step's input) of as much text as the real run signs (each file's cleaned
  body, made before the timing), write the text and passage tables to Parquet;
- build_shard: the real shard work (skeleton plus every rule).
Python's cycle collector is paused in both, as build_shard pauses it.
Then, with --warehouse (a stored run of the same corpus), the match step over it (wall time: it
uses every core), and what the whole run would take if the rules cost nothing: the skeleton spread
over the cores plus the match step, as a ratio of the baseline.

Run: .venv/bin/python -m benchmarks.floor --docs 3000 [--warehouse /tmp/zhnews-bench/wh-full-20000-7]
     .venv/bin/python -m benchmarks.floor --seeds <folder> --docs 800 --warehouse <its warehouse>
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import lxml.etree
import opencc
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.harness import DEFAULT_SEED, corpus
from benchmarks.match_profile import inputs
from benchmarks.shard_profile import CORPUS_DOCS, WARMUP_FILES, opencc_seconds, seed_files, shard_seconds
from flows.scan import SeedFile
from flows.shard import Cleaned, Limits, ShardJob, clean_file, cycle_collection_paused
from transforms.decode import Decoded, decode_bytes, sniff_format
from transforms.overlap import passage_rows_batch
from warehouse.match import match_corpus

TARGET_RATIO = 4.0  # the target for the whole run against OpenCC alone
DEFAULT_DOCS = 3000  # enough files for a stable per-document figure (shard_profile's default too)
DEFAULT_ROUNDS = 3  # the fastest of three: the stable figure on a shared machine
# Tags whose text is not page text for any extractor.
_SKIPPED_TAGS = ("script", "style")


def html_text(text: str) -> str:
    """The page's text nodes, one per line: the least work that turns HTML into text."""
    root = lxml.etree.fromstring(text, lxml.etree.HTMLParser())
    if root is None:
        return ""
    lxml.etree.strip_elements(root, *_SKIPPED_TAGS, with_tail=False)
    return "\n".join(s.strip() for s in root.itertext() if s.strip())


def bodies(files: Sequence[SeedFile]) -> dict[str, str]:
    """Each file's cleaned body, as the real run signs it (files it rejects sign nothing)."""
    job = ShardJob("floor", Limits(), "part", None)
    out = {}
    for seed in files:
        cleaned = clean_file(seed, job)
        if isinstance(cleaned, Cleaned):
            out[seed.doc_id] = cleaned.doc.text
    return out


def skeleton_seconds(files: Sequence[SeedFile], signed: dict[str, str]) -> float:
    """CPU seconds of the rule-free pipeline over the files (see the module's docstring)."""
    converter = opencc.OpenCC("t2s")
    with tempfile.TemporaryDirectory() as tmp, cycle_collection_paused():
        started = time.process_time()
        ids: list[str] = []
        texts: list[str] = []
        originals: list[str] = []
        for seed in files:
            data = seed.path.read_bytes()
            hashlib.sha256(data).hexdigest()
            decoded = decode_bytes(data)
            if not isinstance(decoded, Decoded):
                continue
            text = decoded.text
            if sniff_format(text) == "html":
                text = html_text(text)
            ids.append(seed.doc_id)
            originals.append(text)
            texts.append(converter.convert(text))
        passages = passage_rows_batch(ids, [signed.get(doc_id, "") for doc_id in ids])
        documents = pa.table({"doc_id": ids, "text": texts, "text_original": originals})
        pq.write_table(documents, Path(tmp) / "documents.parquet")
        pq.write_table(passages, Path(tmp) / "passages.parquet")
        return time.process_time() - started


def match_seconds(warehouse: Path) -> tuple[float, int]:
    """Wall seconds of a cold match step over a stored warehouse, and its documents."""
    files, documents = inputs(warehouse)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        match_corpus(files, documents, documents.column("doc_id"), None, temp_dir=Path(tmp))
        return time.perf_counter() - started, documents.num_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=DEFAULT_DOCS, help="files of the generated corpus")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument(
        "--warehouse", type=Path, help="a stored run of the same corpus: times its match step"
    )
    parser.add_argument(
        "--seeds", type=Path, help="a seeds folder to time instead (e.g. benchmarks.pages800's real pages)"
    )
    args = parser.parse_args(argv)
    files = seed_files(args.seeds or corpus(CORPUS_DOCS, args.seed) / "seeds", args.docs)
    signed = bodies(files)
    shard_seconds(files[:WARMUP_FILES])
    skeleton_seconds(files[:WARMUP_FILES], signed)
    runs: dict[str, Callable[[Sequence[SeedFile]], float]] = {
        "baseline": opencc_seconds,
        "skeleton": lambda chosen: skeleton_seconds(chosen, signed),
        "build_shard": shard_seconds,
    }
    per_doc = {name: min(run(files) for _ in range(args.rounds)) / len(files) for name, run in runs.items()}
    base = per_doc["baseline"]
    print(f"{len(files):,} files, CPU ms a document (best of {args.rounds}), and the ratio to the baseline:")
    for name, seconds in per_doc.items():
        print(f"  {name:12} {seconds * 1e3:6.3f} ms  {seconds / base:5.1f}x")
    cores = os.cpu_count() or 1
    if args.warehouse is None:
        print(f"skeleton on {cores} cores, no match step: {per_doc['skeleton'] / base / cores:.1f}x")
        return 0
    match, docs = match_seconds(args.warehouse)
    baseline_run = base * docs
    floor = per_doc["skeleton"] * docs / cores + match
    print(
        f"match step over {docs:,} documents: {match:.2f} s wall = {match / baseline_run:.1f}x the baseline's"
    )
    print(
        f"a run with no rule ({docs:,} documents, skeleton on {cores} cores + match step): {floor:.2f} s = "
        f"{floor / baseline_run:.1f}x the baseline (target {TARGET_RATIO:g}x; the rules add "
        f"{(per_doc['build_shard'] - per_doc['skeleton']) * docs / cores / baseline_run:.1f}x more)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
