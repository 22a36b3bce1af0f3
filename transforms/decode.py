"""Bytes to text as a browser reads a page: BOM, strict UTF-8, the page's own declaration, then
detection among the encodings Chinese pages use; a few stray bytes become U+FFFD, not a rejection."""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass

from charset_normalizer import from_bytes

from transforms.model import InputFormat

# Encodings a Chinese news page comes in besides UTF-8 (GBK and GB2312 are subsets of GB18030; Big5
# is read as Big5-HKSCS, its superset that browsers use, and still called big5 when it is plain Big5).
CANDIDATE_ENCODINGS = ("gb18030", "big5hkscs", "utf_16_le", "utf_16_be")
# The double-byte Chinese encodings among them: a whole file that decodes in one without an error is
# text in it (random bytes break their byte-pair rules within a few pairs; UTF-16 decodes almost
# any even-length bytes, so it is not among them).
DOUBLE_BYTE_ENCODINGS = ("gb18030", "big5hkscs")
# charset-normalizer's mess ceiling when it only ranks encodings that decode the file strictly: any
# (the strict decode is the evidence; the mess measure picks Big5 over its GB18030 mojibake). Its
# default, 0.2, is applied chunk by chunk and drops every candidate of some short pages: a valid
# 1.3 kB Big5 page of generated news (mess 0.01 as a whole) came back with no result and was
# rejected as undecodable (1 in 20,000 generated files).
RANKING_CHAOS_THRESHOLD = 1.0
DETECTION_CHAOS_THRESHOLD = 0.2  # charset-normalizer's own default: its best guess, when it has one

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# File signatures of formats that are never page text (first bytes of the file).
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or docx/xlsx)"),
    (b"\x1f\x8b", "gzip archive"),
    (b"RIFF", "RIFF media file"),
    (b"\x7fELF", "ELF executable"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
)

# A UTF-8 page with a few broken bytes is still UTF-8: up to this share of undecodable bytes (one
# damaged character in 200) is repaired with U+FFFD rather than handing the page to a detector,
# which would misread the whole page as GB18030 mojibake.
MAX_BROKEN_UTF8_SHARE = 0.005
# When no other encoding fits either, text that is mostly valid multi-byte UTF-8 is still UTF-8 with
# more damage (a short page cut mid-character plus a stray byte or two is already 0.7%); up to one
# broken byte in 20 it is kept with U+FFFD rather than rejected as undecodable.
MAX_BROKEN_UTF8_SHARE_LAST_RESORT = 0.05
# Below this share of valid multi-byte UTF-8 sequences the text is not "UTF-8 with damage" but
# another encoding: real Chinese UTF-8 text is mostly 3-byte sequences.
MIN_UTF8_MULTIBYTE_SHARE = 0.2
# Control characters (other than tab/newline/CR/FF) above this share of the text mean binary data
# that happened to decode; page text has none (measured: 0 in all 66 dev pages and the seeds).
MAX_CONTROL_SHARE = 0.01
# NUL bytes above this share of the bytes (with no UTF-16 BOM) mean a binary file, not text with a
# few stray NULs from a broken save.
MAX_NUL_SHARE = 0.01

# Web encoding labels (WHATWG Encoding Standard) of the encodings Chinese pages declare, as browsers
# read them: GB2312 and GBK pages are decoded as GB18030, their superset; Big5 as Big5-HKSCS, the
# superset browsers use (Hong Kong characters such as 𨋢 are not in plain Big5).
_GB_LABELS = (
    "gb2312", "gbk", "gb_2312", "gb_2312-80", "chinese", "csgb2312", "csiso58gb231280", "iso-ir-58",
    "x-gbk", "gb18030", "euc-cn", "cp936", "windows-936",
)  # fmt: skip
_BIG5_LABELS = ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5", "cp950")
_UTF8_LABELS = ("utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8")
WEB_LABELS = {
    **dict.fromkeys(_GB_LABELS, "gb18030"),
    **dict.fromkeys(_BIG5_LABELS, "big5hkscs"),
    **dict.fromkeys(_UTF8_LABELS, "utf-8"),
}
# Where a page declares its encoding: the XML declaration, <meta charset>, or the http-equiv
# Content-Type. Browsers prescan 1,024 bytes; Chinese pages put long <head> scripts before the meta
# tag (the dev pages' declarations end within the first 2 kB), so a wider window costs nothing.
DECLARATION_SCAN_BYTES = 16 * 1024
_DECLARATION = re.compile(
    rb"<\?xml[^>]{0,200}?encoding\s*=\s*[\"']?\s*([\w.:-]+)"
    rb"|<meta\b[^>]{0,500}?charset\s*=\s*[\"']?\s*([\w.:-]+)",
    re.IGNORECASE,
)
# When no encoding reads a page strictly, it is kept in its declared double-byte encoding (else in
# the one that reads it with the fewest errors) with U+FFFD in place of up to this share of its
# characters, as a browser shows it: the two GB2312 pages rejected on a real collection had 2 and
# 12 stray bytes among 40-50 kB (under 0.05%); text in another encoding, or binary data, breaks on
# a large share of its non-ASCII bytes.
MAX_BROKEN_SHARE = 0.001
# ...and always this many, so that a short page (a 1 kB notice) with a stray byte or two is kept too
# (a stray that falls inside a character costs two).
MIN_BROKEN_ALLOWED = 4

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HTML_START = re.compile(r"<\s*(?:!doctype\s+html|html|head|body|meta|title)\b", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?(?:p|div|span|a|br|table|tr|td|li|ul|img|h[1-6])\b[^>]*>", re.IGNORECASE)
# Pages without <html>/<body> still count as HTML when tags are this common in the first 4 KiB.
MIN_TAGS_FOR_HTML = 5
HTML_SNIFF_CHARS = 4096


@dataclass(frozen=True)
class Decoded:
    """Page text and the encoding it was read with."""

    text: str
    encoding: str


@dataclass(frozen=True)
class Rejection:
    """Why a file is not a document: a snake_case reason and a sentence for a person."""

    reason: str
    detail: str


def binary_signature(data: bytes) -> str | None:
    """Name of a binary format whose magic bytes start the file, so a PNG named .txt is refused."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    return None


def _from_bom(data: bytes) -> Decoded | None:
    """A byte-order mark settles the encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding), encoding.replace("-sig", ""))
            except UnicodeDecodeError:
                return None
    return None


def _utf8_with_damage(data: bytes, max_broken_share: float = MAX_BROKEN_UTF8_SHARE) -> Decoded | None:
    """UTF-8 text with a few invalid bytes, repaired with U+FFFD."""
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    if broken > max_broken_share * len(data):
        return None
    # Characters above U+007F other than U+FFFD, counted without a loop over the characters.
    multibyte = len(text) - len(text.encode("ascii", "ignore")) - broken
    if multibyte < MIN_UTF8_MULTIBYTE_SHARE * len(text):
        return None
    return Decoded(text, "utf-8")


def _detected(
    data: bytes, encodings: Sequence[str] = CANDIDATE_ENCODINGS, threshold: float = DETECTION_CHAOS_THRESHOLD
) -> Decoded | None:
    """charset-normalizer's best guess among the encodings (by default those Chinese pages use)."""
    best = from_bytes(data, cp_isolation=list(encodings), threshold=threshold).best()
    if best is None:
        return None
    text = str(best)
    return Decoded(text, _reported(best.encoding, data, text).replace("_", "-"))


def declared_encoding(data: bytes) -> str | None:
    """The Python codec for the encoding the page declares (web labels mapped as browsers map them)."""
    match = _DECLARATION.search(data[:DECLARATION_SCAN_BYTES])
    if match is None:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii", "ignore").strip().lower()
    return WEB_LABELS.get(label)


def _reported(codec: str, data: bytes, text: str) -> str:
    """The encoding name stored: big5 when plain Big5 reads the bytes the same, else big5-hkscs."""
    if codec not in ("big5hkscs", "big5-hkscs"):
        return codec
    try:
        return "big5" if data.decode("big5") == text else "big5-hkscs"
    except UnicodeDecodeError:
        return "big5-hkscs"


def _with_few_errors(data: bytes, codec: str) -> Decoded | None:
    """The page in one encoding, with U+FFFD for the few characters that do not decode (stray bytes)."""
    text = data.decode(codec, errors="replace")
    if text.count("\ufffd") > max(MAX_BROKEN_SHARE * len(text), MIN_BROKEN_ALLOWED):
        return None
    return Decoded(text, _reported(codec, data, text))


def _declared(data: bytes) -> Decoded | None:
    """The declared double-byte encoding, when it is the only one that reads the page strictly (no
    detection needed). When both read it (GB2312 text is valid Big5 too) the detector ranks them."""
    codec = declared_encoding(data)
    if codec not in DOUBLE_BYTE_ENCODINGS:
        return None
    reading = _strict(data, codec)
    if reading is None:
        return None
    if any(_strict(data, other) for other in DOUBLE_BYTE_ENCODINGS if other != codec):
        return _strictly_decoded(data)  # both read it: the less messy reading, whatever it declares
    return Decoded(reading.text, _reported(codec, data, reading.text))


def _with_strays(data: bytes) -> Decoded | None:
    """A page no encoding reads strictly: its declared double-byte encoding, else the one with the
    fewest errors, when the errors are a few stray bytes."""
    codec = declared_encoding(data)
    if codec in DOUBLE_BYTE_ENCODINGS:
        return _with_few_errors(data, codec)
    readings = [r for r in (_with_few_errors(data, c) for c in DOUBLE_BYTE_ENCODINGS) if r is not None]
    return min(readings, key=lambda r: r.text.count("\ufffd")) if readings else None


def _strictly_decoded(data: bytes) -> Decoded | None:
    """The double-byte encoding the whole file decodes in without an error, the least messy when
    both do: for text that detection at its default ceiling left without any candidate."""
    fitting = [decoded for encoding in DOUBLE_BYTE_ENCODINGS if (decoded := _strict(data, encoding))]
    if not fitting:
        return None
    if not fitting:
        return None
    return _detected(data, [d.encoding for d in fitting], RANKING_CHAOS_THRESHOLD) or fitting[0]


def control_share(text: str) -> float:
    """Share of control characters, which page text does not have."""
    return len(_CONTROL.findall(text)) / max(len(text), 1)


def decode_bytes(data: bytes) -> Decoded | Rejection:
    """Decode a seed file's bytes, or say in plain words why it is not text."""
    if not data.strip():
        return Rejection("empty_file", "the file is empty or holds only white space")
    magic = binary_signature(data)
    if magic:
        return Rejection("binary_content", f"the file is a {magic}, not page text")
    decoded = _from_bom(data)
    if decoded is None:
        nul_share = data.count(0) / len(data)
        if nul_share > MAX_NUL_SHARE and not _looks_utf16(data):
            return Rejection("binary_content", f"{nul_share:.0%} of the bytes are NUL: binary data")
        data = data.replace(b"\x00", b"") if nul_share <= MAX_NUL_SHARE else data
        decoded = (
            _strict(data, "utf-8")
            or _declared(data)
            or _utf8_with_damage(data)
            or _detected(data)
            or _utf8_with_damage(data, MAX_BROKEN_UTF8_SHARE_LAST_RESORT)
            or _strictly_decoded(data)
            or _with_strays(data)
        )
    if decoded is None:
        return Rejection("undecodable", "not valid UTF-8, GB18030/GBK, Big5 or UTF-16 text: no encoding fits")
    if control_share(decoded.text) > MAX_CONTROL_SHARE:
        return Rejection(
            "binary_content",
            f"decoded as {decoded.encoding} but {control_share(decoded.text):.1%} control characters: binary",
        )
    return Decoded(decoded.text.replace("\x00", ""), decoded.encoding)


def _strict(data: bytes, encoding: str) -> Decoded | None:
    """The whole file in one encoding without an error (strict UTF-8: the common case, decided
    without detection)."""
    try:
        return Decoded(data.decode(encoding), encoding)
    except UnicodeDecodeError:
        return None


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a BOM: NULs fall on alternate bytes for ASCII, so one parity dominates."""
    sample = data[:4096]
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    return max(even, odd) > 0.2 * len(sample) / 2 and min(even, odd) < 0.02 * len(sample) / 2


def sniff_format(text: str) -> InputFormat:
    """HTML or plain text, by content rather than file extension."""
    head = text[:HTML_SNIFF_CHARS]
    if _HTML_START.search(head) or len(_HTML_TAG.findall(head)) >= MIN_TAGS_FOR_HTML:
        return "html"
    return "text"
