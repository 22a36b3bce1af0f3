"""Hostile input: every regular file ends in exactly one of documents or rejected_files; the run exits 0."""

from __future__ import annotations

import codecs
import functools
import hashlib
import multiprocessing
import os
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import duckdb
import psutil
import pytest
from reliability_support import (  # noqa: F401
    cli_env,
    hostile_batch,
    pid_batch,
    prefect_api_fixture,
    run_zhnews,
)

from flows.scan import SeedFile, scan, seed_files
from flows.shard import (
    FileOutcome,
    Limits,
    ShardJob,
    document_rows,
    outcome_records,
    process_shard,
    read_stable,
)
from flows.watchdog import (
    BatchError,
    TimedOut,
    prestart,
    run_batch,
    run_isolated,
    stop_forkserver,
    stop_idle_children,
)

ZH = (
    "国务院新闻办公室今天举行发布会，介绍今年前三季度国民经济运行情况。"
    "国家统计局新闻发言人表示，前三季度经济运行总体平稳，就业形势保持稳定。"
)
TW = (
    "國務院新聞辦公室今天舉行發佈會，介紹今年前三季度國民經濟運行情況。"
    "國家統計局新聞發言人表示，前三季度經濟運行總體平穩，就業形勢保持穩定。"
)
ARTICLE = "\n".join([ZH] * 6) + "\n"
FIVE_MB = 5 * 1024 * 1024
# ~18 MB of short lines (under the 20 MB file limit): cleaning alone, which the deadline covers,
# takes ~1.2 s here (one 12 MB paragraph took only 0.2 s once the line rules got faster), four
# times SHORT_LIMIT, while a normal page takes a few milliseconds, far under it.
SLOW_TEXT = "\n".join([ZH] * 90_000)
SHORT_LIMIT = 0.3


def _one_line(size: int) -> bytes:
    """One line of `size` bytes without a newline: random CJK characters with Chinese punctuation.

    Random rather than one sentence repeated: a repeated sentence makes 50,000 identical passages,
    which tests the matching step's worst case (reported to the lead), not the single-line handling.
    """
    rng = random.Random(5)
    chars = rng.choices([chr(c) for c in range(0x4E00, 0x9FA6)], k=size // 3)
    for i in range(19, len(chars), 20):
        chars[i] = "，" if i % 60 else "。"
    return "".join(chars).encode()[:size]


def _broken_utf8() -> bytes:
    """A page with two stray bytes and one character cut in half, as a bad copy leaves it."""
    good = ARTICLE.encode()
    return good[:301] + b"\xff\xfe" + good[301:]


def _nul_bytes() -> bytes:
    """Text with NULs a broken save scattered between lines."""
    return ARTICLE.encode().replace(b"\n", b"\n\x00", 3)


def _chrome_only() -> bytes:
    """A saved page of nothing but navigation and footer."""
    links = "".join(f'<li><a href="/channel/{i}">频道{i}</a></li>' for i in range(40))
    return (
        f"<html><head><title>新闻网</title></head><body><nav><ul>{links}</ul></nav>"
        '<div class="footer">版权所有 © 2024 新闻网 京ICP备12345678号</div></body></html>'
    ).encode()


@dataclass(frozen=True)
class Case:
    """One hostile file: where it lives, its bytes, and where it must end up."""

    doc_id: str
    content: Callable[[], bytes]
    table: str  # documents | rejected_files
    expected: str  # the encoding of a document, or the reason of a rejection


CASES = [
    Case("empty.txt", lambda: b"", "rejected_files", "empty_file"),
    Case("random.txt", lambda: random.Random(8).randbytes(4096), "rejected_files", "undecodable"),
    Case(
        "picture.txt",
        lambda: b"\x89PNG\r\n\x1a\n" + random.Random(9).randbytes(2000),
        "rejected_files",
        "binary_content",
    ),
    Case("one_line.txt", lambda: _one_line(FIVE_MB), "documents", "utf-8"),
    Case("nul_bytes.txt", _nul_bytes, "documents", "utf-8"),
    Case("broken_utf8.txt", _broken_utf8, "documents", "utf-8"),
    Case("utf16.txt", lambda: codecs.BOM_UTF16_LE + ARTICLE.encode("utf-16-le"), "documents", "utf-16"),
    Case("gb18030.txt", lambda: ARTICLE.encode("gb18030"), "documents", "gb18030"),
    Case("big5.txt", lambda: "\n".join([TW] * 6).encode("big5"), "documents", "big5"),
    Case(
        "no_body.html",
        lambda: "<html><head><title>国家统计局发布数据</title></head></html>".encode(),
        "rejected_files",
        "no_article_text",
    ),
    Case("chrome.html", _chrome_only, "rejected_files", "no_article_text"),
    Case("新闻 报道 📰 2024.txt", ARTICLE.encode, "documents", "utf-8"),
    Case("a/b/c/深层 folder/page.txt", ARTICLE.encode, "documents", "utf-8"),
]
CHANGING = "changing.txt"  # rewritten over and over while the run reads the folder
OUTSIDE_LINK = "link_to_outside.txt"  # a symlink to a file outside the seeds folder


def write_cases(root: Path) -> None:
    """The seeds folder: every case, a symlink out of the folder, and the file that will change."""
    for case in CASES:
        path = root / case.doc_id
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.content())
    outside = root.parent / "outside" / "secret.txt"
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_text(ARTICLE)
    (root / OUTSIDE_LINK).symlink_to(outside)
    (root / CHANGING).write_text(ARTICLE)


def changing_versions() -> Iterator[bytes]:
    """Successive contents of the changing file: same article, growing, so each write differs."""
    n = 0
    while True:
        n += 1
        yield (ARTICLE + f"更新 {n}\n" * (n % 50)).encode()


@dataclass(frozen=True)
class RunResult:
    returncode: int
    stderr: str
    documents: dict[str, dict[str, Any]]
    rejected: dict[str, list[dict[str, Any]]]
    written: set[str]  # sha256 of every content the changing file had


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory, prefect_api: str) -> RunResult:
    """One `zhnews run` over the hostile folder while another thread keeps rewriting one file."""
    base = tmp_path_factory.mktemp("hostile")
    seeds = base / "seeds"
    seeds.mkdir()
    write_cases(seeds)
    written = {hashlib.sha256((seeds / CHANGING).read_bytes()).hexdigest()}
    stop = threading.Event()

    def rewrite() -> None:
        for content in changing_versions():
            if stop.is_set():
                return
            written.add(hashlib.sha256(content).hexdigest())
            with (seeds / CHANGING).open("r+b") as handle:  # in place, as an editor saving over it
                handle.write(content)
                handle.truncate()
            stop.wait(0.002)

    writer = threading.Thread(target=rewrite, daemon=True)
    writer.start()
    try:
        env = cli_env(base / "prefect-home", prefect_api)
        done = run_zhnews(["run", "--seeds", str(seeds), "--warehouse", str(base / "wh")], env)
    finally:
        stop.set()
        writer.join()
    con = duckdb.connect(str(base / "wh" / "catalog.duckdb"), read_only=True)
    try:
        documents = {
            r["doc_id"]: r for r in _rows(con, "select doc_id, encoding, content_sha256 from documents")
        }
        rejected: dict[str, list[dict[str, Any]]] = {}
        for row in _rows(con, "select doc_id, reason, detail, content_sha256 from rejected_files"):
            rejected.setdefault(row["doc_id"], []).append(row)
    finally:
        con.close()
    return RunResult(done.returncode, done.stderr, documents, rejected, written)


def test_run_exits_zero(hostile_run: RunResult) -> None:
    assert hostile_run.returncode == 0, hostile_run.stderr[-3000:]


def test_every_file_in_exactly_one_table(hostile_run: RunResult) -> None:
    expected = {c.doc_id for c in CASES} | {CHANGING, OUTSIDE_LINK}
    both = set(hostile_run.documents) & set(hostile_run.rejected)
    assert both == set()
    assert set(hostile_run.documents) | set(hostile_run.rejected) == expected
    assert all(len(rows) == 1 for rows in hostile_run.rejected.values())


@pytest.mark.parametrize("case", CASES, ids=[c.doc_id for c in CASES])
def test_hostile_file(hostile_run: RunResult, case: Case) -> None:
    if case.table == "documents":
        assert hostile_run.documents[case.doc_id]["encoding"] == case.expected
    else:
        assert [r["reason"] for r in hostile_run.rejected[case.doc_id]] == [case.expected]


def test_symlink_outside_seeds_refused(hostile_run: RunResult) -> None:
    assert [r["reason"] for r in hostile_run.rejected[OUTSIDE_LINK]] == ["symlink_outside_seeds"]


def test_file_changing_during_the_run_is_stored_whole(hostile_run: RunResult) -> None:
    """Stored only as one complete content it really had, or rejected as changing."""
    if CHANGING in hostile_run.documents:
        assert hostile_run.documents[CHANGING]["content_sha256"] in hostile_run.written
    else:
        assert [r["reason"] for r in hostile_run.rejected[CHANGING]] == ["changed_during_read"]


# Deterministic versions of a file changing under the run, and the per-file limits.


def _seeds(root: Path) -> list[SeedFile]:
    plan = scan(root)
    return seed_files(plan.to_process, plan.root)


def _one(root: Path, doc_id: str) -> Any:
    return next(s for s in _seeds(root) if s.doc_id == doc_id)


JOB = ShardJob("run", Limits())


def test_file_rewritten_after_the_scan_is_read_as_it_is_now(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE)
    seed = _one(tmp_path, "a.txt")
    newer = (ARTICLE + ZH + "\n").encode()
    (tmp_path / "a.txt").write_bytes(newer)
    outcome, rows = document_rows(seed, JOB)
    assert rows is not None
    assert (outcome.sha256, outcome.size) == (hashlib.sha256(newer).hexdigest(), len(newer))
    assert rows["documents_base"].column("content_sha256").to_pylist() == [outcome.sha256]


def test_file_deleted_after_the_scan_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE)
    seed = _one(tmp_path, "a.txt")
    (tmp_path / "a.txt").unlink()
    outcome, rows = document_rows(seed, JOB)
    assert (outcome.reason, rows) == ("unreadable", None)


def test_file_emptied_after_the_scan_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE)
    seed = _one(tmp_path, "a.txt")
    (tmp_path / "a.txt").write_bytes(b"")
    outcome, rows = document_rows(seed, JOB)
    assert (outcome.reason, rows) == ("empty_file", None)


class _WriterDuringRead:
    """A file handle whose read() lets another writer append first: a save racing our read."""

    def __init__(self, handle: IO[bytes], path: Path, appends: list[int]) -> None:
        self._handle, self._path, self._appends = handle, path, appends

    def __enter__(self) -> _WriterDuringRead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def fileno(self) -> int:
        return self._handle.fileno()

    def read(self, size: int = -1) -> bytes:
        if self._appends:
            self._appends.pop()
            with self._path.open("ab") as other:
                other.write(f"追加{len(self._appends)}\n".encode())
        return self._handle.read(size)


@pytest.mark.parametrize(
    ("racing_reads", "expected"),
    [(0, None), (1, None), (2, None), (3, "changed_during_read"), (9, "changed_during_read")],
)
def test_read_retries_while_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, racing_reads: int, expected: str | None
) -> None:
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE)
    appends = [1] * racing_reads
    real_open = Path.open

    def racing_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(self, mode, *args, **kwargs)
        return _WriterDuringRead(handle, self, appends) if self == path and mode == "rb" else handle

    monkeypatch.setattr(Path, "open", racing_open)
    read = read_stable(path, 1 << 20)
    reason = getattr(read, "reason", None)
    assert reason == expected
    if expected is None:
        assert isinstance(read, tuple)
        assert read[0] == path.read_bytes()


def _shard(root: Path, limits: Limits) -> dict[str, FileOutcome]:
    result = process_shard(_seeds(root), "p", root.parent / "staging", "run", limits)
    return {o.doc_id: o for o in outcome_records(result.read_outcomes())}


def test_file_over_the_size_limit_is_rejected(tmp_path: Path) -> None:
    root = tmp_path / "seeds"
    root.mkdir()
    (root / "small.txt").write_text(ARTICLE)
    (root / "large.txt").write_text(ARTICLE * 20)
    outcomes = _shard(root, Limits(max_file_bytes=len(ARTICLE.encode()) * 2))
    assert (outcomes["small.txt"].reason, outcomes["large.txt"].reason) == (None, "too_large")


def test_document_over_the_time_limit_is_stopped_and_the_shard_goes_on(tmp_path: Path) -> None:
    """The cap interrupts the work (it does not wait for it) and a fresh worker takes the next file."""
    root = tmp_path / "seeds"
    root.mkdir()
    (root / "a_slow.txt").write_text(SLOW_TEXT)
    (root / "b_fast.txt").write_text(ARTICLE)
    outcomes = _shard(root, Limits(max_doc_seconds=SHORT_LIMIT))
    slow = outcomes["a_slow.txt"]
    assert (slow.reason, outcomes["b_fast.txt"].reason) == ("time_limit", None)
    assert slow.detail is not None and "stopped after 0." in slow.detail
    assert f"over the {SHORT_LIMIT:g} s limit" in slow.detail


@pytest.mark.usefixtures("prefect_harness")
def test_time_limit_through_the_flow(seeds_dir: Path, warehouse_dir: Path) -> None:
    """--max-doc-seconds reaches the shards: the huge file is rejected, the seeds are documents."""
    from flows.process import process_seeds

    (seeds_dir / "huge.txt").write_text(SLOW_TEXT)
    summary = process_seeds(str(seeds_dir), str(warehouse_dir), max_doc_seconds=SHORT_LIMIT)
    con = duckdb.connect(str(warehouse_dir / "catalog.duckdb"), read_only=True)
    try:
        rejected = con.execute("select doc_id, reason from rejected_files").fetchall()
        documents = con.execute("select count(*) from documents").fetchall()
    finally:
        con.close()
    assert rejected == [("huge.txt", "time_limit")]
    assert documents == [(len(os.listdir(seeds_dir)) - 1,)]
    assert summary.files_rejected == 1


@pytest.mark.parametrize(
    ("items", "result", "failures"),
    [
        (["ok"], ["OK"], {}),
        (["die", "ok"], ["OK"], {0: "Crashed"}),
        (["ok", "hang", "ok"], ["OK", "OK"], {1: "TimedOut"}),
        (["hang", "die", "ok"], ["OK"], {0: "TimedOut", 1: "Crashed"}),
        # many items within one look of the parent: the one it blames is still the one that hung
        (["ok"] * 500 + ["hang", "ok"], ["OK"] * 501, {500: "TimedOut"}),
        (["ok"] * 500 + ["die", "ok"], ["OK"] * 501, {500: "Crashed"}),
    ],
)
def test_batch_survives_items_that_hang_or_kill_the_worker(
    items: list[str], result: list[str], failures: dict[int, str]
) -> None:
    """An item that hangs or kills its process is reported; the batch is redone without it."""
    outcome = run_batch(hostile_batch, items, None, 2.0)
    assert outcome.result == result
    assert {k: type(v).__name__ for k, v in outcome.failures.items()} == failures


def test_batch_error_outside_items_fails_the_batch() -> None:
    """An exception the batch does not handle per item fails it as a whole (the task may retry)."""
    with pytest.raises(BatchError, match="ValueError: bad item"):
        run_batch(hostile_batch, ["ok", "raise"], None, 2.0)


@pytest.fixture(name="kept_children")
def kept_children_fixture() -> Iterator[None]:
    """A fresh forkserver that keeps children, as the flow's prestart does; stopped afterwards, so no
    later test inherits its children or its empty preload."""
    stop_forkserver()
    prestart(())
    yield
    stop_forkserver()


@pytest.mark.usefixtures("kept_children")
def test_consecutive_batches_share_one_child() -> None:
    """A child that finished a batch serves the next one: no new start and no cold heap per shard."""
    first = run_batch(pid_batch, ["a"], None, 2.0).result
    second = run_batch(pid_batch, ["b"], None, 2.0).result
    assert first[1:] == ["A"] and second[1:] == ["B"]
    assert first[0] == second[0] != os.getpid()


@pytest.mark.usefixtures("kept_children")
def test_a_child_that_overran_or_raised_is_replaced_or_kept() -> None:
    """A killed child is not reused; one whose batch raised is (it is still healthy)."""
    before = run_batch(pid_batch, ["a"], None, 2.0).result[0]
    with pytest.raises(BatchError):
        run_batch(pid_batch, ["raise"], None, 2.0)
    after_error = run_batch(pid_batch, ["a"], None, 2.0).result[0]
    outcome = run_batch(pid_batch, ["hang", "a"], None, 0.5)
    assert outcome.result[1:] == ["A"] and list(outcome.failures) == [0]
    assert after_error == before
    assert outcome.result[0] != before
    assert not psutil.pid_exists(before)


def test_a_child_ends_after_its_share_of_batches() -> None:
    stop_forkserver()
    prestart((), batches_per_child=2)
    try:
        pids = [run_batch(pid_batch, ["a"], None, 2.0).result[0] for _ in range(3)]
    finally:
        stop_forkserver()
    assert pids[0] == pids[1] != pids[2]
    assert not psutil.pid_exists(pids[0])


@pytest.mark.usefixtures("kept_children")
def test_a_child_killed_while_idle_is_replaced() -> None:
    """Something outside killed the idle child (the OOM killer): the next batch still runs."""
    first = run_batch(pid_batch, ["a"], None, 2.0).result[0]
    psutil.Process(first).kill()
    psutil.Process(first).wait(5)
    second = run_batch(pid_batch, ["b"], None, 2.0).result
    assert second[1:] == ["B"] and second[0] != first


@pytest.mark.usefixtures("kept_children")
def test_stopping_the_forkserver_stops_the_idle_children() -> None:
    """The match step, a run's peak, gets the memory the children held; later batches keep none."""
    child = run_batch(pid_batch, ["a"], None, 2.0).result[0]
    assert psutil.pid_exists(child)
    stop_forkserver()
    assert not psutil.pid_exists(child)
    after = run_batch(pid_batch, ["a"], None, 2.0).result[0]
    assert after != child and not psutil.pid_exists(after)


def _pid_and(value: str) -> tuple[int, str]:
    """An isolated job: which process ran it, and a value (or the child dies on "die")."""
    if value == "die":
        os._exit(3)
    return os.getpid(), value


@pytest.mark.usefixtures("kept_children")
def test_isolated_jobs_run_in_one_kept_child_that_stopping_idle_children_ends() -> None:
    """The corpus step's rebuilds run in a child, one after another in the same one; once the shards'
    idle children are stopped, the forkserver still forks the rebuilds' child and keeps it."""
    shard_child = run_batch(pid_batch, ["a"], None, 2.0).result[0]
    stop_idle_children()
    assert not psutil.pid_exists(shard_child)
    first, second = (
        run_isolated(functools.partial(_pid_and, "x")),
        run_isolated(functools.partial(_pid_and, "y")),
    )
    assert (first[1], second[1]) == ("x", "y")
    assert first[0] == second[0] not in (os.getpid(), shard_child)
    stop_forkserver()
    assert not psutil.pid_exists(first[0])


@pytest.mark.usefixtures("kept_children")
def test_an_isolated_job_whose_child_dies_fails_and_the_next_one_runs() -> None:
    """A child killed under a job (out of memory) fails the job, so its task retries it."""
    with pytest.raises(BatchError, match="the job's child failed: Crashed"):
        run_isolated(functools.partial(_pid_and, "die"))
    assert run_isolated(functools.partial(_pid_and, "z"))[1] == "z"


def test_without_prestart_a_child_serves_one_batch() -> None:
    """A process that did not prestart the forkserver (a process pool's worker) would not stop
    idle children before the match step: it keeps none."""
    stop_forkserver()
    first = run_batch(pid_batch, ["a"], None, 2.0).result[0]
    second = run_batch(pid_batch, ["b"], None, 2.0).result[0]
    assert first != second
    assert not psutil.pid_exists(first) and not psutil.pid_exists(second)


def _batch_in_a_daemon(queue: multiprocessing.Queue[object]) -> None:
    """run_batch from inside a daemonic process, its outcome (or error) put on the queue."""
    try:
        outcome = run_batch(hostile_batch, ["ok", "hang", "ok"], None, 0.5)
        queue.put((outcome.result, {k: type(v).__name__ for k, v in outcome.failures.items()}))
    except Exception as error:
        queue.put(repr(error))


def test_the_time_limit_interrupts_in_a_daemonic_process() -> None:
    """Dask's nanny starts its workers daemonic: the watchdog's child still runs there, so a hanging
    item is stopped (not waited for) and the batch goes on (issue 20)."""
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[object] = context.Queue()
    daemon = context.Process(target=_batch_in_a_daemon, args=(queue,), daemon=True)
    daemon.start()
    try:
        answer = queue.get(timeout=120)
    finally:
        daemon.join(10)
    assert answer == (["OK", "OK"], {1: "TimedOut"})


def test_the_time_limit_interrupts_on_a_dask_worker() -> None:
    """The same on a real Dask worker process (a LocalCluster with its nanny), which keeps serving."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        daemonic = client.submit(lambda: multiprocessing.current_process().daemon).result(timeout=60)
        future = client.submit(run_batch, hostile_batch, ["ok", "hang", "ok"], None, 0.5, pure=False)
        outcome = future.result(timeout=120)
        after = client.submit(run_batch, hostile_batch, ["ok"], None, 5.0, pure=False).result(timeout=60)
    assert daemonic is True
    assert (outcome.result, list(outcome.failures)) == (["OK", "OK"], [1])
    assert isinstance(outcome.failures[1], TimedOut)
    assert after.result == ["OK"]


def test_scan_refuses_what_is_not_a_regular_file_inside_the_folder(tmp_path: Path) -> None:
    """A FIFO would block a reader for ever; links out of the folder or to folders are not followed."""
    root = tmp_path / "seeds"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "page.txt").write_text(ARTICLE)
    os.mkfifo(root / "pipe.txt")
    (root / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    (root / "linked_dir").symlink_to(tmp_path)
    (root / "inside_link.txt").symlink_to(root / "sub" / "page.txt")
    plan = scan(root)
    assert sorted((r.doc_id, r.reason) for r in plan.refused) == [
        ("dangling.txt", "broken_symlink"),
        ("linked_dir", "symlink_outside_seeds"),
        ("pipe.txt", "not_a_regular_file"),
    ]
    assert plan.to_process.column("doc_id").to_pylist() == ["inside_link.txt", "sub/page.txt"]
