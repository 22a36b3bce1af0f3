"""Tests on third-party pages (`make test-pages`): the pages must be there, or the run is an error."""

from __future__ import annotations

import pytest

from benchmarks.devpages import DEV_PAGES, ENV_VAR
from tests.conftest import prefect_harness  # the flow tests here share the suite's Prefect server


def pytest_configure(config: pytest.Config) -> None:
    """No silent skip: without the dev pages these tests cannot say anything, so none runs."""
    del config
    if not (DEV_PAGES / "gne").is_dir() or not (DEV_PAGES / "trafilatura-eval").is_dir():
        raise pytest.UsageError(
            f"no dev pages at {DEV_PAGES}: set {ENV_VAR} to a folder with gne/ and trafilatura-eval/ "
            "(a CI checkout has them in ../shared/dev-pages)"
        )


__all__ = ["prefect_harness"]
