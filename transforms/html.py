"""HTML page to text blocks, with the structural evidence (DOM) that some blocks are chrome."""

from __future__ import annotations

from dataclasses import dataclass, field

from bs4 import BeautifulSoup


@dataclass(frozen=True)
class Block:
    """One visible text block in document order; chrome_rule names the DOM rule that marks it as chrome."""

    text: str
    chrome_rule: str | None = None


@dataclass(frozen=True)
class HtmlPage:
    """Blocks plus the title candidates the markup gives (<h1>, <title>, meta tags)."""

    blocks: list[Block]
    h1: str | None = None
    title_tag: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


def html_to_blocks(html: str) -> HtmlPage:
    """Stub: one block per line of visible text; script/style dropped."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript"]):
        tag.decompose()
    text = soup.get_text("\n")
    blocks = [Block(line.strip()) for line in text.splitlines() if line.strip()]
    h1 = soup.find("h1")
    title = soup.find("title")
    return HtmlPage(
        blocks,
        h1.get_text(strip=True) if h1 else None,
        title.get_text(strip=True) if title else None,
    )
