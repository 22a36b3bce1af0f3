"""Gold metadata of dev pages, read off each page itself (headline, the date/source/author line under
it), not copied from any extractor's output: the table the tests and benchmarks.metadata share."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple


class Expected(NamedTuple):
    """Title, published date, source outlet and author as the page shows them."""

    title: str
    date: dt.date | None
    source: str | None
    author: str | None


D = dt.date
# file -> what the page says (title from the headline block, fields from the line under it).
GNE_TABLE: dict[str, Expected] = {
    "163_1": Expected('多地项目连环爆雷 狂奔的龙湖集团"暗伤"曝露？', D(2019, 9, 7), "证券市场红周刊", None),
    "163_2": Expected("姚明对周琦说了啥？周琦上下半场判若两人", D(2019, 9, 7), "新京报", None),
    "163_3": Expected('奖金711万元！"中国诺贝尔奖"首位获奖女性啥来头?', D(2019, 9, 8), "每日经济新闻", None),
    "163_4": Expected("华为Mate20X 5G版半天不到需充电 耗电制约5G芯片", D(2019, 9, 7), "每日经济新闻", None),
    "163_5": Expected("女警打百个电话遭停机 评:运营商识别诈骗智商感人", D(2019, 9, 7), "新京报", None),
    "163_6": Expected('男孩因不想上补习班 写"救命啊"纸团抛出引来警察', D(2019, 9, 9), "华龙网", None),
    "163_7": Expected("亚马逊海外购“限时快闪店”登陆拼多多", D(2019, 11, 25), "新京报", None),
    "163_8": Expected("国务院联防联控机制:湖北和武汉要严格管控防输出", D(2020, 2, 29), "新华社", None),
    "cjn_1": Expected("外媒眼中的武汉长假：蓬勃发展，欢声笑语", D(2020, 10, 4), "长江网", None),
    "cmse_1": Expected("天宫一号与神舟九号载人交会对接任务第二场新闻发布会", D(2012, 6, 24), None, None),
    "csdn_1": Expected("第三届知道安全论坛鸟巢举办 知道创宇发布新版ZoomEye", D(2014, 8, 24), "CSDN", "魏星"),
    "ednchina_1": Expected("阿里发布最强AI芯片：性能“吊打”同行，一块顶十块GPU", D(2019, 9, 25), None, None),
    "gzggw_1": Expected("1-10月德清县固定资产投资结构趋稳趋优", D(2016, 11, 22), "省发改委", None),
    "hexun_1": Expected("交通运输部：着力打造京津冀区域综合立体交通网络", D(2019, 9, 26), "证券时报网", None),
    "ifeng_2": Expected("他放弃百万年薪来到这里 唯一的要求竟是……", D(2019, 9, 9), "新华网", None),
    "guancha_3": Expected("苹果回应“违反中国劳动法”：大多数指控错误", D(2019, 9, 9), "中新网", None),
    "people_1": Expected("女儿出嫁，郑板桥画了几笔兰花当嫁妆", D(2019, 6, 15), "人民网-文化频道", None),
    "shanxi_1": Expected("山西品牌丝路行（南美站）正式启动", D(2019, 9, 18), "山西日报", None),
    "sina_1": Expected("中国人习以为常的地方 为何老外却说“了不得”？", D(2019, 11, 25), "参考消息", None),
    "sina_2": Expected('60万"12306账号"外泄? 中铁总辟谣称消息不实', D(2018, 12, 28), "新京报", None),
    "sina_5": Expected("陈同佳刑满出狱 向潘晓颖家人鞠躬致歉", D(2019, 10, 23), "环球网", None),
    "sina_sina": Expected("最强“中国芯”本月商用 华为抢跑5G芯片大战", D(2019, 9, 7), "北京日报", None),
    "stcn_1": Expected(
        "午间公告：天奇股份中标广汽丰田项目；运达股份中标7亿元项目", D(2019, 9, 26), "证券时报网", "李在山"
    ),
    "sxmu_1": Expected("中华人民共和国监察法", D(2018, 5, 17), None, None),
    "thepaper_5": Expected(
        "柳叶刀：味觉嗅觉丧失是新冠感染最强预测指标，优于发烧咳嗽", D(2020, 6, 6), "澎湃新闻", None
    ),
    "xinhuanet_1": Expected("法国全国大罢工再次严重影响交通", D(2019, 12, 10), "新华网", None),
    "xds_1": Expected(
        "【资讯汇总】9月26日盘中重要资讯汇总 准确把握市场走向", D(2019, 9, 26), "天天基金网", None
    ),
    "zsnews_1": Expected(
        "顺德区大良街道党工委委员潘卓辉一行到众创金融街开展调研工作", None, "东区办事处", None
    ),
}
