"""Bytes to text: BOM, strict UTF-8, then detection among the encodings Chinese pages use."""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass

from charset_normalizer import from_bytes

from transforms.model import InputFormat

# Encodings a Chinese news page comes in besides UTF-8 (GBK and GB2312 are subsets of GB18030).
CANDIDATE_ENCODINGS = ("gb18030", "big5", "utf_16_le", "utf_16_be")
# The double-byte Chinese encodings among them: a whole file that decodes in one without an error is
# text in it (random bytes break their byte-pair rules within a few pairs; UTF-16 decodes almost
# any even-length bytes, so it is not among them).
DOUBLE_BYTE_ENCODINGS = ("gb18030", "big5")
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
    encoding = best.encoding.replace("_", "-")
    return Decoded(str(best), encoding)


def _strictly_decoded(data: bytes) -> Decoded | None:
    """The double-byte encoding the whole file decodes in without an error, the least messy when
    both do: for text that detection at its default ceiling left without any candidate."""
    fitting = [decoded for encoding in DOUBLE_BYTE_ENCODINGS if (decoded := _strict(data, encoding))]
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
            or _utf8_with_damage(data)
            or _detected(data)
            or _utf8_with_damage(data, MAX_BROKEN_UTF8_SHARE_LAST_RESORT)
            or _strictly_decoded(data)
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
