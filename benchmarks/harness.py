"""Shared benchmark plumbing: cached generated corpora and timed `zhnews run`s with peak RSS."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from benchmarks.gen_corpus import GENERATOR_VERSION, Params, generate

PROJECT = Path(__file__).resolve().parent.parent
# `zhnews` as `python -m flows` run from this checkout: the checkout's own code comes first on the
# path, so a benchmark copied into another worktree times that worktree's code (the console script
# imports whatever the venv's editable install points at).
ZHNEWS = (sys.executable, "-m", "flows")
# Corpora and warehouses live outside the project (they reach gigabytes at 1M documents).
WORK = Path(os.environ.get("ZHNEWS_BENCH_DIR", "/tmp/zhnews-bench"))
# RSS is sampled this often (seconds): a shard lives for seconds, so a peak is not missed by much.
RSS_SAMPLE_SECONDS = 0.2
DEFAULT_SEED = 7


@dataclass(frozen=True)
class RunMeasure:
    """One `zhnews run`: wall time, peak memory of its process tree, exit code, summary lines.

    peak_rss sums RSS over the tree (pages shared by forked children count once per process);
    peak_pss sums PSS (shared pages split between their processes: the memory the run really
    holds); peak_flow is the `zhnews run` process alone, where the per-corpus state lives.
    """

    seconds: float
    peak_rss: int
    returncode: int
    summary: str
    peak_pss: int = 0
    peak_flow: int = 0
    phases: tuple[tuple[str, float], ...] = ()

    def phase_lines(self) -> list[str]:
        """When each phase of the run ended, in seconds from the process start, and its length."""
        out, last = [], 0.0
        for name, at in self.phases:
            out.append(f"  {name:<28} at {at:7.1f} s  ({at - last:6.1f} s)")
            last = at
        return out

    def check(self) -> RunMeasure:
        if self.returncode != 0:
            raise SystemExit(f"zhnews run failed ({self.returncode}):\n{self.summary}")
        return self


def corpus(docs: int, seed: int = DEFAULT_SEED, line_truth: bool = True) -> Path:
    """A generated corpus of `docs` documents, made once and reused (keyed by size and seed; made
    again when an earlier generator made it)."""
    out = WORK / f"corpus-{docs}-{seed}"
    if not (out / "manifest.json").exists() or manifest(out).get("generator") != GENERATOR_VERSION:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        started = time.perf_counter()
        generate(out, Params(docs, seed, line_truth))
        print(f"generated {docs:,} documents in {time.perf_counter() - started:.1f} s -> {out}")
    return out


def fresh(path: Path) -> Path:
    """An empty folder at path (a cold warehouse)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def tree_rss(proc: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def tree_pss(proc: psutil.Process) -> int:
    """Proportional set size of a process and its descendants (shared pages divided among them)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
            continue
    return total


def run_command(seeds: Path, warehouse: Path, *extra: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of one `zhnews run` (run it with cwd=PROJECT)."""
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    return [*ZHNEWS, "run", "--seeds", str(seeds), "--warehouse", str(warehouse), *extra], env


@dataclass(frozen=True)
class Sampled:
    """One fresh process: its wall time, exit code, output, and its memory sampled while it ran."""

    seconds: float
    returncode: int
    output: str
    peak_rss: int  # RSS summed over the process tree
    peak_pss: int  # PSS summed over the process tree
    peak_own: int  # RSS of the process alone
    wall_start: float  # time.time() at its start (its log's clock)


def sample_process(cmd: list[str], env: dict[str, str] | None, timeout: float) -> Sampled:
    """Run a command in a fresh process from the project root, sampling its memory every
    RSS_SAMPLE_SECONDS; killed and reported past the time box."""
    started, wall_start = time.perf_counter(), time.time()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:  # a pipe would fill on long runs
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, text=True, cwd=PROJECT)
        ps = psutil.Process(proc.pid)
        peak = peak_pss = peak_own = 0
        while proc.poll() is None:
            if time.perf_counter() - started > timeout:
                proc.kill()
                proc.wait()
                raise SystemExit(f"over the {timeout:.0f} s time box: {' '.join(cmd)}")
            with contextlib.suppress(psutil.NoSuchProcess):
                peak = max(peak, tree_rss(ps))
                peak_pss = max(peak_pss, tree_pss(ps))
                peak_own = max(peak_own, ps.memory_info().rss)
            time.sleep(RSS_SAMPLE_SECONDS)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read()
    return Sampled(seconds, proc.returncode, output, peak, peak_pss, peak_own, wall_start)


def run_zhnews(seeds: Path, warehouse: Path, timeout: float, *extra: str) -> RunMeasure:
    """Time one `zhnews run` (a fresh process: Prefect's start-up included) and sample its memory."""
    cmd, env = run_command(seeds, warehouse, *extra)
    run = sample_process(cmd, env, timeout)
    summary = "\n".join(line for line in run.output.splitlines() if "|" not in line)
    phases = tuple(phase_times(run.output, run.wall_start))
    return RunMeasure(run.seconds, run.peak_rss, run.returncode, summary, run.peak_pss, run.peak_own, phases)


# Log lines that end a phase of `zhnews run` (Prefect's log format: "HH:MM:SS.mmm | LEVEL | ...").
PHASE_MARKS = (
    ("imports", "Starting temporary server"),
    ("temporary server up", "Beginning flow run"),
    ("scan", "- scan:"),
    ("shards", "Finished in state Completed()", "process-shard"),
    ("corpus step", "- corpus chrome:"),
    ("version build", "- version ", " built"),
    # the last job of each match stage (the plan before the split, the identical passages and their
    # frequencies before verification, are in the flow's process)
    ("match split", "Finished in state Completed()", "match-split"),
    ("match buckets", "Finished in state Completed()", "match-buckets"),
    ("match join", "Finished in state Completed()", "match-join"),
    ("match pairs", "Finished in state Completed()", "match-pairs"),
    ("match verify", "Finished in state Completed()", "match-verify"),
    ("match events", "Finished in state Completed()", "match-events"),
    ("commit", "Finished in state Completed()", "commit-version"),
    ("flow finished", "Flow run", "Finished in state"),
)
LOG_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d+) \|")


def phase_times(output: str, wall_start: float) -> list[tuple[str, float]]:
    """The last log line of each phase, as seconds after wall_start (the log's clock is local time)."""
    day = datetime.datetime.fromtimestamp(wall_start).replace(hour=0, minute=0, second=0, microsecond=0)
    found: dict[str, float] = {}
    for line in output.splitlines():
        stamp = LOG_TIME.match(line)
        if stamp is None:
            continue
        at = day.timestamp() + int(stamp[1]) * 3600 + int(stamp[2]) * 60 + float(stamp[3]) - wall_start
        for name, *needles in PHASE_MARKS:
            if all(n in line for n in needles):
                found[name] = at
    return sorted(found.items(), key=lambda item: item[1])


def one_file_seeds(source: Path, target: Path) -> Path:
    """A seeds folder holding one file of the corpus: a run on it measures the fixed start cost."""
    fresh(target)
    first = min(p for p in source.rglob("*") if p.is_file())
    shutil.copy2(first, target / first.name)
    return target


def machine() -> str:
    """One line on the machine the figures come from."""
    mem = psutil.virtual_memory().total / 2**30
    load = os.getloadavg()[0]
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GB RAM, "
        f"Python {platform.python_version()}, load average {load:.1f} at start"
    )


def manifest(corpus_dir: Path) -> dict[str, object]:
    """The generator's manifest of a corpus."""
    data: dict[str, object] = json.loads((corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    return data


def mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def corpus_parser(doc: str | None, default_docs: int) -> argparse.ArgumentParser:
    """The options every corpus benchmark takes: size, generator seed, time box per run."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=default_docs)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--timeout", type=float, default=3600, help="time box per run, seconds")
    return parser
