"""Traditional-to-Simplified conversion (OpenCC's own t2s cases) and script detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from transforms.script import detect_script, script_counts, to_simplified

# Every case with a t2s expectation in OpenCC's test/testcases/testcases.json (see "source" in the file).
OPENCC_CASES = json.loads(
    (Path(__file__).parent / "data" / "opencc_t2s_cases.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", OPENCC_CASES["cases"], ids=[c["id"] for c in OPENCC_CASES["cases"]])
def test_opencc_t2s_suite(case: dict[str, str]) -> None:
    assert to_simplified(case["input"]) == case["expected"]


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("乾安縣", "乾安县"),  # place name: 乾 stays
        ("乾燥", "干燥"),
        ("頭髮", "头发"),
        ("乾隆", "乾隆"),
        ("後來", "后来"),
        ("皇后", "皇后"),
        ("瞭解", "了解"),
        ("裡面", "里面"),
        ("發布時間", "发布时间"),
        ("中國計量網", "中国计量网"),
        ("第二屆中國質量(上海)大會圓滿舉行", "第二届中国质量(上海)大会圆满举行"),
        ("简体不变。", "简体不变。"),
    ],
)
def test_phrase_level_conversion(traditional: str, simplified: str) -> None:
    assert to_simplified(traditional) == simplified


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("這是一篇繁體中文的新聞報導，記者從會議上獲悉。", "traditional"),
        ("这是一篇简体中文的新闻报道，记者从会议上获悉。", "simplified"),
        ("这是简体的一半。這是繁體的另一半。", "mixed"),
        ("中文", "simplified"),  # no script-specific character: valid as Simplified
        ("", "simplified"),
        ("皇后與太后見過後，發表講話，會議在國家大劇院舉行。", "traditional"),  # 后 is Traditional too
    ],
)
def test_detect_script(text: str, script: str) -> None:
    assert detect_script(text) == script


def test_script_counts_count_specific_characters_only() -> None:
    assert script_counts("國家 国家 中文") == (1, 1)
