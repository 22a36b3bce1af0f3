"""Prefect's temporary API server, started before the CLI's heavy imports so both boot at once.

`zhnews run` without a configured PREFECT_API_URL used to import Prefect, DuckDB and PyArrow
(3-4 s) and only then let Prefect start its temporary server (another 6-9 s, mostly the server's
own imports), one after the other. This module starts the same server (the command of
`prefect.server.api.server.SubprocessASGIServer`: uvicorn serving `create_app` in ephemeral mode,
no UI) without importing Prefect, waits for its health check in a thread, and stops it at the
end. Nothing here imports Prefect, so the server process starts within milliseconds of the CLI.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from importlib.util import find_spec
from pathlib import Path

SERVER_HOST = "127.0.0.1"  # loopback only, as Prefect's own temporary server
HEALTH_PATH = "/api/health"
# Prefect's SubprocessASGIServer polls /health every 0.1 s; one local request each time is cheap.
HEALTH_POLL_SECONDS = 0.1
HEALTH_REQUEST_TIMEOUT_SECONDS = 2.0
# Prefect's SubprocessASGIServer.stop waits 5 s for a terminated server before killing it; a
# graceful stop (which flushes queued events and task-run records) took 0.2-0.3 s here.
STOP_TIMEOUT_SECONDS = 5.0
# uvicorn's exit code when it cannot start (e.g. the port was taken between choosing and binding).
UVICORN_STARTUP_FAILURE = 3
# Ports are chosen free by the kernel; a second or third try only covers a lost race for one.
START_ATTEMPTS = 3
# Linux prctl option: a signal the child gets when the process that started it dies, so a killed
# CLI (SIGKILL, SIGTERM) leaves no server behind. From <linux/prctl.h>.
PR_SET_PDEATHSIG = 1
FALSE_WORDS = frozenset({"0", "false", "no", "off"})

# What Prefect's SubprocessASGIServer sets for its server process: ephemeral mode, no UI.
EPHEMERAL_SERVER_ENV = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
}
# Defaults (the user's environment wins) that start the server faster without losing what a run
# records (flow and task runs, states, logs, events):
# - block auto-registration imports every Prefect collection (prefect_dask loads distributed):
#   2.0 s of a 2.7 s server lifespan start, measured with cProfile; a run saves no blocks, and a
#   regular `prefect server start` still registers them (the memo is only written by a registration);
# - triggers and actions evaluate automations, which a one-off CLI run does not define (0.2 s).
FAST_START_ENV = {
    "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
    "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_ACTIONS_ENABLED": "false",
}
# Where Prefect reads settings besides the environment (relative to the working directory).
DOTENV_FILE = ".env"
PREFECT_TOML = "prefect.toml"
PYPROJECT_TOML = "pyproject.toml"
PROFILES_FILE = "profiles.toml"
DEFAULT_PROFILE = "ephemeral"  # Prefect's default active profile


class ServerStartError(RuntimeError):
    """The temporary server exited or did not answer its health check in time."""


def _is_false(value: str | None) -> bool:
    return value is not None and value.strip().lower() in FALSE_WORDS


def _read_toml(path: Path) -> dict[str, object] | None:
    """A TOML file's data; None when it is unreadable (Prefect would then decide, not us)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _nested(data: Mapping[str, object] | None, *keys: str) -> object:
    value: object = data
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _dotenv_sets_api_url(path: Path) -> bool:
    """A .env file that mentions PREFECT_API_URL (or a profiles path) may configure the API."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "PREFECT_API_URL" in text or "PREFECT_PROFILES_PATH" in text


def _profiles_path(env: Mapping[str, str]) -> Path:
    if env.get("PREFECT_PROFILES_PATH"):
        return Path(env["PREFECT_PROFILES_PATH"]).expanduser()
    home = Path(env["PREFECT_HOME"]).expanduser() if env.get("PREFECT_HOME") else Path.home() / ".prefect"
    return home / PROFILES_FILE


def _profile_sets_api_url(env: Mapping[str, str]) -> bool:
    """The active profile of Prefect's profiles file sets PREFECT_API_URL (or the file is unreadable)."""
    path = _profiles_path(env)
    if not path.is_file():
        return False
    data = _read_toml(path)
    if data is None:
        return True
    active = env.get("PREFECT_PROFILE") or data.get("active") or DEFAULT_PROFILE
    return bool(_nested(data, "profiles", str(active), "PREFECT_API_URL"))


def _toml_sets_api_url(path: Path, *table: str) -> bool:
    """A prefect.toml / pyproject.toml in the working directory with an API URL or a profiles path."""
    if not path.is_file():
        return False
    data = _read_toml(path)
    if data is None:
        return True
    return bool(_nested(data, *table, "api", "url")) or bool(_nested(data, *table, "profiles_path"))


def own_server_wanted(env: Mapping[str, str], cwd: Path) -> bool:
    """Start our own temporary server only when no API URL can be configured and ephemeral mode is on.

    Checks the environment and the files Prefect reads settings from (.env, prefect.toml,
    pyproject.toml, the active profile), without importing Prefect. When in doubt it says no and
    Prefect decides as before; the CLI checks Prefect's own settings again once it has imported them.
    """
    if env.get("PREFECT_API_URL", "").strip():
        return False
    if _is_false(env.get("PREFECT_SERVER_EPHEMERAL_ENABLED")) or _is_false(
        env.get("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE")
    ):
        return False
    return not (
        _dotenv_sets_api_url(cwd / DOTENV_FILE)
        or _toml_sets_api_url(cwd / PREFECT_TOML)
        or _toml_sets_api_url(cwd / PYPROJECT_TOML, "tool", "prefect")
        or _profile_sets_api_url(env)
    )


def server_env(base: Mapping[str, str]) -> dict[str, str]:
    """Environment of the server process: fast-start defaults, the user's settings, ephemeral mode."""
    return {**FAST_START_ENV, **base, **EPHEMERAL_SERVER_ENV}


def server_command(port: int, app_dir: Path, host: str = SERVER_HOST) -> list[str]:
    """The uvicorn command of Prefect's SubprocessASGIServer."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(app_dir),
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        host,
        "--port",
        str(port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    ]


def prefect_app_dir() -> Path:
    """The folder holding the prefect package (uvicorn's --app-dir), found without importing it."""
    spec = find_spec("prefect")
    if spec is None or spec.origin is None:
        raise ServerStartError("the prefect package is not installed")
    return Path(spec.origin).resolve().parent.parent


def free_port(host: str = SERVER_HOST) -> int:
    """A port the kernel says is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def is_healthy(port: int, host: str = SERVER_HOST) -> bool:
    """True when the API answers its health check."""
    connection = http.client.HTTPConnection(host, port, timeout=HEALTH_REQUEST_TIMEOUT_SECONDS)
    try:
        connection.request("GET", HEALTH_PATH)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def parent_death_hook() -> Callable[[], None] | None:
    """A pre-exec hook that makes the child get SIGTERM when the CLI dies (Linux), else None.

    libc is looked up here, in the parent: the hook runs between fork and exec, where imports and
    lookups are not safe.
    """
    if sys.platform != "linux":
        return None
    import ctypes
    import signal

    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return hook


class TemporaryServer:
    """One temporary Prefect API server process; `start` returns at once, `wait_ready` blocks."""

    def __init__(self, env: Mapping[str, str], host: str = SERVER_HOST) -> None:
        self._env = server_env(env)
        self.host = host
        self._app_dir = prefect_app_dir()
        self._hook = parent_death_hook()
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self.port = 0
        self.attempts = 0

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> TemporaryServer:
        """Launch the server process and a thread that waits for its health check."""
        self.attempts += 1
        self.port = free_port(self.host)
        self._ready = threading.Event()
        self._process = subprocess.Popen(
            server_command(self.port, self._app_dir, self.host),
            env=self._env,
            stdin=subprocess.DEVNULL,
            # its own session: a Ctrl-C in the terminal interrupts the CLI, which records the
            # crashed run on the still-running server before stopping it
            start_new_session=True,
            preexec_fn=self._hook,  # safe: it calls prctl only, looked up before the fork
        )
        threading.Thread(
            target=self._watch, args=(self._process, self.port, self.host, self._ready), daemon=True
        ).start()
        return self

    @staticmethod
    def _watch(process: subprocess.Popen[bytes], port: int, host: str, ready: threading.Event) -> None:
        """Poll the health check until it answers or the process exits."""
        while process.poll() is None:
            if is_healthy(port, host):
                break
            time.sleep(HEALTH_POLL_SECONDS)
        ready.set()

    def wait_ready(self, timeout: float) -> str:
        """Block until the server answers; restart it on a new port after a lost port race."""
        deadline = time.monotonic() + timeout
        while True:
            process = self._process
            if process is None:
                raise ServerStartError("the temporary Prefect server was not started")
            if not self._ready.wait(max(0.0, deadline - time.monotonic())):
                raise ServerStartError(f"the temporary Prefect server did not answer within {timeout:.0f} s")
            code = process.poll()
            if code is None:
                return self.api_url
            if code != UVICORN_STARTUP_FAILURE or self.attempts >= START_ATTEMPTS:
                raise ServerStartError(f"the temporary Prefect server exited with code {code}")
            self.start()

    def stop(self) -> None:
        """Terminate the server and wait for its graceful exit (it flushes queued records)."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_if_wanted(
    env: Mapping[str, str] | None = None, cwd: Path | None = None, host: str | None = None
) -> TemporaryServer | None:
    """A started temporary server (on host, else loopback), or None when an API is (or may be) configured."""
    env = os.environ if env is None else env
    if not own_server_wanted(env, cwd or Path.cwd()):
        return None
    return TemporaryServer(env, host or SERVER_HOST).start()
