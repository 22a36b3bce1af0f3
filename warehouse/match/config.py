"""Every threshold and budget of the match step, in one frozen dataclass the stages are given.

The measurements behind each default are in BENCHMARKS.md ("History: where the match step's
thresholds come from"); a test that needs another value passes its own MatchConfig
(dataclasses.replace).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from warehouse.spread import Spread


@dataclass(frozen=True)
class MatchConfig:
    """Thresholds (they decide the tables) and budgets (they only bound memory and passes)."""

    # --- candidates: which document pairs are verified at all ---
    # A passage pair is a candidate link when identical or colliding in this many rare band buckets:
    # a reworded sentence collides in ~6 of its 64 bands, a stock clause shared by two different
    # sentences in 1-2 (20k gen_corpus: 9.2M of 12.5M colliding passage pairs have one hit).
    min_passage_band_hits: int = 2
    # A rare bucket holds at most this many documents; only rare buckets are joined (at 1M documents
    # buckets of up to 1,000 would make 2.0 billion passage-pair rows, those of up to 5 make 172M).
    rare_bucket_docs: int = 5
    # Distinct passages on each side that must take part in candidate links: one shared stock
    # sentence alone does not make every pair of its documents a candidate.
    min_candidate_passages: int = 2
    # An identical passage held by more documents than max(max_bucket_docs, corpus / bucket_share_docs)
    # is a stock phrase and yields no candidates; the cap grows with the corpus because a real story's
    # wording recurs in about one report in a thousand, a site's stock line in a fixed share of its pages.
    max_bucket_docs: int = 50
    bucket_share_docs: int = 1000
    # A passage held by more than max_bucket_docs documents pairs each with this many leading
    # documents only (1,000 copies: 3,000 pairs, not 500,000); three, so that one lead sharing only
    # that passage does not cut the story apart.
    star_leads: int = 3

    # --- passage matches (n-gram verification) ---
    # Share of the smaller passage's n-grams found in the other: planted reworded passages reach 0.3
    # in 92% of cases, the best match in an unrelated generated document reaches 0.25 in 0.05%.
    passage_containment: float = 0.3
    # ...and at least this many shared n-grams (about one clause of 12 characters).
    min_shared_shingles: int = 10
    # A strong match also shares this share of the LARGER passage's n-grams: planted reworded overlaps
    # keep their second-best shared passage at >= 0.43 in 99% of pairs, pairs sharing only pooled
    # clauses stay below 0.39 in 90% (issue 5).
    passage_containment_both: float = 0.4
    # ...and is not one common clause: one common run covers this share of the larger passage (a copy),
    # or at least min_spread_shingles shared n-grams lie outside the longest run (reworded passages
    # keep >= 4 in 99%, a stock clause in two sentences keeps 0 in 90%).
    verbatim_run_share: float = 0.8
    min_spread_shingles: int = 4

    # --- pair verdict ---
    # A passage in at most this many documents weighs 1, above it (rare_df / df)^2: a site's lines
    # repeated on every page (df 12: 0.17 each) add up to less than one rare passage.
    rare_df: int = 5
    # Overlap: this many strong matches and this much rarity-weighted shared content (two rare
    # passages); the seeds' 000/001 pair shares 9 passage matches.
    min_shared_passages: int = 2
    min_overlap_weight: float = 2.0
    # Duplicate: strong matches cover this share of both bodies' characters (a repost with another
    # lead or footer still reaches it; overlapping reports cover 10-40%).
    duplicate_coverage: float = 0.8

    # --- budgets: the same tables whatever they are ---
    # DuckDB's working memory: its process memory runs to 2-3x the limit, and 1M documents must run
    # under 2 GB (384 MB: 1,952 MiB tree PSS at 1M; 256 MB ran out of memory).
    duckdb_memory_limit: str = "384MB"
    # DuckDB's threads in a session (None: its default, one a core). A job on a worker is given the
    # worker's share of its machine (flows/runners.py), so that jobs side by side do not oversubscribe it.
    duckdb_threads: int | None = None
    # Passages of a document that take part: 2,000 is a ~100k-character body, 20x a long article.
    max_passages_per_doc: int = 2000
    # Above this share of new documents every band row is read as it is (the semi-join would keep most).
    full_scan_share: float = 0.5
    # An incremental run of at most this many new documents reads the stored band lists once instead
    # of three times (break-even ~50 new at 20k: 1 new 0.69 -> 0.32 s; some hundreds at 1M).
    one_pass_max_new: int = 50
    # Documents whose passages are held as n-gram codes at once during verification (well under 60 MB).
    verify_batch_docs: int = 1000
    # Passage matches turned into links at once: each becomes Python objects, ~1 KB a match (20k
    # generated documents: 13,923 matches, 14 MB traced), so the 1M corpus's ~500k at once put the flow
    # ~0.5 GB over the rest of its match step; a batch of whole events of this many stays near 20 MB.
    link_batch_matches: int = 20_000
    # Band buckets counted in one aggregate pass over a hash range (a 20M-row pass ran out of memory
    # at 1M documents; 10M: 70 passes).
    partition_groups: int = 10_000_000
    # Band rows of a range counted by a job of one DuckDB thread (a worker of one core): DuckDB's
    # one-thread aggregate over a 20k corpus's range took 1.54 s for 6.0M rows and 0.35 s for 2.4M (its
    # hash table out of, then in, cache; two threads took 0.65 s for the 6.0M, as the aggregate then
    # partitions its table), so one-thread jobs get smaller ranges (/tmp agg script, BENCHMARKS.md).
    one_thread_range_rows: int = 3_000_000
    # Band rows cut by hash range at once while they are split (16 bytes a row, and as much again in
    # range order); each range's file gets its share of a batch as a row group (61 ranges at 1M
    # documents: ~16k rows). 1M rows: the 1M split peaked at 693 MiB RSS (2M: 801-842; DuckDB's own
    # partitioned write 920-926), the 100k match step at 642 MiB (2M: 687-714; before: 642).
    split_batch_rows: int = 1_000_000
    # Join rows (passage pairs) one candidate pass aggregates. Measured when a pass also joined them:
    # 33M peaked at 623 MB RSS under a 512 MB limit, 30M ran out of memory under 256 MB; a pass now
    # reads them from the join's files (1M: 12 passes, the match step's peak tree PSS 1,873 MiB).
    join_rows_per_pass: int = 15_000_000

    # --- jobs: how finely a stage is cut when workers share it (never the tables) ---
    # A job is a Prefect task on a worker and opens its own DuckDB session, ~0.1-0.3 s before it does
    # anything (benchmarks/prefect_overhead.py; a verification job also reads its documents' passages),
    # which a job of less work than these would not repay. 20k generated documents: 12M band rows,
    # 1.9M candidate join rows, 1,750 candidate pairs, so two workers get two jobs of each.
    job_band_rows: int = 1_000_000
    job_join_rows: int = 500_000
    job_pairs: int = 1000

    def jobs(self, amount: int, per_job: int, parts: int) -> int:
        """Jobs a stage of this much work is cut into: one a worker (parts) at most, none under per_job."""
        return max(1, min(parts, -(-amount // per_job)))

    def rarity_weight(self, df: int) -> float:
        """Full weight for rare passages, falling quadratically for passages repeated in many documents."""
        return min(1.0, (self.rare_df / max(df, 1)) ** 2)

    def bucket_cap(self, n_docs: int) -> int:
        """Most documents an identical passage may be held by and still yield candidates (more: stock)."""
        return max(self.max_bucket_docs, n_docs // self.bucket_share_docs)

    def partitions(self, groups: int, threads: int | None = None) -> int:
        """Hash ranges the bucket count runs over, one at a time, so each aggregate stays in memory
        (and in cache, for jobs of one DuckDB thread)."""
        limit = (
            self.partition_groups if threads != 1 else min(self.partition_groups, self.one_thread_range_rows)
        )
        return max(1, -(-groups // limit))

    def doc_passes(self, join_rows: int) -> int:
        """Passes of the candidate self-join, each over the documents of one residue of their number."""
        return max(1, -(-join_rows // self.join_rows_per_pass))


def job_config(config: MatchConfig, spread: Spread) -> MatchConfig:
    """The config a job is given: DuckDB held to the threads a job has where it runs."""
    return replace(config, duckdb_threads=spread.threads)
