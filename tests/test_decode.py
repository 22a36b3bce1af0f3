"""Decoding fallbacks: a valid double-byte page that detection drops is still read, in its encoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.decode import Decoded, _strictly_decoded, decode_bytes

# A generated 1.3 kB Big5 page (Traditional news text) for which charset-normalizer 3 returns no
# candidate at its default mess ceiling; before the strict fallback it was rejected as undecodable.
SHORT_BIG5_PAGE = (Path(__file__).parent / "data" / "decode" / "big5_short_page.txt").read_text("utf-8")
TRADITIONAL = "台北國際書展今日開幕，吸引大批讀者入場。主辦單位表示，今年共有五百家出版社參展。"
SIMPLIFIED = "全国铁路暑运正式启动，预计发送旅客六亿人次，铁路部门将增开旅客列车。"


def test_short_big5_page_is_read_as_big5() -> None:
    assert decode_bytes(SHORT_BIG5_PAGE.encode("big5")) == Decoded(SHORT_BIG5_PAGE, "big5")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # valid in both double-byte encodings: the less messy reading (Big5, not GB18030 mojibake)
        (SHORT_BIG5_PAGE.encode("big5"), Decoded(SHORT_BIG5_PAGE, "big5")),
        (TRADITIONAL.encode("big5"), Decoded(TRADITIONAL, "big5")),
        (SIMPLIFIED.encode("gb18030"), Decoded(SIMPLIFIED, "gb18030")),
        # valid in neither (a lone lead byte at the end, an 0xFF byte): no reading
        (SIMPLIFIED.encode("gb18030") + b"\x81", None),
        (b"\xff\xfe\xfd\xfc" * 8, None),
    ],
)
def test_strictly_decoded(data: bytes, expected: Decoded | None) -> None:
    assert _strictly_decoded(data) == expected
