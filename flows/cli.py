"""The `zhnews` command line: run, query, serve, clean, export, status, report."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from flows.apiserver import TemporaryServer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_KEY = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
# Prefect settings `zhnews run` sets unless the user did:
# - the temporary API server takes 7-14 s to start here and more on a loaded machine; Prefect's
#   default startup timeout is too tight for a shared 2-core box;
# - without analytics off the server tries to send telemetry (an error in the log offline).
PREFECT_DEFAULTS = {STARTUP_TIMEOUT_KEY: "90", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
EXIT_BUSY = 75  # EX_TEMPFAIL: another run holds the warehouse; try again later
EXIT_INTERRUPTED = 130  # the shell's code for a command ended by SIGINT


def _default(path: str) -> Path:
    """Defaults are the project's seeds/ and warehouse/, from any working directory."""
    return PROJECT_ROOT / path


ENVIRONMENT_HELP = """environment:
  ZHNEWS_RUNNER         threads | processes | dask (the default of --runner)
  ZHNEWS_WORKERS        worker threads or processes (the default of --workers)
  ZHNEWS_DASK_ADDRESS   a Dask scheduler, tcp://host:port (the default of --dask-address)
  ZHNEWS_API_HOST       the address of run's temporary Prefect server (the default of --api-host)
  ZHNEWS_DEV_PAGES      third-party dev pages for `make test-pages` and the benchmarks
  PREFECT_API_URL       a Prefect server to report to (else run starts a temporary one)
"""
SEEDS_HELP = "folder of seed files, read recursively (default: %(default)s)"
WAREHOUSE_HELP = "folder of the Parquet tables and catalog.duckdb (default: %(default)s)"


def _version() -> str:
    """The package version and the rules version (the digest of the code that cleans documents)."""
    from importlib.metadata import PackageNotFoundError, version

    from flows.runners import code_version

    try:
        package = version("zhnews")
    except PackageNotFoundError:
        package = "unknown"
    return f"zhnews {package} (rules {code_version()})"


class _VersionAction(argparse.Action):
    """--version, computed only when asked (the rules digest reads the source)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(_version())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zhnews",
        description="Chinese news pages saved from the web, turned into a clean, deduplicated corpus "
        "you query with SQL.",
        epilog=ENVIRONMENT_HELP
        + '\nexample: zhnews run && zhnews query "select doc_id, title from documents"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="print versions and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    raw = argparse.RawDescriptionHelpFormatter

    run = sub.add_parser(
        "run",
        help="process new and changed seed files, retire deleted ones",
        description="One run: files new or changed since the last run (and files older rules read) are "
        "cleaned, deleted ones leave every table, lines repeated across the corpus are judged again, "
        "reports are matched into events, and the new state is committed in one step. Exit 0 when the "
        "run completed (rejected files included), 75 when another run holds the warehouse.",
        epilog=ENVIRONMENT_HELP + "\nexamples:\n  zhnews run\n  zhnews run --seeds /data/seeds "
        "--warehouse /data/wh --wait 600",
        formatter_class=raw,
    )
    run.add_argument("--seeds", type=Path, default=_default("seeds"), help=SEEDS_HELP)
    run.add_argument("--warehouse", type=Path, default=_default("warehouse"), help=WAREHOUSE_HELP)
    run.add_argument(
        "--shard-size",
        type=int,
        default=None,
        help="most files per shard task (default: 1000; a smaller run is cut so every worker has two)",
    )
    run.add_argument(
        "--max-file-bytes", type=int, default=None, help="larger files are rejected (default: 20 MB)"
    )
    run.add_argument(
        "--max-doc-seconds", type=float, default=None, help="per-document time limit (default: 60)"
    )
    run.add_argument(
        "--wait", type=float, default=0.0, help="seconds to wait for a running run (default: 0, fail at once)"
    )
    run.add_argument(
        "--keep-stale",
        action="store_true",
        help="leave files that older rules processed as they are (default: read them again)",
    )
    _add_runner_options(run)
    run.add_argument(
        "--api-host",
        default=os.environ.get("ZHNEWS_API_HOST"),
        help="address for the run's temporary Prefect server when Dask workers on other machines report "
        "to it, e.g. this machine's LAN address ($ZHNEWS_API_HOST; default: 127.0.0.1)",
    )

    query = sub.add_parser(
        "query",
        help="run SQL against the warehouse (read-only)",
        description="Run SQL against the last complete run. Only statements that read run (SELECT, "
        "WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); rows are printed as they are fetched.",
        epilog='examples:\n  zhnews query "select doc_id, title, published_date from documents"\n'
        '  zhnews query --format jsonl "select * from doc_pairs" > pairs.jsonl\n'
        '  zhnews query "describe lines"',
        formatter_class=raw,
    )
    query.add_argument("sql", help="the SQL to run; tables: documents, lines, side_texts, passages, ...")
    query.add_argument("--warehouse", type=Path, default=_default("warehouse"), help=WAREHOUSE_HELP)
    query.add_argument(
        "--format",
        choices=["table", "csv", "json", "jsonl"],
        default="table",
        help="output format (default: %(default)s)",
    )

    serve = sub.add_parser(
        "serve",
        help="serve the flow as a Prefect deployment on a schedule",
        description="Serve process_seeds/zhnews-scheduled; each scheduled run picks up what changed in "
        "the seeds folder. Without PREFECT_API_URL a local Prefect server (and its UI) is started.",
        epilog=ENVIRONMENT_HELP + '\nexample: zhnews serve --cron "*/15 * * * *"',
        formatter_class=raw,
    )
    serve.add_argument("--cron", default="0 * * * *", help="the schedule, cron syntax (default: hourly)")
    serve.add_argument("--seeds", type=Path, default=_default("seeds"), help=SEEDS_HELP)
    serve.add_argument("--warehouse", type=Path, default=_default("warehouse"), help=WAREHOUSE_HELP)
    _add_runner_options(serve)

    status = sub.add_parser(
        "status",
        help="the last run, the rules version, stale files and who holds the lock",
        epilog="example: zhnews status --warehouse /data/wh",
        formatter_class=raw,
    )
    status.add_argument("--warehouse", type=Path, default=_default("warehouse"), help=WAREHOUSE_HELP)

    export = sub.add_parser(
        "export",
        help="write the documents as JSONL or Parquet shards with a dataset card",
        description="Write one record per document (doc_id order) under OUT/data/ and a dataset card "
        "OUT/README.md; DuckDB and Hugging Face datasets load it as it is. An export of an unchanged "
        "warehouse is identical byte for byte.",
        epilog="example: zhnews export --out corpus-export --format parquet --canonical-only",
    )
    export.add_argument("--out", type=Path, required=True, help="the export folder (replaced whole)")
    export.add_argument("--warehouse", type=Path, default=_default("warehouse"), help="default: %(default)s")
    export.add_argument(
        "--format", choices=["jsonl", "parquet"], default="jsonl", help="default: %(default)s"
    )
    export.add_argument(
        "--canonical-only", action="store_true", help="one report per event: its most complete one"
    )

    report = sub.add_parser(
        "report",
        help="write the last run as a static HTML review site (opens from disk)",
        description="A review site of the last complete run: the run summary, a paged document list, a "
        "page per document (every input line with its label and rule, side texts, pinyin repairs) and a "
        "page per event with more than one report (the reports side by side, shared passages marked). "
        "Run again, it rewrites only the pages whose data changed. Pages run no script and load nothing.",
        epilog="example: zhnews report --warehouse /data/wh --out /data/review && "
        "xdg-open /data/review/index.html",
        formatter_class=raw,
    )
    report.add_argument("--warehouse", type=Path, default=_default("warehouse"), help=WAREHOUSE_HELP)
    report.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the site's folder: new, empty or an earlier report's (default: WAREHOUSE/review)",
    )

    clean = sub.add_parser(
        "clean",
        help="show what the pipeline makes of one file",
        description="Every line of one file with its label and the rule that decided it, the metadata "
        "and the clean text, without touching the warehouse (lines repeated across a corpus are judged "
        "only in a run).",
        epilog="example: zhnews clean seeds/002_99c907c693dd63b5.txt",
        formatter_class=raw,
    )
    clean.add_argument("file", type=Path, help="a seed file (text or HTML, any supported encoding)")
    return parser


def _add_runner_options(parser: argparse.ArgumentParser) -> None:
    """Runner options; unset ones fall back to ZHNEWS_RUNNER, ZHNEWS_DASK_ADDRESS, ZHNEWS_WORKERS."""
    parser.add_argument(
        "--runner",
        choices=["threads", "processes", "dask"],
        default=None,
        help="where shards run (default: $ZHNEWS_RUNNER, else threads, each shard in a child process)",
    )
    parser.add_argument(
        "--dask-address",
        default=None,
        help="an existing Dask scheduler, tcp://host:port ($ZHNEWS_DASK_ADDRESS)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker threads or processes (default: $ZHNEWS_WORKERS, else cores)",
    )


def cmd_run(args: argparse.Namespace) -> int:
    """Start Prefect's temporary server first (when no API is configured), then import and run."""
    if not args.seeds.is_dir():
        print(f"zhnews: seeds folder {args.seeds} does not exist", file=sys.stderr)
        return 2
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    from flows.apiserver import ServerStartError, start_if_wanted

    server = start_if_wanted(host=args.api_host)  # the server's imports overlap ours from here on
    try:
        if server is not None:  # inside the try: a Ctrl-C as soon as the line is out stops the server
            _announce(server)
        return _run(args, server)
    except ServerStartError as error:
        print(f"zhnews: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("zhnews: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if server is not None:
            server.stop()


def _announce(server: TemporaryServer) -> None:
    print(
        f"zhnews: starting a temporary Prefect server on {server.api_url} (pid {server.pid})", file=sys.stderr
    )


def _run(args: argparse.Namespace, server: TemporaryServer | None) -> int:
    from warehouse.store import Warehouse, WarehouseBusyError

    store = Warehouse(args.warehouse)
    try:  # answer at once, before the flow, when another run holds the lock
        with store.lock(args.wait):
            pass
    except WarehouseBusyError as error:
        print(f"zhnews: {error}", file=sys.stderr)
        return EXIT_BUSY
    from flows.runners import (
        RunnerChoiceError,
        api_reachability_problem,
        choose_runner,
        make_task_runner,
        shared_api,
        uses_worker_processes,
    )

    try:
        choice = choose_runner(args.runner, args.dask_address, args.workers, os.environ)
    except RunnerChoiceError as error:
        print(f"zhnews: {error}", file=sys.stderr)
        return 2
    problem = api_reachability_problem(choice, server.api_url if server else _configured_api_url())
    if problem:
        print(f"zhnews: {problem}", file=sys.stderr)
        return 2
    if not uses_worker_processes(choice):
        from flows.shard import prestart_shard_workers

        # the shards' forkserver imports and warms the shard code while this process imports Prefect
        # (~1 s); the flow's own prestart then finds it running. Measured: the one new file's shard
        # otherwise waited for it (a one-new-file run's shard took 0.4-0.7 s instead of ~0.2 s).
        prestart_shard_workers()
    from flows.process import process_seeds  # after the check: its default runner reads ZHNEWS_*

    options: dict[str, Any] = {"wait_seconds": args.wait, "keep_stale": args.keep_stale}
    for name in ("shard_size", "max_file_bytes", "max_doc_seconds"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    try:
        with prefect_api(server), shared_api(choice):
            flow = process_seeds.with_options(task_runner=make_task_runner(choice))
            summary = flow(seeds=str(args.seeds), warehouse=str(args.warehouse), **options)
    except WarehouseBusyError as error:
        print(f"zhnews: {error}", file=sys.stderr)
        return EXIT_BUSY
    print("\n".join(summary.lines()))
    return 0


def _configured_api_url() -> str | None:
    """The Prefect API URL the settings give (environment, .env, profile, toml), if any."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


@contextlib.contextmanager
def prefect_api(server: TemporaryServer | None) -> Iterator[str | None]:
    """Point Prefect (this process and its workers) at our temporary server, if we started one.

    Prefect's own settings are read again here: an API URL configured where the early check does
    not look wins, and our server is stopped unused. Buffered logs and events are sent before the
    block ends, so nothing is lost when the server stops.
    """
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_SERVER_EPHEMERAL_ENABLED,
        PREFECT_UI_URL,
        temporary_settings,
    )

    if server is not None and (PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value()):
        server.stop()
        server = None
    if server is None:
        yield PREFECT_API_URL.value()
        return
    from prefect.context import refresh_global_settings_context

    from flows.runners import drain_prefect_workers, restore_env

    url = server.wait_ready(float(os.environ[STARTUP_TIMEOUT_KEY]))
    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url  # worker processes read it from the environment
    # Threads Prefect starts without a settings context (the process pool's message forwarder)
    # read the global settings, made at import: without a refresh they start a server of their own.
    refresh_global_settings_context()
    try:
        with temporary_settings(
            {
                PREFECT_API_URL: url,
                PREFECT_UI_URL: "",  # no link: the temporary server serves no UI and is gone after the run
                # Heartbeats let a lasting server's automations spot crashed runs; ours runs no
                # automations and stops with the run, and ending the heartbeat thread cost up to
                # 1 s (it sleeps in 1 s steps) after the flow's final state.
                PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
            }
        ):
            try:
                yield url
            finally:  # a failed run's logs too: at exit they would retry a stopped server for minutes
                drain_prefect_workers()
    finally:
        restore_env("PREFECT_API_URL", previous)
        refresh_global_settings_context()


def cmd_query(args: argparse.Namespace) -> int:
    """Check that every statement only reads, then stream the last one's rows."""
    import duckdb

    from flows.rows import BATCH_ROWS, WRITERS
    from warehouse.catalog import connect_read_only
    from warehouse.readonly import WriteRefusedError, reading_statements

    try:
        con = connect_read_only(args.warehouse)
    except (FileNotFoundError, duckdb.Error) as error:
        print(f"zhnews: {error}", file=sys.stderr)
        return 2
    try:
        statements = reading_statements(con, args.sql)
        for statement in statements[:-1]:
            con.execute(statement)
        cursor = con.execute(statements[-1])
        columns = [d[0] for d in cursor.description or []]
        batches = iter(lambda: cursor.fetchmany(BATCH_ROWS), [])
        WRITERS[args.format](columns, batches, sys.stdout)
    except WriteRefusedError as error:
        print(f"zhnews: refused, nothing was run: {error}", file=sys.stderr)
        return 1
    except duckdb.Error as error:
        print(f"zhnews: query failed: {error}", file=sys.stderr)
        return 1
    finally:
        con.close()
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from transforms.clean import clean_document
    from transforms.decode import Rejection, decode_bytes, sniff_format

    try:
        data = args.file.read_bytes()
    except OSError as error:
        print(f"zhnews: cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    decoded = decode_bytes(data)
    if isinstance(decoded, Rejection):
        print(f"rejected: {decoded.reason}: {decoded.detail}")
        return 1
    doc = clean_document(decoded.text, sniff_format(decoded.text))
    try:
        from transforms.report import format_report
    except ImportError:  # the report module arrives with the cleaning rules
        print(doc)
        return 0
    print(f"encoding: {decoded.encoding}")
    print(format_report(doc))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the export and say what it holds."""
    import duckdb

    from warehouse.export import export

    try:
        summary = export(args.warehouse, args.out, args.format, args.canonical_only)
    except (FileNotFoundError, duckdb.Error) as error:
        print(f"zhnews: {error}", file=sys.stderr)
        return 2
    print(
        f"{summary.records} records in {len(summary.shards)} shard(s) under {args.out} (run {summary.run_id})"
    )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the review site and say where it is."""
    import duckdb

    from flows.report import ReportFolderError, build_report, default_report_dir

    out = args.out if args.out is not None else default_report_dir(args.warehouse)
    try:
        done = build_report(args.warehouse, out)
    except (FileNotFoundError, ReportFolderError, duckdb.Error) as error:
        print(f"zhnews: {error}", file=sys.stderr)
        return 2
    print(
        f"report of run {done.run_id}: {done.documents} documents, {done.events} multi-report events; "
        f"{done.written} pages written, {done.unchanged} unchanged, {done.removed} removed"
    )
    print(f"open {done.index.resolve().as_uri()}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print the warehouse's state: last run, rules versions, stale files, lock holder."""
    from flows.runners import code_version
    from warehouse.status import warehouse_status

    for line in warehouse_status(args.warehouse, _version(), code_version()):
        print(line)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from flows.serve import serve

    return serve(
        cron=args.cron,
        seeds=args.seeds,
        warehouse=args.warehouse,
        runner=args.runner,
        dask_address=args.dask_address,
        workers=args.workers,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {
        "run": cmd_run,
        "query": cmd_query,
        "clean": cmd_clean,
        "serve": cmd_serve,
        "export": cmd_export,
        "status": cmd_status,
        "report": cmd_report,
    }
    return handlers[args.command](args)


def entry() -> NoReturn:
    """The `zhnews` command: main(), then an exit that skips the interpreter's teardown.

    Freeing every module of Prefect, PyArrow, DuckDB and the transforms' tables took 0.5-0.7 s after
    each `zhnews run` (a one-new-file run is ~4 s). Python joins non-daemon threads and runs the exit
    handlers (Prefect's log and event drains, logging's flush, multiprocessing's) before this one,
    registered first so it runs last; when main() raised, the exit is the usual one.
    """
    # `zhnews query … | head` ends quietly; only here, in the command's own process: set by main(), it
    # made a test process that called main() die silently on a later write to a closed pipe
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    code: list[int] = []
    atexit.register(exit_without_teardown, code)
    code.append(main())
    sys.exit(code[0])


def exit_without_teardown(code: list[int]) -> None:
    """Last exit handler: flush what is buffered and end the process with main()'s code, if it has one."""
    if not code:
        return
    if "logging" in sys.modules:  # imported before entry() registered this: its handler runs after
        import logging

        logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing left to flush to
            stream.flush()
    os._exit(code[0])


if __name__ == "__main__":
    entry()
