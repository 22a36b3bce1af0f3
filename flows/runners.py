"""Task runners chosen by option or environment, and the content-keyed cache of shard results.

threads (default): Prefect's thread pool; processes: Prefect's process pool (spawned workers);
dask: prefect-dask on a local cluster, or on an existing scheduler given by address. Worker
processes must report to the same Prefect API as the flow, so in ephemeral mode `shared_api`
starts Prefect's temporary server once and points the workers at it (otherwise every worker
starts a server of its own, 10-30 s each, and its task runs are lost with it).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import ipaddress
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flows.progress import Progress
from flows.scan import SeedFile, seed_files
from flows.shard import Limits, ShardResult
from warehouse.store import write_staged

RUNNERS = ("threads", "processes", "dask")
# Prefect's own log and event workers flush within a second here; ten leaves room on a loaded box
# before a stopping server is given up on.
DRAIN_TIMEOUT_SECONDS = 10
DEFAULT_RUNNER = "threads"
ENV_RUNNER = "ZHNEWS_RUNNER"
ENV_DASK_ADDRESS = "ZHNEWS_DASK_ADDRESS"
ENV_WORKERS = "ZHNEWS_WORKERS"


# Each shard runs in a watched child process (flows/watchdog.py), so threads do use every core: one
# thread a core. A third thread on 2 cores paid off while every shard forked a new child (one child
# started while the others worked: 11.0 s with 2 threads, 11.1 s with 3 at 20,000 files); since
# children serve shard after shard it only makes three children share two cores: shard phase
# 9.5-12.8 s (mean 11.0) with 2 threads against 10.9-12.5 s (mean 11.7) with 3 in six alternated
# pairs of full 20k runs, and one child (~250 MB) less.
def default_threads() -> int:
    """Threads of the default runner: one per core."""
    return os.cpu_count() or 1


def run_parallelism() -> int:
    """How many shards the running flow's task runner works on at once: its pool size, the threads of
    its Dask cluster, else this machine's cores. Prefect's runners keep the pool size private
    (`_max_workers`) and have no public way to ask."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    runner = context.task_runner if context is not None else None
    workers = getattr(runner, "_max_workers", None)
    if isinstance(workers, int) and workers > 0:
        return workers
    client = getattr(runner, "_client", None)
    if client is not None:
        with contextlib.suppress(Exception):  # a cluster that cannot say: this machine's cores
            threads = sum(client.nthreads().values())
            if threads > 0:
                return int(threads)
    return default_threads()


def job_threads() -> int:
    """DuckDB threads of one job of a stage on the running flow's workers (other processes): a worker's
    share of this machine's cores in a process pool or a Dask cluster this run started here; one on a
    Dask cluster elsewhere (a job takes one of a worker's threads, and a stage has a job a thread)."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    runner = context.task_runner if context is not None else None
    client = getattr(runner, "_client", None)
    remote = client is not None and getattr(client, "cluster", None) is None
    return threads_per_job(remote, run_parallelism(), os.cpu_count() or 1)


def threads_per_job(remote: bool, slots: int, cores: int) -> int:
    """DuckDB threads of a job that runs beside slots - 1 others on a machine of cores (see job_threads)."""
    if remote:
        return 1
    return max(1, cores // max(slots, 1))


# Cache folders under the warehouse root: shard outputs (Parquet) and Prefect's result records.
CACHE_DIR = ".cache"
SHARD_OUTPUTS = "shards"
RESULT_RECORDS = "results"
# Stored Parquet name of a shard's output inside its content-keyed folder.
CACHED_PART = "shard"
# The code a shard's rows depend on: a change to any of these files invalidates cached shards.
CODE_PACKAGES = ("transforms",)
CODE_FILES = ("flows/shard.py", "warehouse/schema.py", "warehouse/store.py")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class RunnerChoiceError(ValueError):
    """An unknown runner name or an option that does not fit the runner."""


@dataclass(frozen=True)
class RunnerChoice:
    """Which task runner a run uses and how many workers it gets."""

    name: str = DEFAULT_RUNNER
    dask_address: str | None = None
    workers: int | None = None


def choose_runner(
    runner: str | None,
    dask_address: str | None,
    workers: int | None,
    env: Mapping[str, str],
) -> RunnerChoice:
    """Options win over ZHNEWS_* variables; an address alone means dask."""
    address = dask_address or env.get(ENV_DASK_ADDRESS) or None
    name = runner or env.get(ENV_RUNNER) or ("dask" if address else DEFAULT_RUNNER)
    name = name.strip().lower()
    if name not in RUNNERS:
        raise RunnerChoiceError(f"unknown runner {name!r}; choose one of {', '.join(RUNNERS)}")
    if address and name != "dask":
        raise RunnerChoiceError(f"a Dask address only works with the dask runner, not {name!r}")
    count = workers if workers is not None else _env_int(env, ENV_WORKERS)
    if count is not None and count < 1:
        raise RunnerChoiceError(f"workers must be at least 1, got {count}")
    return RunnerChoice(name, address, count)


def _env_int(env: Mapping[str, str], key: str) -> int | None:
    value = env.get(key, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise RunnerChoiceError(f"{key} must be a whole number, got {value!r}") from None


def make_task_runner(choice: RunnerChoice) -> Any:
    """The Prefect task runner of a choice (a new, unstarted instance)."""
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    if choice.name == "threads":
        return ThreadPoolTaskRunner(max_workers=choice.workers or default_threads())
    if choice.name == "processes":
        return ProcessPoolTaskRunner(max_workers=choice.workers or os.cpu_count() or 1)
    from prefect_dask.task_runners import DaskTaskRunner

    if choice.dask_address:
        return DaskTaskRunner(address=choice.dask_address)
    workers = choice.workers or os.cpu_count() or 1
    # One single-threaded worker process per core: shard work holds the GIL, so threads per
    # worker would only queue behind each other.
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})


def task_runner_from_env() -> Any:
    """The task runner ZHNEWS_RUNNER / ZHNEWS_DASK_ADDRESS / ZHNEWS_WORKERS ask for (served runs too)."""
    return make_task_runner(choose_runner(None, None, None, os.environ))


def tasks_run_in_this_process() -> bool:
    """Inside a flow run: its task runner runs tasks in this process's threads (not other processes)."""
    from prefect.context import FlowRunContext
    from prefect.task_runners import ThreadPoolTaskRunner

    context = FlowRunContext.get()
    return context is not None and isinstance(context.task_runner, ThreadPoolTaskRunner)


def uses_worker_processes(choice: RunnerChoice) -> bool:
    """Runners whose tasks run in other processes, which need an API server they can reach."""
    return choice.name != "threads"


# Host names that only this machine can reach.
LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 or localhost: an address a process on another machine cannot reach."""
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_reachability_problem(choice: RunnerChoice, api_url: str | None) -> str | None:
    """Why the workers of a Dask cluster on other machines could not report to the run's Prefect API
    (a loopback address), or None when they can (or the cluster is this machine's own)."""
    if choice.name != "dask" or not choice.dask_address:
        return None
    scheduler = urlsplit(choice.dask_address).hostname
    if is_loopback(scheduler):
        return None
    api_host = urlsplit(api_url).hostname if api_url else None
    if api_url and not is_loopback(api_host):
        return None
    where = f"the Prefect API at {api_url}" if api_url else "Prefect's ephemeral API inside this process"
    return (
        f"the Dask scheduler {choice.dask_address} is on another machine, "
        f"and its workers cannot reach {where}: "
        "set PREFECT_API_URL to a Prefect server they can reach, or pass --api-host with this machine's "
        "address for the run's temporary server (the seeds and warehouse folders must be on a filesystem "
        "every worker mounts at the same path)"
    )


@contextlib.contextmanager
def shared_api(choice: RunnerChoice) -> Iterator[str | None]:
    """Give worker processes the flow's API: the configured one, or one temporary server for all."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    configured = PREFECT_API_URL.value()
    if configured or not uses_worker_processes(choice):
        yield configured
        return
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    server = SubprocessASGIServer()
    server.start(timeout=PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = server.api_url  # Dask workers read it from the environment
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield server.api_url
            drain_prefect_workers()
    finally:
        restore_env("PREFECT_API_URL", previous)
        server.stop()


def restore_env(key: str, previous: str | None) -> None:
    """Put an environment variable back as it was before a temporary server was pointed at."""
    if previous is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = previous


def drain_prefect_workers() -> None:
    """Send buffered logs and events before the server they go to stops."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):
            worker.drain_all(timeout=DRAIN_TIMEOUT_SECONDS)


# --- the content-keyed shard cache -------------------------------------------------------------


@functools.cache
def code_version(root: Path = PROJECT_ROOT) -> str:
    """Digest of the source that shapes a shard's rows, so a code change never reuses old rows."""
    files: list[Path] = []
    for package in CODE_PACKAGES:
        files.extend(sorted((root / package).rglob("*.py")))
    files.extend(root / name for name in CODE_FILES)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


def shard_cache_key(batch: Iterable[SeedFile], limits: Limits, version: str) -> str:
    """A shard's inputs in one key: each file's id, path, size, mtime and SHA-256, plus settings and code."""
    digest = hashlib.sha256()
    for seed in batch:
        digest.update(f"{seed.doc_id}\0{seed.path}\0{seed.size}\0{seed.mtime_ns}\0{seed.sha256}\n".encode())
    digest.update(f"{limits.max_file_bytes}\0{limits.max_doc_seconds}\0{version}".encode())
    return digest.hexdigest()


def shard_key_from_parameters(context: object, parameters: Mapping[str, Any]) -> str:
    """Prefect cache_key_fn: the key the flow computed from the shard's content."""
    del context
    return str(parameters["cache_key"])


def cache_root(warehouse_root: Path) -> Path:
    return warehouse_root / CACHE_DIR


def shard_output_dir(warehouse_root: Path, key: str) -> Path:
    """Where a shard writes its Parquet: named by content, so a retried run finds it."""
    return cache_root(warehouse_root) / SHARD_OUTPUTS / key


def result_records_dir(warehouse_root: Path) -> Path:
    return cache_root(warehouse_root) / RESULT_RECORDS


def clear_shard_cache(warehouse_root: Path) -> None:
    """Drop cached shards once a run has committed them (they only serve retries of failed runs)."""
    shutil.rmtree(cache_root(warehouse_root), ignore_errors=True)


def cached_outputs_exist(result: ShardResult) -> bool:
    """A cache record is only usable while the Parquet files it names are still there."""
    return all(path.exists() for path in result.staged.values())


def adopt_shard(result: ShardResult, part: str, staging: Path, run_id: str) -> ShardResult:
    """This run's staged copy of a (possibly cached) shard: hard links, run_id set to this run."""
    staged: dict[str, Path] = {}
    for table, source in result.staged.items():
        target = staging / table / f"{part}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        if table == "documents_base":
            _write_with_run_id(source, target, run_id)
        else:
            os.link(source, target)
        staged[table] = target
    return replace(result, part=part, staged=staged)


def _write_with_run_id(source: Path, target: Path, run_id: str) -> None:
    """Link the rows when they already carry this run's id, else rewrite that one column."""
    ids = pq.read_table(source, columns=["run_id"]).column("run_id")  # a fresh shard's rows: link them
    if pc.all(pc.equal(ids, run_id)).as_py() is not False:
        os.link(source, target)
        return
    table = pq.read_table(source)
    index = table.column_names.index("run_id")
    table = table.set_column(
        index, table.schema.field(index), pa.array([run_id] * table.num_rows, pa.string())
    )
    write_staged(table, target)


def run_shards(
    shard_task: Any,
    batches: list[pa.Table],
    seeds_root: Path,
    warehouse_root: Path,
    staging: Path,
    run_id: str,
    limits: Limits,
    progress: Progress,
    version: str,
) -> list[ShardResult]:
    """Submit every shard (cached by content), adopt results as they finish, in shard order."""
    from prefect.futures import as_completed

    keyed = shard_task.with_options(result_storage=result_records_dir(warehouse_root))
    keys = [shard_cache_key(seed_files(batch, seeds_root), limits, version) for batch in batches]
    futures = {
        keyed.submit(
            batch,
            seeds_root,
            CACHED_PART,
            shard_output_dir(warehouse_root, key),
            run_id,
            limits,
            version,
            key,
        ): n
        for n, (batch, key) in enumerate(zip(batches, keys, strict=True))
    }
    results: dict[int, ShardResult] = {}
    for future in as_completed(list(futures)):
        n = futures[future]
        result: ShardResult = future.result()
        if not cached_outputs_exist(result):  # a cache record whose files were removed: redo
            result = keyed.with_options(refresh_cache=True)(
                batches[n],
                seeds_root,
                CACHED_PART,
                shard_output_dir(warehouse_root, keys[n]),
                run_id,
                limits,
                version,
                keys[n],
            )
        results[n] = adopt_shard(result, f"{run_id}-{n:05d}", staging, run_id)
        progress.advance(batches[n].num_rows, result.documents)
    progress.finish()
    return [results[n] for n in range(len(batches))]
