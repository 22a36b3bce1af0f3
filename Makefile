# `make run` and `make test` work on a machine with only Python 3.11, pip and make:
# pip installs uv into .tools/, uv installs the locked dependencies into .venv/.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: setup run test test-pages test-browser lint bench clean-warehouse

setup: $(VENV)/.synced

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (as on these machines) nothing else
# writes .pyc files, and every `zhnews run` and Prefect server start would compile Prefect's
# modules from source again (`import prefect, duckdb, pyarrow`: 14-16 s without, 8-11 s with, on a
# loaded 2-core box).
$(VENV)/.synced: $(UV) uv.lock pyproject.toml Makefile
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

run: setup
	$(BIN)/zhnews run
	$(BIN)/zhnews query "select doc_id, script, title, published_date, source_outlet, event_id from documents order by doc_id"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# Tests on third-party pages, which cannot ship with the project: ZHNEWS_DEV_PAGES, or
# ../shared/dev-pages beside the clone (a CI checkout has it). Missing pages are an error here.
test-pages: setup
	$(BIN)/pytest tests_pages

# The review site loaded in a real browser: Debian's chromium (.ci/run installs it when absent; or
# ZHNEWS_CHROMIUM=PATH). Without it the target fails with a usage error (it never skips).
test-browser: setup
	$(BIN)/pytest tests_browser

bench: setup
	$(BIN)/python -m benchmarks

clean-warehouse:
	rm -rf warehouse/versions warehouse/staging warehouse/current warehouse/catalog.duckdb warehouse/run.lock warehouse/.cache warehouse/.prefect warehouse/review
