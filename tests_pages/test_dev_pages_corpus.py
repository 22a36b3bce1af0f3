"""The 62 gne dev pages as one collection (several pages per site): chrome found on the first run,
pages of one site linked only where their articles share text, and batches equal to one run."""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest

from benchmarks.devpages import DEV_PAGES
from flows.process import process_seeds
from transforms.repetition import is_fingerprinted, normalise_line

pytestmark = pytest.mark.usefixtures("prefect_harness")

PAGES = sorted((DEV_PAGES / "gne").glob("*.html"))
# The one pair of pages whose articles share text: thepaper_2 and thepaper_4 are the same article.
TRUE_PAIRS = {("thepaper_2.html", "thepaper_4.html", "duplicate")}
# A short line on this many pages of one site is that site's chrome (teasers, related links, notices).
SITE_REPEAT = 3


def site(doc_id: str) -> str:
    return doc_id.split("_")[0]


def run(seeds: Path, warehouse: Path) -> Any:
    return process_seeds(seeds=str(seeds), warehouse=str(warehouse))


def copy(names: list[Path], seeds: Path) -> None:
    seeds.mkdir(parents=True, exist_ok=True)
    for path in names:
        shutil.copyfile(path, seeds / path.name)


def rows(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True)
    try:
        return sorted(con.execute(sql).fetchall(), key=repr)
    finally:
        con.close()


TABLES = (
    "select doc_id, line_no, label, reason, page_label, page_reason from lines",
    "select doc_id, title, published_date, source_outlet, author, editor, text, flags from documents",
    "select * from doc_pairs",
    "select * from events",
    "select * from passages",
)


def tables(warehouse: Path) -> list[list[tuple[Any, ...]]]:
    return [rows(warehouse, sql) for sql in TABLES]


@pytest.fixture(scope="module")
def one_run(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Path:
    del prefect_harness
    root = tmp_path_factory.mktemp("dev-corpus")
    copy(PAGES, root / "seeds")
    run(root / "seeds", root / "wh")
    return root / "wh"


def test_pages_of_one_site_link_only_where_articles_share_text(one_run: Path) -> None:
    assert len(PAGES) == 62
    assert set(rows(one_run, "select doc_a, doc_b, relation from doc_pairs")) == TRUE_PAIRS


def test_a_sites_repeated_short_lines_are_not_body_on_the_first_run(one_run: Path) -> None:
    carriers: dict[tuple[str, str], set[str]] = defaultdict(set)
    lines = rows(one_run, "select doc_id, text, label from lines")
    for doc_id, text, _ in lines:
        if is_fingerprinted(text):
            carriers[(site(doc_id), normalise_line(text))].add(doc_id)
    kept = [
        (doc_id, text)
        for doc_id, text, label in lines
        if label in ("body", "caption")
        and is_fingerprinted(text)
        and len(carriers[(site(doc_id), normalise_line(text))]) >= SITE_REPEAT
    ]
    assert kept == []


def test_three_batches_equal_one_run_and_a_deleted_batch_equals_a_run_without_it(
    one_run: Path, tmp_path: Path
) -> None:
    seeds, warehouse = tmp_path / "seeds", tmp_path / "wh"
    batches = [PAGES[0::3], PAGES[1::3], PAGES[2::3]]  # every site spread over the three
    for batch in batches:
        copy(batch, seeds)
        run(seeds, warehouse)
    assert tables(warehouse) == tables(one_run)
    for path in batches[1]:
        (seeds / path.name).unlink()
    run(seeds, warehouse)
    copy(batches[0] + batches[2], tmp_path / "without")
    run(tmp_path / "without", tmp_path / "without-wh")
    assert tables(warehouse) == tables(tmp_path / "without-wh")
