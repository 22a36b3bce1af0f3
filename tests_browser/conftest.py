"""Tests that load the review site in a real browser (`make test-browser`): Debian's Chromium must be
there (`.ci/run` installs it), or the run is an error, never a skip."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import lxml.html
import pytest

from tests.conftest import prefect_harness  # the flow tests here share the suite's Prefect server

CHROMIUM_ENV = "ZHNEWS_CHROMIUM"
CHROMIUM = Path(os.environ.get(CHROMIUM_ENV, "/usr/bin/chromium"))
# A headless start and one local page take 1-3 s here; a loaded 2-core machine can take ten times that.
CHROMIUM_SECONDS = 120
# No network, no first-run work, no profile outside a temporary folder: the page and nothing else.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def pytest_configure(config: pytest.Config) -> None:
    """No silent skip: without a browser these tests cannot say anything, so none runs."""
    del config
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        raise pytest.UsageError(
            f"no Chromium at {CHROMIUM}: install Debian's (`apt-get install -y chromium`, as .ci/run does) "
            f"or set {CHROMIUM_ENV} to a Chromium binary"
        )


def dump_dom(page: Path) -> lxml.html.HtmlElement:
    """The DOM Chromium built from a page on disk (after any script had its chance to run), parsed."""
    with tempfile.TemporaryDirectory(prefix="zhnews-chromium-") as profile:
        done = subprocess.run(
            [
                str(CHROMIUM),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--dump-dom",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            timeout=CHROMIUM_SECONDS,
            check=False,
        )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    assert done.stdout.strip(), f"Chromium rendered nothing for {page}"
    return lxml.html.fromstring(done.stdout)


__all__ = ["dump_dom", "prefect_harness"]
