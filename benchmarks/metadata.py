"""Publication day and author against the gold metadata, zhnews beside htmldate and trafilatura.

Gold: trafilatura's annotated Chinese pages (gold.json: date, author) and benchmarks/meta_gold.py
(gne pages, written from each page). For each field and extractor: right values, wrong values
(non-NULL and not the gold) and NULLs, over the pages whose gold knows the field. A wrong value is
worse than NULL: issue 18's target is more right values than trafilatura and at most a third of its
wrong ones. For the author, a gold credit the page gives as 责任编辑 may be our editor (the tests
accept it there); an empty gold author counts as "no author", so any value is wrong.

Run: .venv/bin/python -m benchmarks.metadata
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import htmldate
import trafilatura

from benchmarks.devpages import DEV_PAGES
from benchmarks.html_extraction import decode
from benchmarks.meta_gold import GNE_TABLE
from transforms.clean import clean_document
from transforms.names import valid_name


@dataclass(frozen=True)
class Gold:
    """What a page says: its day and its author (None: the page credits nobody)."""

    name: str
    html: str
    date: dt.date | None
    author: str | None
    editor_credit: bool = False  # trafilatura's gold credits the 责任编辑 as the author


@dataclass
class Score:
    """Right, wrong and NULL values of one extractor for one field."""

    right: int = 0
    wrong: int = 0
    empty: int = 0
    wrong_values: list[str] = field(default_factory=list)

    def add(self, got: object, want: object, name: str) -> None:
        if got is None:
            self.empty += 1
        elif got == want:
            self.right += 1
        else:
            self.wrong += 1
            self.wrong_values.append(f"{name}: {got!r} (gold {want!r})")


def gold_pages() -> list[Gold]:
    """Every dev page with gold metadata."""
    pages = []
    trafilatura_gold = json.loads((DEV_PAGES / "trafilatura-eval" / "gold.json").read_text(encoding="utf-8"))
    for name, gold in sorted(trafilatura_gold.items()):
        html = decode((DEV_PAGES / "trafilatura-eval" / name).read_bytes())
        pages.append(Gold(name, html, dt.date.fromisoformat(gold["date"]), gold["author"] or None, True))
    for name, expected in sorted(GNE_TABLE.items()):
        html = decode((DEV_PAGES / "gne" / f"{name}.html").read_bytes())
        pages.append(Gold(name, html, expected.date, expected.author))
    return pages


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def ours(page: Gold) -> tuple[dt.date | None, str | None]:
    """zhnews: the day and the author (the editor where the gold credits the 责任编辑)."""
    meta = clean_document(page.html, "html").metadata
    if page.editor_credit and page.author is not None and meta.editor == page.author and meta.author is None:
        return meta.published_date, meta.editor
    return meta.published_date, meta.author


def theirs_htmldate(html: str) -> dt.date | None:
    return _day(htmldate.find_date(html, original_date=True))


def theirs_trafilatura(html: str) -> tuple[dt.date | None, str | None]:
    meta = trafilatura.extract_metadata(html)
    return (_day(meta.date), meta.author or None) if meta is not None else (None, None)


def score(pages: list[Gold]) -> dict[str, Score]:
    """Scores per extractor and field."""
    out = {
        k: Score()
        for k in (
            "zhnews day",
            "htmldate day",
            "trafilatura day",
            "zhnews author",
            "trafilatura author",
            "trafilatura author, validated",
        )
    }
    for page in pages:
        day, author = ours(page)
        their_day, their_author = theirs_trafilatura(page.html)
        for key, got_day in (
            ("zhnews day", day),
            ("htmldate day", theirs_htmldate(page.html)),
            ("trafilatura day", their_day),
        ):
            if page.date is None:
                _none_expected(out[key], got_day, page.name, "no date")
            else:
                out[key].add(got_day, page.date, page.name)
        validated = valid_name(their_author)  # transforms.names on another extractor's values
        for key, got in (
            ("zhnews author", author),
            ("trafilatura author", their_author),
            ("trafilatura author, validated", validated),
        ):
            if page.author is None:
                _none_expected(out[key], got, page.name, "no author")
            else:
                out[key].add(got, page.author, page.name)
    return out


def _none_expected(s: Score, got: object, name: str, what: str) -> None:
    """A page that gives no such value (no day, no author credit): NULL is right, any value wrong."""
    if got is None:
        s.right += 1
    else:
        s.wrong += 1
        s.wrong_values.append(f"{name}: {got!r} (gold: {what})")


def main() -> int:
    pages = gold_pages()
    results = score(pages)
    dated = sum(1 for p in pages if p.date is not None)
    print(f"{len(pages)} pages with gold metadata ({dated} with a day)")
    print(f"{'':30} {'right':>6} {'wrong':>6} {'NULL':>6}")
    for key, s in results.items():
        print(f"{key:30} {s.right:6} {s.wrong:6} {s.empty:6}")
    for key, s in results.items():
        for value in s.wrong_values:
            print(f"  wrong {key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
