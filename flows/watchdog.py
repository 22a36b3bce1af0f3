"""A real per-item deadline for batch work: the batch runs in a child process that reports each item
it starts, and is killed when one item takes too long.

`signal.setitimer` only works in the main thread and Prefect runs tasks in threads, so a deadline
that can interrupt pure-Python or C code (a regex that backtracks, a detector on a huge file) needs
its own process. The whole batch (a shard) runs in one child and sends back one small result; the
child writes the number of the item it is on to shared memory, which the parent looks at a few times
a second, so the common path pays no message and no pickled document per item. An item that overruns
or kills the child costs a kill and a rerun of the batch without that item.

Children are kept between batches (`_Workers`) from `prestart` to `stop_forkserver`, so only by a
process that stops them when its batches are done (the flow's, with the thread runner; in a process
pool's workers a child serves one batch): a child forked for every batch paid its start and the
first touch of its whole heap every time (a 1,000-file shard of generated pages: 1.24-1.42 s in a
new child, 0.88 s in one that had built a shard before; a 20k run's shard phase 11.8-12.7 ->
10.4-10.8 s).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.forkserver as forkserver
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Generic, TypeVar

Position = ctypes.c_int64  # the shared number of the item a child is on
Item = TypeVar("Item")
Context = TypeVar("Context")
Result = TypeVar("Result")
Progress = Callable[[int], None]
BatchFn = Callable[[Sequence[Item], Context, Progress], Result]

# forkserver: children fork from a clean single-threaded server, never from the threaded flow
# process (forking a process that runs Prefect's event-loop threads can deadlock the child).
_MP = multiprocessing.get_context("forkserver")
# A new child imports the transforms once (1-3 s measured here, ~10 s on a loaded 2-core box); two
# minutes before it starts the batch's first item means it is stuck, not slow.
WORKER_START_SECONDS = 120.0
# How long a child is given to end once its pipe is closed before it is killed.
STOP_GRACE_SECONDS = 1.0
# The parent looks at the child's position this often (or DEADLINE_TICKS times within a short
# deadline): an overrun is seen at most one look late, and four looks a second per shard cost nothing,
# where a message per item cost the child and the flow process 2-3 CPU s over 20,000 files.
PROGRESS_POLL_SECONDS = 0.25
DEADLINE_TICKS = 10
# An isolated job has no time limit of its own (its task's retries cover a child that dies).
NO_DEADLINE = float("inf")
# The position before the child starts the first item of a batch.
NOT_STARTED = -1
# A child serves this many batches, then ends and the next batch forks a new one: a bound on what a
# long-lived heap may gather, at one child start in WORKER_BATCHES batches. One child over 20 shards
# of 1,000 generated files: peak RSS 262 MiB after the first, 276-280 MiB after the next thirteen,
# 290 MiB after the twentieth (a larger shard), so no leak to bound; fifty is a guard, not a need.
WORKER_BATCHES = 50


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


@dataclass(frozen=True)
class _Failed:
    """The item at this position of an attempt's items overran or crashed the child (a type of its
    own: a batch's result may be any value, a tuple too)."""

    position: int
    failure: TimedOut | Crashed


class BatchError(RuntimeError):
    """The batch failed outside any item (e.g. writing its output): the task fails and may retry."""


def _serve(
    conn: Connection,
    position: Position,
    fn: BatchFn[object, object, object],
    items: list[object],
    context: object,
) -> None:
    """Child: run the batch, writing each item's number to `position` as it starts, then send
    ("done", result) or ("error", text)."""

    def progress(k: int) -> None:
        position.value = k

    try:
        result = fn(items, context, progress)
    except Exception as error:  # reported to the parent, which raises BatchError
        conn.send(("error", f"{type(error).__name__}: {error}"))
        return
    conn.send(("done", result))


def _serve_batches(conn: Connection, position: Position) -> None:
    """Child: serve the batches the parent sends, one after another, until it closes the pipe."""
    while True:
        try:
            fn, items, context = conn.recv()
        except (EOFError, OSError):
            return
        _serve(conn, position, fn, items, context)


@dataclass
class _Worker:
    """A child that serves batches, and how many it has served."""

    process: BaseProcess
    conn: Connection
    position: Position
    batches: int = 0

    def stop(self) -> None:
        """Close its pipe (an idle child then returns), or kill it if it does not end."""
        self.conn.close()
        self.process.join(STOP_GRACE_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


@contextlib.contextmanager
def _children_allowed() -> Iterator[None]:
    """Let a daemonic process (a Dask worker: its nanny starts it daemonic) start the watchdog's child.

    multiprocessing refuses children to daemonic processes only so that they cannot outlive it; the
    watchdog's child is daemonic itself, ends when its pipe closes (which the OS does when the worker
    dies, however it dies) and is stopped by the worker otherwise. The flag is the one
    multiprocessing's own check reads (BaseProcess.start), cleared for that one start.
    """
    config: dict[str, object] = multiprocessing.current_process()._config  # type: ignore[attr-defined]
    if not config.get("daemon"):
        yield
        return
    config["daemon"] = False
    try:
        yield
    finally:
        config["daemon"] = True


def _start_worker() -> _Worker:
    """A new child from the forkserver, waiting for its first batch."""
    parent, child = _MP.Pipe(duplex=True)
    position: Position = _MP.RawValue(ctypes.c_int64, NOT_STARTED)
    process = _MP.Process(target=_serve_batches, args=(child, position), daemon=True)
    with _children_allowed():
        process.start()
    child.close()
    return _Worker(process, parent, position)


class _Workers:
    """The idle children of this process, taken by one batch at a time (the flow runs shards in threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self.keeping = False  # from prestart to stop_forkserver
        self.batches_per_child = WORKER_BATCHES  # set by prestart

    def take(self) -> _Worker:
        """An idle child whose pipe is still open, else a new one."""
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                worker.stop()
        return _start_worker()

    def put_back(self, worker: _Worker) -> None:
        """Keep a child that finished its batch cleanly, unless it has served its share or no one
        would stop it."""
        worker.batches += 1
        with self._lock:
            if self.keeping and worker.batches < self.batches_per_child:
                self._idle.append(worker)
                return
        worker.stop()

    def keep(self, batches_per_child: int) -> None:
        """Keep the children that finish a batch cleanly, each for batches_per_child batches."""
        with self._lock:
            self.keeping = True
            self.batches_per_child = batches_per_child

    def stop_idle(self, keep_from_now: bool) -> None:
        """Stop every idle child (their memory goes back), and keep the next ones only if asked."""
        with self._lock:
            idle, self._idle = self._idle, []
            self.keeping = self.keeping and keep_from_now
        for worker in idle:
            worker.stop()


# The one pool of this process, as multiprocessing keeps one forkserver a process: the shards'
# threads share it, and stop_forkserver empties it.
_WORKERS = _Workers()


def prestart(preload: Sequence[str], batches_per_child: int = WORKER_BATCHES) -> None:
    """Start the forkserver and its preload now, so that the first batch does not wait for them.

    Returns at once: the server imports the preload while the caller goes on (the flow scans the
    seeds meanwhile); later batches fork from it as usual, and their children are kept for the next
    batches (each child for batches_per_child of them) until stop_forkserver.
    """
    if _MP.current_process().daemon:
        return
    _MP.set_forkserver_preload(list(preload))
    forkserver.ensure_running()
    _WORKERS.keep(batches_per_child)


def stop_forkserver() -> None:
    """Stop the idle children and the forkserver, and free the memory they hold, until a batch needs
    them again.

    CPython's ForkServer has no public stop; its _stop (what its own tests use) closes the pipe that
    keeps the server alive and waits for it. Elsewhere the server stays up, as before.
    """
    _WORKERS.stop_idle(keep_from_now=False)
    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
        stop()


def stop_idle_children() -> None:
    """Stop the idle children, keeping the forkserver and the children forked from now on."""
    _WORKERS.stop_idle(keep_from_now=True)


def run_isolated(job: Callable[[], Result]) -> Result:
    """job() in a child of this process, so that what the allocators keep of its peak goes back to
    the system with the child, not with this process (job and result must pickle)."""
    answer = _attempt(_call_one, [job], None, NO_DEADLINE)
    if isinstance(answer, _Failed):
        raise BatchError(f"the job's child failed: {answer.failure}")
    return answer


def _call_one(jobs: Sequence[Callable[[], Result]], _: None, progress: Progress) -> Result:
    """Child: the one job of an isolated batch."""
    progress(0)
    result = jobs[0]()
    progress(1)
    return result


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
    if preload:
        _MP.set_forkserver_preload(list(preload))
    remaining = list(range(len(items)))
    failures: dict[int, TimedOut | Crashed] = {}
    while True:
        subset = [items[k] for k in remaining]
        answer = _attempt(fn, subset, context, seconds)
        if not isinstance(answer, _Failed):
            return BatchOutcome(answer, failures)
        failures[remaining.pop(answer.position)] = answer.failure


def _attempt(
    fn: BatchFn[Item, Context, Result], items: list[Item], context: Context, seconds: float
) -> Result | _Failed:
    """One child over the items: its result, or the position of the item that overran or crashed."""
    worker = _send_batch((fn, items, context))
    conn, process = worker.conn, worker.process
    tick = min(PROGRESS_POLL_SECONDS, seconds / DEADLINE_TICKS)
    current, started = NOT_STARTED, time.monotonic()
    kept = False
    try:
        while True:
            if conn.poll(tick):
                try:
                    kind, value = conn.recv()
                except (EOFError, OSError):
                    return _died(worker, len(items))
                kept = True  # the child finished the batch, or the batch raised: either way it is fine
                if kind == "done":
                    return value  # type: ignore[no-any-return]
                raise BatchError(str(value))
            now, seen = time.monotonic(), int(worker.position.value)
            if seen != current:
                current, started = seen, now
            elif not process.is_alive():
                return _died(worker, len(items))
            elif current == NOT_STARTED and now - started > WORKER_START_SECONDS:
                raise BatchError(f"the worker process gave no sign of life for {WORKER_START_SECONDS:g} s")
            elif 0 <= current < len(items) and now - started > seconds:
                process.kill()
                return _Failed(current, TimedOut(now - started))
    finally:
        if kept:
            _WORKERS.put_back(worker)
        else:
            worker.stop()


def _died(worker: _Worker, items: int) -> _Failed:
    """The child is gone: the item it was on crashed it, or the batch fails if it was on none."""
    worker.process.join()
    detail = f"the worker process died (exit code {worker.process.exitcode})"
    current = int(worker.position.value)
    if not 0 <= current < items:
        raise BatchError(detail)
    return _Failed(current, Crashed(detail))


def _send_batch(batch: tuple[object, ...]) -> _Worker:
    """A child that took the batch: an idle one, or a new one if the idle one's pipe broke."""
    worker = _WORKERS.take()
    worker.position.value = NOT_STARTED
    try:
        worker.conn.send(batch)
    except OSError:  # it died while idle (killed from outside): one new child, as before pools
        worker.stop()
        worker = _start_worker()
        worker.conn.send(batch)
    return worker
