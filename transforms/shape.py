"""Shape of one line of page text: paragraph, heading-like short line, enumerated heading, photo credit."""

from __future__ import annotations

import re

# A line at least this long is a paragraph even without closing punctuation: seed lines cut off by the
# scraper end mid-sentence at 70+ characters, while captions and link lines in the seeds stay under 40.
PARAGRAPH_MIN_CHARS = 50
# Only a line's last characters are searched for its closing punctuation (a mark plus closing quotes).
TAIL_CHARS = 8
# A line with clause punctuation (，；) and at least this many characters reads as running text.
CLAUSE_LINE_MIN_CHARS = 20

# Sentence-final or lead-in punctuation, optionally followed by closing quotes and brackets.
_SENTENCE_END = re.compile(r"[。！？!?…；;：:][”’」』）)》】\"']*$")
_CLAUSE_PUNCT = re.compile(r"[，,；;]")
_ENUMERATED = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[、．]|\d{1,2}\.(?!\d)"
    r"|第[一二三四五六七八九十百\d]+[章节部分条篇]|[①-⑳])"
)
# A credit may be followed by the outlet that ran the photo (…公安分局供图 华龙网): one short word.
_PHOTO_CREDIT = re.compile(
    r"(?:摄|摄影|供图|图片来源\S*|图源\S*|资料图|资料图片|视频截图|截图|图片)\s*[)）]?(?:\s+[^\s，。,；;：:]{2,10})?$"
    r"|^[(（]?(?:图为|图片|图注|图：|图:)|^[▲△]"
)
# A caption written as a sentence: opened by a ▲ photo marker (▲图片来自视频截图。), or a sentence
# followed by its photographer (…开往襄阳。 通讯员刘娟 摄, …纸片。 小花母亲供图).
_SENTENCE_CAPTION = re.compile(r"^[▲△]|[。！？!?]\s*[^。！？!?\s]{0,16}\s?(?:摄|供图)\s*[)）]?$")
# Captions are a sentence or two: the longest ▲ caption on the gne/ dev pages has 27 characters, a
# caption with a credit 40; a longer line is a paragraph that happens to end in 摄.
SENTENCE_CAPTION_MAX_CHARS = 120


def ends_sentence(line: str) -> bool:
    """True when the line ends like a sentence or a lead-in (。！？；： then closing quotes)."""
    return _SENTENCE_END.search(line[-TAIL_CHARS:]) is not None


def is_paragraph(line: str) -> bool:
    """Running text: ends like a sentence, or is long, or is a mid-length line with clauses."""
    if ends_sentence(line) or len(line) >= PARAGRAPH_MIN_CHARS:
        return True
    return len(line) >= CLAUSE_LINE_MIN_CHARS and _CLAUSE_PUNCT.search(line) is not None


def is_enumerated(line: str) -> bool:
    """Opens with a list or section number (一、 （二） 3. 第四章): a content heading, not chrome."""
    return _ENUMERATED.match(line) is not None


def is_photo_credit(line: str) -> bool:
    """Ends with a photographer credit (…摄, 供图) or opens like a caption (图为…, ▲)."""
    return _PHOTO_CREDIT.search(line) is not None


def is_sentence_caption(line: str) -> bool:
    """A photo caption that reads as a sentence (▲…。, …。 记者某某 摄): not article text."""
    return len(line) <= SENTENCE_CAPTION_MAX_CHARS and _SENTENCE_CAPTION.search(line) is not None
