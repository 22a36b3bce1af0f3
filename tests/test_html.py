"""Golden tests: small HTML snippets -> exact blocks with their DOM chrome rule."""

from __future__ import annotations

import pytest

from transforms.html import (
    RULE_CHROME_CLASS,
    RULE_FORM_CONTROL,
    RULE_HIDDEN,
    RULE_LINK_DENSE,
    RULE_NAV_ELEMENT,
    RULE_OUTSIDE_MAIN,
    html_to_blocks,
)

# Three sentences that make a container the page's main text (enough sentence punctuation).
ARTICLE = (
    "<div class='content'>"
    "<p>国家统计局今天发布数据，一季度经济增长百分之五，好于市场预期。</p>"
    "<p>专家认为，消费和投资共同发力，外贸保持稳定，就业形势总体平稳。</p>"
    "<p>下一步，有关部门将继续实施积极的财政政策，巩固经济回升向好态势。</p>"
    "</div>"
)
ARTICLE_BLOCKS = [
    ("国家统计局今天发布数据，一季度经济增长百分之五，好于市场预期。", None),
    ("专家认为，消费和投资共同发力，外贸保持稳定，就业形势总体平稳。", None),
    ("下一步，有关部门将继续实施积极的财政政策，巩固经济回升向好态势。", None),
]

CASES: list[tuple[str, str, list[tuple[str, str | None]]]] = [
    (
        "chrome_class_link_inside_a_sentence_is_a_word_of_it",
        # sina's stock-quote links: <a class="keyword"> in the middle of a paragraph
        "<p>新浪科技讯 北京时间9月11日凌晨消息，<a class='keyword'>苹果</a>2019秋季发布会开幕。</p>"
        "<p>包括先锋领航、<span><a class='keyword'>摩根大通</a></span>等资管公司。</p>",
        [
            ("新浪科技讯 北京时间9月11日凌晨消息，苹果2019秋季发布会开幕。", None),
            ("包括先锋领航、摩根大通等资管公司。", None),
        ],
    ),
    (
        "chrome_class_link_in_a_tool_bar_stays_chrome",
        "<div>字体： 放大 正常 缩小 <a class='share'>分享</a></div>",
        [("字体： 放大 正常 缩小", None), ("分享", "dom_chrome_class")],
    ),
    (
        "paragraph_level_blocks_without_duplicates",
        "<div><p>甲段</p>乙<span>丙</span><br>丁<ul><li>一项</li><li>二<b>项</b></li></ul></div>",
        [("甲段", None), ("乙丙", None), ("丁", None), ("一项", None), ("二项", None)],
    ),
    (
        "invisible_elements_dropped",
        "<p>正文<script>var a='脚本';</script></p><style>p{}</style><noscript>请开启</noscript>"
        "<template><p>模板</p></template><iframe>框架</iframe><svg><text>图</text></svg>",
        [("正文", None)],
    ),
    (
        "whitespace_collapsed",
        "<p>\u3000\u3000第一行\n   第二行&nbsp;</p><td> 单元格 </td>",
        [("第一行 第二行", None), ("单元格", None)],
    ),
    (
        "nav_aside_and_page_footer_elements",
        "<nav><a href='/'>首页</a> 新闻</nav><aside>侧栏</aside><footer>版权所有</footer><p>正文</p>",
        [
            ("首页 新闻", RULE_NAV_ELEMENT),
            ("侧栏", RULE_NAV_ELEMENT),
            ("版权所有", RULE_NAV_ELEMENT),
            ("正文", None),
        ],
    ),
    (
        "article_header_is_not_chrome",
        "<article><header><h1>标题</h1><span>2023-08-22</span></header><p>正文</p></article>",
        [("标题", None), ("2023-08-22", None), ("正文", None)],
    ),
    (
        "chrome_words_in_class_and_id",
        "<div class='share-bar'>分享到</div><div id='breadcrumb'>首页 > 新闻</div>"
        "<div class='hotNews'>热点</div><div class='ad'>广告</div><div class='article-comment'>评论</div>",
        [
            ("分享到", RULE_CHROME_CLASS),
            ("首页 > 新闻", RULE_CHROME_CLASS),
            ("热点", RULE_CHROME_CLASS),
            ("广告", RULE_CHROME_CLASS),
            ("评论", RULE_CHROME_CLASS),
        ],
    ),
    (
        "chrome_words_only_as_whole_tokens",
        "<div class='photo'>图片说明</div><div class='head'>头部</div><div class='shadow'>阴影</div>"
        "<div class='loading'>加载</div>",
        [("图片说明", None), ("头部", None), ("阴影", None), ("加载", None)],
    ),
    (
        "inline_chrome_element_splits_its_paragraph",
        "<p>正文一句。<span class='share'>分享</span></p>",
        [("正文一句。", None), ("分享", RULE_CHROME_CLASS)],
    ),
    (
        "link_dense_short_block",
        "<p><a href='/a'>上一篇：某某新闻</a></p><p>正文<a href='/b'>链接</a>内容较多</p>",
        [("上一篇：某某新闻", RULE_LINK_DENSE), ("正文链接内容较多", None)],
    ),
    (
        "long_sentence_paragraph_with_many_links_stays",
        "<p><a href='/1'>国家统计局今天发布数据，一季度经济增长百分之五，</a><a href='/2'>好于市场预期，"
        "专家认为消费和投资共同发力，外贸保持稳定，</a>就业形势总体平稳，有关部门将继续实施积极的财政政策，加大支持。</p>",
        [
            (
                "国家统计局今天发布数据，一季度经济增长百分之五，好于市场预期，专家认为消费和投资共同发力，"
                "外贸保持稳定，就业形势总体平稳，有关部门将继续实施积极的财政政策，加大支持。",
                None,
            )
        ],
    ),
    (
        "teaser_wholly_inside_a_link_is_link_dense_even_when_long",
        "<li><a href='/x'><div>国家统计局今天发布数据，一季度经济增长百分之五，好于市场预期，"
        "专家认为消费和投资共同发力，外贸保持稳定，就业形势总体平稳，有关部门将继续实施积极的财政政策。</div></a></li>",
        [
            (
                "国家统计局今天发布数据，一季度经济增长百分之五，好于市场预期，专家认为消费和投资共同发力，"
                "外贸保持稳定，就业形势总体平稳，有关部门将继续实施积极的财政政策。",
                RULE_LINK_DENSE,
            )
        ],
    ),
    (
        "hidden_by_markup",
        "<div style='display: none'>隐藏</div><p hidden>也隐藏</p><p>可见</p>",
        [("隐藏", RULE_HIDDEN), ("也隐藏", RULE_HIDDEN), ("可见", None)],
    ),
    (
        "form_controls",
        "<form><select><option>北京</option></select><button>搜索</button></form>",
        [("北京", RULE_FORM_CONTROL), ("搜索", RULE_FORM_CONTROL)],
    ),
    (
        "pre_keeps_its_lines",
        "<pre>第一行\n第二行</pre>",
        [("第一行", None), ("第二行", None)],
    ),
    (
        "text_after_stray_closing_html_is_kept",
        "<html><body><p>前</p></body></html><div><p>后来的正文</p></div>",
        [("前", None), ("后来的正文", None)],
    ),
    (
        "outside_main_chrome_but_no_sentence_lost",
        "<div class='top'>网站首页 新闻中心</div>"
        "<div class='page'><h1>统计局发布一季度数据</h1>"
        f"<div class='info'>2024-04-16 来源：本网</div>{ARTICLE}</div>"
        "<div class='links'>友情链接 站点地图</div><div class='more'>另一段正文，仍然保留。</div>",
        [
            ("网站首页 新闻中心", RULE_OUTSIDE_MAIN),
            ("统计局发布一季度数据", None),
            ("2024-04-16 来源：本网", None),
            *ARTICLE_BLOCKS,
            ("友情链接 站点地图", RULE_OUTSIDE_MAIN),
            ("另一段正文，仍然保留。", None),
        ],
    ),
    (
        "chrome_looking_wrapper_around_the_article_is_not_chrome",
        f"<div id='main-with-sidebar'>{ARTICLE}<div class='side'>侧边栏</div></div>",
        [*ARTICLE_BLOCKS, ("侧边栏", RULE_CHROME_CLASS)],
    ),
]


@pytest.mark.parametrize(("name", "html", "expected"), CASES, ids=[case[0] for case in CASES])
def test_blocks_and_rules(name: str, html: str, expected: list[tuple[str, str | None]]) -> None:
    page = html_to_blocks(html)
    assert [(block.text, block.chrome_rule) for block in page.blocks] == expected, name


BROKEN = [
    "",
    "   ",
    "<p>未闭合的段落",
    "只有文字",
    "<html><head><title>只有头</title></head></html>",
    "<div><p>嵌套<div>错误</p></span></div>",
    "\x00<p>空字符</p>",
    "<?xml version='1.0' encoding='gbk'?><p>声明</p>",
    "<p>代理对\ud800</p>",
]
BROKEN_TEXTS = [
    [],
    [],
    ["未闭合的段落"],
    ["只有文字"],
    [],
    ["嵌套", "错误"],
    ["�", "空字符"],
    ["声明"],
    ["代理对?"],
]


@pytest.mark.parametrize(("html", "texts"), list(zip(BROKEN, BROKEN_TEXTS, strict=True)))
def test_broken_html_never_raises(html: str, texts: list[str]) -> None:
    assert [block.text for block in html_to_blocks(html).blocks] == texts


def test_title_candidates_and_meta() -> None:
    html = (
        "<html><head><title> 标题_某某网 </title>"
        "<meta property='og:title' content='标题'><meta name='description' content='摘要'>"
        "<meta property='article:published_time' content='2023-08-22T10:00:00+08:00'>"
        "<meta name='author' content='王某'><meta name='viewport'></head>"
        f"<body><header><h1>某某网</h1></header><div><h1>标题</h1>{ARTICLE}</div></body></html>"
    )
    page = html_to_blocks(html)
    assert page.title_tag == "标题_某某网"
    assert page.h1 == "标题"
    assert page.meta == {
        "og:title": "标题",
        "description": "摘要",
        "article:published_time": "2023-08-22T10:00:00+08:00",
        "author": "王某",
    }


def test_h1_falls_back_to_first() -> None:
    assert html_to_blocks("<h1>第一</h1><h1>第二</h1>").h1 == "第一"
    assert html_to_blocks("<p>无标题</p>").h1 is None
