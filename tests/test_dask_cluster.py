"""A real Dask cluster (issue 20): a Prefect server, a Dask scheduler and two Dask workers, each its own
process in its own working directory on loopback, and `zhnews run --runner dask --dask-address …`.

The tables equal a thread-runner run's on a generated corpus with planted pairs; a hanging document is
a `time_limit` rejection with the cluster still serving; a worker killed (with its nanny) during the
shard phase still ends in a complete, correct run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from reliability_support import Tables, cli_env, contract_tables, zhnews_command

from benchmarks.cluster import Cluster, local_cluster
from benchmarks.gen_corpus import PROJECT_SOURCES, Params, generate
from tests.test_hostile_input import SHORT_LIMIT, SLOW_TEXT

PROJECT = Path(__file__).resolve().parent.parent
# A generated corpus big enough for several shards a worker (with --shard-size) and planted pairs.
CORPUS_DOCS = 240
SHARD_SIZE = "20"
# Copies of each seed in the reposts corpus: 5 x C(40, 2) = 3,900 duplicate pairs.
REPOSTS = 40
RUN_TIMEOUT = 600.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A Prefect server, then a scheduler and two workers that report to it."""
    root = tmp_path_factory.mktemp("cluster")
    with local_cluster(root, cli_env(root / "prefect-home", None), 2) as found:
        yield found


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated corpus with planted pairs (the project's own text only)."""
    out = tmp_path_factory.mktemp("corpus")
    generate(out, Params(CORPUS_DOCS, 7, line_truth=False), PROJECT_SOURCES)
    return out / "seeds"


def zhnews_run(seeds: Path, warehouse: Path, api_url: str, *extra: str) -> subprocess.Popen[str]:
    """`zhnews run` reporting to the cluster's Prefect server, started (not waited for)."""
    env = cli_env(warehouse.parent / f"{warehouse.name}-home", api_url)
    env["PYTHONUNBUFFERED"] = "1"  # its log lines as they happen (a test acts on them mid-run)
    command = zhnews_command("run", "--seeds", str(seeds), "--warehouse", str(warehouse), *extra)
    return subprocess.Popen(
        command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(process: subprocess.Popen[str]) -> str:
    """Wait for a run; its output, after checking it completed."""
    output, _ = process.communicate(timeout=RUN_TIMEOUT)
    assert process.returncode == 0, output[-4000:]
    return output


@pytest.fixture(scope="module")
def threads_tables(corpus: Path, cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Tables:
    """What the default thread runner makes of the corpus."""
    warehouse = tmp_path_factory.mktemp("threads") / "wh"
    finish(zhnews_run(corpus, warehouse, cluster.api_url, "--shard-size", SHARD_SIZE))
    return contract_tables(warehouse)


def dask_args(cluster: Cluster) -> list[str]:
    return ["--runner", "dask", "--dask-address", cluster.address, "--shard-size", SHARD_SIZE]


def test_the_cluster_gives_the_thread_runners_tables(
    corpus: Path, cluster: Cluster, threads_tables: Tables, tmp_path: Path
) -> None:
    output = finish(zhnews_run(corpus, tmp_path / "wh", cluster.api_url, *dask_args(cluster)))
    assert f"{CORPUS_DOCS} new" in output
    assert threads_tables["doc_pairs"]  # planted pairs were found
    # the teasers the generator plants relabel documents of many parts: rebuilt by both workers
    assert "corpus-count: 1 jobs submitted" in output
    assert "corpus-rebuild: 2 jobs submitted" in output
    assert contract_tables(tmp_path / "wh") == threads_tables


def test_a_hanging_document_is_stopped_and_the_cluster_serves_on(
    corpus: Path, cluster: Cluster, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(corpus, seeds)
    (seeds / "huge.txt").write_text(SLOW_TEXT)
    limit = ["--max-doc-seconds", str(SHORT_LIMIT)]
    finish(zhnews_run(seeds, tmp_path / "wh", cluster.api_url, *dask_args(cluster), *limit))
    con = duckdb.connect(str(tmp_path / "wh" / "catalog.duckdb"), read_only=True)
    try:
        rejected = con.execute("select doc_id, reason from rejected_files").fetchall()
        documents = con.execute("select count(*) from documents").fetchone()
    finally:
        con.close()
    assert rejected == [("huge.txt", "time_limit")]
    assert documents == (CORPUS_DOCS,)
    assert cluster.worker_count() == 2


def test_a_worker_killed_during_the_shards_still_ends_in_a_correct_run(
    corpus: Path, cluster: Cluster, threads_tables: Tables, tmp_path: Path
) -> None:
    run = zhnews_run(corpus, tmp_path / "wh", cluster.api_url, *dask_args(cluster))
    assert run.stdout is not None
    killed_at = None
    for line in run.stdout:  # the flow's first progress line comes when its first shard is done
        if "progress:" in line:
            os.killpg(cluster.workers[0].pid, signal.SIGKILL)  # the worker and its nanny
            killed_at = line
            break
    rest = run.stdout.read()  # the rest (communicate would skip what the line reads buffered)
    assert run.wait(RUN_TIMEOUT) == 0, rest[-4000:]
    assert killed_at is not None and f"{CORPUS_DOCS}/{CORPUS_DOCS} files" not in killed_at, killed_at
    assert "completed" in rest
    assert contract_tables(tmp_path / "wh") == threads_tables
    # the cluster gets its second worker back for whatever runs next
    cluster.replace_worker(0, "worker0-again")


@pytest.fixture(scope="module")
def reposts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five seeds saved again and again by other sites (a changed first line each): thousands of
    candidate pairs, so that the candidate search and verification are spread over both workers as
    match-* tasks."""
    seeds = tmp_path_factory.mktemp("reposts") / "seeds"
    seeds.mkdir()
    for source in sorted((PROJECT / "seeds").iterdir()):
        text = source.read_bytes()
        for n in range(REPOSTS):
            (seeds / f"{source.stem}-{n:02d}.txt").write_bytes(f"转载自第{n}号网站\n".encode() + text)
    return seeds


@pytest.mark.parametrize("stage", ["match-buckets", "match-verify"])
def test_a_worker_killed_during_the_match_step_still_ends_in_a_correct_run(
    reposts: Path, cluster: Cluster, tmp_path: Path, stage: str
) -> None:
    finish(zhnews_run(reposts, tmp_path / "threads", cluster.api_url))
    expected = contract_tables(tmp_path / "threads")
    assert len(expected["doc_pairs"]) >= 2 * 1000  # two match-verify slices at least
    cluster.wait_for_workers(2)
    run = zhnews_run(reposts, tmp_path / "dask", cluster.api_url, *dask_args(cluster))
    assert run.stdout is not None
    killed_at = None
    for line in run.stdout:  # the stage's jobs out to the workers (candidate search or verification)
        if f"{stage}: " in line and "jobs submitted" in line:
            os.killpg(cluster.workers[1].pid, signal.SIGKILL)
            killed_at = line
            break
    rest = run.stdout.read()
    assert run.wait(RUN_TIMEOUT) == 0, rest[-4000:]
    assert killed_at is not None and "match-events" in rest and "completed" in rest
    assert contract_tables(tmp_path / "dask") == expected
    cluster.replace_worker(1, f"worker1-after-{stage}")
