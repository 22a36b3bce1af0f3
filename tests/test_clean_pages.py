"""Pages no seed has: Traditional and Simplified, UTF-8 / GBK / Big5, text and HTML, one site twice,
and hard negatives whose short lines are content. Each states its labels and that no body line is lost."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from transforms.clean import clean_document
from transforms.corpus import body_of, page_lines, relabel
from transforms.decode import Decoded, decode_bytes
from transforms.model import CleanDocument, InputFormat
from transforms.repetition import document_fingerprints


@dataclass(frozen=True)
class Page:
    name: str
    text: str
    encoding: str = "utf-8"
    input_format: InputFormat = "text"
    labels: dict[int, tuple[str, str]] = field(default_factory=dict)
    body: tuple[str, ...] = ()  # Simplified body lines that must all be in doc.text, in order
    title: str | None = None
    date: dt.date | None = None
    source: str | None = None
    author: str | None = None
    editor: str | None = None
    flags: tuple[str, ...] = ()


GBK_NEWS = """当前位置：首页 > 地方新闻 > 正文
市政府召开优化营商环境推进会
来源：新华网  2023-05-06 10:20  作者：李明
　　5月5日，市政府召开优化营商环境推进会，部署下一阶段重点工作。
会议议程如下：
通报一季度营商环境评价结果
区县代表交流发言
市长讲话
　　会议强调，要持续深化“放管服”改革，他在会上分享了企业开办“一网通办”的做法。
返回顶部
Copyright © 2023 某某网 版权所有 京ICP备12345678号
"""

BIG5_NEWS = """首頁 > 財經 > 正文
央行宣布調降存款準備金率
發布時間：2022年3月1日 09:00 來源：中央社
中央銀行今日宣布調降存款準備金率0.25個百分點，釋放長期資金約5300億元。
央行表示，此舉旨在支持實體經濟發展，降低企業融資成本。
上一篇：外匯存底創新高
下一篇：股市早盤震盪
打印本頁
"""

NOTICE = """关于召开年度工作会议的通知
各有关单位：
经研究，决定召开年度工作会议。现将有关事项通知如下：
一、会议时间
2023年6月1日上午9时
二、会议地点
市政府三楼会议室
三、参会人员
各区县分管负责同志。
请各单位按时参加。
"""

CAPTIONS = """7月10日，全省夏粮收购工作会议在郑州召开，各地粮食部门负责人参加会议。
会议现场。王五摄
会议指出，今年夏粮收购总体平稳，价格保持在合理区间，农民售粮积极性较高。
粮库工作人员检查入库小麦
会议要求，各地要加强库容调度，确保农民余粮卖得出、卖得好。
（完）
责任编辑：赵六
"""

PINYIN_TRAD = """國家市場監管總局發(fā)布新規(guī)
發(fā)布時間:2021-11-02 來源:市場監管總局
  新規(guī)自2022年1月1日起施行,進一步規(guī)範網(wǎng)絡交易(ISO標準除外)。
  記者從總局了解到,相關配套文件將陸續(xù)出臺。
分享到:
"""

TRUNCATED = """上了解到，今年全市新增就业岗位3.2万个，同比增长12%。
据介绍，全市将继续实施就业优先政策，扩大就业容量。
"""

MOJIBAKE = """省教育厅召开全省教育工作会议
时间：2020-01-08 来源：教育厅
会议由 、省政府办公厅联合主办，威廉?史密斯教授作主题报告。
会议总结了过去一年的工作，部署了新一年的重点任务。
"""

HTML_SIMPLIFIED = """<html><head><title>全国铁路暑运启动_新闻中心_某某网</title>
<meta name="publishdate" content="2023-07-01"></head><body>
<nav><a href="/">首页</a> <a href="/news">新闻</a></nav>
<h1>全国铁路暑运启动</h1>
<p>7月1日，全国铁路暑运正式启动，预计发送旅客6.8亿人次。</p>
<p>铁路部门将增开旅客列车，满足旅客出行需求。</p>
<p>相关阅读</p>
</body></html>"""

HTML_TRADITIONAL = """<html><head><title>台北國際書展開幕 - 某某新聞網</title></head><body>
<h1>台北國際書展開幕</h1>
<p>記者 陳美玲</p>
<p>台北國際書展今日開幕，吸引大批讀者入場。</p>
<p>主辦單位表示，今年共有五百家出版社參展。</p>
<p>返回頂部</p>
</body></html>"""

SITE_HEAD = "某某日报网 今日关注 独家策划\n"
SITE_A = (
    SITE_HEAD
    + """全市新建五十所幼儿园
来源：某某日报 2023-08-01
今年以来，全市新建幼儿园五十所，新增学位一万两千个。
本网特稿
教育部门表示，将继续扩大普惠性学前教育资源。
"""
)
SITE_B = (
    SITE_HEAD
    + """地铁三号线年底通车
来源：某某日报 2023-08-02
地铁三号线全长二十八公里，设站二十座，年底将开通运营。
本网特稿
建设单位表示，目前全线已进入设备调试阶段。
"""
)

RELATED_AND_EDITOR = """市场监管总局部署质量提升行动
来源：新华社  编辑：王伟  2023-04-02 10:20
　　4月1日，市场监管总局召开会议，部署今年的质量提升行动。
　　会议要求，各地要加强计量、标准、认证认可等质量基础设施建设，服务企业高质量发展。
(责任编辑:李强)
相关阅读
第二条　国家标准委发布新一批国家标准 计量测试仪器企业参展
三、质量强市示范城市名单公布
新浪科技讯 北京时间9月11日凌晨消息，
关于我们 | 联系我们
"""

PAGES = [
    Page(
        "related_links_and_closing_editor",
        RELATED_AND_EDITOR,
        labels={
            1: ("title", "heading_above_meta"),
            2: ("meta", "meta_line"),
            5: ("meta", "editor_line"),  # the top line named an editor too: still the article's credit
            6: ("boilerplate", "related_links_heading"),
            7: ("boilerplate", "related_link"),  # enumerated, yet a link under the heading
            8: ("boilerplate", "related_link"),
            9: ("body", "paragraph"),  # ends in a clause comma: text, so the links end above it
        },
        body=(
            "4月1日，市场监管总局召开会议，部署今年的质量提升行动。",
            "会议要求，各地要加强计量、标准、认证认可等质量基础设施建设，服务企业高质量发展。",
        ),
        title="市场监管总局部署质量提升行动",
        date=dt.date(2023, 4, 2),
        source="新华社",
        editor="王伟",
    ),
    Page(
        "gbk_simplified_text_with_hard_negatives",
        GBK_NEWS,
        encoding="gb18030",
        labels={
            1: ("boilerplate", "breadcrumb"),
            2: ("title", "heading_above_meta"),
            3: ("meta", "meta_line"),
            5: ("body", "paragraph"),
            6: ("body", "after_lead_in"),
            8: ("body", "after_lead_in"),
            10: ("boilerplate", "back_to_top"),
            11: ("boilerplate", "icp_copyright"),
        },
        body=(
            "5月5日，市政府召开优化营商环境推进会，部署下一阶段重点工作。",
            "会议议程如下：",
            "通报一季度营商环境评价结果",
            "区县代表交流发言",
            "市长讲话",
            "会议强调，要持续深化“放管服”改革，他在会上分享了企业开办“一网通办”的做法。",
        ),
        title="市政府召开优化营商环境推进会",
        date=dt.date(2023, 5, 6),
        source="新华网",
        author="李明",
    ),
    Page(
        "big5_traditional_text",
        BIG5_NEWS,
        encoding="big5",
        labels={
            1: ("boilerplate", "breadcrumb"),
            2: ("title", "heading_above_meta"),
            3: ("meta", "meta_line"),
            6: ("boilerplate", "prev_next_link"),
            7: ("boilerplate", "prev_next_link"),
            8: ("boilerplate", "print_page"),
        },
        body=(
            "中央银行今日宣布调降存款准备金率0.25个百分点，释放长期资金约5300亿元。",
            "央行表示，此举旨在支持实体经济发展，降低企业融资成本。",
        ),
        title="央行宣布调降存款准备金率",
        date=dt.date(2022, 3, 1),
        source="中央社",
    ),
    Page(
        "notice_whose_short_lines_are_content",
        NOTICE,
        labels={
            1: ("title", "opening_heading"),
            4: ("body", "enumerated_heading"),
            5: ("body", "after_lead_in"),
            7: ("body", "after_lead_in"),
        },
        body=tuple(NOTICE.splitlines()[1:]),
        title="关于召开年度工作会议的通知",
    ),
    Page(
        "captions_footer_and_editor",
        CAPTIONS,
        labels={
            2: ("caption", "photo_credit"),
            4: ("caption", "short_line_between_paragraphs"),
            6: ("boilerplate", "after_last_paragraph"),
            7: ("meta", "editor_line"),
        },
        body=tuple(CAPTIONS.splitlines()[i] for i in (0, 2, 4)),
        editor="赵六",
    ),
    Page(
        "traditional_with_pinyin",
        PINYIN_TRAD,
        labels={
            1: ("title", "heading_above_meta"),
            2: ("meta", "meta_line"),
            5: ("boilerplate", "share_widget"),
        },
        body=(
            "新规自2022年1月1日起施行,进一步规范网络交易(ISO标准除外)。",
            "记者从总局了解到,相关配套文件将陆续出台。",
        ),
        title="国家市场监管总局发布新规",
        date=dt.date(2021, 11, 2),
        source="市场监管总局",
    ),
    Page(
        "truncated_lead",
        TRUNCATED,
        body=tuple(TRUNCATED.splitlines()),
        flags=("truncated_lead",),
    ),
    Page(
        "elided_name_and_lost_character",
        MOJIBAKE,
        body=tuple(MOJIBAKE.splitlines()[2:]),
        title="省教育厅召开全省教育工作会议",
        date=dt.date(2020, 1, 8),
        source="教育厅",
        flags=("elided_entity", "replacement_char"),
    ),
    Page(
        "html_simplified",
        HTML_SIMPLIFIED,
        input_format="html",
        body=(
            "7月1日，全国铁路暑运正式启动，预计发送旅客6.8亿人次。",
            "铁路部门将增开旅客列车，满足旅客出行需求。",
        ),
        title="全国铁路暑运启动",
        date=dt.date(2023, 7, 1),
    ),
    Page(
        "html_traditional",
        HTML_TRADITIONAL,
        input_format="html",
        labels={1: ("title", "html_title"), 2: ("meta", "meta_line"), 5: ("boilerplate", "back_to_top")},
        body=("台北国际书展今日开幕，吸引大批读者入场。", "主办单位表示，今年共有五百家出版社参展。"),
        title="台北国际书展开幕",
        author="陈美玲",
    ),
]


def decoded(page: Page) -> str:
    result = decode_bytes(page.text.encode(page.encoding))
    assert isinstance(result, Decoded)
    return result.text


def check(page: Page, doc: CleanDocument) -> None:
    got = {ln.line_no: (ln.label, ln.reason) for ln in doc.lines}
    for line_no, expected in page.labels.items():
        assert got[line_no] == expected, (page.name, line_no)
    paragraphs = doc.text.split("\n")
    positions = [paragraphs.index(line.strip().replace("\u3000", "")) for line in page.body]
    assert positions == sorted(positions), page.name
    meta = doc.metadata
    assert (meta.title, meta.published_date, meta.source_outlet, meta.author, meta.editor) == (
        page.title,
        page.date,
        page.source,
        page.author,
        page.editor,
    )
    assert tuple(doc.flags) == page.flags


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page(page: Page) -> None:
    check(page, clean_document(decoded(page), page.input_format))


def test_one_site_twice_its_chrome_is_common_and_no_body_is_lost() -> None:
    common = document_fingerprints(SITE_A.splitlines()) & document_fingerprints(SITE_B.splitlines())
    verdicts = dict.fromkeys(common, "common_line:docs>=50")
    for text, title, body in (
        (SITE_A, "全市新建五十所幼儿园", SITE_A.splitlines()[3::2]),
        (SITE_B, "地铁三号线年底通车", SITE_B.splitlines()[3::2]),
    ):
        doc = clean_document(text, "text")
        lines = [pl.line for pl in relabel(page_lines(doc.lines), verdicts)]
        got = {ln.line_no: (ln.label, ln.reason) for ln in lines}
        assert got[1] == ("boilerplate", "page_header")
        assert got[2] == ("title", "heading_above_meta")
        assert got[5] == ("boilerplate", "common_line:docs>=50")
        assert body_of(lines).text.split("\n") == body
        assert doc.metadata.title == title
        assert doc.metadata.source_outlet == "某某日报"


def test_without_corpus_counts_the_site_line_is_a_caption() -> None:
    got = {ln.line_no: ln.label for ln in clean_document(SITE_A, "text").lines}
    assert got[5] == "caption"
