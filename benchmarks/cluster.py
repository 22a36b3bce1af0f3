"""A Dask cluster of separate processes on loopback: a Prefect server, a `dask scheduler` and single-
threaded `dask worker`s, each in its own working directory (the cluster tests and benchmarks/workers).

A worker of one thread stands for a machine of one core: a match job there runs DuckDB on one thread
(flows/runners.py), so adding a worker measures adding a machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from flows.apiserver import TemporaryServer

DASK = Path(sys.executable).parent / "dask"
# Starting a scheduler, workers and a Prefect server on a loaded 2-core box takes seconds each.
START_TIMEOUT = 120.0


def free_port() -> int:
    """A loopback port the kernel says is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float) -> None:
    """Block until something accepts connections on the loopback port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port} after {timeout:.0f} s")


@dataclass
class Cluster:
    """The processes of the cluster and the addresses a run needs."""

    address: str
    api_url: str
    workers: list[subprocess.Popen[bytes]]
    root: Path
    env: dict[str, str]

    def worker_count(self) -> int:
        """Workers the scheduler knows now."""
        from distributed import Client

        with Client(self.address, timeout=30) as client:  # type: ignore[no-untyped-call]
            return len(client.scheduler_info()["workers"])

    def wait_for_workers(self, count: int, timeout: float = START_TIMEOUT) -> None:
        """Block until the scheduler knows `count` workers."""
        deadline = time.monotonic() + timeout
        while self.worker_count() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"fewer than {count} workers after {timeout:.0f} s")
            time.sleep(0.5)

    def replace_worker(self, n: int, name: str) -> None:
        """A new worker in place of the n-th (after it was killed), once the scheduler knows it."""
        self.workers[n] = start_worker(self.address, self.root, name, self.env)
        self.wait_for_workers(len(self.workers))


def start_worker(address: str, root: Path, name: str, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """A `dask worker` of one thread (nanny and worker process) in its own folder and process group."""
    folder = root / name
    folder.mkdir(exist_ok=True)
    log = (folder / "worker.log").open("wb")
    command = [str(DASK), "worker", address, "--nthreads", "1", "--name", name, "--no-dashboard"]
    return subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=log, start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process and its group (a worker's nanny has children)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def local_cluster(root: Path, env: dict[str, str], workers: int) -> Iterator[Cluster]:
    """A Prefect server, then a scheduler and `workers` workers that report to it; all stopped after.
    env: the processes' environment (its PREFECT_API_URL is set to the server's)."""
    api = TemporaryServer(env).start()
    scheduler: subprocess.Popen[bytes] | None = None
    cluster: Cluster | None = None
    try:
        api_url = api.wait_ready(START_TIMEOUT)
        env["PREFECT_API_URL"] = api_url
        port = free_port()
        (root / "scheduler").mkdir(parents=True, exist_ok=True)
        scheduler_log = (root / "scheduler" / "scheduler.log").open("wb")
        command = [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]
        scheduler = subprocess.Popen(
            command,
            cwd=root / "scheduler",
            env=env,
            stdout=scheduler_log,
            stderr=scheduler_log,
            start_new_session=True,
        )
        wait_for_port(port, START_TIMEOUT)
        address = f"tcp://127.0.0.1:{port}"
        cluster = Cluster(address, api_url, [], root, env)
        for n in range(workers):
            cluster.workers.append(start_worker(address, root, f"worker{n}", env))
        cluster.wait_for_workers(workers)
        yield cluster
    finally:
        for worker in cluster.workers if cluster is not None else []:
            stop(worker)
        if scheduler is not None:
            stop(scheduler)
        api.stop()
