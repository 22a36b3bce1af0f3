"""Human-readable account of what cleaning made of one document (for `zhnews clean FILE`)."""

from __future__ import annotations

from transforms.model import CleanDocument

# Line texts in the label table are cut to this many characters so one line stays one screen row.
LINE_PREVIEW_CHARS = 60


def _preview(text: str) -> str:
    """One input line, stripped and shortened for the table."""
    text = text.strip()
    return text if len(text) <= LINE_PREVIEW_CHARS else text[: LINE_PREVIEW_CHARS - 1] + "…"


def format_report(doc: CleanDocument) -> str:
    """Lines with label and reason, then metadata, flags, side blocks and the clean Simplified text."""
    width = max((len(line.reason) for line in doc.lines), default=6)
    out = ["== lines (line_no, label, reason, text)"]
    for line in doc.lines:
        out.append(f"{line.line_no:>5}  {line.label:<11} {line.reason:<{width}}  {_preview(line.text)}")
    meta = doc.metadata
    out += [
        "",
        "== metadata",
        f"title:          {meta.title or 'NULL'}",
        f"published_date: {meta.published_date.isoformat() if meta.published_date else 'NULL'}",
        f"source_outlet:  {meta.source_outlet or 'NULL'}",
        f"author:         {meta.author or 'NULL'}",
        f"editor:         {meta.editor or 'NULL'}",
        f"from:           {meta.source or 'NULL'}",
        f"script:         {doc.script}",
        f"pinyin_repairs: {doc.pinyin_repairs}",
        f"flags:          {', '.join(doc.flags) if doc.flags else '-'}",
    ]
    for block in doc.side_blocks:
        out += ["", f"== side block {block.block_no} ({block.reason})", block.text]
    out += ["", "== text", doc.text]
    return "\n".join(out) + "\n"
