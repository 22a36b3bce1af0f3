"""`zhnews run` starts Prefect's temporary server itself, first, and always stops it.

The pure checks (is an API configured? the server's environment) are golden tables; the CLI
checks run `zhnews` as a subprocess with a private PREFECT_HOME, so the temporary server's
database is the test's own and what a run recorded can be read back from it.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from reliability_support import (  # noqa: F401
    PROJECT,
    RUN_TIMEOUT_SECONDS,
    cli_env,
    prefect_api_fixture,
    run_zhnews,
    zhnews_command,
)

from flows.apiserver import (
    EPHEMERAL_SERVER_ENV,
    FAST_START_ENV,
    is_healthy,
    own_server_wanted,
    server_env,
)

SEEDS = PROJECT / "seeds"
ANNOUNCE = re.compile(r"temporary Prefect server on http://127\.0\.0\.1:(\d+)/api \(pid (\d+)\)")
PREFECT_OWN_SERVER = "Starting temporary server"  # Prefect's line when it starts a server itself

PROFILES_WITH_URL = """active = "local"
[profiles.local]
PREFECT_API_URL = "http://127.0.0.1:4200/api"
[profiles.ephemeral]
PREFECT_SERVER_ALLOW_EPHEMERAL_MODE = "true"
"""
PROFILES_ACTIVE_WITHOUT_URL = PROFILES_WITH_URL.replace('active = "local"', 'active = "ephemeral"')

# (case, environment, files in the working directory or PREFECT_HOME, start our own server?)
CONFIG_CASES: list[tuple[str, dict[str, str], dict[str, str], bool]] = [
    ("nothing configured", {}, {}, True),
    ("URL in the environment", {"PREFECT_API_URL": "http://h:4200/api"}, {}, False),
    ("blank URL in the environment", {"PREFECT_API_URL": " "}, {}, True),
    ("ephemeral mode off", {"PREFECT_SERVER_EPHEMERAL_ENABLED": "false"}, {}, False),
    ("ephemeral mode off, old name", {"PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "0"}, {}, False),
    ("URL in .env", {}, {".env": "PREFECT_API_URL=http://h:4200/api\n"}, False),
    ("unrelated .env", {}, {".env": "OTHER=1\n"}, True),
    ("URL in prefect.toml", {}, {"prefect.toml": '[api]\nurl = "http://h:4200/api"\n'}, False),
    ("prefect.toml without URL", {}, {"prefect.toml": "[api]\nkey = 'k'\n"}, True),
    ("profiles path in prefect.toml", {}, {"prefect.toml": 'profiles_path = "p.toml"\n'}, False),
    (
        "URL in pyproject.toml",
        {},
        {"pyproject.toml": '[tool.prefect.api]\nurl = "http://h:4200/api"\n'},
        False,
    ),
    ("pyproject.toml of another tool", {}, {"pyproject.toml": "[tool.ruff]\nline-length = 1\n"}, True),
    ("unreadable prefect.toml", {}, {"prefect.toml": "[api\n"}, False),
    ("active profile sets the URL", {}, {"home/profiles.toml": PROFILES_WITH_URL}, False),
    ("active profile has no URL", {}, {"home/profiles.toml": PROFILES_ACTIVE_WITHOUT_URL}, True),
    (
        "PREFECT_PROFILE picks a profile with the URL",
        {"PREFECT_PROFILE": "local"},
        {"home/profiles.toml": PROFILES_ACTIVE_WITHOUT_URL},
        False,
    ),
    ("unreadable profiles file", {}, {"home/profiles.toml": "active = \n"}, False),
]


@pytest.mark.parametrize(("case", "env", "files", "expected"), CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_own_server_only_when_no_api_can_be_configured(
    tmp_path: Path, case: str, env: dict[str, str], files: dict[str, str], expected: bool
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    environment = {"PREFECT_HOME": str(tmp_path / "home"), **env}
    assert own_server_wanted(environment, tmp_path) is expected, case


def test_profiles_path_setting_points_at_the_profiles_file(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.toml").write_text(PROFILES_WITH_URL, encoding="utf-8")
    env = {"PREFECT_HOME": str(tmp_path / "home"), "PREFECT_PROFILES_PATH": str(tmp_path / "elsewhere.toml")}
    assert own_server_wanted(env, tmp_path) is False


def test_server_env_user_settings_win_over_fast_start_but_not_over_ephemeral_mode() -> None:
    base = {"PATH": "/bin", "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "true", "PREFECT_UI_ENABLED": "1"}
    assert server_env(base) == {
        "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
        "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false",
        "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "true",
        "PREFECT_SERVER_SERVICES_ACTIONS_ENABLED": "false",
        "PATH": "/bin",
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    assert set(FAST_START_ENV).isdisjoint(EPHEMERAL_SERVER_ENV)


# --- the CLI as a subprocess ------------------------------------------------------------------


def one_file_seeds(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    first = sorted(SEEDS.iterdir())[0]
    (seeds / first.name).write_bytes(first.read_bytes())
    return seeds


def own_server_env(tmp_path: Path) -> dict[str, str]:
    """No API configured: a private PREFECT_HOME (its own database) and no PREFECT_API_URL."""
    env = cli_env(tmp_path / "prefect-home", None)
    return {str(k): str(v) for k, v in env.items() if k != "PREFECT_API_URL"}


def announced(output: str) -> tuple[int, int]:
    """Port and pid of the server the CLI said it started."""
    match = ANNOUNCE.search(output)
    assert match, output[-3000:]
    return int(match.group(1)), int(match.group(2))


def assert_gone(port: int, pid: int) -> None:
    """Nothing answers on the server's port and its process no longer runs."""
    assert not is_healthy(port)
    if psutil.pid_exists(pid):
        process = psutil.Process(pid)
        assert process.status() == psutil.STATUS_ZOMBIE or str(port) not in " ".join(process.cmdline())


def recorded_runs(prefect_home: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(flow name, state) of every flow run and (task name, state) of every task run in a database."""
    con = sqlite3.connect(prefect_home / "prefect.db")
    try:
        flows = con.execute(
            "select f.name, r.state_type from flow_run r join flow f on f.id = r.flow_id"
        ).fetchall()
        tasks = con.execute("select name, state_type from task_run").fetchall()
    finally:
        con.close()
    return [(str(a), str(b)) for a, b in flows], [(str(a), str(b)) for a, b in tasks]


def test_run_records_flow_and_worker_task_runs_in_its_own_server_then_stops_it(tmp_path: Path) -> None:
    """Process-pool workers report to the CLI's server; Prefect starts no server of its own."""
    seeds = one_file_seeds(tmp_path)
    args = ["run", "--seeds", str(seeds), "--warehouse", str(tmp_path / "wh"), "--runner", "processes"]
    done = run_zhnews([*args, "--workers", "1"], own_server_env(tmp_path))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert PREFECT_OWN_SERVER not in output
    assert_gone(*announced(output))
    flows, tasks = recorded_runs(tmp_path / "prefect-home")
    assert flows == [("process_seeds", "COMPLETED")]
    assert {state for _, state in tasks} == {"COMPLETED"}
    assert {name.rsplit("-", 1)[0] for name, _ in tasks} >= {
        "scan-seeds",
        "process-shard",
        "match-split",
        "match-buckets",
        "match-join",
        "match-pairs",
        "match-events",
    }


def test_failing_run_records_the_failure_and_stops_the_server(tmp_path: Path) -> None:
    seeds = one_file_seeds(tmp_path)
    args = ["run", "--seeds", str(seeds), "--warehouse", str(tmp_path / "wh"), "--shard-size", "0"]
    done = run_zhnews(args, own_server_env(tmp_path))
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    assert_gone(*announced(output))
    flows, _ = recorded_runs(tmp_path / "prefect-home")
    assert flows == [("process_seeds", "FAILED")]


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_start_stops_the_server(tmp_path: Path) -> None:
    seeds = one_file_seeds(tmp_path)
    command = zhnews_command("run", "--seeds", str(seeds), "--warehouse", str(tmp_path / "wh"))
    process = subprocess.Popen(
        command,
        env=own_server_env(tmp_path),
        cwd=PROJECT,
        stderr=subprocess.PIPE,
        text=True,
        # as at a terminal: a suite started in the background (`make test &`) hands its children
        # SIGINT ignored, and Python then never raises KeyboardInterrupt
        preexec_fn=_default_sigint,
    )
    assert process.stderr is not None
    first = process.stderr.readline()  # the CLI names its server before its own imports
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
    assert process.returncode == 130, first + rest[-3000:]
    assert_gone(*announced(first))


@pytest.mark.usefixtures("prefect_harness")
def test_configured_api_url_is_used_and_no_server_started(tmp_path: Path, prefect_api: str) -> None:
    """With PREFECT_API_URL set, the run is recorded there and nothing is started."""
    seeds = one_file_seeds(tmp_path)
    warehouse = tmp_path / "wh"
    done = run_zhnews(
        ["run", "--seeds", str(seeds), "--warehouse", str(warehouse)], cli_env(tmp_path, prefect_api)
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert not ANNOUNCE.search(output)
    assert PREFECT_OWN_SERVER not in output
    assert not (tmp_path / "prefect.db").exists()  # no server made a database in the CLI's home
    assert flow_runs_with_warehouse(str(warehouse)) == ["COMPLETED"]


def flow_runs_with_warehouse(warehouse: str) -> list[str]:
    """States of the configured server's flow runs that wrote to a warehouse."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs()
    return [
        str(r.state_type.value) for r in runs if r.parameters.get("warehouse") == warehouse and r.state_type
    ]


def test_no_prefect_import_before_the_server_starts() -> None:
    """The early module stays light: importing it pulls in neither Prefect nor PyArrow."""
    code = "import sys, flows.apiserver; print(sorted(m for m in ('prefect', 'pyarrow') if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    assert done.stdout.strip() == "[]"


# `main` stands in for a run: an exit handler registered during it (as Prefect's log and event drains
# are, at import) and an object freed only by the interpreter's teardown.
EXIT_PROBE = """
import atexit, sys
from flows import cli

class Freed:
    def __del__(self):
        sys.stderr.write("teardown ran\\n")

def fake_main(argv=None):
    atexit.register(lambda: sys.stderr.write("drained\\n"))
    sys.modules["__main__"].kept = Freed()
    print("summary", end="")  # buffered: a pipe is not a terminal
    if "{mode}" == "raise":
        raise RuntimeError("run failed")
    return 3

cli.main = fake_main
cli.entry()
"""


def test_entry_runs_exit_handlers_flushes_and_skips_the_teardown() -> None:
    """Exit code and output of main(), every exit handler run, no interpreter teardown (0.5-0.7 s)."""
    probe = EXIT_PROBE.replace("{mode}", "return")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=PROJECT)
    assert (done.returncode, done.stdout, done.stderr) == (3, "summary", "drained\n")


def test_entry_exits_as_usual_when_main_raises() -> None:
    probe = EXIT_PROBE.replace("{mode}", "raise")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=PROJECT)
    assert done.returncode == 1
    assert done.stdout == "summary"
    assert "RuntimeError: run failed" in done.stderr
    assert done.stderr.endswith("drained\nteardown ran\n")


def test_remote_dask_cluster_without_a_reachable_api_is_refused(tmp_path: Path) -> None:
    """Workers on other machines cannot report to a loopback API: the run says so and does nothing."""
    seeds = one_file_seeds(tmp_path)
    warehouse = tmp_path / "wh"
    args = ["run", "--seeds", str(seeds), "--warehouse", str(warehouse), "--runner", "dask"]
    done = run_zhnews([*args, "--dask-address", "tcp://10.0.0.5:8786"], own_server_env(tmp_path))
    output = done.stdout + done.stderr
    assert done.returncode == 2, output[-3000:]
    assert "the Dask scheduler tcp://10.0.0.5:8786 is on another machine" in output
    assert "--api-host" in output
    assert_gone(*announced(output))
    assert not (warehouse / "catalog.duckdb").exists()


def test_api_host_binds_the_temporary_server_there(tmp_path: Path) -> None:
    """--api-host names the address of the run's temporary server (here another loopback address)."""
    seeds = one_file_seeds(tmp_path)
    args = ["run", "--seeds", str(seeds), "--warehouse", str(tmp_path / "wh"), "--api-host", "127.0.0.2"]
    done = run_zhnews(args, own_server_env(tmp_path))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "starting a temporary Prefect server on http://127.0.0.2:" in output
