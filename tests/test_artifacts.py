"""Prefect artifacts of a run (issue 19): its summary, its rejected files by reason, shard progress,
created on a real Prefect server (the test harness's)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from flows.artifacts import REJECTED_KEY, SUMMARY_KEY, rejected_by_reason
from flows.process import process_seeds

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_rejected_by_reason_counts_and_examples() -> None:
    rows = pa.Table.from_pylist(
        [
            {"source_path": f"s/{n}.bin", "reason": "binary_content", "detail": "a PNG image"}
            for n in (4, 1, 3, 2)
        ]
        + [{"source_path": "s/e.txt", "reason": "empty_file", "detail": "empty"}]
    )
    assert rejected_by_reason(rows) == [
        {
            "reason": "binary_content",
            "files": 4,
            "examples": "s/1.bin, s/2.bin, s/3.bin",
            "detail": "a PNG image",
        },
        {"reason": "empty_file", "files": 1, "examples": "s/e.txt", "detail": "empty"},
    ]


async def _artifacts(flow_run_id: Any) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async with get_client() as client:
        return await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_publishes_its_summary_rejections_and_progress(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    state = process_seeds(seeds=str(seeds), warehouse=str(tmp_path / "wh"), return_state=True)
    artifacts = asyncio.run(_artifacts(state.state_details.flow_run_id))
    by_type = {a.type: a for a in artifacts}
    assert set(by_type) == {"markdown", "table", "progress"}
    summary = by_type["markdown"]
    assert summary.key == SUMMARY_KEY
    assert "| files new | 6 |" in summary.data and "| documents | 5 |" in summary.data
    index = (tmp_path / "wh" / "review" / "index.html").resolve()
    assert f"Review site: [{index}]({index.as_uri()})" in summary.data
    table = by_type["table"]
    assert table.key == REJECTED_KEY
    assert '"reason": "binary_content"' in table.data and '"files": 1' in table.data
    assert by_type["progress"].data == 100.0
