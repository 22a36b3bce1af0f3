"""Task runner choice, the content-keyed shard cache, progress lines, and Dask against threads."""

from __future__ import annotations

import functools
import gc
import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from reliability_support import contract_tables

from flows import process
from flows.progress import Progress, render_bar, render_log_line
from flows.runners import (
    RunnerChoice,
    RunnerChoiceError,
    adopt_shard,
    api_reachability_problem,
    choose_runner,
    make_task_runner,
    shard_cache_key,
    shard_output_dir,
    threads_per_job,
)
from flows.scan import SeedFile
from flows.shard import (
    Limits,
    ShardJob,
    ShardResult,
    build_shard,
    prestart_shard_workers,
    stop_shard_workers,
)
from warehouse.bookkeeping import RunSummary
from warehouse.catalog import connect_read_only

PROCESSES_ENV = {"ZHNEWS_RUNNER": "processes", "ZHNEWS_WORKERS": "3"}
CHOICES = [
    # (runner option, address option, workers option, environment) -> choice
    (None, None, None, {}, RunnerChoice("threads", None, None)),
    ("processes", None, 2, {}, RunnerChoice("processes", None, 2)),
    (None, None, None, {"ZHNEWS_RUNNER": "Dask"}, RunnerChoice("dask", None, None)),
    (
        None,
        None,
        None,
        {"ZHNEWS_DASK_ADDRESS": "tcp://10.0.0.5:8786"},
        RunnerChoice("dask", "tcp://10.0.0.5:8786"),
    ),
    ("threads", None, None, {"ZHNEWS_RUNNER": "dask"}, RunnerChoice("threads", None, None)),
    (
        None,
        None,
        None,
        {"ZHNEWS_RUNNER": "processes", "ZHNEWS_WORKERS": "3"},
        RunnerChoice("processes", workers=3),
    ),
    ("dask", "tcp://h:1", 1, {"ZHNEWS_WORKERS": "4"}, RunnerChoice("dask", "tcp://h:1", 1)),
]


@pytest.mark.parametrize(("runner", "address", "workers", "env", "expected"), CHOICES)
def test_choose_runner(
    runner: str | None, address: str | None, workers: int | None, env: dict[str, str], expected: RunnerChoice
) -> None:
    assert choose_runner(runner, address, workers, env) == expected


REFUSALS = [
    ("spark", None, None, {}, "unknown runner 'spark'; choose one of threads, processes, dask"),
    ("threads", "tcp://h:1", None, {}, "a Dask address only works with the dask runner, not 'threads'"),
    (None, None, 0, {}, "workers must be at least 1, got 0"),
    (None, None, None, {"ZHNEWS_WORKERS": "two"}, "ZHNEWS_WORKERS must be a whole number, got 'two'"),
]


@pytest.mark.parametrize(("runner", "address", "workers", "env", "message"), REFUSALS)
def test_choose_runner_refuses(
    runner: str | None, address: str | None, workers: int | None, env: dict[str, str], message: str
) -> None:
    with pytest.raises(RunnerChoiceError) as error:
        choose_runner(runner, address, workers, env)
    assert str(error.value) == message


def test_make_task_runner_kinds() -> None:
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner
    from prefect_dask.task_runners import DaskTaskRunner

    threads = make_task_runner(RunnerChoice("threads", None, 3))
    assert isinstance(threads, ThreadPoolTaskRunner)
    assert threads._max_workers == 3
    processes = make_task_runner(RunnerChoice("processes", None, 2))
    assert isinstance(processes, ProcessPoolTaskRunner)
    assert processes._max_workers == 2
    remote = make_task_runner(RunnerChoice("dask", "tcp://h:8786", None))
    assert isinstance(remote, DaskTaskRunner)
    assert remote.address == "tcp://h:8786"
    local = make_task_runner(RunnerChoice("dask", None, 2))
    assert local.cluster_kwargs == {"n_workers": 2, "threads_per_worker": 1, "processes": True}


def test_default_threads_are_one_a_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert make_task_runner(RunnerChoice("threads"))._max_workers == 2
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert make_task_runner(RunnerChoice("threads"))._max_workers == 1


@pytest.mark.usefixtures("prefect_harness")
def test_tasks_run_in_this_process_only_under_the_thread_runner() -> None:
    from prefect import flow
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    from flows.runners import tasks_run_in_this_process

    def probe() -> bool:
        return tasks_run_in_this_process()

    # Prefect 3.8's flow decorator types task_runner as TaskRunner[PrefectFuture[Any]], which its own
    # runners' generic parameters do not match: the call is right, the stub is not
    threads = flow(task_runner=ThreadPoolTaskRunner(max_workers=1))(probe)  # type: ignore[arg-type]
    processes = flow(task_runner=ProcessPoolTaskRunner(max_workers=1))(probe)  # type: ignore[arg-type]
    assert (threads(), processes(), tasks_run_in_this_process()) == (True, False, False)


def test_a_shard_is_built_with_the_cycle_collector_paused_then_restored(tmp_path: Path) -> None:
    seed = tmp_path / "a.txt"
    seed.write_text("标题\n这是一篇新闻报道的正文，讲述了计量大会的召开。\n", encoding="utf-8")
    state = seed.stat()
    files = [SeedFile("a.txt", seed, state.st_size, state.st_mtime_ns, "")]
    job = ShardJob("r", Limits(), "p", tmp_path / "out")
    seen: list[bool] = []
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            result = build_shard(files, job, lambda _: seen.append(gc.isenabled()))
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
        assert result.documents == 1
    assert seen == [False] * 4  # before the file and after the last, in both runs


def test_the_shards_forkserver_stops_and_starts_again() -> None:
    from multiprocessing import forkserver

    import psutil

    prestart_shard_workers()
    first = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    assert first is not None and psutil.pid_exists(first)
    stop_shard_workers()
    assert forkserver._forkserver._forkserver_pid is None  # type: ignore[attr-defined]
    assert not psutil.pid_exists(first)
    prestart_shard_workers()
    assert forkserver._forkserver._forkserver_pid not in (None, first)  # type: ignore[attr-defined]


def test_preloading_the_shard_code_builds_the_lazy_tables_its_children_inherit() -> None:
    """The forkserver's preload (a fresh interpreter, as the forkserver is) leaves every lazy table
    of the rules built, so no shard's child builds them again."""
    probe = (
        "import flows.shard_preload\n"
        "from transforms import script, pinyin, overlap\n"
        "tables = (script._t2s, script._s2t, script._script_tables, script._script_classes,"
        " overlap.word_chars, pinyin.reading_table)\n"
        "print([f.cache_info().currsize for f in tables], pinyin.readings.cache_info().currsize > 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[1, 1, 1, 1, 1, 1] True"


def test_the_preloading_process_ends_without_interpreter_teardown() -> None:
    """The forkserver exits at once when stopped (its teardown cost the flow ~0.2 s), output flushed."""
    probe = (
        "import sys\n"
        "class Freed:\n"
        "    def __del__(self):\n"
        "        sys.stderr.write('teardown ran')\n"
        "kept = Freed()\n"
        "import flows.shard_preload\n"
        "print('preloaded', end='')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "preloaded", "")


SEED = SeedFile("a/b.txt", Path("/s/a/b.txt"), 10, 1_000, "ab" * 32)


LIMITS = Limits()


def _key(seed: SeedFile = SEED, limits: Limits = LIMITS, version: str = "v1") -> str:
    return shard_cache_key([seed], limits, version)


def test_cache_key_is_stable_for_the_same_inputs() -> None:
    assert _key() == _key()
    assert len(_key()) == 64


CHANGED_INPUTS = [
    ("content", {"seed": SeedFile("a/b.txt", Path("/s/a/b.txt"), 10, 1_000, "cd" * 32)}),
    ("mtime", {"seed": SeedFile("a/b.txt", Path("/s/a/b.txt"), 10, 2_000, "ab" * 32)}),
    ("doc_id", {"seed": SeedFile("a/c.txt", Path("/s/a/b.txt"), 10, 1_000, "ab" * 32)}),
    ("limits", {"limits": Limits(max_file_bytes=5)}),
    ("code_version", {"version": "v2"}),
]


@pytest.mark.parametrize(("what", "change"), CHANGED_INPUTS)
def test_cache_key_changes_with_each_input(what: str, change: dict[str, Any]) -> None:
    assert _key(**change) != _key(), what


def _parquet(path: Path, rows: list[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_adopt_shard_links_outputs_and_sets_this_runs_id(tmp_path: Path) -> None:
    out = shard_output_dir(tmp_path, "k1")
    docs = _parquet(out / "documents_base" / "shard.parquet", [{"doc_id": "x", "run_id": "RUN1"}])
    lines = _parquet(out / "lines" / "shard.parquet", [{"doc_id": "x", "line_no": 1}])
    cached = ShardResult("shard", {"documents_base": docs, "lines": lines}, 1, 5)
    adopted = adopt_shard(cached, "RUN2-00000", tmp_path / "staging", "RUN2")
    assert adopted.part == "RUN2-00000"
    assert adopted.staged["lines"] == tmp_path / "staging" / "lines" / "RUN2-00000.parquet"
    assert adopted.staged["lines"].stat().st_ino == lines.stat().st_ino
    assert pq.read_table(adopted.staged["documents_base"]).to_pylist() == [{"doc_id": "x", "run_id": "RUN2"}]
    assert pq.read_table(docs).to_pylist() == [{"doc_id": "x", "run_id": "RUN1"}]  # cache untouched


def test_adopt_shard_links_rows_of_the_same_run(tmp_path: Path) -> None:
    docs = _parquet(shard_output_dir(tmp_path, "k") / "documents_base" / "shard.parquet", [{"run_id": "R"}])
    adopted = adopt_shard(ShardResult("shard", {"documents_base": docs}), "R-00001", tmp_path / "st", "R")
    assert adopted.staged["documents_base"].stat().st_ino == docs.stat().st_ino


def test_render_bar() -> None:
    assert render_bar(250, 1000, 240, 10.0) == (
        "[######..................] 250/1000 files 25.0 files/s 24.0 docs/s ETA 30s"
    )
    assert render_bar(0, 0, 0, 0.0) == "[########################] 0/0 files 0.0 files/s 0.0 docs/s ETA 0s"


def test_render_log_line() -> None:
    assert render_log_line(500, 1000, 480, 20.0) == (
        "progress: 500/1000 files, 480 documents in 20.0 s (25.0 files/s, 24.0 docs/s)"
    )


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_logs_periodically_without_a_terminal() -> None:
    clock, logged = _Clock(), list[str]()
    progress = Progress(30, stream=io.StringIO(), tty=False, log=logged.append, clock=clock)
    clock.now = 110.0
    progress.advance(10, 9)  # first shard: logged
    clock.now = 120.0
    progress.advance(10, 10)  # 10 s later: under the interval, not logged
    clock.now = 150.0
    progress.advance(10, 10)  # 40 s after the first line: logged
    clock.now = 150.1
    progress.finish()  # the same counts as the last line (only the rates moved): not logged twice
    assert logged == [
        "progress: 10/30 files, 9 documents in 10.0 s (1.0 files/s, 0.9 docs/s)",
        "progress: 30/30 files, 29 documents in 50.0 s (0.6 files/s, 0.6 docs/s)",
    ]


def test_progress_final_line_when_the_last_shards_were_not_logged() -> None:
    clock, logged = _Clock(), list[str]()
    progress = Progress(20, stream=io.StringIO(), tty=False, log=logged.append, clock=clock)
    clock.now = 101.0
    progress.advance(10, 10)  # logged
    clock.now = 102.0
    progress.advance(10, 8)  # within the interval: not logged
    progress.finish()
    assert logged == [
        "progress: 10/20 files, 10 documents in 1.0 s (10.0 files/s, 10.0 docs/s)",
        "progress: 20/20 files, 18 documents in 2.0 s (10.0 files/s, 9.0 docs/s)",
    ]


def test_progress_draws_a_bar_on_a_terminal() -> None:
    clock, stream = _Clock(), io.StringIO()
    progress = Progress(4, stream=stream, tty=True, log=pytest.fail, clock=clock)
    clock.now = 102.0
    progress.advance(2, 2)
    progress.finish()
    bar = "[############............] 2/4 files 1.0 files/s 1.0 docs/s ETA 2s"
    assert stream.getvalue() == f"\r{bar}\r{bar}\n"


# --- runs of the flow ------------------------------------------------------------------------------


def _run(seeds: Path, warehouse: Path, choice: RunnerChoice, shard_size: int) -> RunSummary:
    flow = process.process_seeds.with_options(task_runner=make_task_runner(choice))
    summary: RunSummary = flow(seeds=str(seeds), warehouse=str(warehouse), shard_size=shard_size)
    return summary


@pytest.mark.usefixtures("prefect_harness")
def test_dask_local_cluster_gives_the_samecontract_tables(seeds_dir: Path, tmp_path: Path) -> None:
    threads = _run(seeds_dir, tmp_path / "threads", RunnerChoice("threads"), shard_size=2)
    dask = _run(seeds_dir, tmp_path / "dask", RunnerChoice("dask", None, 2), shard_size=2)
    assert (threads.documents, dask.documents) == (5, 5)
    expected = contract_tables(tmp_path / "threads")
    assert len(expected["documents"]) == 5
    assert contract_tables(tmp_path / "dask") == expected


class _FailureError(RuntimeError):
    pass


@pytest.mark.usefixtures("prefect_harness")
def test_failed_run_is_retried_without_recomputing_shards(
    seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    from flows.shard import process_shard as real_shard

    def counting_shard(*args: Any) -> ShardResult:
        calls.append(len(args[0]))
        return real_shard(*args)

    def failing_commit(*_: Any) -> None:
        raise _FailureError("disk full")

    monkeypatch.setattr(process, "process_shard", counting_shard)
    monkeypatch.setattr(process.commit_task, "fn", failing_commit)
    warehouse = tmp_path / "wh"
    with pytest.raises(_FailureError):
        _run(seeds_dir, warehouse, RunnerChoice("threads"), shard_size=2)
    assert sorted(calls) == [1, 2, 2]  # shards of 2, 2 and 1 files, finishing in any order
    assert (warehouse / ".cache" / "shards").is_dir()
    monkeypatch.undo()
    monkeypatch.setattr(process, "process_shard", counting_shard)
    retried = _run(seeds_dir, warehouse, RunnerChoice("threads"), shard_size=2)
    assert sorted(calls) == [1, 2, 2]  # no new call: every shard came from the cache
    assert not (warehouse / ".cache").exists()  # committed: the cache is dropped
    _run(seeds_dir, tmp_path / "clean", RunnerChoice("threads"), shard_size=2)
    assert contract_tables(warehouse) == contract_tables(tmp_path / "clean")
    con = connect_read_only(warehouse)
    try:
        run_ids = con.execute("select distinct run_id from documents").fetchall()
    finally:
        con.close()
    assert run_ids == [(retried.run_id,)]


@pytest.mark.parametrize(
    ("choice", "api_url", "refused"),
    [
        (RunnerChoice("dask", "tcp://10.0.0.5:8786"), None, True),  # ephemeral API in the flow process
        (RunnerChoice("dask", "tcp://10.0.0.5:8786"), "http://127.0.0.1:4200/api", True),
        (RunnerChoice("dask", "tcp://scheduler.lan:8786"), "http://localhost:4200/api", True),
        (RunnerChoice("dask", "tcp://10.0.0.5:8786"), "http://10.0.0.2:4200/api", False),
        (RunnerChoice("dask", "tcp://127.0.0.1:8786"), "http://127.0.0.1:4200/api", False),  # one machine
        (RunnerChoice("dask", "tcp://localhost:8786"), None, False),
        (RunnerChoice("dask", None, 2), None, False),  # a local cluster of this run's own
        (RunnerChoice("processes"), None, False),
    ],
)
def test_remote_dask_workers_need_an_api_they_can_reach(
    choice: RunnerChoice, api_url: str | None, refused: bool
) -> None:
    problem = api_reachability_problem(choice, api_url)
    assert (problem is not None) == refused
    if problem:
        assert (
            str(choice.dask_address) in problem and "--api-host" in problem and "PREFECT_API_URL" in problem
        )


@pytest.mark.parametrize(
    ("files", "limit", "workers", "size"),
    [
        (800, 1000, 2, 200),  # an 800-page run: four shards, two a core, not one shard on one core
        (20_000, 1000, 2, 1000),  # a large run keeps the limit
        (1, 1000, 2, 50),  # one new file: one shard
        (120, 1000, 2, 50),  # small runs: shards of MIN_SHARD_FILES, never smaller
        (5_000, 1000, 8, 313),
        (800, 100, 2, 100),  # --shard-size stays an upper bound
        (0, 1000, 2, 50),
    ],
)
def test_shards_are_sized_to_the_run_and_the_workers(files: int, limit: int, workers: int, size: int) -> None:
    assert process.shard_size_for(files, limit, workers) == size


def test_a_shard_size_below_one_fails_the_run() -> None:
    with pytest.raises(ValueError, match="at least one file"):
        process.shard_size_for(800, 0, 2)


@pytest.mark.usefixtures("prefect_harness")
def test_match_jobs_are_one_a_stage_in_this_process_and_one_a_worker_elsewhere() -> None:
    from prefect import flow
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    from flows.jobs import TaskSpread, task_spread

    # the flow decorator's stub does not fit Prefect's own runners (see the test above)
    threads = flow(task_runner=ThreadPoolTaskRunner(max_workers=2))(task_spread)  # type: ignore[arg-type]
    processes = flow(task_runner=ProcessPoolTaskRunner(max_workers=2))(task_spread)  # type: ignore[arg-type]
    assert threads() == TaskSpread(1, None)  # its DuckDB on every core
    assert processes() == TaskSpread(2, max(1, (os.cpu_count() or 1) // 2))

    # the corpus step's rebuilds: in a child where tasks share the flow's process, as they are elsewhere
    def isolated() -> TaskSpread:
        return task_spread(isolated=True)

    assert flow(task_runner=ThreadPoolTaskRunner(max_workers=2))(isolated)() == TaskSpread(1, None, True)  # type: ignore[arg-type]
    assert flow(task_runner=ProcessPoolTaskRunner(max_workers=2))(isolated)() == processes()  # type: ignore[arg-type]


@pytest.mark.usefixtures("prefect_harness")
def test_isolated_jobs_run_in_a_child_of_the_flows_process() -> None:
    import psutil
    from prefect import flow
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows.jobs import TaskSpread

    def run() -> list[int]:
        return TaskSpread(1, None, isolated=True).run("corpus-rebuild", [os.getpid, os.getpid])

    prestart_shard_workers()  # as the flow does: the children forked from now on are kept
    try:
        # the flow decorator's stub does not fit Prefect's own runners (see the test above)
        pids = flow(task_runner=ThreadPoolTaskRunner(max_workers=2))(run)()  # type: ignore[arg-type]
    finally:
        stop_shard_workers()
    assert pids[0] == pids[1] != os.getpid()
    assert not psutil.pid_exists(pids[0])


class _Overlap:
    """Jobs that note how many of them run at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def job(self, n: int) -> int:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)  # long enough for every thread of the pool to start a job if it may
        with self.lock:
            self.running -= 1
        return n


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("parts", [1, 2])
def test_a_stage_of_more_jobs_than_workers_keeps_one_a_worker_out(parts: int) -> None:
    """The corpus step's rebuild batches outnumber the workers: with the thread runner they would
    otherwise all run side by side in the flow's process, each batch's memory at once."""
    from prefect import flow
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows.jobs import TaskSpread

    overlap = _Overlap()
    jobs = [functools.partial(overlap.job, n) for n in range(6)]

    def run() -> list[int]:
        return TaskSpread(parts, None).run("corpus-rebuild", jobs)

    # the flow decorator's stub does not fit Prefect's own runners (see the test above)
    results = flow(task_runner=ThreadPoolTaskRunner(max_workers=4))(run)()  # type: ignore[arg-type]
    assert results == list(range(6))
    assert overlap.most == parts


@pytest.mark.parametrize(
    ("remote", "slots", "cores", "threads"),
    [
        (False, 1, 2, 2),  # one worker process: its machine's cores
        (False, 2, 2, 1),  # two worker processes share two cores
        (False, 3, 2, 1),
        (False, 2, 16, 8),
        (True, 8, 2, 1),  # a job takes one thread of a worker elsewhere
    ],
)
def test_a_match_job_gets_its_workers_share_of_threads(
    remote: bool, slots: int, cores: int, threads: int
) -> None:
    assert threads_per_job(remote, slots, cores) == threads
