"""The match step on real pages: site chrome left in twelve unrelated articles links none of them."""

from __future__ import annotations

from pathlib import Path

from tests.overlap_fixtures import UNRELATED_PAGES, dev_page_body
from tests.test_matching import REWORDED_003, SITE_CHROME, events, pairs, run


def test_same_site_chrome_does_not_link_unrelated_articles(tmp_path: Path) -> None:
    # twelve unrelated real articles that all carry the same site lines (as if cleaning missed them)
    plain = {f"{name}.txt": dev_page_body(name) for name in UNRELATED_PAGES}
    assert pairs(run(tmp_path, [plain], set(plain))) == []
    docs = {k: "\n".join([SITE_CHROME[0], v, *SITE_CHROME[1:]]) for k, v in plain.items()}
    result = run(tmp_path, [docs], set(docs))
    assert pairs(result) == []
    assert len(events(result)) == 12
    # ... while two of them that also share two rare passages are linked
    story = REWORDED_003[4] + "\n" + REWORDED_003[19]
    docs["cjn_1.txt"] += "\n" + story
    docs["sina_1.txt"] += "\n" + story
    assert pairs(run(tmp_path, [docs], set(docs))) == [("cjn_1.txt", "sina_1.txt", "overlap")]
