"""Golden tests for the unrelated-block (organisation profile) detector."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.script import to_simplified
from transforms.sidetext import (
    SideSpan,
    _block_end,
    _enumeration_items,
    _opening_vocab_min,
    _opens_profile,
    _profile_terms,
    find_side_blocks,
)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
PAGES = Path(__file__).resolve().parent / "pages" / "side"
# What follows a profile heading on the fixtures: the organisation's defining sentence.
PROFILE_SENTENCE = (
    "中国仪器仪表标准化学会是由从事仪器仪表标准化工作的单位自愿组成的全国性、非营利性社会团体。"
)

# The pipeline removes pinyin annotations before this step; the seeds that carry them are
# prepared the same way here so the test does not depend on another module's progress.
_PINYIN_RE = re.compile(r"(?<=[\u3400-\u9fff])\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹ]+\)")


def _seed_paragraphs(
    prefix: str, title_line: int | None, body_lines: list[int]
) -> tuple[str | None, list[str]]:
    """Title and body paragraphs of a seed as the cleaning step hands them over (1-based lines)."""
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    lines = path.read_text(encoding="utf-8").splitlines()

    def prepare(line: str) -> str:
        return to_simplified(_PINYIN_RE.sub("", line)).strip()

    title = prepare(lines[title_line - 1]) if title_line else None
    paragraphs = [prepare(lines[n - 1]) for n in body_lines if lines[n - 1].strip()]
    return title, paragraphs


def _seed_001() -> tuple[str | None, list[str]]:
    """Seed 001: article lines 5,9,11,13,15,17 (caption 7 and chrome 19-27 out), profile 29-62."""
    return _seed_paragraphs("001", 1, [5, 9, 11, 13, 15, 17, *range(29, 63)])


def _page(name: str) -> tuple[str | None, list[str]]:
    """A fixture page: '# title: …' then one paragraph per line, converted as the pipeline does."""
    lines = (PAGES / name).read_text(encoding="utf-8").splitlines()
    header, _, title = lines[0].partition(":")
    assert header == "# title"
    paragraphs = [to_simplified(line.strip()) for line in lines[1:] if line.strip()]
    return to_simplified(title.strip()) or None, paragraphs


def test_seed_001_profile_goes_to_side_whole() -> None:
    title, paragraphs = _seed_001()
    spans = find_side_blocks(title, paragraphs)
    assert spans == [SideSpan(6, 32, "profile_block:vocab=12,relevance=0.06,enum=18,subject=1")]
    assert len(paragraphs) == 32
    block = paragraphs[spans[0].start : spans[0].end]
    assert block[0].startswith("中国质量检验协会是由")
    assert "备 注" in block
    assert block[-1].startswith("国家市场监督管理总局(简称 )2018年4月")
    body = paragraphs[: spans[0].start]
    assert body[-1].endswith("汇集中国质量发展最新成果的盛会。")
    assert not any("协会" in paragraph for paragraph in body)


@pytest.mark.parametrize(
    ("prefix", "title_line", "body_lines"),
    [
        ("000", None, [1, 2, 3]),
        ("002", 6, [10, 12, *range(15, 44)]),
        ("003", 3, list(range(7, 55))),
        ("004", None, list(range(1, 16))),
    ],
)
def test_article_only_seeds_have_no_side_block(
    prefix: str, title_line: int | None, body_lines: list[int]
) -> None:
    title, paragraphs = _seed_paragraphs(prefix, title_line, body_lines)
    assert len(paragraphs) >= 3
    assert find_side_blocks(title, paragraphs) == []


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        # a standards society's profile, headings and eight business-scope items, at the end
        (
            "standards_society_end.txt",
            [SideSpan(4, 19, "profile_block:vocab=12,relevance=0.13,enum=8,subject=0")],
        ),
        # Traditional: a metrology federation's profile before a footer (欢迎转载…, 【完】)
        (
            "metrology_federation_footer.txt",
            [SideSpan(4, 9, "profile_block:vocab=9,relevance=0.03,enum=5,subject=0")],
        ),
        # Traditional: a company's 'about us' at the end, in the same field as the article
        (
            "company_about_end.txt",
            [SideSpan(4, 9, "profile_block:vocab=9,relevance=0.14,enum=0,subject=0")],
        ),
        # a company profile before a footer (本文来源…, (完))
        (
            "company_about_footer.txt",
            [SideSpan(4, 8, "profile_block:vocab=5,relevance=0.08,enum=0,subject=0")],
        ),
        # hard negative: an association congress quoting its purpose and ending on its background
        ("association_congress.txt", []),
        # hard negative, Traditional: a report on a company's launch ending on its background
        # (据了解,恒准精密成立于…, 总部位于…, 主营业务…): opens on the article's subject
        ("company_background.txt", []),
        # hard negative, Traditional: a second related dispatch (又讯) after the first
        ("youxun_dispatch.txt", []),
        # hard negative: a policy report whose measures are an enumeration (一)…(十)
        ("policy_enumeration.txt", []),
        # hard negative: an article closing on another company (苹果公司主营业务…, its 官方网站):
        # a sentence naming an organisation and one fact does not open a block without a heading
        ("company_mention_end.txt", []),
        # a company profile without a heading: its first sentence names it and states three facts
        (
            "company_profile_no_heading.txt",
            [SideSpan(3, 6, "profile_block:vocab=6,relevance=0.06,enum=0,subject=0")],
        ),
        # the article's last paragraph mentions 会员单位 in its second clause: the block opens on
        # the heading below it, not on that paragraph
        (
            "profile_after_member_paragraph.txt",
            [SideSpan(4, 9, "profile_block:vocab=8,relevance=0.06,enum=0,subject=1")],
        ),
    ],
)
def test_fixture_pages(page: str, expected: list[SideSpan]) -> None:
    title, paragraphs = _page(page)
    assert find_side_blocks(title, paragraphs) == expected


def test_footer_tail_stays_outside_the_block() -> None:
    title, paragraphs = _page("company_about_footer.txt")
    (span,) = find_side_blocks(title, paragraphs)
    assert paragraphs[span.start] == "公司简介"
    assert paragraphs[span.end :] == ["本文来源:中国物流报", "(完)"]


def test_profile_without_title_uses_the_lead() -> None:
    _, paragraphs = _page("standards_society_end.txt")
    assert find_side_blocks(None, paragraphs) == [
        SideSpan(4, 19, "profile_block:vocab=12,relevance=0.14,enum=8,subject=0")
    ]


def test_profile_moved_into_the_middle_is_not_split() -> None:
    title, paragraphs = _page("standards_society_end.txt")
    article, profile = paragraphs[:4], paragraphs[4:]
    assert find_side_blocks(title, [*article[:2], *profile, *article[2:]]) == []


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        ([], []),
        (["中国质量检验协会简介"], []),
        (["某协会宗旨:服务会员。", "会员单位简介"], []),
    ],
)
def test_short_inputs(paragraphs: list[str], expected: list[SideSpan]) -> None:
    assert find_side_blocks("标题", paragraphs) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(一)甲;\n(二)乙;\n(十八)丙。", 3),
        ("职能包括:一、交流;二、培训;三、咨询。", 3),
        ("1、交流\n2. 培训\n3、咨询", 3),
        ("第一是质量,第二是效益。", 0),
        ("单一、重复的工作", 0),
    ],
)
def test_enumeration_items(text: str, expected: int) -> None:
    assert _enumeration_items(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("学会宗旨", {"宗旨"}),
        (
            "是由企业自愿结成的非营利性社会组织,具有社团法人资格",
            {"自愿结成", "非营利性", "社会组织", "社团法人", "法人资格"},
        ),
        ("大会在成都开幕", set()),
    ],
)
def test_profile_terms(text: str, expected: set[str]) -> None:
    assert _profile_terms(text) == expected


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        (["甲" * 40, "本文来源:某报", "(完)"], 1),
        (["甲" * 40, "网址:www.example.org"], 2),
        (["甲" * 40, "乙" * 31], 2),
        (["甲" * 40, "a", "b", "c", "d"], 2),
    ],
)
def test_block_end(paragraphs: list[str], expected: int) -> None:
    has_terms = [_profile_terms(p) != set() for p in paragraphs]
    assert _block_end(paragraphs, has_terms) == expected


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet="简介宗旨会员质量大会成立于协会业务范围(一)二、。", max_size=60),
        max_size=8,
    )
)
def test_spans_stay_inside_and_leave_the_lead(paragraphs: list[str]) -> None:
    for span in find_side_blocks("质量大会", paragraphs):
        assert 1 <= span.start < span.end <= len(paragraphs)
        assert span.reason.startswith("profile_block:")


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("中国仪器仪表标准化学会简介", True),  # a heading
        ("关于我们", True),
        ("恒准精密仪器股份有限公司成立于2005年,总部位于苏州。", True),  # definitional, term early
        # a definitional paragraph dense in charter terms, its first term late (seed 001's shape)
        ("某某协会是由" + "相关单位、" * 20 + "自愿结成的全国性社会团体,是非营利性社会组织。", True),
        # an article paragraph that mentions one profile word deep inside
        ("记者从会上获悉," + "各地加强质量基础设施建设," * 6 + "协会会员单位积极参与。", False),
        ("", False),
    ],
)
def test_opens_profile(paragraph: str, expected: bool) -> None:
    assert _opens_profile(paragraph, _profile_terms(paragraph), PROFILE_SENTENCE) is expected


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        # headings: two distinct terms in the block suffice
        ("中国仪器仪表标准化学会简介", 2),
        ("学会宗旨", 2),
        # a short line with a term that is no heading (a caption, a quoted slogan)
        ("新增团体会员单位", None),
        ("按照“服务会员。李明摄", None),
        # a short line with a heading term and a sentence end: a caption
        ("各部门组织协调职能。张华摄", None),
        # three charter terms: the definitional paragraph of an association
        ("某某协会是由" + "相关单位、" * 20 + "自愿结成的全国性社会团体,是非营利性社会组织。", 2),
        # three terms, none of them charter wording (an association's congress report)
        (
            "大会审议通过了新修订的章程,明确了联合会的宗旨,将做好会员服务和行业自律工作,推动计量测试事业发展。",
            None,
        ),
        # a first clause naming an organisation, then a defining term, two defining facts in the
        # paragraph: a sentence opening, its block needs three terms
        ("恒准精密仪器股份有限公司成立于2005年,总部位于苏州。", 3),
        ("恒准精密仪器股份有限公司(以下简称“恒准精密”,股票代码000000)成立于2005年,总部位于苏州。", 3),
        # one defining fact: an article mentioning an organisation
        ("苹果公司主营业务包括智能手机、个人电脑和可穿戴设备,其服务收入增长最快,占比接近四分之一。", None),
        ("中国地理学会大数据工作委员会成立于2015年,本次会议明确了五方合作的重点工作清单。", None),
        # no name before the term: 公司 alone, or a reference back (该公司) to the article's subject
        ("公司成立于2005年,总部位于苏州,是一家专注于精密测量仪器研发和生产的高新技术企业。", None),
        ("该公司成立于2005年,总部位于苏州,是一家专注于精密测量仪器研发和生产的高新技术企业。", None),
        # a name followed by a term that does not say what the organisation is (宗旨, 职能简介)
        ("各地监察委员会的宗旨,是对所有行使公权力的公职人员进行监察,调查职务违法和职务犯罪。", None),
        ("这次对外服务的重点是质量检验协会职能简介,以及会员单位的名录和联系方式等基本信息。", None),
        # the term after the first clause, or no organisation named before it
        ("记者了解到,会员单位已达1500家,覆盖全国31个省区市的检测机构和仪器生产企业,规模居行业前列。", None),
        ("据了解,恒准精密成立于2003年,总部位于苏州,主营业务为三坐标测量机、影像测量仪和在线检测系统。", None),
        ("国务院有关部门和地方人民政府负责同志出席会议并讲话,会议成立于北京的筹备组负责具体组织工作。", None),
        # an organisation and a term in one long first clause, the term too far from the start to
        # follow a name
        (
            "其中一个特别引人注目的现象是来自各地的中小学校长和教育专家组成的联盟成立于去年,规模不断扩大。",
            None,
        ),
    ],
)
def test_opening_vocab_min(paragraph: str, expected: int | None) -> None:
    assert _opening_vocab_min(paragraph, _profile_terms(paragraph), PROFILE_SENTENCE) == expected


@pytest.mark.parametrize(
    ("paragraph", "next_paragraph", "expected"),
    [
        # a heading opens a block when the profile follows it: a defining sentence or an item list
        ("中国仪器仪表标准化学会简介", PROFILE_SENTENCE, 2),
        ("本会的业务范围:", "(一)开展标准化学术交流;(二)组织标准宣贯培训;(三)承接政府委托事项。", 2),
        # a caption ending on a heading term above ordinary article text opens nothing
        ("计量监督管理职能", "开学已满一周后,徐阿婆按照“指示”开通了两张银行卡,质量检验检查。", None),
        ("计量监督管理职能", "", None),
        # a heading term inside a short line (two captions' words side by side) is no heading
        (
            "监察机关办理职能 认可与检验与质量强市战略五方合作",
            "四、为会员单位提供技术咨询和人才培训服务。",
            None,
        ),
        # an organisation's ending (银行) far before the defining term is no name of its subject
        (
            "以为银行操作等特色社会组织一道,科技股彻底取消四分之一的要求,他提议成立于去年的项目。",
            PROFILE_SENTENCE,
            None,
        ),
        # the name right before the term, or two characters apart
        ("江城华检检测技术有限公司成立于2008年,总部位于武汉东湖高新区。", PROFILE_SENTENCE, 3),
        ("江城华检检测技术有限公司现总部位于武汉,注册资本500万元。", PROFILE_SENTENCE, 3),
    ],
)
def test_opening_needs_a_profile_after_a_heading_and_a_name_before_its_term(
    paragraph: str, next_paragraph: str, expected: int | None
) -> None:
    assert _opening_vocab_min(paragraph, _profile_terms(paragraph), next_paragraph) == expected
