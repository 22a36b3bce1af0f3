"""Per-document cleaning: label every line, pull metadata, repair pinyin, convert script."""

from __future__ import annotations

from collections.abc import Collection

from transforms.model import CleanDocument, InputFormat, LabelledLine, Metadata
from transforms.pinyin import strip_annotations
from transforms.script import detect_script, to_simplified


def clean_document(
    text: str, input_format: InputFormat, common_lines: Collection[int] = frozenset()
) -> CleanDocument:
    """Stub: every non-empty line is body."""
    del input_format, common_lines
    repaired, repairs = strip_annotations(text)
    lines = [
        LabelledLine(i + 1, line, "body", "stub")
        for i, line in enumerate(text.splitlines())
        if line.strip()
    ]
    body_original = "\n".join(line.strip() for line in repaired.splitlines() if line.strip())
    return CleanDocument(
        script=detect_script(body_original),
        metadata=Metadata(),
        lines=lines,
        text=to_simplified(body_original),
        text_original=body_original,
        pinyin_repairs=repairs,
    )
