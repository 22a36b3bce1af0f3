"""The global steps' jobs as Prefect tasks on the flow's task runner (thin wiring over warehouse/).

Each stage that cuts its work into jobs (warehouse/spread.py) submits them as tasks named for the
stage, so the Prefect UI and the workers' logs show where each part of the corpus and match steps ran.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.runners import job_threads, run_parallelism, tasks_run_in_this_process
from flows.watchdog import run_isolated
from warehouse.spread import STAGES

T = TypeVar("T")


def run_job(job: Callable[[], Any]) -> Any:
    """One job of a stage, on whichever worker takes it."""
    return job()


# A job reads the step's files and rewrites its own outputs whole, so a job lost with its worker is
# run again from the start (Dask resubmits it; an error in it is retried twice).
STAGE_TASKS = {
    stage: task(name=stage, retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)(run_job)
    for stage in STAGES
}


@dataclass(frozen=True)
class TaskSpread:
    """A stage's jobs submitted as tasks, one a worker at a time, their results gathered in order."""

    parts: int
    threads: int | None
    isolated: bool = False  # each task runs its job in a child of the process the task runs in

    def run(self, stage: str, jobs: Sequence[Callable[[], T]]) -> list[T]:
        """Every job's result, in order, with at most `parts` of them out at once: a stage of more
        jobs than workers (the corpus step's rebuild batches) would otherwise run them all side by
        side in the flow's threads, each batch's memory at once (the flow's log says when a stage's
        jobs went out)."""
        get_run_logger().info("%s: %d jobs submitted", stage, len(jobs))
        out: list[T] = []
        waiting: deque[Any] = deque()
        for job in jobs:
            if len(waiting) >= self.parts:
                out.append(waiting.popleft().result())
            runs = functools.partial(run_isolated, job) if self.isolated else job
            waiting.append(STAGE_TASKS[stage].submit(runs))
        out += [future.result() for future in waiting]
        return out


def task_spread(isolated: bool = False) -> TaskSpread:
    """Jobs as tasks on the running flow's task runner: a stage one job where tasks share this
    process's threads (its DuckDB uses every core), each in a child process if isolated; else one a
    worker, each on its worker's threads."""
    if tasks_run_in_this_process():
        return TaskSpread(1, None, isolated)
    return TaskSpread(run_parallelism(), job_threads())
