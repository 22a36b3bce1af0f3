"""Test helpers: clean Simplified bodies of the seed files, cut by hand from the acceptance table."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.devpages import DEV_PAGES
from transforms.overlap import passage_rows_batch
from transforms.script import to_simplified

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
_PINYIN = re.compile(r"(?<=[\u3400-\u9fff])\([a-z\u00e0-\u00fc\u0100-\u01dc]+\)")
# (file prefix, first body line starts with, last body line contains, lines to drop) per SEEDS-EXPECTED.md
_BODY_CUTS = {
    "000": ("", "", ()),
    "001": ("8月21日", "汇集中国质量发展最新成果的盛会", ("新闻发布会现场",)),
    "002": ("新華社上海", "共680多人參加大會", ()),
    "003": ("中國經濟網北京", "新聞界代表參加論壇", ()),
    "004": (
        "",
        "",
        (
            "国务院发展研究中心原副主任侯云春为大家解读",
            "窦建民副校长",
            "聊城上链企业签约",
            "山东质量链聊城启动仪式",
        ),
    ),
}


def seed_body(prefix: str) -> str:
    """One seed's article body as the cleaning step delivers it (Simplified, a line per paragraph)."""
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    start, end, drop = _BODY_CUTS[prefix]
    lines = [_PINYIN.sub("", line).strip() for line in path.read_text(encoding="utf-8").split("\n")]
    lines = [line for line in lines if line]
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    last = next((i for i, line in enumerate(lines) if end and end in line), len(lines) - 1)
    body = [line for line in lines[first : last + 1] if not any(line.startswith(d) for d in drop)]
    return to_simplified("\n".join(body)).removesuffix("|").strip()


def write_passages(tmp: Path, name: str, docs: dict[str, str]) -> Path:
    """One shard of the passage index, as the flow writes it."""
    path = tmp / f"{name}.parquet"
    pq.write_table(passage_rows_batch(list(docs), list(docs.values())), path)
    return path


def documents_table(docs: dict[str, str]) -> pa.Table:
    """The documents argument of match_corpus."""
    return pa.table(
        {"doc_id": list(docs), "text_chars": pa.array([len(t) for t in docs.values()], pa.int64())}
    )


# Twelve real pages on unrelated stories, from twelve different sites.
UNRELATED_PAGES = [
    "baijiahao_1",
    "cjn_1",
    "csdn_1",
    "ednchina_1",
    "guancha_2",
    "huanqiu_1",
    "njxfhn_1",
    "sina_1",
    "thepaper_1",
    "toutiao_3",
    "toutiao_4",
    "guancha_3",
]


def dev_page_body(name: str, paragraphs: int = 10) -> str:
    """The first long <p> paragraphs of a real page, in Simplified script (read in place, never copied)."""
    import lxml.html

    root = lxml.html.fromstring((DEV_PAGES / "gne" / f"{name}.html").read_bytes())
    texts = [" ".join(p.text_content().split()) for p in root.iter("p")]
    return to_simplified("\n".join([t for t in texts if len(t) >= 20][:paragraphs]))
