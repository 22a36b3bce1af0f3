"""`zhnews report` at scale (session 9): a cold report, an unchanged one, and one after one new file.

After a full run over N generated documents, `zhnews report` is timed in a fresh process each time
(imports included, as a user runs it), with the peak RSS of that process:
- cold: into an empty folder (every page written), REPEATS times;
- unchanged: the same warehouse again (every page kept: the cost of reading and digesting the data);
- one new file: a copy of one document with a sentence added (a new document in the event of the
  one it copies) is run through the flow, then the report brings the site up to date.

The corpus's seeds are copied (modification times kept, so the copy is unchanged to the flow) and
the new file goes into the copy, never into the cached corpus other benchmarks share.

Run: .venv/bin/python -m benchmarks.report --docs 20000
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import (
    WORK,
    ZHNEWS,
    corpus,
    corpus_parser,
    fresh,
    machine,
    mib,
    run_zhnews,
    sample_process,
)

REPEATS = 2  # cold and unchanged reports each; the machine is shared, so one figure is not enough
SUMMARY = re.compile(r"(\d+) pages written, (\d+) unchanged, (\d+) removed")
NEW_FILE = "report-bench-new.txt"


@dataclass(frozen=True)
class ReportMeasure:
    """One `zhnews report` process: wall time, peak RSS, and the pages it wrote, kept and removed."""

    seconds: float
    peak_rss: int
    written: int
    unchanged: int
    removed: int

    def line(self, name: str) -> str:
        """One printed line of figures."""
        return (
            f"{name:<14} {self.seconds:6.1f} s  peak RSS {mib(self.peak_rss):>9}  "
            f"{self.written:,} written, {self.unchanged:,} unchanged, {self.removed:,} removed"
        )


def time_report(warehouse: Path, out: Path, timeout: float) -> ReportMeasure:
    """Run `zhnews report` once in a fresh process and sample its memory."""
    run = sample_process([*ZHNEWS, "report", "--warehouse", str(warehouse), "--out", str(out)], None, timeout)
    found = SUMMARY.search(run.output)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"zhnews report failed ({run.returncode}):\n{run.output}")
    written, unchanged, removed = (int(g) for g in found.groups())
    return ReportMeasure(run.seconds, run.peak_own, written, unchanged, removed)


def folder_bytes(folder: Path) -> int:
    """Bytes of every file under folder (the site's size on disk, before block rounding)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    args = corpus_parser(__doc__, 20_000).parse_args(argv)
    print(f"machine: {machine()}")
    source = corpus(args.docs, args.seed) / "seeds"
    seeds = WORK / f"seeds-report-{args.docs}"
    shutil.rmtree(seeds, ignore_errors=True)
    shutil.copytree(source, seeds)  # copy2: modification times kept
    warehouse, out = fresh(WORK / f"wh-report-{args.docs}"), WORK / f"report-{args.docs}"
    run = run_zhnews(seeds, warehouse, args.timeout).check()
    print(f"zhnews run, {args.docs:,} documents: {run.seconds:.1f} s")
    for k in range(REPEATS):
        shutil.rmtree(out, ignore_errors=True)
        print(time_report(warehouse, out, args.timeout).line(f"cold {k + 1}"))
    print(f"site: {folder_bytes(out) / 2**20:,.0f} MiB in {sum(1 for _ in out.rglob('*.html')):,} pages")
    for k in range(REPEATS):
        print(time_report(warehouse, out, args.timeout).line(f"unchanged {k + 1}"))
    first = min(p for p in seeds.rglob("*.txt") if p.is_file())
    text = first.read_text(encoding="utf-8", errors="replace")
    (seeds / NEW_FILE).write_text(
        text + "\n本报告另据记者补充,会议期间还举行了多场专题交流活动。\n", encoding="utf-8"
    )
    again = run_zhnews(seeds, warehouse, args.timeout).check()
    print(f"zhnews run, one new file: {again.seconds:.1f} s")
    print(time_report(warehouse, out, args.timeout).line("one new file"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
