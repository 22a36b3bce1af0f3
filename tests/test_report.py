"""`zhnews report`: the data behind each page, file names no doc_id can steer, escaping, incremental writes.

The pages are parsed with lxml here; tests_browser/ loads them in Chromium (`make test-browser`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import lxml.html
import pytest

from flows.cli import main
from flows.process import process_seeds
from flows.report import (
    CONTENT_SECURITY_POLICY,
    HASH_CHARS,
    MANIFEST,
    PAGE_ROWS,
    SLUG_CHARS,
    TEMP_PREFIX,
    Pager,
    ReportFolderError,
    _Site,
    build_report,
    default_report_dir,
    doc_href,
    event_href,
    inside,
    list_pages,
    page_name,
)
from tests.report_support import (
    HOSTILE_ID,
    IMG,
    LINK,
    ODD_ID,
    SCRIPT,
    TITLE_BREAKOUT,
    hostile_seeds,
)
from warehouse.catalog import connect_read_only
from warehouse.report import (
    Count,
    DocumentRows,
    RejectedRow,
    document_ids,
    document_page,
    document_rows,
    event_page,
    event_rows,
    event_rows_of,
    rejected_files,
    summary,
)
from warehouse.report_marks import PINYIN, SHARED

SEED_000 = "000_1225d317e96cbfe0.txt"
SEED_001 = "001_f24825251813daa7.txt"
SEED_002 = "002_99c907c693dd63b5.txt"
SEED_004 = "004_4ae39a300e80b9e5.txt"
# The organiser list the two reports of the Chengdu press conference share (SEEDS-EXPECTED.md): 000
# names 市场监管总局 and is Traditional; 001 lost the name and is Simplified.
ORGANISERS_000_SIMPLIFIED = "本届大会由市场监管总局、四川省人民政府、成都市人民政府3家单位主办"
ORGANISERS_000_ORIGINAL = "本屆大會由市場監管總局、四川省人民政府、成都市人民政府3家單位主辦"
ORGANISERS_001 = "大会由 、四川省人民政府、成都市人民政府主办"
SAFE_NAME = re.compile(rf"^[A-Za-z0-9_-]{{0,{SLUG_CHARS}}}-?[0-9a-f]{{{HASH_CHARS}}}\.html$")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Iterator[Path]:
    """The seeds plus a hostile page, an oddly named one and two rejected files, run once."""
    del prefect_harness
    root = tmp_path_factory.mktemp("report")
    hostile_seeds(root / "seeds")
    process_seeds(seeds=str(root / "seeds"), warehouse=str(root / "warehouse"))
    yield root / "warehouse"


@pytest.fixture(scope="module")
def site(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "review"
    build_report(warehouse, out)
    return out


@pytest.fixture
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect_read_only(warehouse)
    yield connection
    connection.close()


# --- file names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc_id",
    [
        "..",
        "../../etc/passwd",
        "/abs/path.txt",
        "a\\b\\..\\c",
        "nul\0byte",
        "😀" * 10,
        "x" * 1000,
        ODD_ID,
        "",
    ],
)
def test_page_names_are_plain_capped_names_inside_the_folder(doc_id: str, tmp_path: Path) -> None:
    name = page_name(doc_id)
    assert SAFE_NAME.match(name), name
    assert len(name) <= SLUG_CHARS + 1 + HASH_CHARS + len(".html")
    assert inside(tmp_path, f"doc/{name}").parent == (tmp_path / "doc").resolve()
    assert page_name(doc_id) == name  # the same doc_id names the same page in every report


def test_two_ids_with_the_same_slug_get_different_files() -> None:
    a, b = page_name("新闻/a.txt"), page_name("消息/a.txt")
    assert a.rsplit("-", 1)[0] == b.rsplit("-", 1)[0] == "a-txt"  # the same readable part
    assert a != b
    assert page_name("x" * 1000) != page_name("x" * 999)  # cut to the same slug, told apart by the hash


def test_inside_refuses_every_path_that_leaves_the_folder(tmp_path: Path) -> None:
    for bad in ("../x.html", "doc/../../x.html", "/etc/passwd", "", "."):
        with pytest.raises(ValueError, match="outside"):
            inside(tmp_path, bad)
    (tmp_path / "doc").symlink_to(tmp_path.parent)
    with pytest.raises(ValueError, match="outside"):
        inside(tmp_path, "doc/x.html")  # a link inside the folder that points out of it


# --- paged lists --------------------------------------------------------------------------------


def test_lists_are_paged(tmp_path: Path) -> None:
    site = _Site(tmp_path, {})
    rows = [
        RejectedRow(f"s/{k}.bin", "binary_content", "a PNG image", None) for k in range(2 * PAGE_ROWS + 50)
    ]
    assert list_pages(site, "events", iter([]), 0) == 1  # an empty list is one page that says so
    site = _Site(tmp_path, {})
    assert list_pages(site, "rejected", iter(rows), len(rows)) == 3
    assert sorted(site.new) == ["rejected-0001.html", "rejected-0002.html", "rejected-0003.html"]
    assert Pager("documents", 1, 3, 0).previous is None
    assert Pager("documents", 3, 3, 400).next is None
    assert [n for n, _ in Pager("documents", 10, 500, 1800).window()] == [1, 7, 8, 9, 10, 11, 12, 13, 500]


# --- the data behind the pages -----------------------------------------------------------------


def test_summary_figures(con: duckdb.DuckDBPyConnection) -> None:
    rejected = rejected_files(con)
    figures = summary(con, rejected)
    assert figures.run is not None
    assert (figures.run.files_new, figures.run.files_rejected, figures.run.status) == (9, 2, "completed")
    assert figures.files_by_outcome == (Count("document", 7), Count("rejected", 2))
    assert [
        (g.reason, g.files, [f.source_path.rsplit("/", 1)[-1] for f in g.examples]) for g in figures.rejected
    ] == [
        ("binary_content", 1, ["picture.txt"]),
        ("empty_file", 1, ["empty.txt"]),
    ]
    assert all(f.detail for g in figures.rejected for f in g.examples)
    assert figures.documents == 7
    assert figures.pairs_by_relation == (Count("overlap", 2),)
    assert (figures.events, figures.multi_report_events, figures.documents_in_multi_report_events) == (
        5,
        2,
        4,
    )
    assert figures.flags == (
        Count("elided_entity", 1),
        Count("replacement_char", 2),
        Count("truncated_lead", 1),
    )


def _rows(con: duckdb.DuckDBPyConnection, doc_id: str) -> DocumentRows:
    (rows,) = [r for r in document_rows(con, document_ids(con)) if r.meta.doc_id == doc_id]
    return rows


def test_document_rows_come_in_doc_id_order_and_in_small_chunks(con: duckdb.DuckDBPyConnection) -> None:
    ids = document_ids(con)
    assert ids == sorted(ids) and len(ids) == 7
    assert [r.meta.doc_id for r in document_rows(con, ids, chunk=2)] == ids
    assert list(document_rows(con, ids, chunk=3)) == list(document_rows(con, ids))


def test_a_document_page_has_every_line_its_label_and_the_pinyin_repairs(
    con: duckdb.DuckDBPyConnection,
) -> None:
    page = document_page(_rows(con, SEED_002))
    stored = con.execute(
        "select line_no, label, reason, text from lines where doc_id = ? order by line_no", [SEED_002]
    ).fetchall()
    assert [
        (ln.line_no, ln.label, ln.reason, "".join(s.text for s in ln.segments)) for ln in page.lines
    ] == stored
    assert (
        sum(1 for ln in page.lines for s in ln.segments if s.mark == PINYIN)
        == page.meta.pinyin_repairs
        == 160
    )
    breadcrumb = next(ln for ln in page.lines if ln.reason == "breadcrumb")
    assert breadcrumb.dropped and breadcrumb.outcome == "dropped: boilerplate"
    assert breadcrumb.repaired == "您當前的位置: 首頁 > 新聞 > 計量與質量"
    title = next(ln for ln in page.lines if ln.label == "title")
    assert not title.dropped and title.outcome == "kept: title"
    assert page.meta.flags == ("replacement_char",)
    assert page.meta.event_reports == 1 and page.pairs == () and page.side_texts == ()


def test_side_texts_and_links_of_a_document(con: duckdb.DuckDBPyConnection) -> None:
    page = document_page(_rows(con, SEED_001))
    assert [(s.block_no, s.text.startswith("中国质量检验协会是由")) for s in page.side_texts] == [(0, True)]
    assert [(p.other, p.relation) for p in page.pairs] == [(SEED_000, "overlap")]
    assert page.meta.event_id == SEED_000 and page.meta.event_reports == 2 and not page.meta.is_canonical
    side_lines = [ln for ln in page.lines if ln.label == "side"]
    assert side_lines and all(ln.dropped and ln.outcome == "moved: side text" for ln in side_lines)


def test_the_event_page_marks_the_organiser_list_in_both_reports_and_both_scripts(
    con: duckdb.DuckDBPyConnection,
) -> None:
    (rows,) = [e for e in event_rows_of(con) if e.event_id == SEED_000]
    event = event_page(rows)
    assert [r.doc_id for r in event.reports] == [SEED_000, SEED_001]  # canonical first
    assert [(p.doc_a, p.doc_b, p.relation) for p in event.pairs] == [(SEED_000, SEED_001, "overlap")]
    canonical, other = event.reports

    def group_of(segments: tuple[object, ...], needle: str) -> int | None:
        (hit,) = [s for s in segments if needle in getattr(s, "text", "")]
        assert hit.mark == SHARED, needle  # type: ignore[attr-defined]
        return hit.group  # type: ignore[attr-defined, no-any-return]

    group = group_of(canonical.simplified, ORGANISERS_000_SIMPLIFIED)
    assert group is not None
    assert group_of(canonical.original, ORGANISERS_000_ORIGINAL) == group
    assert group_of(other.simplified, ORGANISERS_001) == group
    assert group_of(other.original, ORGANISERS_001) == group  # 001 is Simplified itself
    # every passage a link names, at either end, is marked, in both columns and both scripts
    linked = con.execute(
        "select count(distinct passage_no) from (select passage_no from passages "
        "where doc_id = $d and duplicate_of_doc is not null union all select duplicate_of_passage "
        "from passages where duplicate_of_doc = $d)",
        {"d": SEED_001},
    ).fetchall()[0][0]
    assert other.shared == linked == 9
    for report in event.reports:
        marked = [s for s in report.simplified if s.mark == SHARED]
        assert len(marked) == report.shared
        assert len([s for s in report.original if s.mark == SHARED]) == report.shared
    # the texts are whole: the segments put back together are the stored bodies
    texts = dict(con.execute("select doc_id, text from documents").fetchall())
    assert "".join(s.text for s in canonical.simplified) == texts[SEED_000]


def test_event_list(con: duckdb.DuckDBPyConnection) -> None:
    assert [(e.event_id, e.reports, e.canonical_doc, e.overlaps) for e in event_rows(con)] == [
        (SEED_000, 2, SEED_000, 1),
        (SEED_004, 2, SEED_004, 1),
    ]
    assert [e.event_id for e in event_rows_of(con, chunk=1)] == [SEED_000, SEED_004]


# --- the pages ----------------------------------------------------------------------------------


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_the_site_has_a_page_for_every_document_event_and_list(site: Path, warehouse: Path) -> None:
    con = connect_read_only(warehouse)
    ids = document_ids(con)
    con.close()
    names = {p.relative_to(site).as_posix() for p in _pages(site)}
    assert names == {
        "index.html",
        "documents-0001.html",
        "events-0001.html",
        "rejected-0001.html",
        *(doc_href(d) for d in ids),
        event_href(SEED_000),
        event_href(SEED_004),
    }
    manifest = json.loads((site / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest["files"]) == names
    assert {(p.stat().st_mode & 0o777) for p in [*_pages(site), site / MANIFEST]} == {0o644}


def test_no_page_carries_markup_from_the_pages_it_shows(site: Path) -> None:
    for path in _pages(site):
        tree = lxml.html.fromstring(path.read_bytes())
        assert tree.xpath("//script | //img | //iframe | //object | //embed | //form | //base") == [], path
        for element in tree.iter():
            for name, value in element.attrib.items():
                assert not name.lower().startswith("on"), (path, name)
                assert "javascript:" not in value.lower(), (path, name, value)
        (csp,) = tree.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
        assert csp == CONTENT_SECURITY_POLICY
        assert tree.xpath("//head/*[1]/@charset") == ["utf-8"]


def test_hostile_text_shows_as_text(site: Path) -> None:
    page = lxml.html.fromstring((site / doc_href(HOSTILE_ID)).read_bytes())
    text = page.text_content()
    for markup in (SCRIPT, IMG, LINK):
        assert markup in text
    odd = lxml.html.fromstring((site / doc_href(ODD_ID)).read_bytes())
    assert odd.findtext(".//title") == "奇怪的文件名" + TITLE_BREAKOUT
    assert ODD_ID in odd.text_content()
    event = lxml.html.fromstring((site / event_href(SEED_004)).read_bytes())
    assert SCRIPT in event.text_content() and IMG in event.text_content()


def test_every_link_is_a_relative_link_to_a_file_of_the_report(site: Path) -> None:
    root = site.resolve()
    for path in _pages(site):
        for href in lxml.html.fromstring(path.read_bytes()).xpath("//a/@href"):
            assert not re.match(r"^[a-z][a-z0-9+.-]*:|^/|^\\\\", href, re.I), (path, href)
            target = (path.parent / href).resolve()
            assert target.is_relative_to(root) and target.is_file(), (path, href)


def test_the_document_page_marks_dropped_lines_and_pinyin(site: Path) -> None:
    page = lxml.html.fromstring((site / doc_href(SEED_002)).read_bytes())
    dropped = page.xpath("//tr[contains(@class, 'line-dropped')]")
    assert len(dropped) == 12  # the header, breadcrumb and footer lines SEEDS-EXPECTED.md lists
    assert all("✗ dropped: boilerplate" in row.text_content() for row in dropped)
    assert len(page.xpath("//table[@class='lines']//del[@class='pinyin']")) == 160
    side = lxml.html.fromstring((site / doc_href(SEED_001)).read_bytes())
    assert len(side.xpath("//div[@class='side-text']")) == 1
    assert side.xpath("//tr[contains(@class, 'line-moved')]")


# --- incremental writes and the command line ---------------------------------------------------


def _inodes(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_ino for p in _pages(site)}


@pytest.mark.usefixtures("prefect_harness")
def test_only_pages_whose_data_changed_are_written_again(tmp_path: Path) -> None:
    seeds = hostile_seeds(tmp_path / "seeds")
    wh, out = tmp_path / "wh", tmp_path / "site"
    process_seeds(seeds=str(seeds), warehouse=str(wh))
    first = build_report(wh, out)
    assert (first.written, first.unchanged, first.removed) == (13, 0, 0)
    before = _inodes(out)
    again = build_report(wh, out)
    assert (again.written, again.unchanged, again.removed) == (0, 13, 0)
    assert _inodes(out) == before

    (seeds / HOSTILE_ID).unlink()  # 004's event goes with it
    shutil.copy(seeds / SEED_002, seeds / "copy_of_002.txt")  # a duplicate of 002: a new event
    process_seeds(seeds=str(seeds), warehouse=str(wh))
    third = build_report(wh, out)
    after = _inodes(out)
    gone = {doc_href(HOSTILE_ID), event_href(SEED_004)}
    assert set(before) - set(after) == gone and third.removed == 2
    new = {doc_href("copy_of_002.txt"), event_href("002_99c907c693dd63b5.txt")}
    assert set(after) - set(before) == new
    rewritten = {name for name in after if name in before and after[name] != before[name]}
    # 002 and 004 changed event, so did the lists of documents and events and the summary; the pages of
    # 000, 001, 003, the odd page and the rejected files did not
    assert rewritten == {
        doc_href(SEED_002),
        doc_href(SEED_004),
        "index.html",
        "documents-0001.html",
        "events-0001.html",
    }
    assert third.written == len(new) + len(rewritten)


def test_a_hand_edited_manifest_removes_nothing_outside_and_half_written_pages_go(
    warehouse: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build_report(warehouse, out)
    outside = tmp_path / "outside.html"
    outside.write_text("keep", encoding="utf-8")
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"]["../outside.html"] = "0" * 64
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    (out / "doc" / f"{TEMP_PREFIX}abc.html").write_text("<p>half", encoding="utf-8")
    again = build_report(warehouse, out)
    assert (again.written, again.removed) == (0, 0)
    assert outside.read_text(encoding="utf-8") == "keep"
    assert not (out / "doc" / f"{TEMP_PREFIX}abc.html").exists()


def test_a_folder_that_is_not_a_report_is_refused(warehouse: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ReportFolderError, match=r"no report-manifest\.json"):
        build_report(warehouse, tmp_path)
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_the_report_command(warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    assert main(["report", "--warehouse", str(warehouse), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "7 documents, 2 multi-report events; 13 pages written, 0 unchanged, 0 removed" in printed
    assert f"open {(out / 'index.html').resolve().as_uri()}" in printed
    assert main(["report", "--warehouse", str(tmp_path / "none"), "--out", str(out)]) == 2
    assert "no warehouse" in capsys.readouterr().err
    assert default_report_dir(warehouse) == warehouse / "review"
