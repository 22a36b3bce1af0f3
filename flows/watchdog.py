"""A real per-item deadline for batch work: the batch runs in a child process that reports each item
it starts, and is killed when one item takes too long.

`signal.setitimer` only works in the main thread and Prefect runs tasks in threads, so a deadline
that can interrupt pure-Python or C code (a regex that backtracks, a detector on a huge file) needs
its own process. The whole batch (a shard) runs in one child and sends back one small result, so the
common path pays one child start and one message per item, not a pickled document per item. An item
that overruns or kills the child costs a kill and a rerun of the batch without that item.
"""

from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.forkserver as forkserver
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

Item = TypeVar("Item")
Context = TypeVar("Context")
Result = TypeVar("Result")
Progress = Callable[[int], None]
BatchFn = Callable[[Sequence[Item], Context, Progress], Result]

# forkserver: children fork from a clean single-threaded server, never from the threaded flow
# process (forking a process that runs Prefect's event-loop threads can deadlock the child).
_MP = multiprocessing.get_context("forkserver")
# A child imports the transforms once (1-3 s measured here, ~10 s on a loaded 2-core box); two
# minutes without its first message means it is stuck, not slow.
WORKER_START_SECONDS = 120.0
# While the child finishes a batch (building and writing its tables) it is only checked for life
# this often; that phase is linear in the batch and has no per-item deadline.
LIVENESS_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class TimedOut:
    """The item ran past its deadline; the child was killed."""

    seconds: float


@dataclass(frozen=True)
class Crashed:
    """The child died while on this item (out of memory, a crash in C code)."""

    detail: str


@dataclass
class BatchOutcome(Generic[Result]):
    """fn's result over the items that did not fail, and why each failed item failed."""

    result: Result
    failures: dict[int, TimedOut | Crashed] = field(default_factory=dict)


class BatchError(RuntimeError):
    """The batch failed outside any item (e.g. writing its output): the task fails and may retry."""


def _serve(
    conn: Connection, fn: BatchFn[object, object, object], items: list[object], context: object
) -> None:
    """Child: run the batch, announcing each item, then send ("done", result) or ("error", text)."""
    try:
        result = fn(items, context, lambda k: conn.send(("item", k)))
    except Exception as error:  # reported to the parent, which raises BatchError
        conn.send(("error", f"{type(error).__name__}: {error}"))
        return
    conn.send(("done", result))


def prestart(preload: Sequence[str]) -> None:
    """Start the forkserver and its preload now, so that the first batch does not wait for them.

    Returns at once: the server imports the preload while the caller goes on (the flow scans the
    seeds meanwhile); later batches fork from it as usual.
    """
    if _MP.current_process().daemon:
        return
    _MP.set_forkserver_preload(list(preload))
    forkserver.ensure_running()


def stop_forkserver() -> None:
    """Stop the forkserver, and free the memory its preload holds, until a batch needs it again.

    CPython's ForkServer has no public stop; its _stop (what its own tests use) closes the pipe that
    keeps the server alive and waits for it. Elsewhere the server stays up, as before.
    """
    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
        stop()


def run_batch(
    fn: BatchFn[Item, Context, Result],
    items: Sequence[Item],
    context: Context,
    seconds: float,
    preload: Sequence[str] = (),
) -> BatchOutcome[Result]:
    """fn(items, context, progress) where no item may take longer than `seconds`.

    fn must call progress(k) before item k and progress(len(items)) when the per-item work is done.
    """
    if _MP.current_process().daemon:
        return _run_inline(fn, items, context, seconds)
    if preload:
        _MP.set_forkserver_preload(list(preload))
    remaining = list(range(len(items)))
    failures: dict[int, TimedOut | Crashed] = {}
    while True:
        subset = [items[k] for k in remaining]
        answer = _attempt(fn, subset, context, seconds)
        if not isinstance(answer, tuple):
            return BatchOutcome(answer, failures)
        position, failure = answer
        failures[remaining.pop(position)] = failure


def _attempt(
    fn: BatchFn[Item, Context, Result], items: list[Item], context: Context, seconds: float
) -> Result | tuple[int, TimedOut | Crashed]:
    """One child over the items: its result, or the position of the item that overran or crashed."""
    parent, child = _MP.Pipe(duplex=False)
    process = _MP.Process(target=_serve, args=(child, fn, items, context), daemon=True)
    process.start()
    child.close()
    current: int | None = None
    started = time.monotonic()
    try:
        while True:
            finishing = current is not None and current >= len(items)
            wait = (
                WORKER_START_SECONDS if current is None else LIVENESS_POLL_SECONDS if finishing else seconds
            )
            if not parent.poll(wait):
                if finishing and process.is_alive():
                    continue
                if current is None or finishing:
                    raise BatchError(f"the worker process gave no sign of life for {wait:g} s")
                process.kill()
                return current, TimedOut(time.monotonic() - started)
            try:
                kind, value = parent.recv()
            except (EOFError, OSError):
                process.join()
                detail = f"the worker process died (exit code {process.exitcode})"
                if current is None or finishing:
                    raise BatchError(detail) from None
                return current, Crashed(detail)
            if kind == "item":
                current, started = int(value), time.monotonic()  # type: ignore[call-overload]
            elif kind == "done":
                return value  # type: ignore[no-any-return]
            else:
                raise BatchError(str(value))
    finally:
        parent.close()
        process.join(LIVENESS_POLL_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()


def _run_inline(
    fn: BatchFn[Item, Context, Result], items: Sequence[Item], context: Context, seconds: float
) -> BatchOutcome[Result]:
    """In a daemonic process (a dask worker), which may not start children: overruns are found
    after the fact and the batch is rerun without them, so they are rejected but not interrupted."""
    marks: list[tuple[int, float]] = []
    result = fn(items, context, lambda k: marks.append((k, time.monotonic())))
    spans = itertools.pairwise(marks)
    overruns = {k: end - start for (k, start), (_, end) in spans if end - start > seconds and k < len(items)}
    if not overruns:
        return BatchOutcome(result)
    kept = [item for k, item in enumerate(items) if k not in overruns]
    rerun = _run_inline(fn, kept, context, float("inf"))
    return BatchOutcome(rerun.result, {k: TimedOut(s) for k, s in overruns.items()})
