"""Seeds for the review site's tests: the project's five, plus pages whose text and names are hostile."""

from __future__ import annotations

import shutil
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
# What a page's text may carry: if any of it ran or loaded in the report, the page would change.
SCRIPT = "<script>window.__pwned=1;document.title='PWNED'</script>"
IMG = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
LINK = "<a href=\"javascript:document.body.setAttribute('data-pwned','2')\">点击这里</a>"
HOSTILE_ID = "hostile.txt"
# Two sentences of seed 004, so that the hostile page and 004 make an event (its page shows the markup).
SHARED_004 = (
    "7月24日,中国(聊城)区域高质量发展论坛暨聊城质量强市战略五方合作第四次联席会议在聊城召开。"
    "此次会议旨在落实国家和山东省关于高质量发展、新旧动能转换、质量提升等一系列文件精神,聚焦质量强市战略、"
    "推动质量强市示范城市建设,凝练提升质量强市工作的聊城模式,打造聊城质量强市创建工作亮点。"
)
HOSTILE_TEXT = f"""测试页面标题{SCRIPT}

时间:2023-08-22 来源:测试网

这是一段正文内容,页面作者在文字里写了{SCRIPT}这样的标记,报告必须把它当作文字显示。
正文第二段提到一张图片{IMG}以及一个链接{LINK},都不能在报告里生效。
{SHARED_004}
"""
# A doc_id no file name can hold as it is: dots, a backslash, markup, an emoji, two long folder names.
ODD_ID = "odd..dir/" + "长" * 80 + "/" + "x" * 150 + "/..\\evil<b>😀.txt"
TITLE_BREAKOUT = "</title><script>document.title=1</script>"  # still a title to the rules
ODD_TEXT = f"""奇怪的文件名{TITLE_BREAKOUT}

正文只有一段,说明文件名里的符号不会把报告的文件写到别处去,也不会让两个文档共用一个页面。
"""


def hostile_seeds(target: Path) -> Path:
    """The five seeds, the hostile page, the oddly named page, an empty file and a PNG under target."""
    shutil.copytree(SEEDS, target)
    for path in target.iterdir():
        path.chmod(0o644)
    (target / HOSTILE_ID).write_text(HOSTILE_TEXT, encoding="utf-8")
    odd = target / ODD_ID
    odd.parent.mkdir(parents=True)
    odd.write_text(ODD_TEXT, encoding="utf-8")
    (target / "empty.txt").write_bytes(b"")
    (target / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    return target
