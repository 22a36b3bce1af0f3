"""Document-level quality flags: lost characters, names stripped out, a lead cut mid-sentence."""

from __future__ import annotations

import re

# How far back (in characters) a genuine question mark finds its question word (吗, 什么, 是否…).
QUESTION_WORD_WINDOW = 12

_CJK = r"[\u3400-\u9fff]"
_REPLACEMENT = re.compile(rf"\ufffd|(?<={_CJK})\?(?={_CJK})")
_QUESTION_WORD = re.compile(
    r"吗|呢|么|吧|啊|谁|哪|几|多少|如何|为何|怎|是否|何时|何处|难道|可否|能否|有没有|是不是"
)
# A name left out of a list or a bracket: 由 、四川省, 、 、, (简称 ), “”, 《》.
# Written as: one of the opening marks, then per branch a lookbehind for the mark(s) it opens on, so
# the engine skips from mark to mark instead of trying every character (5x faster on news bodies);
# the branches are \S[ ]+、 | 、[ ]*、 | (简称[ ]*) | ([ ]*) | “\s*” | 《\s*》.
_ELIDED = re.compile(
    r"[ \u3000、（(“《](?:(?<=\S[ \u3000])[ \u3000]*、|(?<=、)[ \u3000]*、|(?<=[（(])简称[ \u3000]*[)）]"
    r"|(?<=[（(])[ \u3000]*[)）]|(?<=“)\s*”|(?<=《)\s*》)"
)
_FIRST_SENTENCE = re.compile(r"^[^。！？!?]*")
# Verbs of "learning from a source" that a news lead only uses with the source before them (记者从…获悉).
_LEARNED = re.compile(r"了解到|获悉|得知|获知")
_SOURCE_MARK = re.compile(r"从|自|据|向|记者|笔者|我们|本报|本台|本网|通讯员")
_CLAUSE_BREAK = re.compile(r"[，,；;]")
# A first body line cannot open with a mark that closes or continues a sentence.
_CONTINUATION_START = re.compile(r"^[，,、。；;：:！？!?）)】》”’]")


def has_replacement_char(text: str) -> bool:
    """U+FFFD anywhere, or a ? between CJK characters that no question word explains (黨?茖W)."""
    if "\ufffd" in text:
        return True
    if "?" not in text:
        return False
    for match in _REPLACEMENT.finditer(text):
        if match.group() == "\ufffd":
            return True
        before = text[max(0, match.start() - QUESTION_WORD_WINDOW) : match.start()]
        if not _QUESTION_WORD.search(before):
            return True
    return False


def has_elided_entity(text: str) -> bool:
    """A gap where a name was stripped: a space before 、, an empty (简称 ) or empty quotes."""
    return _ELIDED.search(text) is not None


def has_truncated_lead(first_body_line: str) -> bool:
    """The article's first sentence starts mid-sentence (the page lost its opening words)."""
    line = first_body_line.strip()
    if _CONTINUATION_START.match(line):
        return True
    sentence = _FIRST_SENTENCE.match(line)
    first = sentence.group() if sentence else line
    learned = _LEARNED.search(first)
    if not learned:
        return False
    clause = _CLAUSE_BREAK.split(first[: learned.start()])[-1]
    return _SOURCE_MARK.search(clause) is None


def quality_flags(body_lines: list[str]) -> list[str]:
    """All flags that hold for the body (Simplified lines, in order)."""
    text = "\n".join(body_lines)
    flags = []
    if body_lines and has_truncated_lead(body_lines[0]):
        flags.append("truncated_lead")
    if has_elided_entity(text):
        flags.append("elided_entity")
    if has_replacement_char(text):
        flags.append("replacement_char")
    return flags
