"""`zhnews serve`: the flow as a scheduled Prefect deployment, with a local server when none is set.

Prefect's ephemeral mode cannot schedule (serve logs "Cannot schedule flows on an ephemeral server"
and never fires), so without PREFECT_API_URL this starts `prefect server start` on loopback with its
database under <warehouse>/.prefect/, waits until it answers, serves, and stops it on exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

DEPLOYMENT_NAME = "zhnews-scheduled"
FLOW_NAME = "process_seeds"
SERVER_HOST = "127.0.0.1"  # loopback only: the local server has no authentication
DEFAULT_SERVER_PORT = 4200  # Prefect's own default, so the UI is where its documentation says
PREFECT_DIR = ".prefect"  # beside the warehouse's tables, so each warehouse keeps its run history
# `prefect server start` took 7-14 s on an idle 2-core machine and 30-45 s under load (migrations
# on a new database, then the UI build); three minutes leaves room before giving up.
SERVER_STARTUP_TIMEOUT_SECONDS = 180.0
HEALTH_POLL_SECONDS = 0.5  # a health check is one local HTTP request; twice a second is cheap
HEALTH_REQUEST_TIMEOUT_SECONDS = 2.0
# A stopping server finishes its services' loops first; after this long it is killed.
SERVER_STOP_TIMEOUT_SECONDS = 20.0
EXIT_INTERRUPTED = 130  # the shell's code for a command ended by SIGINT


class ServerStartError(RuntimeError):
    """The local Prefect server exited or did not answer in time."""


def prefect_home(warehouse: Path) -> Path:
    """The local server's home (database, profiles, log) for one warehouse."""
    return warehouse.resolve() / PREFECT_DIR


def server_env(home: Path, base: Mapping[str, str]) -> dict[str, str]:
    """Environment of the local server: its home and SQLite database under home, no analytics."""
    env = {k: v for k, v in base.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(home)
    env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{home / 'prefect.db'}"
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    return env


def port_is_free(port: int, host: str = SERVER_HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def choose_port(preferred: int = DEFAULT_SERVER_PORT) -> int:
    """Prefect's usual port when it is free, else any free one the kernel gives."""
    if port_is_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((SERVER_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def is_healthy(api_url: str) -> bool:
    """True when the API answers its health check."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=HEALTH_REQUEST_TIMEOUT_SECONDS) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _prefect_command() -> list[str]:
    """The `prefect` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "prefect"
    return [str(script)] if script.exists() else [sys.executable, "-m", "prefect"]


@contextlib.contextmanager
def local_server(home: Path, port: int | None = None) -> Iterator[str]:
    """A Prefect server on loopback for the duration of the block; yields its API URL."""
    home.mkdir(parents=True, exist_ok=True)
    port = port or choose_port()
    api_url = f"http://{SERVER_HOST}:{port}/api"
    command = [*_prefect_command(), "server", "start", "--host", SERVER_HOST, "--port", str(port)]
    with (home / "server.log").open("ab") as log:
        process = subprocess.Popen(
            command,
            env=server_env(home, os.environ),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it stops its workers too
        )
    try:
        _wait_until_healthy(api_url, process, home / "server.log")
        yield api_url
    finally:
        _stop(process)


def _wait_until_healthy(api_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_STARTUP_TIMEOUT_SECONDS
    while not is_healthy(api_url):
        if process.poll() is not None:
            raise ServerStartError(f"the Prefect server exited with code {process.returncode}; see {log}")
        if time.monotonic() > deadline:
            raise ServerStartError(
                f"the Prefect server did not answer within {SERVER_STARTUP_TIMEOUT_SECONDS:.0f} s; see {log}"
            )
        time.sleep(HEALTH_POLL_SECONDS)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's own process group, SIGKILL if it does not exit in time."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(SERVER_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def runner_env(runner: str | None, dask_address: str | None, workers: int | None) -> dict[str, str]:
    """ZHNEWS_* variables that carry runner options into the runs the deployment starts."""
    from flows.runners import ENV_DASK_ADDRESS, ENV_RUNNER, ENV_WORKERS

    values = {ENV_RUNNER: runner, ENV_DASK_ADDRESS: dask_address, ENV_WORKERS: workers}
    return {key: str(value) for key, value in values.items() if value is not None}


def serve(
    cron: str,
    seeds: Path,
    warehouse: Path,
    runner: str | None = None,
    dask_address: str | None = None,
    workers: int | None = None,
) -> int:
    """Serve process_seeds on a cron schedule: against PREFECT_API_URL, or a local server it starts."""
    from flows.runners import RunnerChoiceError, choose_runner

    os.environ.update(runner_env(runner, dask_address, workers))
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops serving as Ctrl-C does, server included
    try:
        choose_runner(None, None, None, os.environ)
    except RunnerChoiceError as error:
        print(f"zhnews: {error}", file=sys.stderr)
        return 2
    if os.environ.get("PREFECT_API_URL"):
        return _serve_deployment(cron, seeds, warehouse)
    home = prefect_home(warehouse)
    print(f"zhnews: starting a Prefect server on {SERVER_HOST} (database and log in {home})", file=sys.stderr)
    try:
        with local_server(home) as api_url:
            os.environ["PREFECT_API_URL"] = api_url  # the runs serve starts are subprocesses
            print(f"zhnews: Prefect UI at {api_url.removesuffix('/api')}", file=sys.stderr)
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings({PREFECT_API_URL: api_url}):
                return _serve_deployment(cron, seeds, warehouse)
    except ServerStartError as error:
        print(f"zhnews: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # stopped while the server was starting
        return EXIT_INTERRUPTED


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM handler: unwind like Ctrl-C so the local server is stopped, not orphaned."""
    del signum, frame
    raise KeyboardInterrupt


def _serve_deployment(cron: str, seeds: Path, warehouse: Path) -> int:
    """Create or update the deployment and run its scheduled runs until interrupted."""
    from prefect.types.entrypoint import EntrypointType

    from flows.process import process_seeds

    with contextlib.suppress(KeyboardInterrupt):
        process_seeds.serve(
            name=DEPLOYMENT_NAME,
            cron=cron,
            parameters={"seeds": str(seeds.resolve()), "warehouse": str(warehouse.resolve())},
            description="zhnews: process new and changed seed files into the warehouse",
            entrypoint_type=EntrypointType.MODULE_PATH,  # importable from any working directory
        )
    return 0
