"""Shared benchmark plumbing: cached generated corpora and timed `zhnews run`s with peak RSS."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from benchmarks.gen_corpus import Params, generate

PROJECT = Path(__file__).resolve().parent.parent
ZHNEWS = PROJECT / ".venv" / "bin" / "zhnews"
# Corpora and warehouses live outside the project (they reach gigabytes at 1M documents).
WORK = Path(os.environ.get("ZHNEWS_BENCH_DIR", "/tmp/zhnews-bench"))
# RSS is sampled this often (seconds): a shard lives for seconds, so a peak is not missed by much.
RSS_SAMPLE_SECONDS = 0.2
DEFAULT_SEED = 7


@dataclass(frozen=True)
class RunMeasure:
    """One `zhnews run`: wall time, peak RSS of its whole process tree, exit code, summary lines."""

    seconds: float
    peak_rss: int
    returncode: int
    summary: str

    def check(self) -> RunMeasure:
        if self.returncode != 0:
            raise SystemExit(f"zhnews run failed ({self.returncode}):\n{self.summary}")
        return self


def corpus(docs: int, seed: int = DEFAULT_SEED, line_truth: bool = True) -> Path:
    """A generated corpus of `docs` documents, made once and reused (keyed by size and seed)."""
    out = WORK / f"corpus-{docs}-{seed}"
    if not (out / "manifest.json").exists():
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


def run_zhnews(seeds: Path, warehouse: Path, timeout: float, *extra: str) -> RunMeasure:
    """Time one `zhnews run` (a fresh process: Prefect's start-up included) and sample its RSS."""
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    cmd = [str(ZHNEWS), "run", "--seeds", str(seeds), "--warehouse", str(warehouse), *extra]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        if time.perf_counter() - started > timeout:
            proc.kill()
            proc.wait()
            raise SystemExit(f"zhnews run over the {timeout:.0f} s time box: {' '.join(cmd)}")
        peak = max(peak, tree_rss(ps))
        time.sleep(RSS_SAMPLE_SECONDS)
    seconds = time.perf_counter() - started
    output = proc.stdout.read() if proc.stdout else ""
    summary = "\n".join(line for line in output.splitlines() if "|" not in line)
    return RunMeasure(seconds, peak, proc.returncode, summary)


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
