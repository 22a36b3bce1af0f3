"""Where the third-party dev pages are: they cannot ship with the project (their authors' licences)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
ENV_VAR = "ZHNEWS_DEV_PAGES"
# The folder a CI checkout has beside the project; a user's clone has nothing there.
DEFAULT_DIR = PROJECT.parent / "shared" / "dev-pages"


def dev_pages_dir() -> Path:
    """ZHNEWS_DEV_PAGES when set, else ../shared/dev-pages beside the project (it may not exist)."""
    value = os.environ.get(ENV_VAR)
    return Path(value).resolve() if value else DEFAULT_DIR


DEV_PAGES = dev_pages_dir()
