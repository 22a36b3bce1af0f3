"""Where a global step's jobs run: one after another in this process, or as tasks on workers.

A stage cut into jobs (the corpus step's rebuilds; the match step's split, buckets, join, pairs, verify)
hands them to a Spread by the stage's name; the jobs talk only through files in the run's staging
folder and their return values, so where they run does not change the tables. The flow's Spread
submits them as Prefect tasks (flows/jobs.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

T = TypeVar("T")

# The stages whose jobs may run side by side, by the name their tasks carry.
STAGES = (
    "corpus-count",
    "corpus-rebuild",
    "match-split",
    "match-buckets",
    "match-join",
    "match-pairs",
    "match-verify",
)


class Spread(Protocol):
    """Runs a stage's independent jobs and returns their results in the jobs' order."""

    @property
    def parts(self) -> int:
        """The workers that can take a stage's jobs at once: the most jobs a stage is cut into for
        speed (a stage whose jobs are bounded by memory, the corpus step's rebuilds, may have more)."""
        ...

    @property
    def threads(self) -> int | None:
        """DuckDB threads of one job (None: DuckDB's default, one a core)."""
        ...

    def run(self, stage: str, jobs: Sequence[Callable[[], T]]) -> list[T]:
        """Every job's result, in order."""
        ...


@dataclass(frozen=True)
class InProcess:
    """Every job in this process, one after another (one worker unless parts says more)."""

    parts: int = 1
    threads: int | None = None

    def run(self, stage: str, jobs: Sequence[Callable[[], T]]) -> list[T]:
        """Every job's result, in order."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        return [job() for job in jobs]


def run_jobs(
    spread: Spread, stage: str, jobs: Sequence[Callable[[Path | None], T]], temp_dir: Path | None
) -> list[T]:
    """A stage's jobs through the spread, each given a spill folder of its own inside temp_dir (jobs of
    a stage may run side by side); their results in order."""
    folders = [None if temp_dir is None else temp_dir / f"{stage}-{n}" for n in range(len(jobs))]
    return spread.run(
        stage, [functools.partial(job, folder) for job, folder in zip(jobs, folders, strict=True)]
    )


IN_PROCESS = InProcess()
"""Every stage one job, here: what match_corpus and corpus_step do unless told otherwise."""
