"""Gold metadata of dev pages, read off each page itself (headline, the date/source line under it, the
credit of the writer wherever the article gives it), not copied from any extractor's output: the
table the tests and benchmarks.metadata share."""

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
# file -> what the page says: title from the headline block; date and source from the line under it
# (or the page's own article metadata where it shows none); author: the writer credited anywhere in
# the article (记者 X in its opening line, 文/X at its end), None when only an editor is named.
GNE_TABLE: dict[str, Expected] = {
    "163_1": Expected('多地项目连环爆雷 狂奔的龙湖集团"暗伤"曝露？', D(2019, 9, 7), "证券市场红周刊", None),
    "163_2": Expected("姚明对周琦说了啥？周琦上下半场判若两人", D(2019, 9, 7), "新京报", None),
    "163_3": Expected('奖金711万元！"中国诺贝尔奖"首位获奖女性啥来头?', D(2019, 9, 8), "每日经济新闻", None),
    "163_4": Expected("华为Mate20X 5G版半天不到需充电 耗电制约5G芯片", D(2019, 9, 7), "每日经济新闻", None),
    "163_5": Expected("女警打百个电话遭停机 评:运营商识别诈骗智商感人", D(2019, 9, 7), "新京报", None),
    "163_6": Expected('男孩因不想上补习班 写"救命啊"纸团抛出引来警察', D(2019, 9, 9), "华龙网", None),
    "163_7": Expected("亚马逊海外购“限时快闪店”登陆拼多多", D(2019, 11, 25), "新京报", "陆一夫"),
    "163_8": Expected("国务院联防联控机制:湖北和武汉要严格管控防输出", D(2020, 2, 29), "新华社", None),
    # 网易号: the account beside the date is 苏皖城市报道; the body ends "来源：无锡交警".
    "163_9": Expected(
        "5月20日至31日，京沪高速无锡至江阴大桥至广陵枢纽段封闭！", D(2019, 5, 17), "苏皖城市报道", None
    ),
    # baijiahao: the account beside the date is the source, not an author (no person named); the
    # date line shows 10-08 12:00 without a year, the year from <meta name="dateUpdate">.
    "baijiahao_1": Expected(
        "英国美女在殡仪馆工作太痛苦，转行当美人鱼！每小时收入近千元", D(2019, 10, 8), "加拿大必读", None
    ),
    # date line 09-30 without a year: the year from <meta name="dateUpdate">
    "baijiahao_2": Expected(
        "日本最后一家传呼机公司停止服务，殡仪馆为BB机送终", D(2019, 9, 30), "IT之家", None
    ),
    "baijiahao_3": Expected("这款休闲裤太帅了，让你时尚潮流穿着舒适", D(2018, 3, 8), "体育教科书", None),
    # date line 01-14 without a year: the year from <meta name="dateUpdate">
    "baijiahao_4": Expected(
        "一袭汉服，一架古筝，90后彭静旋异国他乡只为传播中华文化", D(2020, 1, 14), "八卦大相公", None
    ),
    # 作者： is left empty; the body ends "(文/图 刘玺东 易赛楠)".
    "cjddsb_1": Expected(
        "常德市金融系统积极开展“金融知识普及月 金融知识进万家”活动",
        D(2019, 9, 23),
        "当代商报",
        "刘玺东 易赛楠",
    ),
    "cjn_1": Expected("外媒眼中的武汉长假：蓬勃发展，欢声笑语", D(2020, 10, 4), "长江网", "陈智"),
    "cmse_1": Expected("天宫一号与神舟九号载人交会对接任务第二场新闻发布会", D(2012, 6, 24), None, None),
    "csdn_1": Expected("第三届知道安全论坛鸟巢举办 知道创宇发布新版ZoomEye", D(2014, 8, 24), "CSDN", "魏星"),
    "ednchina_1": Expected("阿里发布最强AI芯片：性能“吊打”同行，一块顶十块GPU", D(2019, 9, 25), None, None),
    # "游民星空[整理]" beside the date; 作者：未知 is no author, 责任编辑 an editor.
    "gamersky_gamersky": Expected(
        "逆水寒再按照这个速度研发下去 应该马上就要收到律师函了！", D(2019, 9, 5), "游民星空", None
    ),
    "gsc_1": Expected(
        "2019年中国人文地理学术年会在重庆•西南大学成功举行！", D(2019, 5, 18), "中国地理学会", None
    ),
    "guancha_2": Expected(
        "我国集成电路进口突破3000亿美元！魏少军：产业结构扭曲，没将产品作为中心", D(2019, 9, 7), "EETOP", None
    ),
    # the headline itself starts with the columnist's name; 【文/观察者网专栏作者 王文】 credits him.
    "guancha_guancha": Expected(
        "王文：中美贸易“持久战”，中国人的斗志被激发", D(2019, 9, 7), "观察者网", "王文"
    ),
    "gzggw_1": Expected("1-10月德清县固定资产投资结构趋稳趋优", D(2016, 11, 22), "省发改委", None),
    "hexun_1": Expected("交通运输部：着力打造京津冀区域综合立体交通网络", D(2019, 9, 26), "证券时报网", None),
    # pen names credited by 执笔/ (and listed beside the date); no source shown (only the page's script
    # config says source: '补壹刀微信公号').
    "huanqiu_1": Expected(
        "补壹刀：别笑！18人的“新八国联军”今天成立了", D(2020, 6, 5), None, "叨叨姐 胡一刀 李小飞刀"
    ),
    # 澎湃新闻记者 段彦超 廖艳 opens the body
    "ifeng_1": Expected(
        "女童眼睛被塞几十片纸，“无法用科学解释”", D(2019, 11, 25), "澎湃新闻网", "段彦超 廖艳"
    ),
    "ifeng_2": Expected("他放弃百万年薪来到这里 唯一的要求竟是……", D(2019, 9, 9), "新华网", None),
    "guancha_3": Expected("苹果回应“违反中国劳动法”：大多数指控错误", D(2019, 9, 9), "中新网", None),
    # 来源：商讯 (ifeng's advertorial label, not an outlet), kept as the page names it.
    "ifeng_3": Expected("疫情防控常态化下，长春市的新经济之路", D(2020, 9, 11), "商讯", None),
    "ifeng_ifeng": Expected("董又霖主持首秀状况百出大方道歉：会继续努力", D(2019, 9, 7), "东森新闻云", None),
    "mingridapan_1": Expected(
        "最新出炉联合国贸发报告：2019年全球经济增长率降至2.3%", D(2019, 9, 26), None, None
    ),
    # the headline carries a spam prefix, kept as shown; 富达传媒 (the site's poster) is beside the date,
    # though the text is 南方都市报's (南都记者; ",南方都市报" trails the body).
    "njxfhn_1": Expected(
        "[诗婷露雅化妆品]江门七旬阿婆接来电称其涉黑被骗上百万！冒充公检法电诈团伙被端",
        D(2019, 9, 11),
        "富达传媒",
        "余毅菁 向雪妮",
    ),
    # no date line: the line under the headline is the day the resolution passed (2007-06-29), the
    # publication day is <meta name="firstpublishedtime">; <meta name="author"> is the uploader.
    "other_1": Expected(
        "全国人民代表大会常务委员会关于批准财政部发行特别国债购买外汇及调整2007年末国债余额限额的决议",
        D(2007, 8, 20),
        None,
        None,
    ),
    "people_1": Expected("女儿出嫁，郑板桥画了几笔兰花当嫁妆", D(2019, 6, 15), "人民网-文化频道", None),
    "qq_2": Expected(
        "棱镜|数据业大整顿：爬虫与现金贷共生共荣，用户信息几元不等", D(2019, 9, 23), "棱镜", "周纯"
    ),
    # 企鹅号 扬眼 beside the date; 扬子晚报记者 张楠 closes the body.
    "qq_qq": Expected(
        "儿歌一分钱被改成一元钱 原作者女儿：改成这样不觉得拗口吗？", D(2019, 9, 7), "扬眼", "张楠"
    ),
    # the page shows only 昨天: the day is the topic's publishDate in the page's own state
    # (2019-09-07T00:31Z); an aggregator, no single source (媒体报道 lists 凤凰科技, 新浪科技).
    "readhub_readhub": Expected("运营商 5G 手机促销方式曝光，禁止提供购机补贴", D(2019, 9, 7), None, None),
    "shanxi_1": Expected("山西品牌丝路行（南美站）正式启动", D(2019, 9, 18), "山西日报", None),
    "sina_1": Expected("中国人习以为常的地方 为何老外却说“了不得”？", D(2019, 11, 25), "参考消息", None),
    "sina_2": Expected('60万"12306账号"外泄? 中铁总辟谣称消息不实', D(2018, 12, 28), "新京报", "裴剑飞"),
    # "原创： 路闻卓立编译 人民币交易与研究" opens the body: 路闻卓立 compiled it (a WeChat repost).
    "sina_3": Expected(
        "债券市场是否存在泡沫？世界知名首席投资官们这么说", D(2019, 9, 9), "新浪财经-自媒体综合", "路闻卓立"
    ),
    # the writer is credited only by "(李楠)" at the end of the text.
    "sina_4": Expected("苹果发布新iPhone 11：64GB售5499元 256GB售6799元", D(2019, 9, 11), "新浪科技", "李楠"),
    "sina_5": Expected("陈同佳刑满出狱 向潘晓颖家人鞠躬致歉", D(2019, 10, 23), "环球网", None),
    "sina_sina": Expected("最强“中国芯”本月商用 华为抢跑5G芯片大战", D(2019, 9, 7), "北京日报", None),
    "stcn_1": Expected(
        "午间公告：天奇股份中标广汽丰田项目；运达股份中标7亿元项目", D(2019, 9, 26), "证券时报网", "李在山"
    ),
    "sxmu_1": Expected("中华人民共和国监察法", D(2018, 5, 17), None, None),
    # byline 石佳/中国青年报
    "thepaper_1": Expected(
        "共享充电宝涨价告别1元时代：是“收割韭菜”还是回归理性", D(2019, 9, 24), "中国青年报", "石佳"
    ),
    # the headline is cut on the page ("…无敌免..."; the full title is in the body), kept as shown; the
    # 澎湃号 account is 中国广州发布 and the body ends "来源|广州参考、广州南沙发布、羊城晚报".
    "thepaper_2": Expected(
        "定了！广州南沙邮轮母港即将开通！地铁直达+无敌免...", D(2019, 8, 13), "澎湃新闻·澎湃号·政务", None
    ),
    "thepaper_3": Expected("新年伊始，习近平的重要文章谈了啥？", D(2020, 1, 3), "新华社", None),
    # the same article as thepaper_2
    "thepaper_4": Expected(
        "定了！广州南沙邮轮母港即将开通！地铁直达+无敌免...", D(2019, 8, 13), "澎湃新闻·澎湃号·政务", None
    ),
    "thepaper_5": Expected(
        "柳叶刀：味觉嗅觉丧失是新冠感染最强预测指标，优于发烧咳嗽", D(2020, 6, 6), "澎湃新闻", "贺梨萍"
    ),
    # a gallery: the account 去驴行 is beside the headline, the date under the first caption; the 原创
    # badge is not part of the headline.
    "toutiao_2": Expected(
        "最不愁吃肉的国家：顿顿有肉吃，却要靠中国运输蔬菜水果", D(2019, 9, 8), "去驴行", None
    ),
    # 采写：南都见习记者 林子沛 closes the body
    "toutiao_3": Expected(
        "海螺沟寻子一个月：儿子消失在眼前十几米，搜寻无果母亲不舍离去", D(2019, 9, 9), "南方都市报", "林子沛"
    ),
    "toutiao_4": Expected("较强冷空气来袭 全国多地开启“抖抖抖”模式", D(2019, 11, 25), "中国网", None),
    # the account beside the date; the body's last line "来源：网络" names no outlet
    "toutiao_5": Expected(
        "顺丰小哥汪勇连升3级，国家授予特别奖：时代永远在奖励解决问题的摆渡人", D(2020, 3, 9), "华夏人文", None
    ),
    "toutiao_toutiao": Expected(
        "英国独立游戏，经典游戏规则与RPG成长冒险元素结合体验", D(2019, 9, 4), "GameForce", None
    ),
    # the page shows only 昨天: the day is the article's own timestamp (var ct, 2020-02-12 22:17
    # +08:00); the account is the source; "经过文刃重新编排" credits a re-layout, not a writer.
    "wechat_1": Expected("三星 Galaxy S20 系列手机正式发布", D(2020, 2, 12), "爱否科技", None),
    # the page shows only 前天: the day is the article's own timestamp (var ct, 2020-02-11 18:47
    # +08:00); kingname is the WeChat author field, 未闻Code the account.
    "wechat_2": Expected("一日一技：在 Python 中实现延迟调用", D(2020, 2, 11), "未闻Code", "kingname"),
    "xinhuanet_1": Expected("法国全国大罢工再次严重影响交通", D(2019, 12, 10), "新华网", "唐霁"),
    "xds_1": Expected(
        "【资讯汇总】9月26日盘中重要资讯汇总 准确把握市场走向", D(2019, 9, 26), "天天基金网", None
    ),
    # the date line under the headline reads 发布日期：2019-03-06 (an HTML comment sits inside it)
    "zsnews_1": Expected(
        "顺德区大良街道党工委委员潘卓辉一行到众创金融街开展调研工作", D(2019, 3, 6), "东区办事处", None
    ),
    # 来源：本站原创 names no outlet; 作者：医技药剂党支部 is a party branch, not a person; the lead
    # credits (职工通讯员 李琴雯 刘会).
    "zyyfy_1": Expected(
        "【不忘初心 牢记使命】我院医技药剂党支部举办2019年中药、药学理论知识与专业技能大赛",
        D(2019, 10, 31),
        None,
        "李琴雯 刘会",
    ),
}
