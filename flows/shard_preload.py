"""Imported by the forkserver that forks every shard's child (flows/watchdog.py): loads the shard
code and builds the transforms' tables once, so no child pays for either.

The forkserver then ends without tearing its interpreter down: freeing those modules and tables
took ~0.2 s, which the flow waits for when it stops the server before the match step.
"""

import atexit
import os
import sys

from flows.shard import warm_up


def exit_without_teardown() -> None:
    """The preloading process's last exit handler: flush and end (the forked children never run it)."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)


atexit.register(exit_without_teardown)
warm_up()
