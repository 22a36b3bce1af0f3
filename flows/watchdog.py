"""A real per-item deadline: items run in a child process that is killed when one takes too long.

`signal.setitimer` only works in the main thread and Prefect runs tasks in threads, so a deadline
that can interrupt pure-Python or C code (a regex that backtracks, a detector on a huge file) needs
its own process. One long-lived child serves a whole shard, item after item, so the common path
pays one child start per shard (a fork of a forkserver that has the transforms imported already),
not one per document; only an item that overruns costs a kill and a fresh child.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Generic, TypeVar

Item = TypeVar("Item")
Context = TypeVar("Context")
Result = TypeVar("Result")

# forkserver: children fork from a clean single-threaded server, never from the threaded flow
# process (forking a process that runs Prefect's event-loop threads can deadlock the child).
_MP = multiprocessing.get_context("forkserver")
# A child imports the transforms once (1-3 s measured here, ~10 s on a loaded 2-core box);
# two minutes without a ready signal means it is stuck, not slow.
WORKER_START_SECONDS = 120.0
# How long a stopped child gets to exit on its own before it is killed.
WORKER_STOP_SECONDS = 5.0
_READY = "ready"


@dataclass(frozen=True)
class TimedOut:
    """The item ran past its deadline; the child was killed."""

    seconds: float


@dataclass(frozen=True)
class Crashed:
    """The item raised, or the child died (out of memory, a crash in C code)."""

    detail: str


def _serve(conn: Connection, fn: Callable[[object, object], object], context: object) -> None:
    """Child loop: answer each item with ("ok", value) or ("error", text) until the pipe closes."""
    conn.send(_READY)
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, object] = ("ok", fn(item, context))
        except Exception as error:  # reported to the parent as a Crashed item, never kills the loop
            answer = ("error", f"{type(error).__name__}: {error}")
        conn.send(answer)


class DeadlineWorker(Generic[Item, Context, Result]):
    """Runs fn(item, context) in a child process, one item at a time, each under a deadline."""

    def __init__(
        self, fn: Callable[[Item, Context], Result], context: Context, preload: Sequence[str] = ()
    ) -> None:
        self._fn = fn
        self._context = context
        self._preload = list(preload)
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None

    def __enter__(self) -> DeadlineWorker[Item, Context, Result]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def _start(self) -> Connection:
        """Start a child and wait until it has imported what it needs (not counted in any deadline)."""
        if self._preload:
            _MP.set_forkserver_preload(self._preload)
        parent, child = _MP.Pipe()
        process = _MP.Process(target=_serve, args=(child, self._fn, self._context), daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        if not parent.poll(WORKER_START_SECONDS) or parent.recv() != _READY:
            self.stop()
            raise RuntimeError(f"the worker process did not start within {WORKER_START_SECONDS:g} s")
        return parent

    def call(self, item: Item, seconds: float) -> Result | TimedOut | Crashed:
        """fn(item, context) if it finishes within `seconds`, else TimedOut (the child is replaced)."""
        if _MP.current_process().daemon:
            return self._call_inline(item, seconds)
        conn = self._conn or self._start()
        started = time.monotonic()
        try:
            conn.send(item)
            if not conn.poll(seconds):
                self.kill()
                return TimedOut(time.monotonic() - started)
            status, value = conn.recv()
        except (EOFError, OSError, BrokenPipeError) as error:
            code = self._process.exitcode if self._process else None
            self.kill()
            return Crashed(f"the worker process died (exit code {code}): {type(error).__name__}")
        if status == "ok":
            return value  # type: ignore[no-any-return]
        return Crashed(str(value))

    def _call_inline(self, item: Item, seconds: float) -> Result | TimedOut | Crashed:
        """In a daemonic process (a dask worker), which may not start children: the deadline is
        checked after the item, so it rejects an overrun but cannot interrupt it."""
        started = time.monotonic()
        try:
            value = self._fn(item, self._context)
        except Exception as error:  # the same contract as in the child: reported, not raised
            return Crashed(f"{type(error).__name__}: {error}")
        elapsed = time.monotonic() - started
        return TimedOut(elapsed) if elapsed > seconds else value

    def kill(self) -> None:
        """Kill the child at once (it may be stuck in C code that no signal handler interrupts)."""
        if self._process is not None:
            self._process.kill()
            self._process.join()
        self._close()

    def stop(self) -> None:
        """Close the pipe so the child leaves its loop; kill it if it does not."""
        process = self._process
        if self._conn is not None:
            self._conn.close()
        if process is not None:
            process.join(WORKER_STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()
        self._close()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn = None, None
