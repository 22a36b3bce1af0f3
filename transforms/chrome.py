"""Chinese web-chrome patterns, one rule per function; the function name is the reason in `lines`.

Every rule reads one line already converted to Simplified with runs of spaces folded, and is only
asked about short lines that do not end like a sentence (see `chrome_reason`), so a sentence that
mentions 分享 or 登录 stays content.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from transforms.metadata import is_meta_line
from transforms.shape import TAIL_CHARS, is_photo_credit

# Chrome lines are short; the longest in the seeds is 34 characters, long copyright footers reach ~100.
CHROME_MAX_CHARS = 120
# Widgets (share, account, read-more buttons) are a few words; longer lines are content that names them.
WIDGET_MAX_CHARS = 20
# Link lines with a URL or promotion text stay well under this length.
LINK_LINE_MAX_CHARS = 60
# "（原标题：…）" carries a whole headline: news headlines stay under ~64 characters, two of them
# (main title and subtitle) under 150.
ORIGINAL_TITLE_MAX_CHARS = 150
# A bold subheading is a heading: news subheadings on the dev pages stay under 30 characters; the
# title limit of the line labeller (64) bounds them.
SUBHEADING_MAX_CHARS = 64
# Disclaimers are one or two sentences; the longest on the gne/ dev pages (a stock-news
# "声明：…力求信息真实、准确…" notice) has about 110 characters.
DISCLAIMER_MAX_CHARS = 200


# Sentence-final marks only: a widget label may end with a colon (分享到:) and still be chrome.
_SENTENCE_END = re.compile(r"[。！？!?][”’」』）)]*$")
_BREADCRUMB = re.compile(
    r"^(?:您|你)?(?:当前|现在|所在)的?位置\s*[:：]|^位置\s*[:：]|首页\s*[>›»＞→/]|[^>›»＞][>›»＞][^>›»＞]+[>›»＞][^>›»＞]+$"
)
_SHARE = re.compile(r"^(?:分享到|分享至|分享给|一键分享|分享本文|分享文章)|^分享\s*[:：]?$|^转发到")
_ACCOUNT = re.compile(
    r"^(?:(?:会员|用户|免费|立即|马上|快速|请)?(?:注册|登录|登陆)(?:账号|帐号)?[\s|/｜]*)+$"
    r"|已有(?:账号|帐号)|没有(?:账号|帐号)|忘记密码|找回密码|修改密码|完善(?:信息|资料)|个人中心|会员中心|退出登录"
)
_READ_MORE = re.compile(r"余下全文|阅读全文|展开全文|查看全文|阅读原文|继续阅读|全文阅读|查看原文|点击阅读")
_PREV_NEXT = re.compile(r"^(?:上一篇|下一篇|上一条|下一条|上一页|下一页|上篇|下篇)")
_SCAN = re.compile(
    r"扫一扫|扫描(?:下方|上方|左侧|右侧)?二维码|扫码(?:关注|下载|阅读|分享|观看)|长按(?:识别|扫描)|二维码$"
)
_ICP = re.compile(
    r"ICP|公网安备|版权所有|版权声明|copyright|©|all rights reserved|不良信息举报|增值电信业务"
    r"|未经授权.{0,6}转载",
    re.IGNORECASE,
)
# The poster's card beside a forum post (Discuz!, phpwind): field names and member ranks alone on a line.
_FORUM_PROFILE = re.compile(
    r"^(?:主题|帖子|积分|精华|威望|金钱|贡献|在线时间|注册时间|最后登录|阅读权限|好友|听众|收听|发消息|加好友|打招呼"
    r"|(?:新手上路|注册|初级|中级|高级|金牌|荣誉)会员|(?:超级)?版主|管理员)$"
)
_BACK_TO_TOP = re.compile(r"^(?:返回顶部|回到顶部|返回首页|回到首页|返回|top|TOP|↑)$")
_PRINT = re.compile(
    r"打印本页|打印本文|打印此文|关闭窗口|关闭本页|【打印】|【关闭】|字号\s*[:：]?\s*[\[【(（]?\s*[大中小]|收藏本文|加入收藏"
    r"|设为首页"
)
_CLICK = re.compile(r"点击查看|点击进入|点击这里|点击此处|更多\s*[>》»]+|查看更多|更多新闻")
_RELATED = re.compile(
    r"^[【\[]?(?:相关新闻|相关阅读|相关报道|相关文章|相关链接|相关推荐|推荐阅读|延伸阅读|热点推荐|热门推荐|精彩图片"
    r"|精彩推荐|猜你喜欢|更多精彩|热门文章|最新文章|图片新闻|热点新闻|热门新闻|今日推荐|编辑推荐|往期回顾|热点专题"
    r"|24小时热文|排行榜|热门排行)[】\]]?\s*[:：]?$"
)
_APP_PROMO = re.compile(
    r"(?:安装|下载).{0,8}客户端|手机看|手机版|客户端下载|下载客户端|下载APP|APP下载|官方微信|官方微博|微信公众号|关注我们|微信扫|移动版",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
# Credit words: a bold line naming the reporter or editor is a byline, not a subheading.
_CREDIT_WORD = re.compile(r"记者|通讯员|编辑|责编|撰文|执笔|作者|摄影|来源")
# A subheading has words: at least two CJK characters (a bare "1" or "(2)" is a list number).
_TWO_CJK = re.compile(r"[\u4e00-\u9fff].*[\u4e00-\u9fff]")
# "（原标题：…）", "本文原标题：《…》", "（原题为《…》）": the reposted article's former headline.
_ORIGINAL_TITLE = re.compile(r"^[(（\[【]?\s*(?:本文)?(?:原标题|原题为?)\s*[:：《]")
# Site disclaimers and repost notices; they end like sentences, so they are matched on their own.
_DISCLAIMER = re.compile(
    r"^[(（【\[]?\s*(?:免责声明|特别声明|版权声明|声明)\s*[:：]|本文仅代表作者(?:本人|个人)?观点|不代表本(?:站|网|平台|报)"
    r"(?:的)?(?:观点|立场)|仅供其表达个人看法|不构成(?:任何)?投资建议|更多原创资讯请下载|内容由网友共同编辑"
)
# Text-size buttons: 字号, 调整字体, 字体：放大 正常 缩小, T + -, A+ A-.
_FONT_SIZE = re.compile(
    r"^(?:字号|字体|调整字体|调整字号|字体大小)\s*[:：]?(?:\s*[\[【(（]?\s*(?:放大|缩小|正常|默认|大|中|小)\s*[\]】)）]?)*$"
    r"|^[AaTt]?\s*[+＋]\s*[AaTt]?\s*[-－]$"
)
# A share or follow button alone on its line (the button bar is cut into one block per button).
_SHARE_BUTTON = re.compile(
    r"^(?:微博|新浪微博|腾讯微博|微信|朋友圈|QQ空间|Qzone|QQ好友|QQ|豆瓣|人人网|易信|关注|收藏|点赞|图集|打印|评论)$",
    re.IGNORECASE,
)
# A tool button in brackets alone on its line (【纠错】 above and below an article, [我要评论]).
_BRACKETED_BUTTON = re.compile(
    r"^[【\[［(（]\s*(?:我要)?(?:纠错|举报|收藏|打印|关闭|分享|评论|投稿|推荐|复制链接|返回|字号)\s*[】\]］)）]$"
)
# A relative post time alone on its line (昨天, 3小时前): the feed's timestamp, not article text.
_RELATIVE_TIME = re.compile(r"^(?:刚刚|今天|昨天|前天|\d{1,2}\s*(?:秒|分钟|小时|天|周|个月)前)$")


def bracketed_button(line: str) -> bool:
    """【纠错】, [我要评论]: a tool button in brackets, wherever the page puts it."""
    return _BRACKETED_BUTTON.search(line) is not None


def breadcrumb(line: str) -> bool:
    """当前位置: 首页 > 新闻 > …: the navigation path above an article."""
    return _BREADCRUMB.search(line) is not None


def share_widget(line: str) -> bool:
    """分享到: and its siblings: the share buttons' label."""
    return len(line) <= WIDGET_MAX_CHARS and _SHARE.search(line) is not None


def account_widget(line: str) -> bool:
    """Login / register / password widget lines (会员注册, 已有账号, 找回密码, 完善信息)."""
    return len(line) <= WIDGET_MAX_CHARS and _ACCOUNT.search(line) is not None


def read_more(line: str) -> bool:
    """查看余下全文, 阅读全文: a button leading to the rest of the page."""
    return len(line) <= WIDGET_MAX_CHARS and _READ_MORE.search(line) is not None


def prev_next_link(line: str) -> bool:
    """上一篇 / 下一篇 links to neighbouring articles."""
    return _PREV_NEXT.search(line) is not None


def scan_qr_code(line: str) -> bool:
    """扫一扫 / 二维码 prompts."""
    return len(line) <= LINK_LINE_MAX_CHARS and _SCAN.search(line) is not None


def icp_copyright(line: str) -> bool:
    """ICP licence numbers, 公网安备, copyright and reporting-hotline footers."""
    return _ICP.search(line) is not None


def back_to_top(line: str) -> bool:
    """返回顶部 / 回到首页 buttons."""
    return _BACK_TO_TOP.search(line) is not None


def print_page(line: str) -> bool:
    """打印本页, 关闭窗口, 字号 大中小, 收藏本文: page tool bars."""
    return len(line) <= LINK_LINE_MAX_CHARS and _PRINT.search(line) is not None


def click_here(line: str) -> bool:
    """点击查看 / 更多>>: link labels."""
    return len(line) <= LINK_LINE_MAX_CHARS and _CLICK.search(line) is not None


def related_links_heading(line: str) -> bool:
    """相关新闻, 精彩图片, 推荐阅读: the heading of a box of links to other pages."""
    return _RELATED.search(line) is not None


def app_promo(line: str) -> bool:
    """手机看…, 官方微信, 下载客户端: promotion of the site's apps and accounts."""
    return len(line) <= LINK_LINE_MAX_CHARS and _APP_PROMO.search(line) is not None


def site_url_line(line: str) -> bool:
    """A short line carrying a URL: a site banner or a link, not article prose."""
    return len(line) <= LINK_LINE_MAX_CHARS and _URL.search(line) is not None


def original_title(line: str) -> bool:
    """（原标题：…）: the headline the article had where it was first published."""
    return len(line) <= ORIGINAL_TITLE_MAX_CHARS and _ORIGINAL_TITLE.search(line) is not None


def disclaimer(line: str) -> bool:
    """声明：…, 本文仅代表作者个人观点, 不构成投资建议: the site's legal notice, not the article."""
    return len(line) <= DISCLAIMER_MAX_CHARS and _DISCLAIMER.search(line) is not None


def font_size_widget(line: str) -> bool:
    """字号 / 调整字体 / 字体：放大 正常 缩小 / T + -: text-size buttons."""
    return _FONT_SIZE.search(line) is not None


def share_button(line: str) -> bool:
    """微博, QQ空间, 关注 alone on a line: one button of a share or follow bar."""
    return _SHARE_BUTTON.search(line) is not None


def relative_time(line: str) -> bool:
    """昨天, 3小时前 alone on a line: a feed timestamp without a date."""
    return _RELATIVE_TIME.search(line) is not None


def forum_profile_field(line: str) -> bool:
    """帖子, 积分, 中级会员 alone on a line: the poster's card beside a forum post."""
    return _FORUM_PROFILE.search(line) is not None


def duplicated_link_text(line: str) -> bool:
    """The same words twice on one line (征订通知 征订通知): an image link and its text link side by side."""
    words = [w for w in line.split(" ") if len(w) >= 2]
    return len(line) <= LINK_LINE_MAX_CHARS and len(words) != len(set(words))


# In the order they are tried; the first that fires names the reason.
CHROME_RULES: tuple[Callable[[str], bool], ...] = (
    bracketed_button,
    breadcrumb,
    share_widget,
    account_widget,
    read_more,
    prev_next_link,
    scan_qr_code,
    icp_copyright,
    back_to_top,
    print_page,
    click_here,
    related_links_heading,
    app_promo,
    site_url_line,
    font_size_widget,
    share_button,
    relative_time,
    forum_profile_field,
    duplicated_link_text,
)
# Rules for notices that end like sentences: tried on every line up to their own length cap.
SENTENCE_CHROME_RULES: tuple[Callable[[str], bool], ...] = (original_title, disclaimer)


# One pass that any pattern rule needs to fire: most lines are rejected by this single search.
_PLAIN_PATTERNS = (
    _BRACKETED_BUTTON,
    _FORUM_PROFILE,
    _BREADCRUMB,
    _SHARE,
    _ACCOUNT,
    _READ_MORE,
    _PREV_NEXT,
    _SCAN,
    _BACK_TO_TOP,
    _PRINT,
    _CLICK,
    _RELATED,
    _FONT_SIZE,
    _RELATIVE_TIME,
)
_CASELESS_PATTERNS = (_ICP, _APP_PROMO, _URL, _SHARE_BUTTON)
_ANY_PATTERN = re.compile(
    "|".join(f"(?:{p.pattern})" for p in _PLAIN_PATTERNS)
    + "|"
    + "|".join(f"(?i:{p.pattern})" for p in _CASELESS_PATTERNS)
)


# Both sentence rules cap their line length: a longer line (a paragraph) is not searched at all.
SENTENCE_RULES_MAX_CHARS = max(ORIGINAL_TITLE_MAX_CHARS, DISCLAIMER_MAX_CHARS)
_ANY_SENTENCE_PATTERN = re.compile(f"(?:{_ORIGINAL_TITLE.pattern})|(?:{_DISCLAIMER.pattern})")


def chrome_reason(line: str) -> str | None:
    """The name of the first chrome rule that fires on a short non-sentence line (or a notice), else None."""
    if len(line) <= SENTENCE_RULES_MAX_CHARS and _ANY_SENTENCE_PATTERN.search(line):
        for rule in SENTENCE_CHROME_RULES:
            if rule(line):
                return rule.__name__
    if len(line) > CHROME_MAX_CHARS or _SENTENCE_END.search(line[-TAIL_CHARS:]):
        return None
    if not _ANY_PATTERN.search(line):
        return "duplicated_link_text" if duplicated_link_text(line) else None
    for rule in CHROME_RULES:
        if rule(line):
            return rule.__name__
    return None


def is_subheading_text(line: str) -> bool:
    """A wholly bold short block in the article is a subheading unless it reads as chrome, meta or credit."""
    return (
        len(line) <= SUBHEADING_MAX_CHARS
        and _TWO_CJK.search(line) is not None
        and _CREDIT_WORD.search(line) is None
        and chrome_reason(line) is None
        and not is_meta_line(line)
        and not is_photo_credit(line)
    )
