"""The corpus step through the flow: chrome found on the first run, and tables that depend on the seeds
folder alone, whatever sequence of runs, additions, deletions and edits led to it."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.process import process_seeds
from transforms.clean import clean_document

pytestmark = pytest.mark.usefixtures("prefect_harness")

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
# Teaser headlines of one site, on four pages each (two "days" overlapping on pages 3 and 4).
DAY_1 = [
    "本网推荐：全市新建五十所幼儿园《详全文》",
    "地铁三号线年底通车 设站二十座《详全文》",
    "订购本报即时新闻：短信发送ZX到10086",
]
DAY_2 = ["本网推荐：老旧小区改造开工 涉及居民三万户《详全文》", "市民热线上线夜间服务"]
# A short line three reports of one story share: its carriers share paragraphs too, so it is content.
QUOTE = "“质量是兴国之道、富国之本。”"


@cache
def paragraphs() -> list[str]:
    """Long article paragraphs from seeds 002-004 (none shared between seeds)."""
    out: list[str] = []
    for path in sorted(SEEDS.glob("00[234]_*.txt")):
        doc = clean_document(path.read_text(encoding="utf-8"), "text")
        out += [p for p in doc.text.split("\n") if len(p) > 70]
    return out


def page(title: str, date: str, body: list[str]) -> str:
    return "\n".join([title, f"来源：某某日报 {date}", *body]) + "\n"


def corpus() -> dict[str, str]:
    """Six pages of one site with teaser blocks around unrelated articles, three reports of one story."""
    p = paragraphs()
    files = {}
    for k in range(6):
        teasers = (DAY_1 if k < 4 else []) + (DAY_2 if k >= 2 else [])
        article = [p[2 * k], p[2 * k + 1]]
        body = [article[0], *teasers, article[1]] if k % 2 else [*teasers, *article]
        files[f"site/{k}.txt"] = page(f"某某日报第{k}号新闻标题", f"2023-08-0{k + 1}", body)
    shared = [p[20], p[21]]
    for k in range(3):
        own = p[24 + k]
        files[f"story/{k}.txt"] = page(f"质量大会报道之{k}", "2023-09-01", [shared[0], QUOTE, own, shared[1]])
    return files


def write(seeds: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (seeds / name).parent.mkdir(parents=True, exist_ok=True)
        (seeds / name).write_text(text, encoding="utf-8")


def run(seeds: Path, warehouse: Path) -> Any:
    return process_seeds(seeds=str(seeds), warehouse=str(warehouse))


TABLES = {
    "lines": "select doc_id, line_no, text, label, reason, page_label, page_reason from lines",
    "documents": "select * exclude (run_id, source_path) from documents",
    "passages": "select * from passages",
    "side_texts": "select * from side_texts",
    "doc_pairs": "select * from doc_pairs",
    "events": "select * from events",
    "line_fingerprints": "select * from line_fingerprints",
}


def tables(warehouse: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in a fixed order, without what names a run or a folder."""
    con = duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True)
    try:
        return {name: sorted(con.execute(sql).fetchall(), key=repr) for name, sql in TABLES.items()}
    finally:
        con.close()


def labels(warehouse: Path, doc_id: str) -> dict[str, tuple[str, str]]:
    rows = tables(warehouse)["lines"]
    return {r[2]: (r[3], r[4]) for r in rows if r[0] == doc_id}


def test_first_run_finds_site_chrome_and_keeps_a_story_quote(tmp_path: Path) -> None:
    seeds, warehouse = tmp_path / "seeds", tmp_path / "wh"
    write(seeds, corpus())
    run(seeds, warehouse)
    for k in range(6):
        got = labels(warehouse, f"site/{k}.txt")
        teasers = (DAY_1 if k < 4 else []) + (DAY_2 if k >= 2 else [])
        # page 3 has five teasers between its paragraphs: a link block to the page's own rules already
        reason = "link_block" if k == 3 else "repeated_unrelated_line:docs=4,unrelated=4"
        for line in teasers:
            assert got[line] == ("boilerplate", reason), (k, line)
    for k in range(3):
        assert labels(warehouse, f"story/{k}.txt")[QUOTE] == ("body", "paragraph")
    t = tables(warehouse)
    pairs = {(r[0], r[1]) for r in t["doc_pairs"]}
    assert pairs == {
        ("story/0.txt", "story/1.txt"),
        ("story/0.txt", "story/2.txt"),
        ("story/1.txt", "story/2.txt"),
    }
    texts = {r[0]: r[11] for r in t["documents"]}
    assert not any(line in texts[f"site/{k}.txt"] for k in range(6) for line in DAY_1 + DAY_2)


def test_any_sequence_of_runs_equals_a_run_from_scratch(tmp_path: Path) -> None:
    files = corpus()
    names = sorted(files)
    seeds, warehouse = tmp_path / "seeds", tmp_path / "wh"
    seeds.mkdir()
    # three batches: the teasers reach three carriers only in the second, four in the third
    for batch in (names[:3], names[3:6], names[6:]):
        write(seeds, {n: files[n] for n in batch})
        run(seeds, warehouse)
    final = dict(files)
    # delete a page (the day-1 teasers fall to three carriers), edit a report of the story
    (seeds / "site/0.txt").unlink()
    del final["site/0.txt"]
    final["story/2.txt"] = files["story/2.txt"].replace("质量大会报道之2", "质量大会报道之二")
    write(seeds, {"story/2.txt": final["story/2.txt"]})
    run(seeds, warehouse)
    scratch_seeds, scratch = tmp_path / "scratch-seeds", tmp_path / "scratch-wh"
    write(scratch_seeds, final)
    run(scratch_seeds, scratch)
    assert tables(warehouse) == tables(scratch)
    # then delete a second page: the day-1 teasers fall below three carriers and are body again
    (seeds / "site/1.txt").unlink()
    del final["site/1.txt"]
    run(seeds, warehouse)
    (scratch_seeds / "site/1.txt").unlink()
    shutil.rmtree(scratch)
    run(scratch_seeds, scratch)
    after = tables(warehouse)
    assert after == tables(scratch)
    assert labels(warehouse, "site/2.txt")[DAY_1[0]] == ("body", "deck_line")  # the page's own label
