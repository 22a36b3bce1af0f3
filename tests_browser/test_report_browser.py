"""The review site as Chromium renders it from disk: hostile page text stays text, no script runs, the
seeds' event page marks the shared organiser list in both reports, a 1,000-document report loads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest

from benchmarks.gen_corpus import PROJECT_SOURCES, Params, generate
from flows.process import process_seeds
from flows.report import CONTENT_SECURITY_POLICY, PAGE_ROWS, build_report, doc_href, event_href, list_href
from tests.report_support import HOSTILE_ID, IMG, LINK, ODD_ID, SCRIPT, TITLE_BREAKOUT, hostile_seeds
from tests_browser.conftest import dump_dom
from warehouse.catalog import connect_read_only
from warehouse.report import document_ids, event_rows

pytestmark = pytest.mark.usefixtures("prefect_harness")

SEED_000 = "000_1225d317e96cbfe0.txt"
SEED_001 = "001_f24825251813daa7.txt"
SEED_004 = "004_4ae39a300e80b9e5.txt"
# The organiser list of the Chengdu conference in each report (SEEDS-EXPECTED.md), as each script has it.
ORGANISERS = {
    (SEED_000, "simplified"): "本届大会由市场监管总局、四川省人民政府、成都市人民政府3家单位主办",
    (SEED_000, "original"): "本屆大會由市場監管總局、四川省人民政府、成都市人民政府3家單位主辦",
    (SEED_001, "simplified"): "大会由 、四川省人民政府、成都市人民政府主办",
    (SEED_001, "original"): "大会由 、四川省人民政府、成都市人民政府主办",
}
# The generated corpus: 1,000 documents (5 pages of the document list), the project's own text only.
GENERATED_DOCS = 1000
GENERATED_SEED = 7


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Iterator[Path]:
    """The report of the seeds plus a hostile page, an oddly named page and two rejected files."""
    del prefect_harness
    root = tmp_path_factory.mktemp("browser")
    process_seeds(seeds=str(hostile_seeds(root / "seeds")), warehouse=str(root / "wh"))
    build_report(root / "wh", root / "site")
    yield root / "site"


def assert_inert(dom: lxml.html.HtmlElement) -> None:
    """Nothing in the rendered page can run or load: no such element, handler or URL, and no trace of a
    script having run (the hostile ones would set the title or a body attribute)."""
    assert dom.xpath("//script | //img | //iframe | //object | //embed | //form | //base | //link") == []
    for element in dom.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            assert "javascript:" not in value.lower(), value
    assert dom.findtext(".//title") != "PWNED"
    assert dom.xpath("//body/@data-pwned") == []
    (csp,) = dom.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert csp == CONTENT_SECURITY_POLICY
    for href in dom.xpath("//a/@href"):
        assert ":" not in href and not href.startswith("/"), href


def test_hostile_markup_shows_as_text_and_nothing_of_it_exists(site: Path) -> None:
    dom = dump_dom(site / doc_href(HOSTILE_ID))
    assert_inert(dom)
    text = dom.text_content()
    for markup in (SCRIPT, IMG, LINK):
        assert markup in text
    assert [a for a in dom.iter("a") if a.text_content() == "点击这里"] == []  # the page's own link


def test_a_title_that_closes_the_title_element_stays_in_it(site: Path) -> None:
    dom = dump_dom(site / doc_href(ODD_ID))
    assert_inert(dom)
    assert dom.findtext(".//title") == "奇怪的文件名" + TITLE_BREAKOUT
    assert dom.findtext(".//h1") == "奇怪的文件名" + TITLE_BREAKOUT
    assert ODD_ID in dom.text_content()


def test_the_event_page_marks_the_shared_organiser_list_in_both_reports(site: Path) -> None:
    dom = dump_dom(site / event_href(SEED_000))
    assert_inert(dom)
    groups = set()
    for (doc_id, script), organisers in ORGANISERS.items():
        (column,) = dom.xpath(
            f"//div[contains(@class, 'reports') and contains(@class, '{script}')]"
            f"/section[@data-doc='{doc_id}']"
        )
        marks = [m for m in column.iter("mark") if organisers in m.text_content()]
        assert len(marks) == 1, (doc_id, script)
        groups.add(marks[0].get("data-group"))
    assert len(groups) == 1 and groups != {None}  # one passage group, the same number in all four


def test_the_hostile_report_of_an_event_is_inert_there_too(site: Path) -> None:
    dom = dump_dom(site / event_href(SEED_004))
    assert_inert(dom)
    assert SCRIPT in dom.text_content() and IMG in dom.text_content()


def test_the_summary_and_lists_render(site: Path) -> None:
    index = dump_dom(site / "index.html")
    assert_inert(index)
    rejected = {row.xpath("string(td[1])") for row in index.xpath("//table[@class='rejected']//tr[td]")}
    assert rejected == {"binary_content", "empty_file"}
    documents = dump_dom(site / list_href("documents", 1))
    assert_inert(documents)
    assert len(documents.xpath("//table[@class='documents']//tr[td]")) == 7


def test_a_report_of_a_thousand_generated_documents_loads(tmp_path: Path) -> None:
    generate(tmp_path / "gen", Params(GENERATED_DOCS, GENERATED_SEED, line_truth=False), PROJECT_SOURCES)
    process_seeds(seeds=str(tmp_path / "gen" / "seeds"), warehouse=str(tmp_path / "wh"))
    done = build_report(tmp_path / "wh", tmp_path / "site")
    assert done.documents == GENERATED_DOCS
    con = connect_read_only(tmp_path / "wh")
    ids, events = document_ids(con), event_rows(con)
    con.close()
    assert events, "the generator plants pairs: some events have several reports"
    site = tmp_path / "site"
    index = dump_dom(site / "index.html")
    assert_inert(index)
    assert f"{GENERATED_DOCS}" in index.xpath("string(//table[@class='totals']//tr[1]/td)")
    pages = -(-GENERATED_DOCS // PAGE_ROWS)
    for number in (1, pages):
        listing = dump_dom(site / list_href("documents", number))
        assert_inert(listing)
        rows = listing.xpath("//table[@class='documents']//tr[td]")
        assert len(rows) == min(PAGE_ROWS, GENERATED_DOCS - (number - 1) * PAGE_ROWS)
        first = ids[(number - 1) * PAGE_ROWS]
        assert rows[0].xpath("string(td[2])") == first
    for doc_id in (ids[0], ids[len(ids) // 2], ids[-1]):
        page = dump_dom(site / doc_href(doc_id))
        assert_inert(page)
        assert page.xpath("//table[@class='lines']//tr[td]"), doc_id
    event = dump_dom(site / event_href(events[0].event_id))
    assert_inert(event)
    assert len(event.xpath("//div[contains(@class, 'simplified')]/section")) == events[0].reports
    assert event.xpath("//mark[@class='shared']")
