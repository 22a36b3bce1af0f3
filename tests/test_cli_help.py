"""A command line that explains itself (issue 19): help for every option, --version, status."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import pytest

from flows.cli import build_parser, main
from flows.process import process_seeds
from flows.runners import code_version

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_of_every_command_says_what_it_is() -> None:
    commands = subcommands()
    assert set(commands) == {"run", "query", "serve", "clean", "export", "status", "report"}
    missing = [
        f"{name} {'/'.join(action.option_strings) or action.dest}"
        for name, sub in commands.items()
        for action in sub._actions
        if not action.help
    ]
    assert missing == []


@pytest.mark.parametrize("command", ["run", "query", "serve", "clean", "export", "status", "report"])
def test_every_command_has_an_example(command: str) -> None:
    assert "example" in (subcommands()[command].epilog or "")


def test_environment_variables_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    assert all(name in text for name in ("ZHNEWS_RUNNER", "ZHNEWS_WORKERS", "ZHNEWS_DASK_ADDRESS"))
    assert "(default: 20 MB)" in text


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"zhnews \S+ \(rules [0-9a-f]{16}\)\n", out)
    assert f"(rules {code_version()})" in out  # the version documents and runs record


@pytest.mark.usefixtures("prefect_harness")
def test_status_names_stale_files_and_the_lock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    warehouse = tmp_path / "wh"
    assert main(["status", "--warehouse", str(warehouse)]) == 0
    assert capsys.readouterr().out.startswith(f"no warehouse at {warehouse}")
    process_seeds(seeds=str(tmp_path / "seeds"), warehouse=str(warehouse), rules_version="older")
    assert main(["status", "--warehouse", str(warehouse)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "files made by rules older: 5" in lines
    assert "stale files (older rules): 5; the next `zhnews run` reads them again" in lines
    assert "lock: free (no run is writing)" in lines
    assert any(line.startswith("documents: 5; pairs: 0 duplicate, 1 overlap") for line in lines)
