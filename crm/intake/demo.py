"""Demo database: a fictional Chinese e-commerce retailer, generated from a seed.

``build_demo(con, customers=20_000, seed=42)`` replaces every customer, order,
ticket and survey row with generated data (import batch 0) in one transaction,
rebuilds the feature tables and raises the data version. The same seed and
arguments always give identical tables. Generation is vectorised numpy, in
chunks of ``CHUNK_CUSTOMERS`` customers, each inserted through a registered
Arrow table; strings (ids, names, labels) are assembled by DuckDB from integer
codes, so Python never holds ten million string objects.

The story the data tells
------------------------

*Calendar.* Orders span ``years`` years up to and including ``end_date``
(default ``DEFAULT_END_DATE`` = 2026-11-15, so 双11 2026 is in). Each day has a
shopping intensity w(d) (mean 1): a mild weekly pattern (weekends +5 %),
女王节 (Mar 7–8 ×1.5), 520 (×1.3), 618 (Jun 1–17 ×1.6, Jun 18 ×4.5), the 双11
presale (Oct 24–31 ×1.3), 双11 (Nov 1–10 ×2.2, **Nov 11 ×10**, Nov 12–13 ×1.3),
双12 (×2.5), the 年货节 (Spring Festival − 25 … − 6 days, ×1.35, a quarter of
its orders switched to 美食) and the Spring-Festival dip (− 5 … + 6 days, ×0.45,
couriers stop). Spring Festival dates come from a table for 2010–2040; outside
it there is no festival effect. During 618 and 双11 prices are discounted
5–20 %, which lowers the margin. On 6-18 and 11-11 a third of orders land in
the first hour after midnight; other days follow an evening-heavy hour profile
(store orders 10:00–22:00).

*Customers.* ``customer_id`` 'C0000001' … numbered in signup order. Signups
grow 50 % a year and follow w(d)^0.6 (promotions bring new customers). 0.2 %
(at least one) are companies ('杭州鑫源贸易有限公司', no gender or birthday);
the rest are individuals with a weighted Chinese surname (王 李 张 刘 陈 …) and a
one- or two-character given name typical of their gender (60 % F), an age of
18–65 concentrated around 30 (3 % no birthday), one of the 31 mainland
provinces weighted by online-shopping population (广东 12 % … 西藏 0.25 %) and
a city in it (the capital and up to three big cities), an acquisition channel
(天猫旗舰店 38 %, 京东 24 %, 微信小程序 20 %, 线下门店 10 %, 官网 8 %; companies
mostly 京东 / 官网 / 线下门店), a phone number (70 % masked '138****1234', the
rest 11 digits) and, for 35 % of individuals and every company, an e-mail.

*Purchases (BG/NBD, Fader, Hardie & Lee 2005, "Counting your customers the
easy way").* 88 % buy on their signup day, 9 % after an exponential delay
(mean 20 days), 3 % never buy. Afterwards, while active, a customer buys as a
Poisson process with rate λ ~ Gamma(shape 0.75, scale 0.08) per operational
day, capped at 0.35 (companies Gamma(4, 0.04), cap 0.5); after every purchase
they drop out for good with probability p, logit p = logit p₀ − 1.2·z with
p₀ ~ Beta(0.9, 8) (companies Beta(1, 150)) and z ~ N(0, 1) the customer's
latent satisfaction. That gives about ten orders per customer over three
years, a fifth of customers buying once and about 30 % of buyers lapsed (no
order in the last 365 days). Time runs in
*operational time* Λ(t) = ∫ w: a homogeneous process in Λ mapped back through
the inverse cumulative intensity (``np.searchsorted``) gives the seasonal
calendar. Vectorised: with N ~ Poisson(λ·H) arrivals in the remaining horizon H
and K ~ Geometric(p) − 1 purchases before dropout, the customer makes
M = min(N, K) repeat purchases at the first M of N uniform order statistics,
t_j = H·S_j / (S_M + G) with S_j partial sums of unit exponentials and
G ~ Gamma(N − M + 1); so the work is proportional to the orders produced.
An operational day is one average calendar day (w has mean 1).

*Orders.* ``order_id`` 'O0000000001' …, unique. Category from the customer's
preferences ~ Dirichlet(3 · base shares of their gender / companies) over
服装 鞋子 包包 配饰 美妆 家居 美食; unit price lognormal per category (median
¥59 美食 … ¥329 包包) times a per-customer spend level (lognormal, σ 0.35) and a
small tier-1 city premium; quantity 1–5 (56/24/11/5/4 %). Companies order in
bulk: quantity and amount × U(10, 50) per account (so their quantities run
from about 10 to a few hundred). cost = list amount × (1 −
margin), margin per category (美妆 65 % … 美食 22 %) ± 4 points; profit =
amount − cost exactly (DECIMAL). The order channel is the acquisition channel
80 % of the time. Returned: ≈ 5 % overall, 服装 9 % and 鞋子 8.5 % most, 美食 1.2 %,
more for less satisfied customers (× e^(−0.25 z)), half as often for companies.

*Tickets* 'T000000001' … ≈ 0.4 per customer: 55 % of returned orders and
1.5 % of the others (2.5 % when z < −1) open one, 2–12 days after a returned
order, about a day after another.
After a return: after_sales 55 %, complaint 30 %, other 15 %; otherwise
consultation 50 %, after_sales 20 %, complaint 18 %, other 12 %, complaints
weighted × e^(−0.9 z). Handling time is lognormal (median 2 h consultation …
48 h complaint); tickets opened in the last days, and 1.5 % of older ones, are
still 'open' (no resolved_at); of the rest 75 % 'resolved', 25 % 'closed'.

*Survey* 客户满意度调查, a 问卷星-style questionnaire asked in ``SURVEY_WAVES``
quarterly waves up to ``end_date`` (survey ids 'SAT-2025Q1' …, wave labels
'2025-Q1' …, one ``surveys`` row per wave, the same questions in each): Q1 the
channel of the purchase (choice), matrix Q2 expectation and matrix Q3
perception of quality / price / delivery / service / packaging / after-sales
(1–7, Q2_1 … Q3_6), matrix Q4 one agreement statement per dimension (1–5,
非常不同意 … 非常同意; the delivery and after-sales statements are negative and
reverse-scored), matrix Q5 importance (1–5), Q6 overall satisfaction (1–5,
非常不满意 … 非常满意), Q7 likelihood to recommend (NPS, 0–10) and Q8 an open
comment. Each order in the survey period invites its buyer with probability
``SURVEY_INVITE_RATE``; the answer comes 1–8 days later, at most one per
customer and wave ('R000000001' …); 10 % of respondents gave no member number
(anonymous: no customer_id). Answers derive from per-dimension satisfaction
s_d = 0.8 z + 0.6 e_d + drift_d · (wave − mid): perceived − expected gaps
average quality −0.1, price +0.2, delivery −1.0 (improving from wave to wave),
service −0.2, packaging +0.6, after-sales −0.6 (slowly worsening). About a third
of respondents comment (more among the dissatisfied), praising their best
dimension, criticising their worst, or both, in words that fit their scores.
Because z also lowers the dropout probability, satisfied respondents buy
again after the survey more often than dissatisfied ones.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Callable

import duckdb
import numpy as np
import pyarrow as pa

from crm.store import db, features
from crm.errors import CRMInputError
from crm.i18n import Message

DEFAULT_END_DATE = dt.date(2026, 11, 15)
CHUNK_CUSTOMERS = 100_000
MAX_YEARS = 10
DEMO_BATCH_ID = 0
SURVEY_TITLE = "客户满意度调查"

Progress = Callable[[Message, float], None]  # a step to show in the reader's language, fraction done

# --------------------------------------------------------------------------
# Vocabulary and weights
# --------------------------------------------------------------------------

# (province, weight in %, [(city, weight), ...]); weights approximate each
# province's share of online shoppers.
PROVINCES: list[tuple[str, float, list[tuple[str, float]]]] = [
    ("广东", 12.0, [("广州", 3), ("深圳", 3), ("东莞", 1.5), ("佛山", 1.5)]),
    ("江苏", 8.5, [("南京", 3), ("苏州", 3), ("无锡", 1.5), ("常州", 1)]),
    ("浙江", 8.5, [("杭州", 4), ("宁波", 2), ("温州", 1.5), ("金华", 1)]),
    ("山东", 6.5, [("济南", 3), ("青岛", 3), ("烟台", 1.5), ("潍坊", 1)]),
    ("河南", 5.5, [("郑州", 4), ("洛阳", 1.5), ("南阳", 1)]),
    ("四川", 5.0, [("成都", 6), ("绵阳", 1), ("南充", 1)]),
    ("上海", 5.0, [("上海", 1)]),
    ("北京", 4.5, [("北京", 1)]),
    ("河北", 4.0, [("石家庄", 3), ("唐山", 1.5), ("保定", 1.5)]),
    ("湖北", 4.0, [("武汉", 5), ("宜昌", 1), ("襄阳", 1)]),
    ("湖南", 3.5, [("长沙", 4), ("株洲", 1), ("衡阳", 1)]),
    ("福建", 3.5, [("福州", 2), ("厦门", 2), ("泉州", 2)]),
    ("安徽", 3.0, [("合肥", 4), ("芜湖", 1), ("阜阳", 1)]),
    ("陕西", 2.5, [("西安", 5), ("宝鸡", 1), ("咸阳", 1)]),
    ("辽宁", 2.5, [("沈阳", 3), ("大连", 3), ("鞍山", 1)]),
    ("重庆", 2.2, [("重庆", 1)]),
    ("江西", 2.0, [("南昌", 3), ("赣州", 1.5), ("九江", 1)]),
    ("广西", 2.0, [("南宁", 3), ("柳州", 1.5), ("桂林", 1.5)]),
    ("天津", 1.8, [("天津", 1)]),
    ("云南", 1.8, [("昆明", 4), ("曲靖", 1), ("大理", 1)]),
    ("山西", 1.6, [("太原", 3), ("大同", 1), ("运城", 1)]),
    ("黑龙江", 1.5, [("哈尔滨", 3), ("大庆", 1), ("齐齐哈尔", 1)]),
    ("吉林", 1.2, [("长春", 3), ("吉林", 1)]),
    ("贵州", 1.2, [("贵阳", 3), ("遵义", 1.5)]),
    ("内蒙古", 1.0, [("呼和浩特", 2), ("包头", 1.5), ("鄂尔多斯", 1)]),
    ("新疆", 1.0, [("乌鲁木齐", 3), ("喀什", 1), ("伊犁", 1)]),
    ("甘肃", 0.9, [("兰州", 3), ("天水", 1)]),
    ("海南", 0.8, [("海口", 2), ("三亚", 1)]),
    ("宁夏", 0.4, [("银川", 3), ("石嘴山", 1)]),
    ("青海", 0.35, [("西宁", 4), ("海东", 1)]),
    ("西藏", 0.25, [("拉萨", 4), ("日喀则", 1)]),
]
TIER1_CITIES = {"上海", "北京", "深圳", "广州", "杭州"}

# (surname, share in %, pinyin for e-mail addresses)
SURNAMES: list[tuple[str, float, str]] = [
    ("王", 7.1, "wang"), ("李", 7.0, "li"), ("张", 6.4, "zhang"), ("刘", 5.4, "liu"),
    ("陈", 4.5, "chen"), ("杨", 3.1, "yang"), ("黄", 2.2, "huang"), ("赵", 2.0, "zhao"),
    ("吴", 1.9, "wu"), ("周", 1.9, "zhou"), ("徐", 1.5, "xu"), ("孙", 1.5, "sun"),
    ("马", 1.4, "ma"), ("朱", 1.3, "zhu"), ("胡", 1.3, "hu"), ("郭", 1.1, "guo"),
    ("何", 1.1, "he"), ("高", 1.0, "gao"), ("林", 1.0, "lin"), ("罗", 0.9, "luo"),
    ("郑", 0.9, "zheng"), ("梁", 0.8, "liang"), ("谢", 0.7, "xie"), ("宋", 0.6, "song"),
    ("唐", 0.6, "tang"), ("许", 0.6, "xu"), ("韩", 0.5, "han"), ("冯", 0.5, "feng"),
    ("邓", 0.5, "deng"), ("曹", 0.5, "cao"), ("彭", 0.5, "peng"), ("曾", 0.5, "zeng"),
    ("肖", 0.4, "xiao"), ("田", 0.4, "tian"), ("董", 0.4, "dong"), ("袁", 0.4, "yuan"),
    ("潘", 0.4, "pan"), ("于", 0.4, "yu"), ("蒋", 0.4, "jiang"), ("蔡", 0.4, "cai"),
    ("余", 0.3, "yu"), ("杜", 0.3, "du"), ("叶", 0.3, "ye"), ("程", 0.3, "cheng"),
    ("苏", 0.3, "su"), ("魏", 0.3, "wei"), ("吕", 0.3, "lv"), ("丁", 0.3, "ding"),
    ("任", 0.3, "ren"), ("沈", 0.3, "shen"), ("姚", 0.3, "yao"), ("卢", 0.3, "lu"),
    ("姜", 0.3, "jiang"), ("崔", 0.3, "cui"), ("钟", 0.3, "zhong"), ("谭", 0.3, "tan"),
    ("陆", 0.3, "lu"), ("汪", 0.3, "wang"), ("范", 0.3, "fan"), ("金", 0.3, "jin"),
    ("欧阳", 0.05, "ouyang"), ("司马", 0.02, "sima"),
]
GIVEN_F = list("婷敏静丽娟艳芳娜秀玲霞燕颖雪琳欣怡佳晶蕾萍倩薇洁梅莉慧媛瑶璐梦诗雨思涵悦琪馨彤萱")
GIVEN_M = list("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳晨博文轩睿泽铭哲宏峰")
GIVEN = GIVEN_F + GIVEN_M  # female characters first, male ones from len(GIVEN_F)

COMPANY_BRANDS: list[tuple[str, str]] = [
    ("鑫源", "xinyuan"), ("华盛", "huasheng"), ("恒达", "hengda"), ("宏图", "hongtu"),
    ("瑞丰", "ruifeng"), ("嘉禾", "jiahe"), ("永泰", "yongtai"), ("金桥", "jinqiao"),
    ("博远", "boyuan"), ("天成", "tiancheng"), ("中联", "zhonglian"), ("隆兴", "longxing"),
    ("盛世", "shengshi"), ("优品", "youpin"), ("汇通", "huitong"), ("东方", "dongfang"),
    ("联创", "lianchuang"), ("锦程", "jincheng"), ("昌盛", "changsheng"), ("新宇", "xinyu"),
]
COMPANY_INDUSTRIES = ["贸易", "商贸", "电子商务", "实业", "科技", "礼品", "餐饮管理", "酒店管理", "文化传媒"]

PHONE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199",
]
EMAIL_DOMAINS = [("qq.com", 0.45), ("163.com", 0.25), ("126.com", 0.10), ("sina.com", 0.05),
                 ("outlook.com", 0.08), ("gmail.com", 0.07)]

CHANNELS = ["天猫旗舰店", "京东", "微信小程序", "官网", "线下门店"]
CHANNEL_WEIGHTS = np.array([0.38, 0.24, 0.20, 0.08, 0.10])
COMPANY_CHANNEL_WEIGHTS = np.array([0.10, 0.35, 0.0, 0.35, 0.20])
STORE = CHANNELS.index("线下门店")

CATEGORIES = ["服装", "鞋子", "包包", "配饰", "美妆", "家居", "美食"]
FOOD = CATEGORIES.index("美食")
# Base category shares by customer kind (rows: F, M, company).
CATEGORY_SHARES = np.array([
    [0.28, 0.12, 0.08, 0.08, 0.20, 0.12, 0.12],
    [0.24, 0.20, 0.04, 0.08, 0.06, 0.18, 0.20],
    [0.15, 0.05, 0.05, 0.05, 0.10, 0.30, 0.30],
])
PREFERENCE_CONCENTRATION = 3.0
PRICE_MEDIAN = np.array([139.0, 259.0, 329.0, 79.0, 169.0, 99.0, 59.0])   # CNY per unit
PRICE_SIGMA = np.array([0.6, 0.5, 0.7, 0.7, 0.6, 0.8, 0.6])
MARGIN = np.array([0.50, 0.42, 0.55, 0.60, 0.65, 0.38, 0.22])
RETURN_RATE = np.array([0.09, 0.085, 0.05, 0.035, 0.03, 0.04, 0.012])
QUANTITY_P = np.array([0.56, 0.24, 0.11, 0.05, 0.04])

# Order hour profile (evening heavy) and store opening hours.
HOUR_WEIGHTS = np.array([1.5, 0.8, 0.4, 0.2, 0.15, 0.2, 0.4, 0.8, 1.2, 1.6, 2.0, 2.0,
                         2.2, 2.0, 1.9, 1.9, 1.9, 1.9, 2.0, 2.5, 3.0, 3.3, 3.0, 2.2])

TICKET_TYPES = ["complaint", "consultation", "after_sales", "other"]
TICKET_STATUSES = ["open", "resolved", "closed"]
TICKET_CHANNELS = ["phone", "online_chat", "email", "store", "app"]
TICKET_CHANNEL_WEIGHTS = np.array([0.25, 0.40, 0.05, 0.10, 0.20])
# Median handling time in hours by ticket type (complaint, consultation, after_sales, other).
TICKET_MEDIAN_HOURS = np.array([48.0, 2.0, 30.0, 12.0])

# Survey: dimension code, Chinese label, mean expectation (1–7), mean perception (1–7), mean importance (1–5),
# agreement statement (1–5), whether the statement is negative (reverse-scored), drift of satisfaction per wave.
SURVEY_DIMENSIONS = [
    ("quality", "商品质量", 5.6, 5.5, 4.5, "商品与页面描述相符", False, 0.0),
    ("price", "价格", 5.0, 5.2, 4.1, "价格物有所值", False, 0.0),
    ("delivery", "物流配送", 5.8, 4.8, 3.9, "等待收货的时间太长", True, 0.06),
    ("service", "客户服务", 5.3, 5.1, 3.6, "客服回复及时、态度友好", False, 0.0),
    ("packaging", "商品包装", 4.9, 5.5, 2.9, "包装完好、美观", False, 0.0),
    ("after_sales", "售后服务", 5.5, 4.9, 3.7, "退换货流程繁琐", True, -0.03),
]
SURVEY_WAVES = 8               # quarters up to the end date
SURVEY_INVITE_RATE = 0.10      # share of the customers buying in a quarter who answer that wave
SURVEY_ANONYMOUS = 0.10        # respondents without a member number
AGREE_LABELS = ["非常不同意", "不同意", "一般", "同意", "非常同意"]
SATISFIED_LABELS = ["非常不满意", "不满意", "一般", "满意", "非常满意"]
# Comment phrases per dimension (three each, in SURVEY_DIMENSIONS order).
PRAISE = [
    "质量很好，和描述一致", "做工精细，用料扎实", "东西质量不错，值得购买",
    "价格实惠，性价比高", "活动力度大，很划算", "价格合理，物有所值",
    "物流很快，第二天就到了", "发货速度快，快递小哥服务好", "配送及时，比预期早到",
    "客服态度很好，耐心解答", "客服回复及时，问题很快解决", "服务热情周到",
    "包装精美，送人很有面子", "包装严实，没有任何损坏", "包装环保又好看",
    "退换货很方便，售后给力", "售后处理很快，很省心", "售后服务专业，解决了问题",
]
COMPLAINT = [
    "质量一般，和图片有差距", "用了几天就坏了，质量太差", "做工粗糙，有线头",
    "价格偏贵，不太划算", "刚买完就降价了，体验不好", "性价比不高",
    "物流太慢了，等了一个星期", "发货太慢，催了好几次", "快递延误，也没有通知",
    "客服回复太慢，态度冷淡", "客服答非所问，解决不了问题", "联系客服一直排队",
    "包装简陋，收到时盒子压坏了", "包装太随便，商品有划痕", "外包装破损",
    "退货流程太繁琐", "售后推来推去，一直没解决", "退款到账太慢",
]

# Spring Festival (Chinese New Year's Day), used for the 年货节 and the holiday dip.
SPRING_FESTIVAL = {
    2010: "02-14", 2011: "02-03", 2012: "01-23", 2013: "02-10", 2014: "01-31",
    2015: "02-19", 2016: "02-08", 2017: "01-28", 2018: "02-16", 2019: "02-05",
    2020: "01-25", 2021: "02-12", 2022: "02-01", 2023: "01-22", 2024: "02-10",
    2025: "01-29", 2026: "02-17", 2027: "02-06", 2028: "01-26", 2029: "02-13",
    2030: "02-03", 2031: "01-23", 2032: "02-11", 2033: "01-31", 2034: "02-19",
    2035: "02-08", 2036: "01-28", 2037: "02-15", 2038: "02-04", 2039: "01-24",
    2040: "02-12",
}

_SECONDS_PER_DAY = 86_400


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def build_demo(
    con: duckdb.DuckDBPyConnection,
    customers: int = 20_000,
    seed: int = 42,
    end_date: dt.date | None = None,
    years: int = 3,
    progress: Progress | None = None,
) -> dict:
    """Replace all data with a generated retailer and return a summary.

    One transaction: delete customers, orders, tickets, the survey tables, the
    ``*_replaced`` history and ``import_batches``; insert the demo rows as
    batch 0 plus its ``import_batches`` row; rebuild the feature tables; raise
    the data version. Any error rolls everything back.

    Returns ``{"customers", "orders", "tickets", "survey_responses",
    "first_order_date", "last_order_date", "seconds"}``.
    """
    started = time.perf_counter()
    n_customers, years = _validate(customers, seed, years)
    end = _validate_end_date(end_date)
    report = progress or (lambda message, fraction: None)

    report(Message("demo.progress.calendar"), 0.0)
    cal = _Calendar(end, years)
    # Independent streams: (0,) for the customer base, (1, k) for chunk k, so a
    # chunk's draws do not depend on how many chunks there are.
    setup_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    signup_days = _draw_signup_days(setup_rng, cal, n_customers)
    n_companies = max(1, round(n_customers * 0.002))
    company = np.zeros(n_customers, dtype=bool)
    company[setup_rng.choice(n_customers, size=min(n_companies, n_customers), replace=False)] = True

    con.begin()
    try:
        _clear(con)
        waves = _survey_waves(cal)
        _insert_survey_definition(con, waves)
        counters = {"orders": 0, "tickets": 0, "responses": 0}
        n_chunks = -(-n_customers // CHUNK_CUSTOMERS)
        for k in range(n_chunks):
            lo, hi = k * CHUNK_CUSTOMERS, min(n_customers, (k + 1) * CHUNK_CUSTOMERS)
            report(Message("demo.progress.customers", first=f"{lo + 1:,}", last=f"{hi:,}", total=f"{n_customers:,}"),
                   0.02 + 0.6 * k / n_chunks)
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, k)))
            _build_chunk(con, rng, cal, waves, lo, signup_days[lo:hi], company[lo:hi], n_customers, counters)
        report(Message("demo.progress.features"), 0.65)
        _insert_batch_row(con, seed, n_customers, counters)
        features.materialise(con)
        db.bump_data_version(con)
        con.commit()
    except BaseException:
        con.rollback()
        raise

    first = db.scalar(con, "SELECT min(order_date)::DATE FROM orders")
    last = db.scalar(con, "SELECT max(order_date)::DATE FROM orders")
    summary = {
        "customers": n_customers,
        "orders": counters["orders"],
        "tickets": counters["tickets"],
        "survey_responses": counters["responses"],
        "first_order_date": first,
        "last_order_date": last,
        "seconds": round(time.perf_counter() - started, 1),
    }
    report(Message("demo.progress.done"), 1.0)
    return summary


# --------------------------------------------------------------------------
# Validation and calendar
# --------------------------------------------------------------------------

CONFIRM_WORDS = ("REPLACE", "替换")  # what an admin types to replace imported data with demo data
CONFIRM_WORD = CONFIRM_WORDS[0]


def imported_batches(con: duckdb.DuckDBPyConnection) -> int:
    """Import batches (active or undone) a demo build would delete along with their data."""
    return int(db.scalar(con, "SELECT count(*) FROM import_batches WHERE table_name <> 'demo'") or 0)


def require_replace_confirmation(con: duckdb.DuckDBPyConnection, typed: str | None) -> None:
    """Refuse a demo build over imported data unless `typed` is one of CONFIRM_WORDS.

    CRMInputError('demo.refused') names the number of batches and the word to type.
    """
    batches = imported_batches(con)
    if batches and (typed or "").strip() not in CONFIRM_WORDS:
        raise CRMInputError("demo.refused", batches=batches, word=CONFIRM_WORD)


def validate_arguments(customers: object, seed: object, years: object, end_date: object = None) -> None:
    """Raise CRMInputError for arguments `build_demo` would refuse (the CLI checks before creating a file)."""
    _validate(customers, seed, years)
    _validate_end_date(end_date)


def _validate(customers: object, seed: object, years: object) -> tuple[int, int]:
    if isinstance(customers, bool) or not isinstance(customers, (int, np.integer)) or customers < 1:
        raise CRMInputError("demo.error.customers", value=customers)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise CRMInputError("demo.error.seed", value=seed)
    if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or not 1 <= years <= MAX_YEARS:
        raise CRMInputError("demo.error.years", value=years, max=MAX_YEARS)
    return int(customers), int(years)


def _validate_end_date(value: object) -> dt.date:
    if value is None:
        return DEFAULT_END_DATE
    if isinstance(value, dt.datetime):
        return value.date()
    if not isinstance(value, dt.date) or value.year < 1971 + MAX_YEARS:
        raise CRMInputError("demo.error.end_date", value=value, min_year=1971 + MAX_YEARS)
    return value


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class _Calendar:
    """The days of the demo period and their shopping intensity.

    ``weight[d]`` is the relative order intensity of day d (mean 1);
    ``cum[d]`` the operational time Λ at the end of day d, so a time τ in
    operational units falls on day ``searchsorted(cum, τ)``.
    """

    def __init__(self, end: dt.date, years: int):
        self.end = end
        self.start = _years_before(end, years) + dt.timedelta(days=1)
        self.days = (end - self.start).days + 1
        dates = np.datetime64(self.start, "D") + np.arange(self.days)
        self.epoch_day = int((self.start - dt.date(1970, 1, 1)).days)
        month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
        dom = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
        weekday = (dates.astype(np.int64) + 3) % 7  # Monday = 0
        md = month * 100 + dom

        w = np.array([1.0, 0.97, 0.97, 0.98, 0.97, 1.04, 1.07])[weekday]
        w = w * np.where((md == 307) | (md == 308), 1.5, 1.0)
        w = w * np.where(md == 520, 1.3, 1.0)
        w = w * np.where((md >= 601) & (md <= 617), 1.6, 1.0)
        w = w * np.where(md == 618, 4.5, 1.0)
        w = w * np.where((md >= 1024) & (md <= 1031), 1.3, 1.0)
        w = w * np.where((md >= 1101) & (md <= 1110), 2.2, 1.0)
        w = w * np.where(md == 1111, 10.0, 1.0)
        w = w * np.where((md == 1112) | (md == 1113), 1.3, 1.0)
        w = w * np.where(md == 1212, 2.5, 1.0)

        day_numbers = dates.astype(np.int64)
        self.nianhuo = np.zeros(self.days, dtype=bool)
        for year in range(self.start.year, end.year + 2):
            if year not in SPRING_FESTIVAL:
                continue
            sf = np.datetime64(f"{year}-{SPRING_FESTIVAL[year]}", "D").astype(np.int64)
            offset = day_numbers - sf
            festival = (offset >= -25) & (offset <= -6)
            self.nianhuo |= festival
            w = w * np.where(festival, 1.35, 1.0)
            w = w * np.where((offset >= -5) & (offset <= 6), 0.45, 1.0)

        self.weight = w / w.mean()
        self.cum = np.cumsum(self.weight)
        self.total = float(self.cum[-1])
        self.discount_day = ((md >= 601) & (md <= 618)) | ((md >= 1101) & (md <= 1111)) | (md == 1212)
        self.midnight_day = (md == 618) | (md == 1111)
        # Signups: 50 % growth a year, lifted (less than orders) by promotions.
        t_years = np.arange(self.days) / 365.25
        signup = np.power(1.5, t_years) * np.power(self.weight, 0.6)
        self.signup_cum = np.cumsum(signup / signup.sum())

    def day_of(self, tau: np.ndarray) -> np.ndarray:
        """Day index of operational times ``tau``."""
        return np.minimum(np.searchsorted(self.cum, tau, side="left"), self.days - 1)

    def start_of(self, day: np.ndarray) -> np.ndarray:
        """Operational time at the start of each day."""
        return self.cum[day] - self.weight[day]


def _draw_signup_days(rng: np.random.Generator, cal: _Calendar, n: int) -> np.ndarray:
    """Signup day of every customer, sorted, so customer ids follow signup order."""
    u = np.sort(rng.random(n))
    return np.minimum(np.searchsorted(cal.signup_cum, u, side="left"), cal.days - 1).astype(np.int32)


# --------------------------------------------------------------------------
# One chunk of customers with their orders, tickets and survey answers
# --------------------------------------------------------------------------

def _categorical(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """`size` draws of 0 … len(p) − 1 with probabilities proportional to `p` (at most 127 values)."""
    cum = np.cumsum(p / p.sum())
    cum[-1] = 1.0
    return np.searchsorted(cum, rng.random(size), side="right").astype(np.int8)


def _build_chunk(con: duckdb.DuckDBPyConnection, rng: np.random.Generator, cal: _Calendar, waves: dict,
                 first_index: int,
                 signup_day: np.ndarray, company: np.ndarray, n_total: int, counters: dict[str, int]) -> None:
    """Generate and insert customers `first_index + 1 …` with their orders, tickets and answers."""
    cust = _draw_customers(rng, cal, first_index, signup_day, company)
    _insert_customers(con, cal, cust, n_total)
    orders = _draw_orders(rng, cal, cust)
    _insert_orders(con, orders, cust, counters["orders"], n_total)
    counters["orders"] += len(orders["cust"])
    tickets = _draw_tickets(rng, cal, orders, cust)
    _insert_tickets(con, tickets, cust, counters["tickets"], n_total)
    counters["tickets"] += len(tickets["cust"])
    survey = _draw_survey(rng, cal, waves, orders, cust)
    _insert_survey(con, survey, cust, waves, counters["responses"], n_total)
    counters["responses"] += len(survey["cust"])


def _draw_customers(rng: np.random.Generator, cal: _Calendar, first_index: int,
                    signup_day: np.ndarray, company: np.ndarray) -> dict[str, np.ndarray]:
    """Attributes (as integer codes) and latent traits of one chunk of customers."""
    n = len(signup_day)
    female = (rng.random(n) < 0.6) & ~company
    kind = np.where(company, 2, np.where(female, 0, 1))

    province_w = np.array([p[1] for p in PROVINCES])
    province = _categorical(rng, province_w, n)
    # City: one uniform draw mapped through each province's cumulative city weights.
    city_offsets = np.cumsum([0] + [len(p[2]) for p in PROVINCES])[:-1]
    city_cum = np.full((len(PROVINCES), 4), 2.0)
    for i, (_, _, cities) in enumerate(PROVINCES):
        cw = np.array([c[1] for c in cities], dtype=float)
        city_cum[i, : len(cities)] = np.cumsum(cw / cw.sum())
        city_cum[i, len(cities) - 1] = 1.0
    u = rng.random(n)
    city_local = (u[:, None] >= city_cum[province]).sum(axis=1)
    city = (city_offsets[province] + city_local).astype(np.int16)

    surname_w = np.array([s[1] for s in SURNAMES])
    surname = _categorical(rng, surname_w, n)
    given_base = np.where(female, 0, len(GIVEN_F))
    g1 = given_base + rng.integers(0, len(GIVEN_F), n)
    g2 = np.where(rng.random(n) < 0.7, given_base + rng.integers(0, len(GIVEN_F), n), -1)

    age = np.where(rng.random(n) < 0.85, rng.normal(31, 7.5, n), rng.uniform(18, 65, n))
    age = np.clip(age, 18.01, 64.99)  # exact age in years on end_date
    end_day = cal.epoch_day + cal.days - 1
    birthday = (end_day - np.floor(age * 365.25)).astype(np.int32)
    no_birthday = company | (rng.random(n) < 0.03)

    channel = np.where(
        company,
        _categorical(rng, COMPANY_CHANNEL_WEIGHTS, n),
        _categorical(rng, CHANNEL_WEIGHTS, n),
    ).astype(np.int8)

    z = rng.standard_normal(n)  # latent satisfaction
    lam = np.where(company, rng.gamma(4.0, 0.04, n), rng.gamma(0.75, 0.08, n))
    lam = np.minimum(lam, np.where(company, 0.5, 0.35))
    p0 = np.clip(np.where(company, rng.beta(1.0, 150.0, n), rng.beta(0.9, 8.0, n)), 1e-6, 1 - 1e-6)
    logit = np.log(p0) - np.log1p(-p0) - 1.2 * z
    dropout = np.clip(1.0 / (1.0 + np.exp(-logit)), 1e-4, 1.0)

    alpha = PREFERENCE_CONCENTRATION * CATEGORY_SHARES[kind]
    prefs = rng.gamma(alpha)
    pref_cum = np.cumsum(prefs / prefs.sum(axis=1, keepdims=True), axis=1)
    pref_cum[:, -1] = 1.0

    city_names = [c[0] for p in PROVINCES for c in p[2]]
    tier1 = np.array([name in TIER1_CITIES for name in city_names])[city]
    spend = np.exp(rng.normal(0.0, 0.35, n)) * np.where(tier1, 1.15, 1.0)
    bulk = np.where(company, rng.uniform(10, 50, n), 1.0)

    return {
        "index": first_index + np.arange(1, n + 1, dtype=np.int64),
        "company": company,
        "female": female,
        "province": province,
        "city": city,
        "surname": surname,
        "g1": g1,
        "g2": g2,
        "birthday": birthday,
        "no_birthday": no_birthday,
        "channel": channel,
        "signup_day": signup_day,
        "z": z,
        "lam": lam,
        "dropout": dropout,
        "pref_cum": pref_cum,
        "spend": spend,
        "bulk": bulk,
        "phone_prefix": rng.integers(0, len(PHONE_PREFIXES), n),
        "phone_mid": rng.integers(0, 10_000, n),
        "phone_last": rng.integers(0, 10_000, n),
        "phone_masked": (rng.random(n) < 0.7) & ~company,
        "has_email": company | (rng.random(n) < 0.35),
        "email_domain": _categorical(rng, np.array([d[1] for d in EMAIL_DOMAINS]), n),
        "email_number": rng.integers(10_000, 4_000_000_000, n),
        "brand": rng.integers(0, len(COMPANY_BRANDS), n),
        "industry": rng.integers(0, len(COMPANY_INDUSTRIES), n),
    }


def _draw_orders(rng: np.random.Generator, cal: _Calendar, cust: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Orders of one chunk, grouped by customer in time order (see module docstring)."""
    n = len(cust["signup_day"])
    # First purchase: on the signup day, after a delay, or never.
    u = rng.random(n)
    signup_tau = cal.start_of(cust["signup_day"]) + rng.random(n) * cal.weight[cust["signup_day"]]
    delayed = (u >= 0.88) & (u < 0.97)
    first_tau = np.where(delayed, signup_tau + rng.exponential(20.0, n), signup_tau)
    buys = (u < 0.97) & (first_tau < cal.total)
    first_tau = np.where(buys, first_tau, cal.total)
    first_day = cal.day_of(first_tau)
    # Keep the first purchase on the signup day when not delayed (operational
    # time inside the day can round to its neighbour at the boundaries).
    first_day = np.where(delayed, first_day, cust["signup_day"])

    # Repeat purchases: M = min(N, K) first order statistics of N uniforms.
    horizon = np.where(buys, cal.total - first_tau, 0.0)
    n_arrivals = rng.poisson(cust["lam"] * horizon)
    k_before_dropout = rng.geometric(cust["dropout"]) - 1
    m = np.where(buys, np.minimum(n_arrivals, k_before_dropout), 0)
    total_rep = int(m.sum())
    seg = np.repeat(np.arange(n), m)
    e = rng.standard_exponential(total_rep)
    csum = np.cumsum(e)
    rep_offsets = np.cumsum(m) - m
    base = np.zeros(n)
    has_rep = m > 0
    base[has_rep] = np.where(rep_offsets[has_rep] > 0, csum[rep_offsets[has_rep] - 1], 0.0)
    partial = csum - base[seg]
    s_m = np.zeros(n)
    s_m[has_rep] = csum[rep_offsets[has_rep] + m[has_rep] - 1] - base[has_rep]
    g = rng.gamma((n_arrivals - m + 1).astype(float))
    rep_tau = first_tau[seg] + horizon[seg] * partial / (s_m + g)[seg]
    rep_day = cal.day_of(rep_tau)

    # Lay out per customer: first order then repeats.
    count = buys.astype(np.int64) + m
    offsets = np.cumsum(count) - count
    total = int(count.sum())
    day = np.empty(total, dtype=np.int32)
    owner = np.repeat(np.arange(n), count)
    day[offsets[buys]] = first_day[buys]
    rank = np.arange(total_rep) - rep_offsets[seg]
    day[offsets[seg] + 1 + rank] = rep_day

    # Time of day.
    hour = _categorical(rng, HOUR_WEIGHTS, total).astype(np.int64)
    hour = np.where(cal.midnight_day[day] & (rng.random(total) < 0.33), 0, hour)
    channel = np.where(rng.random(total) < 0.8, cust["channel"][owner], _categorical(rng, CHANNEL_WEIGHTS, total))
    store = channel == STORE
    hour = np.where(store, rng.integers(10, 22, total), hour)
    seconds = hour * 3600 + rng.integers(0, 3600, total)
    ts = (cal.epoch_day + day.astype(np.int64)) * _SECONDS_PER_DAY + seconds
    # Days already rise within each customer; put same-day orders in time order too.
    perm = _order_within_customer(ts, owner)
    ts, channel = ts[perm], channel[perm]

    # Category from the customer's preferences; the 年货节 shifts a quarter to 美食.
    category = (rng.random(total)[:, None] >= cust["pref_cum"][owner]).sum(axis=1).astype(np.int8)
    category = np.minimum(category, len(CATEGORIES) - 1)
    category = np.where(cal.nianhuo[day] & (rng.random(total) < 0.25), FOOD, category).astype(np.int8)

    quantity = (_categorical(rng, QUANTITY_P, total) + 1).astype(np.int64)
    bulk = cust["bulk"][owner]
    quantity = np.maximum(1, np.round(quantity * bulk)).astype(np.int32)
    unit = PRICE_MEDIAN[category] * np.exp(PRICE_SIGMA[category] * rng.standard_normal(total))
    list_amount = unit * quantity * cust["spend"][owner]
    discount = np.where(cal.discount_day[day], rng.uniform(0.80, 0.95, total), 1.0)
    amount_cents = np.maximum(100, np.round(list_amount * discount * 100)).astype(np.int64)
    margin = np.clip(MARGIN[category] + rng.normal(0.0, 0.04, total), 0.05, 0.9)
    cost_cents = np.round(list_amount * 100 * (1.0 - margin)).astype(np.int64)

    return_p = RETURN_RATE[category] * np.exp(-0.25 * cust["z"][owner]) * np.where(cust["company"][owner], 0.5, 1.0)
    returned = rng.random(total) < return_p

    return {
        "cust": owner,
        "ts": ts,
        "amount": amount_cents / 100.0,
        "cost": cost_cents / 100.0,
        "category": category,
        "channel": channel.astype(np.int8),
        "quantity": quantity,
        "returned": returned,
        "offsets": offsets,
        "count": count,
    }


def _order_within_customer(ts: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """The permutation that sorts each customer's (contiguous) block by time."""
    if len(ts) == 0:
        return np.arange(0)
    key = owner.astype(np.int64) * (1 << 36) + (ts - ts.min())
    return np.argsort(key, kind="stable")


def _draw_tickets(rng: np.random.Generator, cal: _Calendar, orders: dict[str, np.ndarray],
                  cust: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Service tickets raised after some orders (see module docstring)."""
    n_orders = len(orders["cust"])
    owner = orders["cust"]
    z = cust["z"][owner]
    returned = orders["returned"]
    p_ticket = np.where(returned, 0.55, np.where(z < -1.0, 0.025, 0.015))
    pick = np.flatnonzero(rng.random(n_orders) < p_ticket)
    owner, z, returned = owner[pick], z[pick], returned[pick]
    n = len(pick)

    # Type probabilities (complaint, consultation, after_sales, other); complaints × e^(-0.9 z).
    probs = np.where(returned[:, None], [[0.30, 0.0, 0.55, 0.15]], [[0.18, 0.50, 0.20, 0.12]])
    probs = probs.copy()
    probs[:, 0] *= np.exp(-0.9 * z)
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    ttype = np.minimum((rng.random(n)[:, None] >= cum).sum(axis=1), 3).astype(np.int8)

    delay = np.where(returned, rng.uniform(2, 12, n), rng.exponential(1.0, n)) * _SECONDS_PER_DAY
    opened = orders["ts"][pick] + delay.astype(np.int64)
    end_ts = (cal.epoch_day + cal.days) * _SECONDS_PER_DAY - 1
    keep = opened <= end_ts
    owner, ttype, opened = owner[keep], ttype[keep], opened[keep]
    order_channel = orders["channel"][pick][keep]
    n = len(owner)

    hours = TICKET_MEDIAN_HOURS[ttype] * np.exp(0.9 * rng.standard_normal(n))
    resolved = opened + (hours * 3600).astype(np.int64)
    age_days = (end_ts - opened) / _SECONDS_PER_DAY
    p_open = np.where(age_days < 3, 0.6, np.where(age_days < 14, 0.25, 0.015))
    is_open = (rng.random(n) < p_open) | (resolved > end_ts)
    status = np.where(is_open, 0, np.where(rng.random(n) < 0.75, 1, 2)).astype(np.int8)
    channel = _categorical(rng, TICKET_CHANNEL_WEIGHTS, n)
    channel = np.where((order_channel == STORE) & (rng.random(n) < 0.6), TICKET_CHANNELS.index("store"), channel)

    return {
        "cust": owner,
        "opened": opened,
        "resolved": resolved,
        "is_open": is_open,
        "type": ttype,
        "status": status,
        "channel": channel.astype(np.int8),
    }


def _survey_waves(cal: _Calendar) -> dict:
    """The quarterly waves: labels, survey ids and the first second of each quarter (epoch seconds)."""
    last = cal.end.year * 4 + (cal.end.month - 1) // 3
    quarters = [q for q in range(last - SURVEY_WAVES + 1, last + 1)
                if dt.date(q // 4, q % 4 * 3 + 1, 1) >= cal.start] or [last]
    starts = np.array([(dt.date(q // 4, q % 4 * 3 + 1, 1) - dt.date(1970, 1, 1)).days * _SECONDS_PER_DAY
                       for q in quarters], dtype=np.int64)
    return {
        "labels": [f"{q // 4}-Q{q % 4 + 1}" for q in quarters],
        "ids": [f"SAT-{q // 4}Q{q % 4 + 1}" for q in quarters],
        "starts": starts,
        "end_ts": (cal.epoch_day + cal.days) * _SECONDS_PER_DAY - 1,
    }


def _draw_survey(rng: np.random.Generator, cal: _Calendar, waves: dict, orders: dict[str, np.ndarray],
                 cust: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Who answered which wave, when, and their answers (see the module docstring)."""
    # Each customer who bought in a quarter is invited after one of its orders there, with probability
    # SURVEY_INVITE_RATE: every order carries rate ÷ (the customer's orders in that quarter).
    ts = orders["ts"]
    quarter = np.searchsorted(waves["starts"], ts, side="right") - 1
    block = orders["cust"].astype(np.int64) * 64 + quarter
    _, inverse, counts = np.unique(block, return_inverse=True, return_counts=True)
    invited = np.flatnonzero((ts >= waves["starts"][0] - 8 * _SECONDS_PER_DAY)
                             & (rng.random(len(ts)) < SURVEY_INVITE_RATE / counts[inverse]))
    submitted = ts[invited] + (rng.uniform(1, 8, len(invited)) * _SECONDS_PER_DAY).astype(np.int64)
    wave = np.searchsorted(waves["starts"], submitted, side="right") - 1
    keep = (wave >= 0) & (submitted <= waves["end_ts"])
    invited, submitted, wave = invited[keep], submitted[keep], wave[keep]
    who = orders["cust"][invited]
    # At most one answer per customer and wave: the first.
    key = who.astype(np.int64) * 64 + wave
    order = np.lexsort((submitted, key))
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    pick = np.sort(order[first])
    who, submitted, wave, invited = who[pick], submitted[pick], wave[pick], invited[pick]
    m = len(who)

    z = cust["z"][who]
    mid = (len(waves["ids"]) - 1) / 2
    expected, perceived, statement, importance, sats = [], [], [], [], []
    weighted, weights = np.zeros(m), 0.0
    for _, _, mu_exp, mu_per, mu_imp, _, reverse, drift in SURVEY_DIMENSIONS:
        s = 0.8 * z + 0.6 * rng.standard_normal(m) + drift * (wave - mid)
        expected.append(np.clip(np.round(rng.normal(mu_exp, 0.9, m)), 1, 7))
        perceived.append(np.clip(np.round(mu_per + 1.0 * s + rng.normal(0, 0.5, m)), 1, 7))
        agree = np.clip(np.round(3.0 + 0.6 * (mu_per - 4.0) + 0.8 * s + rng.normal(0, 0.6, m)), 1, 5)
        statement.append(6 - agree if reverse else agree)
        importance.append(np.clip(np.round(rng.normal(mu_imp, 0.7, m)), 1, 5))
        weighted += mu_imp * s
        weights += mu_imp
        sats.append(s)
    sat = weighted / weights
    overall = np.clip(np.round(3.7 + 0.9 * sat + rng.normal(0, 0.45, m)), 1, 5)
    nps = np.clip(np.round(7.3 + 1.9 * sat + rng.normal(0, 1.1, m)), 0, 10)
    answers = expected + perceived + statement + importance + [overall, nps]

    # Comments: praise the best dimension, criticise the worst, or both, as the overall score says.
    sat_matrix = np.column_stack(sats) if m else np.zeros((0, len(SURVEY_DIMENSIONS)))
    comments = rng.random(m) < np.where(overall <= 2, 0.55, 0.3)
    best = sat_matrix.argmax(axis=1) if m else np.zeros(0, dtype=np.int64)
    worst = sat_matrix.argmin(axis=1) if m else np.zeros(0, dtype=np.int64)
    tone = np.where(overall >= 4, 0, np.where(overall <= 2, 2, 1))
    suffix = np.where(nps >= 9, 1, np.where(nps <= 4, 2, 0))
    return {
        "cust": who, "submitted": submitted, "wave": wave, "channel": orders["channel"][invited],
        "linked": rng.random(m) >= SURVEY_ANONYMOUS,
        "duration": np.round(np.exp(rng.normal(np.log(150.0), 0.45, m))),
        "answers": np.column_stack(answers) if m else np.zeros((0, len(answers))),
        "comment": comments,
        "praise": best * 3 + rng.integers(0, 3, m) + 1,
        "complaint": worst * 3 + rng.integers(0, 3, m) + 1,
        "tone": tone, "suffix": suffix,
    }


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------

def _id_width(n: int, minimum: int) -> int:
    return max(minimum, len(str(n)))


def _customer_width(n_total: int) -> int:
    return _id_width(n_total, 7)


def _timestamps(seconds: np.ndarray) -> pa.Array:
    return pa.array(seconds.astype("datetime64[s]").astype("datetime64[us]"))


def _insert_arrow(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, sql: str, params: dict) -> None:
    """Register `table` under `name`, run the static INSERT … SELECT `sql`, unregister."""
    con.register(name, table)
    try:
        con.execute(sql, {**params, "batch": DEMO_BATCH_ID})
    finally:
        con.unregister(name)


_CLEAR_STATEMENTS = (
    "DELETE FROM survey_answers",
    "DELETE FROM survey_responses",
    "DELETE FROM survey_questions",
    "DELETE FROM surveys",
    "DELETE FROM tickets",
    "DELETE FROM orders",
    "DELETE FROM customers",
    "DELETE FROM tickets_replaced",
    "DELETE FROM orders_replaced",
    "DELETE FROM customers_replaced",
    "DELETE FROM import_batches",
    "DELETE FROM value_mappings",  # remembered per batch; batch ids start again
    "DELETE FROM value_mappings_replaced",
)


def _clear(con: duckdb.DuckDBPyConnection) -> None:
    for statement in _CLEAR_STATEMENTS:
        con.execute(statement)


def _insert_customers(con: duckdb.DuckDBPyConnection, cal: _Calendar, cust: dict[str, np.ndarray], n_total: int) -> None:
    birthday = cust["birthday"].astype("datetime64[D]")
    table = pa.table({
        "idx": cust["index"],
        "company": cust["company"],
        "female": cust["female"],
        "sur": cust["surname"].astype(np.int16) + 1,
        "g1": (cust["g1"] + 1).astype(np.int16),
        "g2": (cust["g2"] + 1).astype(np.int16),
        "birthday": pa.array(birthday, mask=cust["no_birthday"]),
        "prov": cust["province"].astype(np.int16) + 1,
        "city": cust["city"].astype(np.int16) + 1,
        "ch": cust["channel"].astype(np.int16) + 1,
        "signup": pa.array((cal.epoch_day + cust["signup_day"].astype(np.int64)).astype("datetime64[D]")),
        "pp": cust["phone_prefix"].astype(np.int16) + 1,
        "pmid": cust["phone_mid"],
        "plast": cust["phone_last"],
        "masked": cust["phone_masked"],
        "has_email": cust["has_email"],
        "dom": cust["email_domain"].astype(np.int16) + 1,
        "enum": cust["email_number"],
        "brand": cust["brand"].astype(np.int16) + 1,
        "ind": cust["industry"].astype(np.int16) + 1,
    })
    _insert_arrow(con, "_demo_customers", table, """
        INSERT INTO customers (customer_id, name, gender, birthday, province, city, channel,
                               signup_date, phone, email, customer_type, is_stub, batch_id)
        SELECT 'C' || lpad(CAST(idx AS VARCHAR), $w, '0'),
               CASE WHEN company
                    THEN list_extract($cities, city) || list_extract($brands, brand)
                         || list_extract($industries, ind) || '有限公司'
                    ELSE list_extract($surnames, sur) || list_extract($given, g1)
                         || coalesce(list_extract($given, g2), '')
               END,
               CASE WHEN company THEN NULL WHEN female THEN 'F' ELSE 'M' END,
               birthday,
               list_extract($provinces, prov),
               list_extract($cities, city),
               list_extract($channels, ch),
               signup,
               list_extract($prefixes, pp)
                   || CASE WHEN masked THEN '****' ELSE lpad(CAST(pmid AS VARCHAR), 4, '0') END
                   || lpad(CAST(plast AS VARCHAR), 4, '0'),
               CASE WHEN NOT has_email THEN NULL
                    WHEN company THEN 'purchase@' || list_extract($brand_pinyin, brand) || '.com.cn'
                    WHEN list_extract($domains, dom) = 'qq.com' THEN CAST(enum AS VARCHAR) || '@qq.com'
                    ELSE list_extract($pinyin, sur) || CAST(enum % 10000 AS VARCHAR) || '@' || list_extract($domains, dom)
               END,
               CASE WHEN company THEN 'company' ELSE 'individual' END,
               FALSE,
               $batch
        FROM _demo_customers
        ORDER BY idx
    """, {
        "w": _customer_width(n_total),
        "cities": [c[0] for p in PROVINCES for c in p[2]],
        "brands": [b[0] for b in COMPANY_BRANDS],
        "brand_pinyin": [b[1] for b in COMPANY_BRANDS],
        "industries": COMPANY_INDUSTRIES,
        "surnames": [s[0] for s in SURNAMES],
        "pinyin": [s[2] for s in SURNAMES],
        "given": GIVEN,
        "provinces": [p[0] for p in PROVINCES],
        "channels": CHANNELS,
        "prefixes": PHONE_PREFIXES,
        "domains": [d[0] for d in EMAIL_DOMAINS],
    })


def _insert_orders(con: duckdb.DuckDBPyConnection, orders: dict[str, np.ndarray], cust: dict[str, np.ndarray],
                   first_number: int, n_total: int) -> None:
    n = len(orders["cust"])
    table = pa.table({
        "num": np.arange(first_number + 1, first_number + n + 1, dtype=np.int64),
        "cid": cust["index"][orders["cust"]],
        "ts": _timestamps(orders["ts"]),
        "amount": orders["amount"],
        "cost": orders["cost"],
        "cat": orders["category"].astype(np.int16) + 1,
        "ch": orders["channel"].astype(np.int16) + 1,
        "qty": orders["quantity"],
        "returned": orders["returned"],
    })
    _insert_arrow(con, "_demo_orders", table, """
        INSERT INTO orders (order_id, customer_id, order_date, amount, cost, profit, category,
                            channel, quantity, returned, batch_id)
        SELECT 'O' || lpad(CAST(num AS VARCHAR), 10, '0'),
               'C' || lpad(CAST(cid AS VARCHAR), $w, '0'),
               ts,
               CAST(amount AS DECIMAL(14,2)),
               CAST(cost AS DECIMAL(14,2)),
               CAST(amount AS DECIMAL(14,2)) - CAST(cost AS DECIMAL(14,2)),
               list_extract($categories, cat),
               list_extract($channels, ch),
               qty, returned, $batch
        FROM _demo_orders
    """, {"w": _customer_width(n_total), "categories": CATEGORIES, "channels": CHANNELS})


def _insert_tickets(con: duckdb.DuckDBPyConnection, tickets: dict[str, np.ndarray], cust: dict[str, np.ndarray],
                    first_number: int, n_total: int) -> None:
    n = len(tickets["cust"])
    table = pa.table({
        "num": np.arange(first_number + 1, first_number + n + 1, dtype=np.int64),
        "cid": cust["index"][tickets["cust"]],
        "opened": _timestamps(tickets["opened"]),
        "resolved": pa.array(tickets["resolved"].astype("datetime64[s]").astype("datetime64[us]"),
                             mask=tickets["is_open"]),
        "type": tickets["type"].astype(np.int16) + 1,
        "status": tickets["status"].astype(np.int16) + 1,
        "ch": tickets["channel"].astype(np.int16) + 1,
    })
    _insert_arrow(con, "_demo_tickets", table, """
        INSERT INTO tickets (ticket_id, customer_id, opened_at, resolved_at, type, status,
                             channel, batch_id)
        SELECT 'T' || lpad(CAST(num AS VARCHAR), 9, '0'),
               'C' || lpad(CAST(cid AS VARCHAR), $w, '0'),
               opened, resolved,
               list_extract($types, type), list_extract($statuses, status), list_extract($channels, ch),
               $batch
        FROM _demo_tickets
    """, {"w": _customer_width(n_total), "types": TICKET_TYPES, "statuses": TICKET_STATUSES,
          "channels": TICKET_CHANNELS})


def _survey_questions() -> list[tuple]:
    """(question_id, position, text, kind, dimension, measure, scale_min, scale_max, reverse_scored,
    group_text, item_text, options, source_column) in answer-column order, then Q1 (choice) and Q8 (text)."""
    import json

    rows = []
    groups = (
        ("2", "购物前，您对以下方面的期望有多高？", "expected", 1.0, 7.0, None),
        ("3", "实际体验中，您对以下方面的评价如何？", "perceived", 1.0, 7.0, None),
        ("4", "您是否同意以下说法？", "perceived", 1.0, 5.0, AGREE_LABELS),
        ("5", "以下方面对您来说有多重要？", "importance", 1.0, 5.0, None),
    )
    for number, stem, measure, lo, hi, labels in groups:
        for i, (code, label, *_rest) in enumerate(SURVEY_DIMENSIONS, start=1):
            statement, reverse = _rest[3], _rest[4]
            item = statement if number == "4" else label
            text = f"{stem}—{item}"
            rows.append((f"Q{number}_{i}", 0, text, "rating", code, measure, lo, hi,
                         bool(reverse and number == "4"), stem, item,
                         json.dumps(labels, ensure_ascii=False) if labels else None, f"{number}、{text}"))
    rows.append(("Q6", 0, "总体而言，您对本次购物体验的满意程度如何？", "rating", "overall", "overall", 1.0, 5.0,
                 False, None, None, json.dumps(SATISFIED_LABELS, ensure_ascii=False),
                 "6、总体而言，您对本次购物体验的满意程度如何？"))
    rows.append(("Q7", 0, "您有多大可能向亲友推荐我们？", "nps", None, None, 0.0, 10.0, False, None, None, None,
                 "7、您有多大可能向亲友推荐我们？"))
    rows.append(("Q1", 0, "您这次是在哪个渠道购买的？", "choice", None, None, None, None, False, None, None,
                 json.dumps(CHANNELS, ensure_ascii=False), "1、您这次是在哪个渠道购买的？"))
    rows.append(("Q8", 0, "您对我们还有什么意见或建议？", "text", None, None, None, None, False, None, None, None,
                 "8、您对我们还有什么意见或建议？"))
    order = ["Q1"] + [r[0] for r in rows if r[0] not in ("Q1", "Q8")] + ["Q8"]
    return [(r[0], order.index(r[0]) + 1, *r[2:]) for r in rows]


N_SURVEY_NUMERIC = 4 * len(SURVEY_DIMENSIONS) + 2  # answer columns with a value_num


def _insert_survey_definition(con: duckdb.DuckDBPyConnection, waves: dict) -> None:
    rows = []
    for survey_id, label, start in zip(waves["ids"], waves["labels"], waves["starts"]):
        created = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(start))
        rows.append([survey_id, SURVEY_TITLE, created, DEMO_BATCH_ID, label])
    con.executemany(
        "INSERT INTO surveys (survey_id, title, source_tool, language, created_at, batch_id, wave) "
        "VALUES (?, ?, 'wjx', 'zh', ?, ?, ?)", rows)
    con.executemany(
        "INSERT INTO survey_questions (survey_id, question_id, position, text, kind, dimension, measure, "
        "scale_min, scale_max, reverse_scored, group_text, item_text, options, source_column, batch_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[survey_id, *row, DEMO_BATCH_ID] for survey_id in waves["ids"] for row in _survey_questions()],
    )


def _insert_survey(con: duckdb.DuckDBPyConnection, survey: dict[str, np.ndarray], cust: dict[str, np.ndarray],
                   waves: dict, first_number: int, n_total: int) -> None:
    m = len(survey["cust"])
    if m == 0:
        return
    numbers = np.arange(first_number + 1, first_number + m + 1, dtype=np.int64)
    _insert_arrow(con, "_demo_responses", pa.table({
        "num": numbers,
        "cid": cust["index"][survey["cust"]],
        "linked": survey["linked"],
        "wave": survey["wave"].astype(np.int16) + 1,
        "submitted": _timestamps(survey["submitted"]),
        "duration": survey["duration"],
    }), """
        INSERT INTO survey_responses (response_id, survey_id, customer_id, submitted_at, batch_id,
                                      respondent_key, link_method, duration_seconds)
        SELECT 'R' || lpad(CAST(num AS VARCHAR), 9, '0'), list_extract($surveys, wave),
               CASE WHEN linked THEN 'C' || lpad(CAST(cid AS VARCHAR), $w, '0') END, submitted, $batch,
               NULL, CASE WHEN linked THEN 'customer_id' END, duration
        FROM _demo_responses
    """, {"surveys": waves["ids"], "w": _customer_width(n_total)})
    numeric = [row[0] for row in _survey_questions()[:N_SURVEY_NUMERIC]]
    _insert_arrow(con, "_demo_answers", pa.table({
        "num": np.repeat(numbers, N_SURVEY_NUMERIC),
        "q": np.tile(np.arange(1, N_SURVEY_NUMERIC + 1, dtype=np.int16), m),
        "v": survey["answers"].reshape(-1),
    }), """
        INSERT INTO survey_answers (response_id, question_id, value_num, value_text, batch_id)
        SELECT 'R' || lpad(CAST(num AS VARCHAR), 9, '0'), list_extract($qids, q), v, NULL, $batch
        FROM _demo_answers
    """, {"qids": numeric})
    _insert_arrow(con, "_demo_texts", pa.table({
        "num": numbers,
        "ch": survey["channel"].astype(np.int16) + 1,
        "comment": survey["comment"],
        "praise": survey["praise"].astype(np.int16),
        "complaint": survey["complaint"].astype(np.int16),
        "tone": survey["tone"].astype(np.int8),
        "suffix": survey["suffix"].astype(np.int8),
    }), """
        INSERT INTO survey_answers (response_id, question_id, value_num, value_text, batch_id)
        SELECT 'R' || lpad(CAST(num AS VARCHAR), 9, '0'), 'Q1', NULL, list_extract($channels, ch), $batch
        FROM _demo_texts
        UNION ALL
        SELECT 'R' || lpad(CAST(num AS VARCHAR), 9, '0'), 'Q8', NULL,
               CASE tone WHEN 0 THEN list_extract($praise, praise)
                         WHEN 2 THEN list_extract($complaint, complaint)
                         ELSE list_extract($praise, praise) || '，不过' || list_extract($complaint, complaint) END
               || CASE suffix WHEN 1 THEN '，会推荐给朋友。' WHEN 2 THEN '，不会再买了。' ELSE '。' END,
               $batch
        FROM _demo_texts WHERE comment
    """, {"channels": CHANNELS, "praise": PRAISE, "complaint": COMPLAINT})


def _insert_batch_row(con: duckdb.DuckDBPyConnection, seed: int, n_customers: int, counters: dict[str, int]) -> None:
    rows = n_customers + counters["orders"] + counters["tickets"] + counters["responses"]
    con.execute(
        """
        INSERT INTO import_batches (batch_id, table_name, file_name, file_hash, imported_at,
            rows_total, rows_accepted, rows_rejected, rows_inserted, rows_updated,
            customers_created, status, undone_at, mapping)
        VALUES (?, 'demo', ?, NULL, ?, ?, ?, 0, ?, 0, ?, 'active', NULL, NULL)
        """,
        [DEMO_BATCH_ID, f"demo:seed={seed},customers={n_customers}", dt.datetime.now(),
         rows, rows, rows, n_customers],
    )
