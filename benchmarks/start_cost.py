"""The fixed start cost of `zhnews run`: a one-file seeds folder, a fresh warehouse each run.

Per run: the wall time, when the flow began ("Beginning flow run" in the output) and how long the
process took after the flow's final state ("Finished in state") was logged, all from process start.
Baselines measured in the same session: `python -c "import prefect"` and a bare Prefect
`SubprocessASGIServer` start and stop (its own import not counted). With `--before REV`, the CLI of
that commit (flows/cli.py, run against today's other modules) is timed in alternation with the
current one, so both see the same machine load. Medians of `--runs` runs each.

`--pycache DIR` runs every process with bytecode caching on (PYTHONPYCACHEPREFIX=DIR, without
PYTHONDONTWRITEBYTECODE; one untimed run fills the cache first): what a virtualenv installed with
`uv sync --compile-bytecode` gives where PYTHONDONTWRITEBYTECODE=1 is set, as on this machine.

Run: .venv/bin/python -m benchmarks.start_cost --runs 3 --before f778756
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import PROJECT, WORK, fresh, machine, one_file_seeds

FLOW_BEGAN = "Beginning flow run"
FLOW_FINISHED = "Finished in state"  # the flow run's line is the last one of its kind
BARE_SERVER = """
import json, time
from prefect.server.api.server import SubprocessASGIServer
server = SubprocessASGIServer()
started = time.perf_counter()
server.start()
ready = time.perf_counter()
server.stop()
print(json.dumps({"start": ready - started, "stop": time.perf_counter() - ready}))
"""


@dataclass(frozen=True)
class StartMeasure:
    """One cold `zhnews run`: seconds from process start to the flow's first line, and to the end."""

    wall: float
    flow_began: float
    after_flow: float  # from the flow's final state line to the process's exit


def timed_lines(
    command: list[str], env: dict[str, str], timeout: float
) -> tuple[int, list[tuple[float, str]]]:
    """Run a command; every output line with its time since the start."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    lines: list[tuple[float, str]] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append((time.perf_counter() - started, line.rstrip("\n")))
        code = proc.wait()
    finally:
        timer.cancel()
    lines.append((time.perf_counter() - started, ""))
    return code, lines


def child_env(pycache: Path | None) -> dict[str, str]:
    """Environment of every measured process: analytics off (as `make` sets it), optional pycache."""
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def measure_run(
    cli: list[str], seeds: Path, warehouse: Path, timeout: float, env: dict[str, str]
) -> StartMeasure:
    """One `zhnews run` on a fresh warehouse."""
    fresh(warehouse)
    command = [*cli, "run", "--seeds", str(seeds), "--warehouse", str(warehouse)]
    code, lines = timed_lines(command, env, timeout)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed ({code}):\n" + "\n".join(t for _, t in lines[-30:]))
    wall = lines[-1][0]
    began = next((t for t, text in lines if FLOW_BEGAN in text), float("nan"))
    finished = max((t for t, text in lines if FLOW_FINISHED in text), default=float("nan"))
    return StartMeasure(wall, began, wall - finished)


def import_prefect_seconds(env: dict[str, str]) -> float:
    """Wall time of a Python process that only imports prefect."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import prefect"], check=True, env=env)
    return time.perf_counter() - started


def bare_server_seconds(env: dict[str, str]) -> tuple[float, float]:
    """A bare SubprocessASGIServer: seconds to answer /health, and to stop."""
    out = subprocess.run(
        [sys.executable, "-c", BARE_SERVER], check=True, capture_output=True, text=True, env=env
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return float(data["start"]), float(data["stop"])


def cli_at(rev: str, folder: Path) -> list[str]:
    """A command running flows/cli.py as of a commit (its imports resolve to today's tree)."""
    source = subprocess.run(
        ["git", "show", f"{rev}:flows/cli.py"], cwd=PROJECT, check=True, capture_output=True, text=True
    ).stdout
    path = folder / f"cli_{rev}.py"
    path.write_text(source, encoding="utf-8")
    runner = f"import runpy, sys; sys.path.insert(0, {str(PROJECT)!r}); sys.argv[0] = {str(path)!r}; "
    runner += f"runpy.run_path({str(path)!r}, run_name='__main__')"
    return [sys.executable, "-c", runner]


def median_of(values: list[float]) -> float:
    return statistics.median(values)


def report(name: str, runs: list[StartMeasure]) -> str:
    walls = ", ".join(f"{r.wall:.1f}" for r in runs)
    return (
        f"{name}: wall {median_of([r.wall for r in runs]):.1f} s (runs {walls}); flow began at "
        f"{median_of([r.flow_began for r in runs]):.1f} s; after the flow's final state "
        f"{median_of([r.after_flow for r in runs]):.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", default=None, help="a commit whose flows/cli.py is timed alongside")
    parser.add_argument("--timeout", type=float, default=300, help="time box per run, seconds")
    parser.add_argument("--pycache", type=Path, default=None, help="bytecode cache folder (see above)")
    args = parser.parse_args(argv)
    env = child_env(args.pycache)
    print(f"machine: {machine()}")
    seeds = one_file_seeds(PROJECT / "seeds", WORK / "start-cost-seeds")
    warehouse = WORK / "start-cost-warehouse"
    variants: dict[str, list[str]] = {"current": [sys.executable, "-m", "flows"]}
    with tempfile.TemporaryDirectory(prefix="zhnews-start-") as folder:
        if args.before:
            variants = {f"before ({args.before})": cli_at(args.before, Path(folder)), **variants}
        imports: list[float] = []
        servers: list[tuple[float, float]] = []
        results: dict[str, list[StartMeasure]] = {name: [] for name in variants}
        if args.pycache is not None:  # fill the bytecode cache, untimed
            for cli in variants.values():
                measure_run(cli, seeds, warehouse, args.timeout, env)
        for n in range(args.runs):
            imports.append(import_prefect_seconds(env))
            servers.append(bare_server_seconds(env))
            for name, cli in variants.items():
                results[name].append(measure_run(cli, seeds, warehouse, args.timeout, env))
                print(f"round {n + 1}, {name}: {results[name][-1]}", flush=True)
    base_import = median_of(imports)
    base_start = median_of([s for s, _ in servers])
    base_stop = median_of([s for _, s in servers])
    serial = base_import + base_start + base_stop
    print(
        f"baseline: import prefect {base_import:.1f} s; bare SubprocessASGIServer start {base_start:.1f} s, "
        f"stop {base_stop:.1f} s; the three in series {serial:.1f} s"
    )
    for name, runs in results.items():
        wall = median_of([r.wall for r in runs])
        print(report(name, runs) + f"; wall / serial baseline {wall / serial:.2f}")
    if args.before:
        names = list(results)
        before, current = (median_of([r.wall for r in results[k]]) for k in names)
        print(f"current / before: {current / before:.2f} (wall, medians)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
