"""Is a metadata value the name of a person or a desk? Checked before an author or editor is stored.

A wrong value in a column users filter on is worse than NULL: forum and blog chrome (发表于, 楼主,
网友评论), user handles (L_104485), software credits (Discuz! Team and Comsenz UI Team), a site's
keyword list from <meta name=author>, a name cut to one character (赵 for 赵培) and a role word
standing alone (记者) were all stored as authors on real pages. Each rule is a small function whose
name says why a value is refused; `name_problem` tries them in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# The longest credit on the dev pages and in the seeds is a few names (记者 王建宏 张文攀, 14
# characters with spaces); a desk (人民网-文化频道编辑部) stays under 20. Longer text is prose or a list.
NAME_FIELD_MAX_CHARS = 30
# A Chinese personal name has 2-4 characters (复姓 names such as 欧阳明明 reach 4, with a middle dot
# transliterations run longer: 阿卜杜拉·阿齐兹).
CJK_NAME_MIN_CHARS = 2
# A list of this many comma-separated items that are not all names is a keyword list (a site's
# <meta name=author> often repeats <meta name=keywords>: 新闻,财经,股票,基金).
KEYWORD_LIST_MIN_ITEMS = 3

# Words that stand where a name would on forum, blog and news pages: never anyone's name.
_WIDGET_WORDS = frozenset(
    {
        *("发表于", "发表", "楼主", "沙发", "板凳", "网友", "网友评论", "评论", "回复", "引用", "举报"),
        *("分享", "收藏", "打印", "关注", "点赞", "转发", "跟帖", "投稿", "订阅", "原创", "转载", "置顶"),
        *("推荐", "游客", "会员", "版主", "纠错"),
        *("admin", "administrator", "guest"),
    }
)
# Template defaults left in <meta name="author"> (content="name, email@…") and a site's stand-ins
# for no one: never a name (an outlet written there is the source, transforms.metadata).
_PLACEHOLDER = re.compile(
    r"^(?:name|author|admin|administrator|editor|user|unknown|null|none|作者|佚名|匿名|未知|网络|网络整理|本站"
    r"|管理员|系统管理员)$",
    re.IGNORECASE,
)
# Role words: a credit's key, not its value (记者 陈嘉怡 credits 陈嘉怡).
_ROLE_WORDS = frozenset(
    {
        *("记者", "本报记者", "特约记者", "通讯员", "实习生", "作者", "编辑", "责任编辑", "责编", "主编"),
        *("撰文", "执笔", "摄影", "图", "文", "来源", "出处"),
    }
)
_SENTENCE_MARK = re.compile(r"[。！？!?；;：:]")
# A handle: Latin letters or digits joined by _ or with digits inside (L_104485, user123, wx_abc).
_HANDLE = re.compile(r"^(?=.*[\d_])[A-Za-z0-9_.\-]+$")
# Software and company credits: Latin words of a product, team or firm.
_CREDIT_WORD = re.compile(
    r"\b(?:team|inc|ltd|corp|co|powered|designed|copyright|discuz|comsenz|phpwind|wordpress|dedecms|ui)\b",
    re.IGNORECASE,
)
_LIST_SPLIT = re.compile(r"[,，、;；|/]")
_CJK_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,10}$")
# The commonest Chinese surnames (the first 120 by population, about 90% of people): a list of names
# starts each item with one; a keyword list (新闻,财经,股票) does not.
COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向"
    "汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕"
)
_ONE_CJK = re.compile(r"^[\u4e00-\u9fff]$")
_COMMENTER = re.compile(r"网友|用户|游客|\bip\b|ip属地", re.IGNORECASE)
_HAS_CJK_OR_LETTER = re.compile(r"[\u4e00-\u9fffA-Za-z]")


def too_long(value: str) -> bool:
    """Prose or a list, not a credit."""
    return len(value) > NAME_FIELD_MAX_CHARS


def sentence(value: str) -> bool:
    """Sentence or key punctuation inside: text around a name, not a name."""
    return _SENTENCE_MARK.search(value) is not None


def placeholder(value: str) -> bool:
    """A template default or stand-in for no one (name, admin, 佚名, 本站)."""
    return _PLACEHOLDER.match(value) is not None


def widget_word(value: str) -> bool:
    """A forum, blog or tool-bar word (发表于, 楼主, 网友评论)."""
    return value.casefold() in _WIDGET_WORDS


def role_word_alone(value: str) -> bool:
    """The role of a credit without the name (记者)."""
    return value in _ROLE_WORDS


def cut_name(value: str) -> bool:
    """One Chinese character: a name cut by the page's markup (赵 for 赵培)."""
    return _ONE_CJK.match(value) is not None


def user_handle(value: str) -> bool:
    """A user id or handle (L_104485, user123): a commenter's, not the article's author."""
    return _HANDLE.match(value) is not None


def software_credit(value: str) -> bool:
    """A software or company credit (Discuz! Team and Comsenz UI Team, Powered by …)."""
    return _CREDIT_WORD.search(value) is not None


def keyword_list(value: str) -> bool:
    """Several separated items that are not all names (a name opens with a common surname): a site's
    keywords."""
    items = [i.strip() for i in _LIST_SPLIT.split(value) if i.strip()]
    names = all(_CJK_NAME.match(i) and i[0] in COMMON_SURNAMES for i in items)
    return len(items) >= KEYWORD_LIST_MIN_ITEMS and not names


def commenter(value: str) -> bool:
    """A commenter's signature (网易上海市手机网友, 游客, IP 属地): a reader, not the author."""
    return _COMMENTER.search(value) is not None


def first_person(value: str) -> bool:
    """Speech (我已授权): a credit names someone, it does not say 我."""
    return "我" in value


def no_letters(value: str) -> bool:
    """Digits and symbols only (an id, a date, a count)."""
    return _HAS_CJK_OR_LETTER.search(value) is None


RULES: tuple[Callable[[str], bool], ...] = (
    too_long,
    sentence,
    placeholder,
    widget_word,
    role_word_alone,
    cut_name,
    no_letters,
    user_handle,
    software_credit,
    keyword_list,
    commenter,
    first_person,
)


# An editor credit is the site's own (责任编辑：HN666): desks sign with codes, which a commenter's
# handle looks like; only an author is refused for looking like a handle.
EDITOR_RULES = tuple(rule for rule in RULES if rule is not user_handle)


def name_problem(value: str, rules: tuple[Callable[[str], bool], ...] = RULES) -> str | None:
    """The first rule the value breaks (its function's name), or None for a plausible name or desk."""
    for rule in rules:
        if rule(value):
            return rule.__name__
    return None


def valid_name(value: str | None, rules: tuple[Callable[[str], bool], ...] = RULES) -> str | None:
    """The value when it can be a person's or a desk's name, else None (NULL beats a wrong value)."""
    if value is None:
        return None
    value = value.strip()
    return value if value and name_problem(value, rules) is None else None
