"""Shared fixtures: one Prefect test harness per session, fresh seeds and warehouse folders."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Prefect's temporary server takes 7-14 s to start here, more when the machine is loaded.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Start Prefect's test harness once for all flow tests (a server start costs seconds)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """A private copy of the five seed files."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


@pytest.fixture
def warehouse_dir(tmp_path: Path) -> Path:
    return tmp_path / "warehouse"
