"""Detection of blocks unrelated to the article (an organisation profile appended below it).

A page often carries, after the article, the profile of an organisation (who it is, its purpose,
functions, business scope, contact) or a company's 'about us'. Such a block is real text but not
about the event, so it is split out. The detector looks for a contiguous run of paragraphs that
1. opens like a profile: a short heading ending on a heading term (简介 / 关于我们) with the profile
   right after it (a profile term or an item list), a paragraph dense in charter terms (自愿结成…
   社会组织), or a first clause that names an organisation and right after the name says what it is
   (…有限公司成立于…); an article paragraph that mentions 会员 or 成立于 in passing, or a caption
   ending on 职能 above ordinary paragraphs, does not open a block, however unrelated the rest of
   the page is to the title,
2. runs to the end of the article (minus a short tail such as 本文来源 / (完)), so the change of
   subject persists,
3. has low relevance to the title and lead: few of their character bigrams, weighted by how
   distinctive each bigram is within the document, occur anywhere in the block,
4. carries enough profile evidence: distinct vocabulary terms, optionally helped by an
   enumeration (一)…(十八), one term more when it opens on a sentence rather than a heading,
5. does not open on the article's own subject: a block whose first words share names (character
   4-grams such as 恒准精密, 计量测试) with the title and lead is the article's background on
   its subject (据了解,该会成立于…), not an unrelated profile.
Paragraphs are Simplified (the pipeline converts before calling), so the vocabulary is Simplified.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import accumulate

# Profile and charter vocabulary: words that organisation profiles, charters and 'about us' pages
# use and event reports rarely do, in three groups. Matched as literal substrings; distinct terms
# are counted. Section headings:
HEADING_TERMS: tuple[str, ...] = (
    "简介",
    "概况",
    "关于我们",
    "联系我们",
    "联络我们",
    "宗旨",
    "使命",
    "愿景",
    "核心价值观",
    "职能",
    "业务范围",
    "经营范围",
    "主营业务",
    "章程",
)
# The definitional sentence of an association and its legal status (the wording of a charter):
CHARTER_TERMS: tuple[str, ...] = (
    "自愿结成",
    "自愿组成",
    "非营利性",
    "社会组织",
    "社会团体",
    "社团法人",
    "法人资格",
    "业务主管",
    "登记管理机关",
)
# Members, company facts and contact lines:
FACT_TERMS: tuple[str, ...] = (
    "会员",
    "成立于",
    "创立于",
    "始建于",
    "总部位于",
    "注册资本",
    "联系电话",
    "邮编",
    "传真",
    "网址",
    "官方网站",
)
PROFILE_TERMS = HEADING_TERMS + CHARTER_TERMS + FACT_TERMS
# Terms that say what an organisation is, the predicate of a profile's definitional sentence (公司
# 成立于…, 协会是由…自愿结成…); 宗旨, 会员 or 简介 after a name are an article's phrase (监察委员会
# 的宗旨) or a heading glued to a sentence.
DEFINING_TERMS: tuple[str, ...] = (
    *CHARTER_TERMS,
    "成立于",
    "创立于",
    "始建于",
    "总部位于",
    "注册资本",
    "主营业务",
    "经营范围",
)
# Plain alternation to find the paragraphs holding any term in one scan (about 60 M chars/s); the
# terms of such a paragraph are then listed by substring tests, so overlapping terms are all found
# (社团法人资格 holds 社团法人 and 法人资格).
_PROFILE_ANY_RE = re.compile("|".join(re.escape(term) for term in PROFILE_TERMS))

# Enumeration markers of a charter's item list: (一) (二) …, 一、 二、 … after a break, or 1、 2. at a
# paragraph start. Each style is counted separately; the block's count is the largest.
_ENUM_PAREN_RE = re.compile(r"[(（]([一二三四五六七八九十]{1,3})[)）]")
_ENUM_COMMA_RE = re.compile(r"(?:^|[\s;；:：。])([一二三四五六七八九十]{1,3})、")
_ENUM_DIGIT_RE = re.compile(r"^\s*(\d{1,2})[、.．]", re.MULTILINE)
# Characters each enumeration style needs: a paragraph without them skips that style's regex.
_ENUM_PAREN_MARKS = ("(", "（")
_ENUM_DIGIT_MARKS = ("、", ".", "．")

# Runs of CJK ideographs (main, extension A, compatibility); bigrams never cross punctuation.
_CJK_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
# The lead's first sentence ends at the first full stop, question or exclamation mark.
_FIRST_SENTENCE_RE = re.compile(r"[^。！？!?]*")
# The first clause of a paragraph: up to the first comma, semicolon, colon or sentence end. A short
# parenthesis ((以下简称“恒准”), (英文缩写CAQI)) is dropped first, its commas do not end the clause.
_FIRST_CLAUSE_RE = re.compile(r"[^，,；;：:。！？!?]*")
_SHORT_PAREN_RE = re.compile(r"[(（][^()（）]{0,40}[)）]")
_DEFINING_RE = re.compile("|".join(re.escape(term) for term in DEFINING_TERMS))
# A heading term at the end of a line, before an optional colon (学会简介, 本会的业务范围:).
_HEADING_END_RE = re.compile("(?:" + "|".join(re.escape(term) for term in HEADING_TERMS) + r")[\s:：]*$")
# Endings of an organisation's name, the subject of a profile's definitional sentence.
# A name has characters before the ending (恒准精密仪器股份有限公司, not 公司 alone) and is no
# reference back to a company the article named (该公司, 这家公司, 其公司: the article's own subject).
_ORGANISATION_RE = re.compile(
    r"(?<=[^\W\d_]{2})(?<![该本此其])(?<!这家)(?<!一家)"
    "(?:协会|学会|联合会|促进会|研究会|商会|基金会|联盟|委员会|公司|集团|企业|中心|研究院|研究所|事务所|大学|学院|医院|银行)"
)
# A heading is no sentence: a short line with a sentence end in it is a caption or a quote
# (…组织协调职能。某某摄).
_SENTENCE_END_RE = re.compile(r"[。！？!?]")

# A block needs at least this many distinct profile terms (two: one term such as 会员 or 职能
# occurs in ordinary reports; seed 001's profile carries eleven, the hard negatives' blocks one).
VOCAB_MIN = 2
# An enumeration of at least this many items counts as one more piece of profile evidence (a
# charter's business scope lists many items; two could be any 'first, second').
ENUM_MIN = 3
# Highest relevance of a side block: weighted share of title-and-lead bigrams found in the block.
# Measured on the fixtures in tests/pages/side and the seeds: profiles score 0.03-0.14 (the
# highest, 0.14, a company in the article's own field), while runs that belong to the article
# score 0.26 and more (a policy list 0.26, seed 004 0.26, an association congress 0.51).
RELEVANCE_MAX = 0.2
# Characters at the start of a block that name its subject (a heading plus the first clause of the
# definitional sentence: 中国质量检验协会是由… / 关于我们 恒准精密仪器股份有限公司成立于…).
OPENING_CHARS = 60
# A block whose opening shares this many character 4-grams with the title and lead is about the
# article's subject. One shared 4-gram is a generic phrase (seed 001's profile shares only
# 中国质量 with its title); a shared name gives several (an association's background paragraph
# shares 6, a company's 4).
SUBJECT_SHARED_MIN = 2
# Characters of the lead's first sentence used as topic reference (a news lead states who, what,
# where in its first sentence; the rest of a long first paragraph is detail).
LEAD_MAX_CHARS = 80
# A block opens like a profile: with a heading (简介, 关于我们: 4-13 characters on the fixtures; a
# heading naming a long organisation stays under this) holding a heading term ...
HEADING_MAX_CHARS = 30
# ... or with a definitional paragraph dense in charter terms (seed 001's opening paragraph carries
# five: 自愿结成, 社会团体, 非营利性, 社会组织, 法人资格), though its first comes late (a long member list).
# Only charter terms count: an article paragraph can hold three others (会员, 宗旨, 章程 in an
# association's congress report), the legal wording of a charter it does not repeat.
DEFINITION_MIN_TERMS = 3
# ... or with a sentence that names the organisation and says what it is: its first clause holds an
# organisation name and then a defining term within this many characters of the paragraph start
# (恒准精密仪器股份有限公司成立于…, 台湾计量联合会成立于…: names of 6-14 characters on the fixtures,
# the term right after; twice the longest leaves room for a long name or a place before it).
ORGANISATION_NAME_CHARS = 30
# The name is the subject of the defining term: at most this many characters between the name's end
# and the term (现总部位于, 目前注册资本; the fixtures have none: 恒准精密仪器股份有限公司成立于). A name
# further back is another clause's word (以为银行操作等特色社会组织: 银行 is no subject of 社会组织).
NAME_TO_TERM_MAX_CHARS = 2
# Such a sentence is weaker evidence than a heading (an article may say 苹果公司主营业务包括… or
# 八国联盟成立于…), so its paragraph must state this many defining facts (the fixtures' opening
# sentences state three or four: 成立于, 总部位于, 注册资本 / 成立于, 自愿结成, 非营利性, 社会组织;
# an article's mention of an organisation states one) ...
SENTENCE_OPENING_DEFINING_MIN = 2
# ... and the block needs one distinct term more than VOCAB_MIN.
SENTENCE_OPENING_VOCAB_MIN = 3
# A block shorter than this is too small to call a profile (a lone contact line is left alone).
MIN_BLOCK_CHARS = 50
# Trailing paragraphs after a block that are this short and carry no profile term are a footer
# (本文来源…, (完), 欢迎转载…) and stay outside the block; at most MAX_TAIL_PARAGRAPHS of them.
TAIL_MAX_CHARS = 30
MAX_TAIL_PARAGRAPHS = 3


# The markers of a paragraph without any (one shared value instead of three new sets per paragraph).
_NO_MARKERS: tuple[frozenset[str], ...] = (frozenset(), frozenset(), frozenset())


@dataclass(frozen=True)
class SideSpan:
    """Paragraphs[start:end] form one unrelated block; reason names the evidence and its score."""

    start: int
    end: int
    reason: str


def _bigrams(text: str) -> set[str]:
    """Character bigrams of the CJK runs of text (no word splitting; slices, no per-character loop)."""
    grams: set[str] = set()
    for run in _CJK_RUN_RE.findall(text):
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def _grams_in(grams: set[str], text: str) -> set[str]:
    """The CJK bigrams of grams that occur in text: the same as grams & _bigrams(text), since two
    adjacent CJK characters always sit in one CJK run, but a substring test per gram, no bigram set."""
    return {gram for gram in grams if gram in text}


def _quadgrams(text: str) -> set[str]:
    """Character 4-grams of the CJK runs of a short text (names are rarely shorter than four)."""
    return {run[i : i + 4] for run in _CJK_RUN_RE.findall(text) for i in range(len(run) - 3)}


def _profile_terms(text: str) -> set[str]:
    """Distinct profile and charter terms present in text."""
    if _PROFILE_ANY_RE.search(text) is None:
        return set()
    return {term for term in PROFILE_TERMS if term in text}


def _starts(paragraphs: Sequence[str]) -> list[int]:
    """Offset of each paragraph in the paragraphs joined by line breaks."""
    return list(accumulate((len(p) + 1 for p in paragraphs[:-1]), initial=0))


def _paragraph_terms(paragraphs: Sequence[str]) -> list[set[str]]:
    """Distinct profile terms of each paragraph; one scan of the page finds the paragraphs to list."""
    starts = _starts(paragraphs)
    found = _PROFILE_ANY_RE.finditer("\n".join(paragraphs))
    hits = {bisect.bisect_right(starts, m.start()) - 1 for m in found}
    return [
        {term for term in PROFILE_TERMS if term in p} if k in hits else set()
        for k, p in enumerate(paragraphs)
    ]


def _paragraph_markers(paragraphs: Sequence[str]) -> list[tuple[AbstractSet[str], ...]]:
    """_enumeration_markers of each paragraph, from one scan per style over the joined paragraphs
    (a line break stands where a paragraph start did: ^ in one style, a separator in another)."""
    starts = _starts(paragraphs)
    text = "\n".join(paragraphs)
    found: dict[int, tuple[set[str], set[str], set[str]]] = {}  # only paragraphs with a marker
    for style, pattern in enumerate((_ENUM_PAREN_RE, _ENUM_COMMA_RE, _ENUM_DIGIT_RE)):
        for match in pattern.finditer(text):
            k = bisect.bisect_right(starts, match.start(1)) - 1
            found.setdefault(k, (set(), set(), set()))[style].add(match.group(1))
    return [found.get(k, _NO_MARKERS) for k in range(len(paragraphs))]


def _enumeration_markers(text: str) -> tuple[set[str], ...]:
    """Distinct enumeration markers in text, one set per style ((一), 一、, 1、)."""
    paren = any(mark in text for mark in _ENUM_PAREN_MARKS)
    return (
        set(_ENUM_PAREN_RE.findall(text)) if paren else set(),
        set(_ENUM_COMMA_RE.findall(text)) if "、" in text else set(),
        set(_ENUM_DIGIT_RE.findall(text)) if any(mark in text for mark in _ENUM_DIGIT_MARKS) else set(),
    )


def _enumeration_items(text: str) -> int:
    """Distinct enumeration markers of the most used style in text: (一)…(十八) gives 18."""
    return max(len(markers) for markers in _enumeration_markers(text))


def _reference_text(title: str | None, lead: str) -> str:
    """The topic reference: the title and the first sentence of the lead."""
    match = _FIRST_SENTENCE_RE.match(lead)
    first_sentence = match.group(0) if match else lead
    return f"{title or ''}\n{first_sentence[:LEAD_MAX_CHARS]}"


def _suffix_relevance(reference: set[str], paragraphs: Sequence[str]) -> list[float]:
    """For each k, weighted share of reference bigrams found anywhere in paragraphs[k:].

    Weights are inverse document frequency over the paragraphs, log(1 + n / df), so bigrams that
    are everywhere in the page (质量 in a quality news site) count little and the title's
    distinctive bigrams (大会, 成都) count much.
    """
    n = len(paragraphs)
    in_reference = [_grams_in(reference, p) for p in paragraphs]
    df: dict[str, int] = dict.fromkeys(reference, 0)
    for grams in in_reference:
        for gram in grams:
            df[gram] += 1
    weight = {gram: math.log(1 + n / max(count, 1)) for gram, count in df.items()}
    total = sum(weight.values())
    relevance = [1.0] * (n + 1)
    if total == 0:
        return relevance
    covered: set[str] = set()
    score = 0.0
    relevance[n] = 0.0
    for k in range(n - 1, -1, -1):
        for gram in in_reference[k] - covered:
            covered.add(gram)
            score += weight[gram]
        relevance[k] = score / total
    return relevance


def _block_end(paragraphs: Sequence[str], has_terms: Sequence[bool]) -> int:
    """End of the candidate block: the page end, minus a short footer tail without profile terms."""
    end = len(paragraphs)
    floor = max(0, end - MAX_TAIL_PARAGRAPHS)
    while end > floor and len(paragraphs[end - 1]) <= TAIL_MAX_CHARS and not has_terms[end - 1]:
        end -= 1
    return end


def _suffix_evidence(
    paragraphs: Sequence[str], terms: Sequence[set[str]], end: int
) -> list[tuple[int, int, int]]:
    """For each k < end, (distinct terms, enumeration items, characters) of paragraphs[k:end]."""
    evidence = [(0, 0, 0)] * end
    vocab: set[str] = set()
    markers: tuple[set[str], ...] = (set(), set(), set())
    chars = 0
    per_paragraph = _paragraph_markers(paragraphs[:end])
    for k in range(end - 1, -1, -1):
        vocab |= terms[k]
        if per_paragraph[k] is not _NO_MARKERS:
            for seen, found in zip(markers, per_paragraph[k], strict=True):
                seen |= found
        chars += len(paragraphs[k]) + (1 if k < end - 1 else 0)
        evidence[k] = (len(vocab), max(map(len, markers)), chars)
    return evidence


def _opening_vocab_min(paragraph: str, terms: set[str], next_paragraph: str) -> int | None:
    """Distinct terms a block needs when it opens on this paragraph (next_paragraph follows it; empty
    at the end), or None when the paragraph does not open a profile (an article paragraph mentioning
    会员, 宗旨 or 成立于 in passing, a caption ending on 职能 above ordinary paragraphs)."""
    if not terms:
        return None
    if _is_heading(paragraph, terms):
        return VOCAB_MIN if _introduces_profile(next_paragraph) else None
    if len(terms.intersection(CHARTER_TERMS)) >= DEFINITION_MIN_TERMS:
        return VOCAB_MIN
    defining = len(terms.intersection(DEFINING_TERMS))
    if defining >= SENTENCE_OPENING_DEFINING_MIN and _names_organisation(paragraph):
        return SENTENCE_OPENING_VOCAB_MIN
    return None


def _is_heading(paragraph: str, terms: set[str]) -> bool:
    """A short line ending on a heading term, with no sentence end (中国质量检验协会简介, 本会的业务
    范围:); a term inside a short line is a caption's word (…办理职能 认可与检验…)."""
    return (
        len(paragraph) <= HEADING_MAX_CHARS
        and not terms.isdisjoint(HEADING_TERMS)
        and _SENTENCE_END_RE.search(paragraph) is None
        and _HEADING_END_RE.search(paragraph) is not None
    )


def _introduces_profile(next_paragraph: str) -> bool:
    """What follows a profile heading is the profile: a sentence with a profile term (…成立于…,
    …自愿结成…) or an item list ((一)…); ordinary article text after a heading-like caption is not."""
    return bool(_profile_terms(next_paragraph)) or _enumeration_items(next_paragraph) > 0


def _opens_profile(paragraph: str, terms: set[str], next_paragraph: str) -> bool:
    """A block can open on this paragraph: a profile heading or a definitional sentence."""
    return _opening_vocab_min(paragraph, terms, next_paragraph) is not None


def _names_organisation(paragraph: str) -> bool:
    """The first clause opens with an organisation's name and then says what it is (a defining term)."""
    head = _SHORT_PAREN_RE.sub("", paragraph[: ORGANISATION_NAME_CHARS * 2])
    match = _FIRST_CLAUSE_RE.match(head)
    clause = match.group(0)[:ORGANISATION_NAME_CHARS] if match else ""
    term = _DEFINING_RE.search(clause)
    if term is None:
        return False
    names = list(_ORGANISATION_RE.finditer(clause, 0, term.start()))
    return bool(names) and term.start() - names[-1].end() <= NAME_TO_TERM_MAX_CHARS


def _has_profile_evidence(vocab: int, enum: int, vocab_min: int = VOCAB_MIN) -> bool:
    """Enough distinct profile terms, an item list counting as one more."""
    return vocab + (1 if enum >= ENUM_MIN else 0) >= vocab_min


def find_side_blocks(title: str | None, paragraphs: Sequence[str]) -> list[SideSpan]:
    """The unrelated profile block after the article, if any (at most one, running to the end)."""
    if len(paragraphs) < 2:
        return []
    terms = _paragraph_terms(paragraphs)
    # Cheap exit for the great majority of pages: no profile vocabulary after the lead.
    if not any(terms[1:]):
        return []
    end = _block_end(paragraphs, [bool(found) for found in terms])
    evidence = _suffix_evidence(paragraphs, terms, end)
    if end < 2 or not _has_profile_evidence(*evidence[1][:2]):
        return []
    reference_text = _reference_text(title, paragraphs[0])
    reference = _bigrams(reference_text)
    if not reference:
        return []
    reference_names = _quadgrams(reference_text)
    relevance = _suffix_relevance(reference, paragraphs[:end])
    for start in range(1, end):
        vocab, enum, chars = evidence[start]
        if relevance[start] > RELEVANCE_MAX or chars < MIN_BLOCK_CHARS:
            continue
        vocab_min = _opening_vocab_min(
            paragraphs[start], terms[start], paragraphs[start + 1] if start + 1 < end else ""
        )
        if vocab_min is None or not _has_profile_evidence(vocab, enum, vocab_min):
            continue
        block_opening = "\n".join(paragraphs[start:end])[:OPENING_CHARS]
        subject = len(reference_names & _quadgrams(block_opening))
        if subject >= SUBJECT_SHARED_MIN:
            return []  # the run is background on the article's subject, and so is any later part
        reason = f"profile_block:vocab={vocab},relevance={relevance[start]:.2f},enum={enum},subject={subject}"
        return [SideSpan(start, end, reason)]
    return []
