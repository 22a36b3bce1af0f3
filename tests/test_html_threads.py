"""Forum threads and comment lists (issue 18): the first post is the article, replies are not.

Golden, table-driven: each page in tests/data/threads/ is written after the markup of a real kind of
site (Discuz! X, Tianya, a Sina blog with comments) or is a page that must not be taken for a thread
(a live blog, a news page whose related list gives times). Expected bodies are written from the page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.clean import clean_document
from transforms.html import RULE_THREAD_REPLY

PAGES = Path(__file__).parent / "data" / "threads"

CASES: list[tuple[str, list[str], list[str]]] = [
    (
        "discuz_x.html",
        [
            "上周六天气很好，约了三个朋友一起去城西湿地公园骑行，从北门进园，沿着环湖绿道骑了一整圈，全程大约十八公里。",
            "园里的绿道这两年修得很好，路面平整，每隔两公里就有一个补给点，可以买水，也有公共厕所和休息的长椅。",
            "湿地东边的观鸟台人最多，那天正好看到一群白鹭在浅滩上觅食，带了长焦镜头的朋友拍了不少好照片。",
            "建议大家早上九点前入园，中午以后骑行的人和散步的人都很多，绿道上要放慢速度。租车点在北门和南门各有一个，"
            "押金两百元，骑完还车退押金。",
        ],
        ["发表于 2013-4-21 21:02:44|只看该作者", "发表于 2013-4-21 21:30:12", "发表于 2013-4-22 08:11:36"],
    ),
    (
        "tianya.html",
        [
            "我在老街住了三十多年，去年街道贴出通知说要整体改造，临街的房子统一回收，居民可以选择货币补偿或者回迁。",
            "身边的老邻居大多选择了回迁，可到现在也没有人说得清楚回迁房什么时候能交付，新房的面积怎么算。",
            "想问问有没有经历过类似改造的朋友，回迁一般要等几年，补偿标准是按照什么来定的，谢谢大家。",
        ],
        ["作者：路人甲乙丙 时间：2012-06-18 10:02:47", "作者：城南旧事 时间：2012-06-18 11:15:20"],
    ),
    (
        "blog_comments.html",
        [
            "九月初到学校的时候，全校只有六个老师，一百二十多个学生，我一个人要教三年级和四年级的语文，还要带全校的音乐课。",
            "孩子们大多是留守儿童，父母在外地打工，平时跟着爷爷奶奶生活。上课的时候很安静，下课以后就围着我问城里的事情。",
            "这个学期最开心的事，是四年级的作文课上，一个平时很少说话的女孩写了一篇《我的妈妈》，写得很真，全班同学都听哭了。",
        ],
        ["清风徐来2010-11-03 08:20:11", "木子2010-11-03 12:41:37"],
    ),
    (
        "live_blog.html",
        [
            "三万名跑者在起点集结，全程马拉松、半程马拉松和健身跑的选手分区站好，赛道两旁已经站满了加油的市民。",
            "发令枪响，比赛正式开始，精英选手率先出发，大众选手按照分区依次通过起点，现场秩序井然。",
            "男子全程马拉松冠军诞生，成绩为二小时十一分零八秒，打破了本项赛事保持了六年的赛会纪录。",
        ],
        [],
    ),
    (
        "news_related_times.html",
        [
            "今年以来，全市新建幼儿园五十所，新增学位一万两千个，覆盖所有街道和乡镇，适龄儿童入园难的问题得到缓解。",
            "教育部门表示，将继续扩大普惠性学前教育资源，明年再建三十所，并加强幼儿园教师队伍建设，提高保教质量。",
            "据介绍，新建的幼儿园全部按照省级标准建设，配备户外活动场地、图书室和保健室，家长可以通过网上平台报名。",
        ],
        [],
    ),
]


@pytest.mark.parametrize(("name", "body", "reply_headers"), CASES, ids=[case[0] for case in CASES])
def test_first_post_is_the_article(name: str, body: list[str], reply_headers: list[str]) -> None:
    document = clean_document((PAGES / name).read_text(encoding="utf-8"), "html")
    assert document.text.split("\n") == body
    replies = [line for line in document.lines if line.reason == RULE_THREAD_REPLY]
    assert [line.text for line in replies if line.text in reply_headers] == reply_headers
    assert bool(replies) == bool(reply_headers)


def test_thread_post_header_gives_the_day() -> None:
    document = clean_document((PAGES / "discuz_x.html").read_text(encoding="utf-8"), "html")
    assert str(document.metadata.published_date) == "2013-04-21"
