"""Imported by the forkserver that forks every shard's child (flows/watchdog.py): loads the shard
code and builds the transforms' tables once, so no child pays for either."""

from flows.shard import warm_up

warm_up()
