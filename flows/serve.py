"""`zhnews serve`: the flow as a scheduled Prefect deployment."""

from __future__ import annotations

from pathlib import Path


def serve(cron: str, seeds: Path, warehouse: Path) -> int:
    """Serve process_seeds on a cron schedule against the configured Prefect API."""
    from flows.process import process_seeds

    process_seeds.serve(
        name="zhnews-scheduled",
        cron=cron,
        parameters={"seeds": str(seeds.resolve()), "warehouse": str(warehouse.resolve())},
    )
    return 0
