"""Imported by the forkserver that forks every shard's child (flows/watchdog.py): loads the shard
code and builds the transforms' tables once, so no child pays for either.

The forkserver then ends without tearing its interpreter down, as `zhnews` does: freeing those
modules and tables took ~0.2 s, which the flow waits for when it stops the server before the match
step (the forked children exit by os._exit already and never run the handler).
"""

import atexit

from flows.cli import exit_without_teardown
from flows.shard import warm_up

atexit.register(exit_without_teardown, [0])
warm_up()
