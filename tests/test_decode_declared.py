"""Decoding as browsers do (issue 18): the page's own declaration first, the web's encoding labels,
and a few stray bytes kept as U+FFFD instead of losing the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.clean import clean_document
from transforms.decode import Decoded, Rejection, declared_encoding, decode_bytes, sniff_format

SHORT_BIG5_PAGE = (Path(__file__).parent / "data" / "decode" / "big5_short_page.txt").read_text("utf-8")
PARAGRAPHS = [
    "全国铁路暑运正式启动，预计发送旅客六亿人次，铁路部门将增开旅客列车，满足学生和游客的出行需要。",
    "据介绍，今年暑运期间，全国铁路将实行新的列车运行图，开行旅客列车的数量比去年同期明显增加。",
    "铁路部门提醒广大旅客，合理安排出行时间，通过官方渠道购票，注意防暑降温和人身财产安全。",
]
TRADITIONAL = [
    "香港特別行政區政府今日公布新一輪資助計劃，協助市民應付生活開支，並加強對長者的支援。",
    "大廈的𨋢（升降機）將於下月全面更換，管理處表示工程期間會安排臨時措施，方便住戶出入。",
    "有關部門表示，會繼續密切留意市場情況，適時推出措施，確保市民的基本生活需要得到保障。",
]


def html_page(paragraphs: list[str], head: str = "") -> str:
    """A small news page (a real page's shape: head, headline, paragraphs; about 1,000 characters)."""
    title = paragraphs[0][:6]
    body = "".join(f"<p>{p}</p>" for p in paragraphs * 6)
    return f"<html><head>{head}<title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"


def with_strays(data: bytes, count: int) -> bytes:
    """`count` 0xFF bytes (never a byte of a GB18030 or Big5 character) put at the start of paragraphs
    spread over the page: what a damaged save leaves."""
    starts = [i for i in range(len(data)) if data.startswith(b"<p>", i)]
    places = starts[:: max(len(starts) // count, 1)][:count]
    out = bytearray(data)
    for i in reversed(places):
        out[i + 3 : i + 3] = bytes([0xFF])
    return bytes(out)


@pytest.mark.parametrize(
    ("head", "codec"),
    [
        ('<meta charset="gb2312">', "gb18030"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=GBK">', "gb18030"),
        ("<meta charset='x-gbk' />", "gb18030"),
        ('<?xml version="1.0" encoding="GB2312"?><meta name="x">', "gb18030"),
        ('<meta charset="big5">', "big5hkscs"),
        ('<meta http-equiv="content-type" content="text/html;charset=big5-hkscs">', "big5hkscs"),
        ('<meta charset="utf-8">', "utf-8"),
        ('<meta charset="iso-8859-1">', None),  # not a Chinese encoding: detection decides
        ("", None),
    ],
)
def test_declared_encoding(head: str, codec: str | None) -> None:
    assert declared_encoding(html_page(PARAGRAPHS, head).encode("utf-8")) == codec


def test_declared_gb2312_page_with_stray_bytes_is_kept_with_replacement_characters() -> None:
    page = html_page(PARAGRAPHS, '<meta charset="gb2312">')
    data = with_strays(page.encode("gb18030"), 2)
    decoded = decode_bytes(data)
    assert isinstance(decoded, Decoded)
    assert decoded.encoding == "gb18030"
    assert decoded.text.replace("\ufffd", "") == page  # each stray byte is one U+FFFD, nothing else
    doc = clean_document(decoded.text, sniff_format(decoded.text))
    assert "replacement_char" in doc.flags
    assert doc.text.replace("\ufffd", "").split("\n") == PARAGRAPHS * 6


def test_a_long_page_keeps_a_tenth_of_a_percent_of_stray_bytes() -> None:
    page = html_page(PARAGRAPHS * 10, '<meta charset="gbk">')  # about 10,000 characters
    kept = decode_bytes(with_strays(page.encode("gb18030"), 9))
    assert isinstance(kept, Decoded) and kept.text.count("\ufffd") == 9
    assert isinstance(decode_bytes(with_strays(page.encode("gb18030"), 40)), Rejection)


def test_undeclared_gbk_page_with_stray_bytes_is_kept() -> None:
    page = html_page(PARAGRAPHS)
    decoded = decode_bytes(with_strays(page.encode("gb18030"), 2))
    assert declared_encoding(page.encode("gb18030")) is None
    assert isinstance(decoded, Decoded)
    assert (decoded.encoding, decoded.text.count("\ufffd")) == ("gb18030", 2)


def test_a_wrong_declaration_loses_to_the_bytes() -> None:
    """A Big5 page that says gb2312 is read as Big5; a UTF-8 page that says gbk is read as UTF-8."""
    big5 = html_page(
        [ln for ln in SHORT_BIG5_PAGE.split("\n") if len(ln) > 20][:3], '<meta charset="gb2312">'
    )
    assert decode_bytes(big5.encode("big5")) == Decoded(big5, "big5")
    utf8 = html_page(PARAGRAPHS, '<meta charset="gbk">')
    assert decode_bytes(utf8.encode("utf-8")) == Decoded(utf8, "utf-8")


@pytest.mark.parametrize("head", ['<meta charset="big5">', ""])
def test_big5_hkscs_characters_are_read(head: str) -> None:
    page = html_page(TRADITIONAL, head)
    assert decode_bytes(page.encode("big5hkscs")) == Decoded(page, "big5-hkscs")


def test_plain_big5_is_still_called_big5() -> None:
    page = html_page([ln for ln in SHORT_BIG5_PAGE.split("\n") if len(ln) > 20][:3], '<meta charset="big5">')
    assert decode_bytes(page.encode("big5")) == Decoded(page, "big5")


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 40,  # binary: every byte value
        html_page(PARAGRAPHS, '<meta charset="gb2312">').encode("gb18030")[:200] + b"\xff\xfe" * 400,
    ],
)
def test_text_that_is_not_chinese_in_any_encoding_is_still_refused(data: bytes) -> None:
    assert isinstance(decode_bytes(data), Rejection)
