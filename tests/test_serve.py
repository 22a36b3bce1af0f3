"""`zhnews serve` against a real Prefect server on loopback (started once for this module)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from flows.serve import DEPLOYMENT_NAME, FLOW_NAME, local_server, runner_env, server_env
from warehouse.catalog import connect_read_only

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

# 03:00 on 1 January: a valid schedule whose runs never fire during the test, so the runs the test
# triggers through the API never meet a scheduled one at the warehouse lock.
CRON = "0 3 1 1 *"
# Generous limits for a loaded 2-core machine: a served run starts a Python process, imports
# Prefect and the transforms, and processes five files (15-40 s measured).
DEPLOYMENT_WAIT_SECONDS = 180.0
RUN_WAIT_SECONDS = 300.0
# Prefect's scheduler service looks for new deployments every few seconds and for all of them
# every 60 s; two of its loops are enough to see scheduled runs.
SCHEDULER_WAIT_SECONDS = 150.0
POLL_SECONDS = 1.0
T = TypeVar("T")


def test_server_env_puts_the_database_under_home() -> None:
    env = server_env(Path("/w/.prefect"), {"PATH": "/bin", "PREFECT_API_URL": "http://x/api"})
    assert env == {
        "PATH": "/bin",
        "PREFECT_HOME": "/w/.prefect",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": "sqlite+aiosqlite:////w/.prefect/prefect.db",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def test_runner_env_carries_only_given_options() -> None:
    assert runner_env("dask", None, 2) == {"ZHNEWS_RUNNER": "dask", "ZHNEWS_WORKERS": "2"}
    assert runner_env(None, None, None) == {}


@pytest.fixture(scope="module")
def server_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prefect") / ".prefect"


@pytest.fixture(scope="module")
def api_url(server_home: Path) -> Iterator[str]:
    """One real Prefect server for the module, started the way `zhnews serve` starts it."""
    with local_server(server_home, port=_free_port()) as url:
        yield url


def _last_server_error(home: Path) -> str:
    """The last exception line of the server's log, to say why the scheduler made no runs."""
    lines = (home / "server.log").read_text(errors="replace").splitlines()
    errors = [line for line in lines if "Error:" in line]
    return errors[-1] if errors else "(no error in the server log)"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(what: str, probe: Callable[[], T | None], seconds: float) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value is not None:
            return value
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


def _documents(warehouse: Path) -> int:
    con = connect_read_only(warehouse)
    try:
        row = con.execute("select count(*) from documents").fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def served(api_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """`zhnews serve` running against the module's server, from an unrelated working directory."""
    tmp_path = tmp_path_factory.mktemp("served")
    seeds_dir = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds_dir)
    for path in seeds_dir.iterdir():
        path.chmod(0o644)
    warehouse = tmp_path / "warehouse"
    env = {**os.environ, "PREFECT_API_URL": api_url}
    command = [sys.executable, "-m", "flows", "serve", "--cron", CRON]
    command += ["--seeds", str(seeds_dir), "--warehouse", str(warehouse)]
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield seeds_dir, warehouse
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _client() -> Any:
    """A sync client of the API in the current settings (the tests point them at the module's server)."""
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def _deployment(client: Any) -> Any:
    from prefect.exceptions import ObjectNotFound

    try:
        return client.read_deployment_by_name(f"{FLOW_NAME}/{DEPLOYMENT_NAME}")
    except ObjectNotFound:
        return None


def _finished_run(client: Any, run_id: Any) -> Any:
    run = client.read_flow_run(run_id)
    return run if run.state is not None and run.state.is_final() else None


def test_serve_creates_the_scheduled_deployment_and_api_runs_update_the_warehouse(
    api_url: str, served: tuple[Path, Path]
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    seeds, warehouse = served
    with temporary_settings({PREFECT_API_URL: api_url}), _client() as client:
        deployment = _wait_for("the deployment", lambda: _deployment(client), DEPLOYMENT_WAIT_SECONDS)
        assert [s.schedule.cron for s in deployment.schedules] == [CRON]
        assert [s.active for s in deployment.schedules] == [True]
        assert deployment.parameters == {"seeds": str(seeds.resolve()), "warehouse": str(warehouse.resolve())}

        first = client.create_flow_run_from_deployment(deployment.id)
        done = _wait_for("the first run", lambda: _finished_run(client, first.id), RUN_WAIT_SECONDS)
        assert done.state.is_completed(), done.state
        assert _documents(warehouse) == 5

        # a file dropped into the seeds folder is picked up by the next run
        source = sorted(p for p in seeds.iterdir() if p.suffix == ".txt")[0]
        dropped = seeds / "new_article.txt"
        dropped.write_bytes(source.read_bytes() + "\n补充报道：记者随后走访了现场。\n".encode())
        second = client.create_flow_run_from_deployment(deployment.id)
        done = _wait_for("the second run", lambda: _finished_run(client, second.id), RUN_WAIT_SECONDS)
        assert done.state.is_completed(), done.state
        assert _documents(warehouse) == 6


def test_the_servers_scheduler_creates_runs_for_the_deployment(
    api_url: str, server_home: Path, served: tuple[Path, Path]
) -> None:
    """Fails while Prefect 3.8's scheduler meets SQLAlchemy 2.1 (bulk insert of FlowRun.state)."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    del served
    with temporary_settings({PREFECT_API_URL: api_url}), _client() as client:
        deployment = _wait_for("the deployment", lambda: _deployment(client), DEPLOYMENT_WAIT_SECONDS)

        def scheduled() -> list[Any] | None:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
            )
            return [r for r in runs if r.auto_scheduled] or None

        try:
            runs = _wait_for("runs created by the scheduler", scheduled, SCHEDULER_WAIT_SECONDS)
        except AssertionError as error:
            raise AssertionError(f"{error}; server: {_last_server_error(server_home)}") from None
        starts = sorted(r.expected_start_time for r in runs)
        assert [(t.month, t.day, t.hour, t.minute) for t in starts] == [(1, 1, 3, 0)] * len(starts)


def test_prefect_yaml_deploys_the_flow_with_its_parameters() -> None:
    import inspect

    import yaml
    from prefect.client.schemas.schedules import CronSchedule

    from flows.process import process_seeds

    config = yaml.safe_load((SEEDS.parent / "prefect.yaml").read_text(encoding="utf-8"))
    [deployment] = config["deployments"]
    path, name = deployment["entrypoint"].split(":")
    assert (path, name) == ("flows/process.py", process_seeds.fn.__name__)
    assert set(deployment["parameters"]) <= set(inspect.signature(process_seeds.fn).parameters)
    schedules = [CronSchedule(cron=s["cron"], timezone=s["timezone"]) for s in deployment["schedules"]]
    assert [s.cron for s in schedules] == ["0 * * * *"]
    assert deployment["work_pool"]["job_variables"]["env"]["ZHNEWS_RUNNER"] in (
        "threads",
        "processes",
        "dask",
    )
