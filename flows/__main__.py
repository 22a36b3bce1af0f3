"""`python -m flows` is the `zhnews` command."""

from flows.cli import entry

entry()
