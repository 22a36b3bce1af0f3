"""Progress of a run's shards: a bar on a terminal's stderr, periodic log lines elsewhere."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

# Characters of the bar itself; the rest of an 80-column line holds the figures.
BAR_WIDTH = 24
# Without a terminal (cron, a served run's log), one line per this many seconds keeps a long
# run's log readable while still showing it moves; the last line is always written.
LOG_INTERVAL_SECONDS = 30.0
# Redraw a terminal bar at most this often: more is flicker, and costs time on slow terminals.
REDRAW_SECONDS = 0.2


def rate(count: int, seconds: float) -> float:
    """Items per second, zero before any time has passed."""
    return count / seconds if seconds > 0 else 0.0


def render_bar(files_done: int, files_total: int, documents: int, seconds: float) -> str:
    """One terminal line: bar, files done of total, files and documents per second, time left."""
    share = files_done / files_total if files_total else 1.0
    filled = round(BAR_WIDTH * share)
    files_rate = rate(files_done, seconds)
    left = (files_total - files_done) / files_rate if files_rate else 0.0
    return (
        f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {files_done}/{files_total} files "
        f"{files_rate:.1f} files/s {rate(documents, seconds):.1f} docs/s ETA {left:.0f}s"
    )


def render_log_line(files_done: int, files_total: int, documents: int, seconds: float) -> str:
    """The same figures as a plain log line."""
    return (
        f"progress: {files_done}/{files_total} files, {documents} documents in {seconds:.1f} s "
        f"({rate(files_done, seconds):.1f} files/s, {rate(documents, seconds):.1f} docs/s)"
    )


@dataclass
class Progress:
    """Counts finished shards and shows the rate; `tty` picks the bar, else `log` gets lines."""

    files_total: int
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    tty: bool | None = None
    log: Callable[[str], None] = logging.getLogger("zhnews.progress").info
    clock: Callable[[], float] = time.monotonic
    on_advance: Callable[[int], None] | None = None  # told the files done after each shard
    files_done: int = 0
    documents: int = 0
    _started: float = 0.0
    _last_shown: float = float("-inf")
    _logged_counts: tuple[int, int] = (-1, -1)

    def __post_init__(self) -> None:
        if self.tty is None:
            self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._started = self.clock()

    def advance(self, files: int, documents: int) -> None:
        """Record one finished shard."""
        self.files_done += files
        self.documents += documents
        if self.on_advance is not None:
            self.on_advance(self.files_done)
        self._show(final=False)

    def finish(self) -> None:
        """Last figures, and a newline so the bar is not overwritten by the next output."""
        self._show(final=True)
        if self.tty and self.files_total:
            self.stream.write("\n")
            self.stream.flush()

    def _show(self, final: bool) -> None:
        now = self.clock()
        if not self.files_total:
            return
        elapsed = now - self._started
        if self.tty:
            if final or now - self._last_shown >= REDRAW_SECONDS:
                line = render_bar(self.files_done, self.files_total, self.documents, elapsed)
                self.stream.write("\r" + line)
                self.stream.flush()
                self._last_shown = now
        elif final or now - self._last_shown >= LOG_INTERVAL_SECONDS:
            counts = (self.files_done, self.documents)
            if counts != self._logged_counts:  # the last shard's line is often the final one already
                self.log(render_log_line(self.files_done, self.files_total, self.documents, elapsed))
                self._logged_counts = counts
            self._last_shown = now
