"""Import customers, orders and tickets from CSV, XLSX or Parquet: read, map, validate, load.

The flow is two steps so that the user sees a report before anything is written:

1. ``prepare_import`` reads the file (``crm.intake.fileformats``), maps its columns to
   the target fields (``suggest_mapping`` plus the caller's overrides),
   validates every row in one DuckDB query over the registered file and
   returns an ``ImportPlan``: the accepted rows normalised to the target
   columns, the rejected rows with their line number and a reason, and what
   committing would do (new rows, updated rows, stub customers). It writes nothing.
2. ``commit_import`` writes the plan as one import batch in one transaction:
   rows whose key already exists are copied to ``<table>_replaced`` and
   replaced (upsert by key), customers unknown to orders and tickets are
   created as stubs, the aggregates are rebuilt and the data version raised.
   Any error rolls the whole batch back.

``undo_batch`` reverses a batch exactly: its rows go, the rows it replaced come
back. Batches are undone newest first where they overlap.

Rules a row must pass (the first failure is its reason):

* required values present (customers: customer_id; orders: customer_id,
  order_date, amount; tickets: customer_id, opened_at);
* dates: ``2024-01-31``, ``2024/1/31``, ``2024.1.31``, ``20240131``,
  ``2024年1月31日``, each optionally with a time (``13:45`` or ``13:45:00``, ISO
  ``T`` accepted), or Excel serial numbers when every value of the column is a
  number between 1 and 2958465 (9999-12-31). A date must exist, be in or
  after 1900 and not after tomorrow (``today`` + 1 day);
* amounts, cost and profit: numbers (currency signs, ``元`` and thousands
  separators allowed); amount and cost not negative;
* quantity: a whole number ≥ 1; returned: yes/no in either language;
* the key (customer_id, order_id, ticket_id) once per file: the first row is
  kept, later ones are rejected naming the first row.

Orders and tickets without an id get a derived, deterministic one:
``'D' + first 16 hex digits of sha1(customer_id|order_date|amount|category|channel|n)``
(tickets: ``customer_id|opened_at|type|channel|n``) where ``n`` counts identical
rows before this one in the file, so re-importing the same rows — even from a
differently formatted file — updates instead of duplicating.

On update, a value the file leaves empty (or a column it does not have) keeps
the stored value; values present in the file replace it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm.store import db, features
from crm.errors import CRMInputError, Translated
from crm.intake.fileformats import (
    BAD_SHAPE, DECIMAL_MARKS, ROW_NUMBER, RawTable, detect_decimal_mark, normalise_header, read_raw,
)
from crm.i18n import LANGUAGES, normalise_language, t
from crm.intake import vocabulary

KINDS = ("customers", "orders", "tickets")

# Target fields per kind, in display order; the first entries are required.
FIELDS: dict[str, tuple[str, ...]] = {
    "customers": (
        "customer_id", "name", "gender", "birthday", "province", "city", "channel",
        "signup_date", "phone", "email", "customer_type",
    ),
    "orders": (
        "customer_id", "order_date", "amount", "order_id", "cost", "profit", "category",
        "channel", "quantity", "returned",
    ),
    "tickets": ("customer_id", "opened_at", "ticket_id", "resolved_at", "type", "status", "channel"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id",),
    "orders": ("customer_id", "order_date", "amount"),
    "tickets": ("customer_id", "opened_at"),
}
KEYS = {"customers": "customer_id", "orders": "order_id", "tickets": "ticket_id"}

# Largest file accepted, in bytes (tests lower it).
MAX_IMPORT_BYTES = 1 << 30

_CUSTOMER_ID_NAMES = (
    "客户编号", "客户ID", "客户号", "客户代码", "会员ID", "会员编号", "会员号", "会员卡号", "用户ID", "用户编号",
    "customer id", "customer_id", "customer no", "customer number", "cust id", "member id",
    "member no", "client id", "user id",
)
_CHANNEL_NAMES = ("渠道", "来源渠道", "channel", "source")

# Header synonyms per kind and field, matched by `normalise_header`.
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "customer_id": _CUSTOMER_ID_NAMES + ("id",),
        "name": ("姓名", "客户名称", "客户姓名", "会员姓名", "名称", "客户名", "name", "customer name", "full name"),
        "gender": ("性别", "gender", "sex"),
        "birthday": ("生日", "出生日期", "出生年月日", "birthday", "birth date", "date of birth", "dob"),
        "province": ("省份", "省", "所在省份", "所在省", "province", "state"),
        "city": ("城市", "市", "所在城市", "city"),
        "channel": _CHANNEL_NAMES + ("注册渠道", "获客渠道", "来源", "acquisition channel"),
        "signup_date": (
            "注册时间", "注册日期", "入会时间", "入会日期", "开卡日期", "signup date", "sign up date",
            "registration date", "registered at", "join date", "joined at",
        ),
        "phone": ("手机", "手机号", "手机号码", "电话", "联系电话", "phone", "mobile", "telephone", "tel"),
        "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail", "mail"),
        "customer_type": ("客户类型", "客户类别", "会员类型", "customer type", "type"),
    },
    "orders": {
        "order_id": ("订单编号", "订单号", "订单ID", "单号", "order id", "order no", "order number"),
        "customer_id": _CUSTOMER_ID_NAMES,
        "order_date": (
            "下单时间", "订单日期", "下单日期", "付款时间", "成交时间", "支付时间", "订单时间", "交易时间",
            "日期", "order date", "date", "purchase date", "order time", "ordered at", "paid at",
        ),
        "amount": (
            "实付金额", "订单金额", "金额", "支付金额", "成交金额", "实收金额", "付款金额", "销售额",
            "amount", "total", "sales", "revenue", "order amount", "paid amount",
        ),
        "cost": ("成本", "成本金额", "cost"),
        "profit": ("利润", "毛利", "毛利润", "profit", "gross profit"),
        "category": ("商品类目", "类目", "品类", "商品类别", "商品分类", "类别", "category", "product category"),
        "channel": _CHANNEL_NAMES + ("销售渠道", "下单渠道", "平台", "sales channel", "platform"),
        "quantity": ("数量", "件数", "购买数量", "商品数量", "qty", "quantity", "units"),
        "returned": ("是否退货", "退货", "退货状态", "returned", "is_returned", "is returned"),
    },
    "tickets": {
        "ticket_id": ("工单号", "工单编号", "工单ID", "ticket id", "ticket no", "ticket number", "case id"),
        "customer_id": _CUSTOMER_ID_NAMES,
        "opened_at": (
            "创建时间", "受理时间", "提交时间", "发起时间", "opened at", "created at", "open date",
            "opened", "created", "date",
        ),
        "resolved_at": ("解决时间", "完成时间", "关闭时间", "结案时间", "resolved at", "closed at", "resolved"),
        "type": ("类型", "工单类型", "问题类型", "type", "ticket type", "category"),
        "status": ("状态", "工单状态", "处理状态", "status"),
        "channel": _CHANNEL_NAMES + ("受理渠道", "contact channel"),
    },
}

# Names of objects registered on the connection while importing.
_STAGE = "_crm_import_stage"
_ROWS = "_crm_import_rows"
_NEW = "_crm_import_new"

_DATE_PATTERN = (
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*T?\s*(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2})(?:[.,]\d+)?秒?)?)?"
    r"\s*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)?$"
)
_SERIAL_MAX = 2958465  # 9999-12-31 as an Excel serial
_PROVINCE_SUFFIXES = (
    "(province|municipality|city|sheng|shi|(zhuang|hui|uygur|uyghur|uighur)?autonomousregion"
    "|specialadministrativeregion|sar|zizhiqu)$"
)

_MACROS = [
    "CREATE OR REPLACE TEMP MACRO crm_imp_text(x) AS nullif(trim(x), '')",
    # regexp parts of a date text; YYYYMMDD is rewritten to YYYY-MM-DD first
    # the common layouts, parsed directly (fast); NULL when x has another layout or is no date
    """CREATE OR REPLACE TEMP MACRO crm_imp_ts_fast(x, serial) AS
        CASE WHEN x IS NULL OR serial THEN NULL ELSE
            try_strptime(x, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d', '%Y/%m/%d %H:%M:%S',
                             '%Y/%m/%d %H:%M', '%Y/%m/%d'])
        END""",
    """CREATE OR REPLACE TEMP MACRO crm_imp_ts_parts(x, fast, serial) AS
        CASE WHEN x IS NULL OR serial OR fast IS NOT NULL THEN NULL ELSE
            regexp_extract(regexp_replace(x, '^(\\d{4})(\\d{2})(\\d{2})$', '\\1-\\2-\\3'),
                           '""" + _DATE_PATTERN + """',
                           ['y', 'mo', 'd', 'h', 'mi', 's'])
        END""",
    # parts -> timestamp (NULL when the date does not exist); serials counted from 1899-12-30
    """CREATE OR REPLACE TEMP MACRO crm_imp_ts(x, fast, p, serial) AS
        CASE
            WHEN x IS NULL THEN NULL
            WHEN fast IS NOT NULL THEN fast
            WHEN serial THEN TIMESTAMP '1899-12-30 00:00:00'
                             + to_seconds(round(TRY_CAST(x AS DOUBLE) * 86400)::BIGINT)
            WHEN p.y = '' THEN NULL
            ELSE try_strptime(p.y || '-' || p.mo || '-' || p.d || ' ' || coalesce(nullif(p.h, ''), '0')
                              || ':' || coalesce(nullif(p.mi, ''), '0') || ':' || coalesce(nullif(p.s, ''), '0'),
                              '%Y-%m-%d %H:%M:%S')
        END""",
    # money: plain numbers directly; otherwise drop currency marks, and commas only as thousands separators
    """CREATE OR REPLACE TEMP MACRO crm_imp_money_text(x) AS
        regexp_replace(x, '[\\s¥￥$]|元|CNY|RMB', '', 'g')""",
    # the amount as a plain number text with '.' for decimals; `comma`: the file writes 1.234,50
    """CREATE OR REPLACE TEMP MACRO crm_imp_money_plain(x, comma) AS
        CASE WHEN comma THEN
            CASE WHEN regexp_full_match(crm_imp_money_text(x), '[-+]?\\d{1,3}(\\.\\d{3})+(,\\d*)?')
                 THEN replace(replace(crm_imp_money_text(x), '.', ''), ',', '.')
                 WHEN contains(crm_imp_money_text(x), '.') THEN NULL  -- 8.00 in a 1.234,50 file: uncertain
                 ELSE replace(crm_imp_money_text(x), ',', '.') END
        ELSE
            CASE WHEN regexp_full_match(crm_imp_money_text(x), '[-+]?\\d{1,3}([,，]\\d{3})+(\\.\\d*)?')
                 THEN regexp_replace(crm_imp_money_text(x), '[,，]', '', 'g')
                 ELSE crm_imp_money_text(x) END
        END""",
    """CREATE OR REPLACE TEMP MACRO crm_imp_money(x, comma) AS
        CASE WHEN NOT comma AND TRY_CAST(x AS DECIMAL(14,2)) IS NOT NULL THEN TRY_CAST(x AS DECIMAL(14,2))
             ELSE TRY_CAST(crm_imp_money_plain(x, comma) AS DECIMAL(14,2)) END""",
    # more than two decimals that are not zeros (12.345, 0.001, 1e-3): storing would round them
    """CREATE OR REPLACE TEMP MACRO crm_imp_money_excess(x, comma) AS
        regexp_matches(crm_imp_money_plain(x, comma), '\\.\\d{2}\\d*[1-9]')
        OR TRY_CAST(crm_imp_money_plain(x, comma) AS DECIMAL(38,10))
           <> TRY_CAST(crm_imp_money_plain(x, comma) AS DECIMAL(38,2))""",
    """CREATE OR REPLACE TEMP MACRO crm_imp_quantity(x) AS
        CASE WHEN TRY_CAST(x AS DOUBLE) BETWEEN 1 AND 2147483647
                  AND TRY_CAST(x AS DOUBLE) = floor(TRY_CAST(x AS DOUBLE))
             THEN TRY_CAST(x AS DOUBLE)::INTEGER END""",
    """CREATE OR REPLACE TEMP MACRO crm_imp_bool(x) AS
        CASE
            WHEN x IS NULL THEN NULL
            WHEN lower(x) IN ('1', 'true', 't', 'yes', 'y', '是', '已退货', '退货', '已退款', '退款',
                              'returned', 'refunded', '√', '✓', 'x') THEN TRUE
            WHEN lower(x) IN ('0', 'false', 'f', 'no', 'n', '否', '未退货', '无退货', '正常', '无',
                              'not returned', '-') THEN FALSE
        END""",
    """CREATE OR REPLACE TEMP MACRO crm_imp_gender(x) AS
        CASE
            WHEN lower(x) IN ('m', 'male', 'man', '男', '男性', '先生') THEN 'M'
            WHEN lower(x) IN ('f', 'female', 'woman', '女', '女性', '女士') THEN 'F'
        END""",
    """CREATE OR REPLACE TEMP MACRO crm_imp_customer_type(x) AS
        CASE
            WHEN lower(x) IN ('个人', '个体', 'individual', 'person', 'personal', 'private', 'b2c', 'consumer')
                THEN 'individual'
            WHEN lower(x) IN ('企业', '公司', '机构', '单位', 'company', 'business', 'enterprise',
                              'corporate', 'organization', 'organisation', 'b2b') THEN 'company'
        END""",
    # provinces: pinyin / English names (suffixes such as "Province" dropped) by alias, else the
    # Chinese name without its administrative suffix (广西壮族自治区 → 广西, 北京市 → 北京)
    """CREATE OR REPLACE TEMP MACRO crm_imp_province_key(x) AS
        regexp_replace(lower(regexp_replace(x, '[\\s_.-]', '', 'g')),
                       '""" + _PROVINCE_SUFFIXES + """', '')""",
    """CREATE OR REPLACE TEMP MACRO crm_imp_province(x, aliases, shorts) AS
        CASE WHEN x IS NULL THEN NULL ELSE coalesce(
            shorts[list_position(aliases, crm_imp_province_key(x))],
            regexp_replace(regexp_replace(x, '\\s', '', 'g'),
                           '(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$', ''))
        END""",
    """CREATE OR REPLACE TEMP MACRO crm_imp_city(x) AS
        CASE WHEN length(x) > 2 AND suffix(x, '市') THEN left(x, length(x) - 1) ELSE x END""",
    """CREATE OR REPLACE TEMP MACRO crm_imp_ticket_type(x) AS
        CASE
            WHEN x IS NULL THEN NULL
            WHEN lower(x) IN ('投诉', 'complaint', 'complaints') THEN 'complaint'
            WHEN lower(x) IN ('咨询', 'consultation', 'inquiry', 'enquiry', 'question') THEN 'consultation'
            WHEN lower(replace(replace(x, '-', '_'), ' ', '_')) IN ('售后', '退换货', '维修', 'after_sales',
                 'aftersales', 'after_sale', 'return', 'repair') THEN 'after_sales'
            ELSE 'other'
        END""",
    """CREATE OR REPLACE TEMP MACRO crm_imp_ticket_status(x) AS
        CASE
            WHEN lower(x) IN ('待处理', '处理中', '未解决', '新建', 'open', 'pending', 'new', 'in progress',
                              'in_progress') THEN 'open'
            WHEN lower(x) IN ('已解决', '已完成', '已处理', 'resolved', 'solved', 'done') THEN 'resolved'
            WHEN lower(x) IN ('已关闭', '关闭', 'closed') THEN 'closed'
        END""",
    """CREATE OR REPLACE TEMP MACRO crm_imp_ticket_channel(x) AS
        CASE
            WHEN x IS NULL THEN NULL
            WHEN lower(x) IN ('电话', '热线', '客服电话', 'phone', 'call', 'hotline', 'telephone') THEN 'phone'
            WHEN lower(replace(x, ' ', '_')) IN ('在线', '在线客服', '网页', '微信', 'online', 'chat', 'online_chat',
                 'live_chat', 'web') THEN 'online_chat'
            WHEN lower(x) IN ('邮件', '邮箱', '电子邮件', 'email', 'e-mail', 'mail') THEN 'email'
            WHEN lower(x) IN ('门店', '线下', '店铺', 'store', 'shop', 'offline') THEN 'store'
            WHEN lower(x) IN ('app', '小程序', 'mobile app', 'mobile') THEN 'app'
            ELSE x
        END""",
    "CREATE OR REPLACE TEMP MACRO crm_imp_rej(r, f, v) AS {'reason': r, 'field': f::VARCHAR, 'value': v::VARCHAR}",
]

# Validation, one query per kind over the staged file (every field a VARCHAR, NULL when unmapped).
# Output: pos, row_number, the target columns, rej (NULL or struct reason/field/value), first_row.
_VALIDATE_SQL = {
    "orders": """
WITH s AS (
    SELECT pos, row_number, bad_shape,
           crm_imp_text(order_id) AS order_id_raw, crm_imp_text(customer_id) AS customer_id,
           crm_imp_text(order_date) AS order_date_raw, crm_imp_text(amount) AS amount_raw,
           crm_imp_text(cost) AS cost_raw, crm_imp_text(profit) AS profit_raw,
           crm_imp_text(category) AS category, crm_imp_text(channel) AS channel,
           crm_imp_text(quantity) AS quantity_raw, crm_imp_text(returned) AS returned_raw
    FROM _crm_import_stage
), p AS (
    SELECT *, crm_imp_ts_fast(order_date_raw, $serial_order_date) AS order_date_fast FROM s
), p2 AS (
    SELECT *, crm_imp_ts_parts(order_date_raw, order_date_fast, $serial_order_date) AS order_date_parts FROM p
), v AS (
    SELECT *,
           crm_imp_ts(order_date_raw, order_date_fast, order_date_parts, $serial_order_date) AS order_date,
           crm_imp_money(amount_raw, $comma) AS amount, crm_imp_money(cost_raw, $comma) AS cost,
           crm_imp_money(profit_raw, $comma) AS profit, crm_imp_quantity(quantity_raw) AS quantity,
           crm_imp_bool(returned_raw) AS returned
    FROM p2
), r AS (
    SELECT *, CASE
        WHEN bad_shape THEN crm_imp_rej('imports.reject.field_count', NULL, NULL)
        WHEN customer_id IS NULL THEN crm_imp_rej('imports.reject.missing_value', 'customer_id', NULL)
        WHEN order_date_raw IS NULL THEN crm_imp_rej('imports.reject.missing_value', 'order_date', NULL)
        WHEN amount_raw IS NULL THEN crm_imp_rej('imports.reject.missing_value', 'amount', NULL)
        WHEN order_date IS NULL OR year(order_date) < 1900
            THEN crm_imp_rej('imports.reject.bad_date', 'order_date', order_date_raw)
        WHEN order_date::DATE > $latest THEN crm_imp_rej('imports.reject.future_date', 'order_date', order_date_raw)
        WHEN amount IS NULL THEN crm_imp_rej('imports.reject.bad_amount', 'amount', amount_raw)
        WHEN amount < 0 THEN crm_imp_rej('imports.reject.negative_amount', 'amount', amount_raw)
        WHEN crm_imp_money_excess(amount_raw, $comma)
            THEN crm_imp_rej('imports.reject.too_many_decimals', 'amount', amount_raw)
        WHEN cost_raw IS NOT NULL AND cost IS NULL THEN crm_imp_rej('imports.reject.bad_amount', 'cost', cost_raw)
        WHEN cost < 0 THEN crm_imp_rej('imports.reject.negative_amount', 'cost', cost_raw)
        WHEN crm_imp_money_excess(cost_raw, $comma)
            THEN crm_imp_rej('imports.reject.too_many_decimals', 'cost', cost_raw)
        WHEN profit_raw IS NOT NULL AND profit IS NULL
            THEN crm_imp_rej('imports.reject.bad_amount', 'profit', profit_raw)
        WHEN crm_imp_money_excess(profit_raw, $comma)
            THEN crm_imp_rej('imports.reject.too_many_decimals', 'profit', profit_raw)
        WHEN quantity_raw IS NOT NULL AND quantity IS NULL
            THEN crm_imp_rej('imports.reject.bad_quantity', 'quantity', quantity_raw)
        WHEN returned_raw IS NOT NULL AND returned IS NULL
            THEN crm_imp_rej('imports.reject.bad_boolean', 'returned', returned_raw)
    END AS rej0
    FROM v
), derived AS (  -- ids for valid rows without one: n = identical rows before this one
    SELECT pos, 'D' || left(sha1(
        customer_id || '|' || strftime(order_date, '%Y-%m-%d %H:%M:%S') || '|' || amount::VARCHAR || '|'
        || coalesce(category, '') || '|' || coalesce(channel, '') || '|'
        || (row_number() OVER (PARTITION BY customer_id, order_date, amount, category, channel
                               ORDER BY row_number) - 1)::VARCHAR
    ), 16) AS derived_id
    FROM r WHERE order_id_raw IS NULL AND rej0 IS NULL
), k AS (
    SELECT r.*, coalesce(r.order_id_raw, derived.derived_id) AS order_id
    FROM r LEFT JOIN derived USING (pos)
), d AS (
    SELECT *, min(row_number) OVER (PARTITION BY rej0 IS NULL, order_id) AS first_row FROM k
)
SELECT pos, row_number,
       order_id, customer_id, order_date, amount::DOUBLE AS amount, cost::DOUBLE AS cost,
       profit::DOUBLE AS profit, category, channel, quantity, returned,
       coalesce(rej0, CASE WHEN row_number > first_row
                           THEN crm_imp_rej('imports.reject.duplicate_key', 'order_id', order_id) END) AS rej,
       CASE WHEN rej0 IS NULL AND row_number > first_row THEN first_row END AS first_row
FROM d
ORDER BY row_number
""",
    "customers": """
WITH s AS (
    SELECT pos, row_number, bad_shape,
           crm_imp_text(customer_id) AS customer_id, crm_imp_text(name) AS name,
           crm_imp_text(gender) AS gender_raw, crm_imp_text(birthday) AS birthday_raw,
           crm_imp_text(province) AS province_raw, crm_imp_text(city) AS city_raw,
           crm_imp_text(channel) AS channel, crm_imp_text(signup_date) AS signup_raw,
           crm_imp_text(phone) AS phone, crm_imp_text(email) AS email,
           crm_imp_text(customer_type) AS customer_type_raw
    FROM _crm_import_stage
), p AS (
    SELECT *, crm_imp_ts_fast(birthday_raw, $serial_birthday) AS birthday_fast,
              crm_imp_ts_fast(signup_raw, $serial_signup_date) AS signup_fast
    FROM s
), p2 AS (
    SELECT *, crm_imp_ts_parts(birthday_raw, birthday_fast, $serial_birthday) AS birthday_parts,
              crm_imp_ts_parts(signup_raw, signup_fast, $serial_signup_date) AS signup_parts
    FROM p
), v AS (
    SELECT *,
           crm_imp_ts(birthday_raw, birthday_fast, birthday_parts, $serial_birthday) AS birthday_ts,
           crm_imp_ts(signup_raw, signup_fast, signup_parts, $serial_signup_date) AS signup_ts
    FROM p2
), r AS (
    SELECT *, CASE
        WHEN bad_shape THEN crm_imp_rej('imports.reject.field_count', NULL, NULL)
        WHEN customer_id IS NULL THEN crm_imp_rej('imports.reject.missing_value', 'customer_id', NULL)
        WHEN birthday_raw IS NOT NULL AND (birthday_ts IS NULL OR year(birthday_ts) < 1900)
            THEN crm_imp_rej('imports.reject.bad_date', 'birthday', birthday_raw)
        WHEN birthday_ts::DATE > $latest THEN crm_imp_rej('imports.reject.future_date', 'birthday', birthday_raw)
        WHEN signup_raw IS NOT NULL AND (signup_ts IS NULL OR year(signup_ts) < 1900)
            THEN crm_imp_rej('imports.reject.bad_date', 'signup_date', signup_raw)
        WHEN signup_ts::DATE > $latest THEN crm_imp_rej('imports.reject.future_date', 'signup_date', signup_raw)
    END AS rej0
    FROM v
), d AS (
    SELECT *, min(row_number) OVER (PARTITION BY rej0 IS NULL, customer_id) AS first_row FROM r
)
SELECT pos, row_number,
       customer_id, name, crm_imp_gender(gender_raw) AS gender, birthday_ts::DATE AS birthday,
       crm_imp_province(province_raw, $province_aliases, $province_names) AS province,
       crm_imp_city(city_raw) AS city, channel, signup_ts::DATE AS signup_date, phone, email,
       crm_imp_customer_type(customer_type_raw) AS customer_type,
       coalesce(rej0, CASE WHEN row_number > first_row
                           THEN crm_imp_rej('imports.reject.duplicate_key', 'customer_id', customer_id) END) AS rej,
       CASE WHEN rej0 IS NULL AND row_number > first_row THEN first_row END AS first_row
FROM d
ORDER BY row_number
""",
    "tickets": """
WITH s AS (
    SELECT pos, row_number, bad_shape,
           crm_imp_text(ticket_id) AS ticket_id_raw, crm_imp_text(customer_id) AS customer_id,
           crm_imp_text(opened_at) AS opened_raw, crm_imp_text(resolved_at) AS resolved_raw,
           crm_imp_ticket_type(crm_imp_text(type)) AS type,
           crm_imp_ticket_status(crm_imp_text(status)) AS status_mapped,
           crm_imp_ticket_channel(crm_imp_text(channel)) AS channel
    FROM _crm_import_stage
), p AS (
    SELECT *, crm_imp_ts_fast(opened_raw, $serial_opened_at) AS opened_fast,
              crm_imp_ts_fast(resolved_raw, $serial_resolved_at) AS resolved_fast
    FROM s
), p2 AS (
    SELECT *, crm_imp_ts_parts(opened_raw, opened_fast, $serial_opened_at) AS opened_parts,
              crm_imp_ts_parts(resolved_raw, resolved_fast, $serial_resolved_at) AS resolved_parts
    FROM p
), v AS (
    SELECT *,
           crm_imp_ts(opened_raw, opened_fast, opened_parts, $serial_opened_at) AS opened_at,
           crm_imp_ts(resolved_raw, resolved_fast, resolved_parts, $serial_resolved_at) AS resolved_at
    FROM p2
), r AS (
    SELECT *, CASE
        WHEN bad_shape THEN crm_imp_rej('imports.reject.field_count', NULL, NULL)
        WHEN customer_id IS NULL THEN crm_imp_rej('imports.reject.missing_value', 'customer_id', NULL)
        WHEN opened_raw IS NULL THEN crm_imp_rej('imports.reject.missing_value', 'opened_at', NULL)
        WHEN opened_at IS NULL OR year(opened_at) < 1900
            THEN crm_imp_rej('imports.reject.bad_date', 'opened_at', opened_raw)
        WHEN opened_at::DATE > $latest THEN crm_imp_rej('imports.reject.future_date', 'opened_at', opened_raw)
        WHEN resolved_raw IS NOT NULL AND (resolved_at IS NULL OR year(resolved_at) < 1900)
            THEN crm_imp_rej('imports.reject.bad_date', 'resolved_at', resolved_raw)
        WHEN resolved_at::DATE > $latest THEN crm_imp_rej('imports.reject.future_date', 'resolved_at', resolved_raw)
        WHEN resolved_at < opened_at
            THEN crm_imp_rej('imports.reject.resolved_before_opened', 'resolved_at', resolved_raw)
    END AS rej0
    FROM v
), derived AS (  -- ids for valid rows without one: n = identical rows before this one
    SELECT pos, 'D' || left(sha1(
        customer_id || '|' || strftime(opened_at, '%Y-%m-%d %H:%M:%S') || '|' || coalesce(type, '') || '|'
        || coalesce(channel, '') || '|'
        || (row_number() OVER (PARTITION BY customer_id, opened_at, type, channel ORDER BY row_number) - 1)::VARCHAR
    ), 16) AS derived_id
    FROM r WHERE ticket_id_raw IS NULL AND rej0 IS NULL
), k AS (
    SELECT r.*, coalesce(r.ticket_id_raw, derived.derived_id) AS ticket_id
    FROM r LEFT JOIN derived USING (pos)
), d AS (
    SELECT *, min(row_number) OVER (PARTITION BY rej0 IS NULL, ticket_id) AS first_row FROM k
)
SELECT pos, row_number,
       ticket_id, customer_id, opened_at, resolved_at, type,
       coalesce(status_mapped, CASE WHEN resolved_at IS NOT NULL THEN 'resolved' ELSE 'open' END) AS status,
       channel,
       coalesce(rej0, CASE WHEN row_number > first_row
                           THEN crm_imp_rej('imports.reject.duplicate_key', 'ticket_id', ticket_id) END) AS rej,
       CASE WHEN rej0 IS NULL AND row_number > first_row THEN first_row END AS first_row
FROM d
ORDER BY row_number
""",
}

# Amount fields per kind, read with the file's decimal mark.
_MONEY_FIELDS = {"customers": (), "orders": ("amount", "cost", "profit"), "tickets": ()}

_DATE_FIELDS = {
    "customers": ("birthday", "signup_date"),
    "orders": ("order_date",),
    "tickets": ("opened_at", "resolved_at"),
}

# Columns of `ImportPlan.accepted` per kind: the table's columns without bookkeeping.
ACCEPTED_COLUMNS = {
    "customers": [c for c in db.CUSTOMER_COLUMNS if c not in ("is_stub", "batch_id")],
    "orders": [c for c in db.ORDER_COLUMNS if c != "batch_id"],
    "tickets": [c for c in db.TICKET_COLUMNS if c != "batch_id"],
}
_TABLE_COLUMNS = {"customers": db.CUSTOMER_COLUMNS, "orders": db.ORDER_COLUMNS, "tickets": db.TICKET_COLUMNS}
_COLUMN_TYPES = {
    "birthday": "DATE", "signup_date": "DATE", "order_date": "TIMESTAMP", "amount": "DECIMAL(14,2)",
    "cost": "DECIMAL(14,2)", "profit": "DECIMAL(14,2)", "quantity": "INTEGER", "returned": "BOOLEAN",
    "opened_at": "TIMESTAMP", "resolved_at": "TIMESTAMP",
}


def _build_commit_sql() -> dict[str, dict[str, str]]:
    """The write statements per kind, built once from the column constants above.

    Only identifiers from those constants are placed in the text; every value
    (the batch id) is bound as ``$batch``.
    """
    out: dict[str, dict[str, str]] = {}
    for kind, columns in _TABLE_COLUMNS.items():
        key = KEYS[kind]
        table = kind
        new_values = []
        for column in columns:
            typed = f"n.{column}::{_COLUMN_TYPES[column]}" if column in _COLUMN_TYPES else f"n.{column}"
            if column == key:
                new_values.append(f"n.{column} AS {column}")
            elif column == "batch_id":
                new_values.append("$batch::INTEGER AS batch_id")
            elif column == "is_stub":
                new_values.append("FALSE AS is_stub")
            elif column == "returned":
                new_values.append(f"coalesce({typed}, o.returned, FALSE) AS returned")
            else:
                new_values.append(f"coalesce({typed}, o.{column}) AS {column}")
        column_list = ", ".join(columns)
        out[kind] = {
            "stage": (
                f"CREATE OR REPLACE TEMP TABLE {_NEW} AS SELECT {', '.join(new_values)}, "
                f"o.{key} IS NOT NULL AS existed FROM {_ROWS} n LEFT JOIN {table} o ON o.{key} = n.{key}"
            ),
            "save_replaced": (
                f"INSERT INTO {table}_replaced ({column_list}, replaced_by) "
                f"SELECT {column_list}, $batch FROM {table} "
                f"WHERE {key} IN (SELECT {key} FROM {_NEW} WHERE existed)"
            ),
            "delete_replaced": f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {_NEW} WHERE existed)",
            "insert": f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {_NEW}",
            "counts": f"SELECT count(*) FILTER (WHERE NOT existed), count(*) FILTER (WHERE existed) FROM {_NEW}",
            "undo_delete": f"DELETE FROM {table} WHERE batch_id = $batch",
            "undo_restore": (
                f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {table}_replaced "
                "WHERE replaced_by = $batch"
            ),
            "undo_forget": f"DELETE FROM {table}_replaced WHERE replaced_by = $batch",
            "existing_keys": f"SELECT count(*) FROM {_ROWS} n WHERE n.{key} IN (SELECT {key} FROM {table})",
        }
    return out


_SQL = _build_commit_sql()

_INSERT_STUBS = f"""
INSERT INTO customers (customer_id, is_stub, batch_id)
SELECT DISTINCT n.customer_id, TRUE, $batch::INTEGER FROM {_NEW} n
WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = n.customer_id)
"""

_NEW_CUSTOMERS = f"""
SELECT DISTINCT n.customer_id FROM {_ROWS} n
WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = n.customer_id)
ORDER BY customer_id
"""

_SURVEY_TABLES = ("survey_answers", "survey_responses", "survey_questions", "surveys")

_ACTIVE_BATCH_FOR_FILE = """
SELECT max(batch_id) FROM import_batches
WHERE status = 'active' AND table_name = $kind AND file_hash = $hash
"""


# --------------------------------------------------------------------------- results


@dataclass
class ImportPlan:
    """What committing a file would do; built by `prepare_import`, written by `commit_import`.

    ``values`` is the dimension report (``crm.intake.vocabulary.detect``): per distinct
    category / channel / province value of the accepted rows, its row count, whether
    the database knows it, a suggestion, the remembered mapping and the target chosen;
    ``accepted`` carries the targets, ``source_values`` the values as the file had them.

    ``accepted`` has the target table's columns (see ``ACCEPTED_COLUMNS``), in
    file order. ``rejected`` has the file's own columns with the original
    text, then ``row_number`` (the line in the file, header = 1; the sheet row
    for Excel; the record number for Parquet), ``column`` (the source column
    at fault, if one), ``reason`` (a translation key) and ``reason_text_zh`` /
    ``reason_text_en``. ``source`` says how the file was read (``format``,
    ``encoding``, ``delimiter``, ``sheet``, ``sheets``, ``decimal``,
    ``nul_removed``), for the report and for choosing differently.
    """

    kind: str
    file_name: str
    file_hash: str
    mapping: dict[str, str]
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    rows_total: int
    new_customers: list[str]
    updates: int
    already_imported: bool
    existing_batch_id: int | None = None
    values: pd.DataFrame = field(default_factory=vocabulary.empty_values)
    source_values: pd.DataFrame | None = None
    source_columns: list[str] = field(default_factory=list)
    source: dict = field(default_factory=dict)  # how the file was read: format, encoding, delimiter, sheet, decimal

    @property
    def rows_accepted(self) -> int:
        return len(self.accepted)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    @property
    def counts(self) -> dict[str, int]:
        return {"total": self.rows_total, "accepted": self.rows_accepted, "rejected": self.rows_rejected}

    def reason_texts(self, lang: str) -> pd.Series:
        """The rejection reasons in `lang`, aligned with ``rejected``."""
        return self.rejected[f"reason_text_{normalise_language(lang)}"]


@dataclass
class ImportResult:
    """What `commit_import` wrote. ``batch_id`` is the existing batch when the file was skipped."""

    batch_id: int | None
    inserted: int
    updated: int
    customers_created: int
    rejected: int
    skipped_duplicate_file: bool = False


# --------------------------------------------------------------------------- reading and mapping


def read_table(data: bytes, file_name: str, encoding: str | None = None, sheet: str | None = None) -> pd.DataFrame:
    """The file as a DataFrame of strings; the index holds each row's line (or sheet row) number.

    CSV (UTF-8 with or without BOM, GBK/GB18030, UTF-16 with BOM; ',', ';' or
    tab), Excel (first sheet with data) and Parquet. Raises CRMInputError for
    an empty file, a file larger than ``MAX_IMPORT_BYTES``, an unknown
    extension, or content that is not a table.
    """
    return _read(data, file_name, encoding, sheet).to_pandas()


def describe_file(data: bytes, file_name: str, encoding: str | None = None, sheet: str | None = None) -> dict:
    """The file's header names and how it was read (``RawTable.info``): what the page needs
    before the mapping. Raises CRMInputError like `read_table`."""
    raw = _read(data, file_name, encoding, sheet)
    return {"columns": list(raw.columns), **raw.info}


def _read(data: bytes, file_name: str, encoding: str | None = None, sheet: str | None = None) -> RawTable:
    if len(data) > MAX_IMPORT_BYTES:
        raise CRMInputError(
            "imports.error.file_too_large", file=file_name,
            size_mb=round(len(data) / 2**20, 1), limit_mb=round(MAX_IMPORT_BYTES / 2**20, 1),
        )
    raw = read_raw(data, file_name, encoding=encoding, sheet=sheet, known_headers=_ALL_HEADERS)
    # one column is a table only when its header names a field (a list of customer ids, say),
    # not when it is a letter or a list of notes
    if len(raw.columns) == 1 and not known_header(raw.columns[0]):
        raise CRMInputError("imports.error.not_a_table", file=file_name)
    return raw


_LOOKUP: dict[str, dict[str, str]] = {
    kind: {normalise_header(s): target for target, names in fields.items() for s in names}
    for kind, fields in SYNONYMS.items()
}
_ALL_HEADERS = frozenset(h for lookup in _LOOKUP.values() for h in lookup)


def known_header(name: str) -> bool:
    """Whether `name` is a header synonym of any field of any kind."""
    return normalise_header(name) in _ALL_HEADERS


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise CRMInputError("imports.error.unknown_kind", kind=kind, kinds=", ".join(KINDS))


def suggest_mapping(columns, kind: str) -> dict[str, str]:
    """Source column → target field for the columns whose header is a known synonym.

    Matching ignores case, spaces, punctuation and bracketed units; when two
    columns match the same field, the first one wins.
    """
    _check_kind(kind)
    lookup = _LOOKUP[kind]
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        target = lookup.get(normalise_header(column))
        if target is not None and target not in taken:
            mapping[str(column)] = target
            taken.add(target)
    return mapping


def resolve_mapping(columns: list[str], kind: str, mapping: dict | None) -> dict[str, str]:
    """The mapping used: the caller's entries, then suggestions for the columns and fields left.

    Map a column to ``""`` or ``None`` to ignore it. Raises CRMInputError for a
    source column not in the file, a target that is not a field of `kind`, or
    two columns mapped to the same field.
    """
    _check_kind(kind)
    fields = FIELDS[kind]
    explicit: dict[str, str] = {}
    ignored: set[str] = set()
    for source, target in (mapping or {}).items():
        if source not in columns:
            raise CRMInputError("imports.error.unknown_source", column=source, columns=", ".join(columns))
        if target is None or str(target).strip() == "":
            ignored.add(source)
            continue
        target = str(target).strip()
        if target not in fields:
            raise CRMInputError(
                "imports.error.unknown_target", column=source, target=target, fields=", ".join(fields),
            )
        clash = [s for s, t_ in explicit.items() if t_ == target]
        if clash:
            raise CRMInputError(
                "imports.error.duplicate_target", target=Translated(f"imports.field.{target}"),
                columns=", ".join(clash + [source]),
            )
        explicit[source] = target
    taken = set(explicit.values())
    resolved = dict(explicit)
    _refuse_ambiguous_suggestions(columns, kind, set(explicit) | ignored, taken)
    for source, target in candidate_mapping(columns, kind).items():
        if source in explicit or source in ignored or target in taken:
            continue
        resolved[source] = target
        taken.add(target)
    return {c: resolved[c] for c in columns if c in resolved}


def candidate_mapping(columns, kind: str) -> dict[str, str]:
    """Source column → target field for every column whose header is a known synonym,
    several columns possibly naming the same field (the page shows them so the user picks one)."""
    _check_kind(kind)
    lookup = _LOOKUP[kind]
    return {str(c): lookup[normalise_header(c)] for c in columns if normalise_header(c) in lookup}


def _refuse_ambiguous_suggestions(columns, kind: str, decided: set[str], taken: set[str]) -> None:
    """Two columns whose headers both name one field (金额 and 实付金额), neither mapped by the
    caller: taking either silently could import the wrong one, so the user must choose."""
    by_target: dict[str, list[str]] = {}
    for source, target in candidate_mapping(columns, kind).items():
        if source not in decided and target not in taken:
            by_target.setdefault(target, []).append(source)
    for target, sources in by_target.items():
        if len(sources) > 1:
            raise CRMInputError(
                "imports.error.ambiguous_columns", field=Translated(f"imports.field.{target}"),
                columns=", ".join(sources), first=sources[0],
            )


# --------------------------------------------------------------------------- prepare


def prepare_import(
    con: duckdb.DuckDBPyConnection,
    data: bytes,
    file_name: str,
    kind: str,
    mapping: dict | None = None,
    value_mapping: dict | None = None,  # category / channel / province: {dimension: {value: target or None}}
    today: dt.date | None = None,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    decimal: str | None = None,
) -> ImportPlan:
    """Read, map and validate `data` as rows of `kind`; return the plan. Writes nothing.

    `encoding` (CSV; one of ``fileformats.ENCODINGS``), `sheet` (Excel) and
    `decimal` ('.' or ',') override what is detected; ``plan.source`` reports
    what was used.

    Raises CRMInputError for whole-file problems (unknown kind, unreadable or
    oversized file, bad mapping, missing required columns, a date column of
    bare years). Row problems do not raise:
    those rows are listed in ``plan.rejected``.
    """
    _check_kind(kind)
    if decimal is not None and decimal not in DECIMAL_MARKS:
        raise CRMInputError("imports.error.unknown_decimal", decimal=decimal)
    raw = _read(data, file_name, encoding, sheet)
    used = resolve_mapping(raw.columns, kind, mapping)
    missing = [f for f in REQUIRED[kind] if f not in used.values()]
    if missing:
        raise CRMInputError(
            "imports.error.missing_columns", columns=Translated(*(f"imports.field.{f}" for f in missing)),
            found=", ".join(raw.columns),
        )
    today = today or dt.date.today()
    vocabulary.check_choices(kind, value_mapping)
    stage = _stage_table(raw, kind, used)
    _refuse_year_only_dates(stage, kind, used)
    source_info = dict(raw.info)
    if _MONEY_FIELDS[kind]:
        source_info["decimal"] = decimal or _decimal_mark(stage, kind, used)
    cur = con.cursor()
    try:
        for macro in _MACROS:
            cur.execute(macro)
        cur.register(_STAGE, stage)
        params = _validation_params(cur, kind, today, used)
        if _MONEY_FIELDS[kind]:
            params["comma"] = source_info["decimal"] == ","
        result = cur.sql(_VALIDATE_SQL[kind], params=params).to_arrow_table()
        cur.unregister(_STAGE)
        ok = pc.is_null(result.column("rej"))
        accepted_arrow = result.filter(ok).select(ACCEPTED_COLUMNS[kind])
        cur.register(_ROWS, accepted_arrow)
        updates = int(cur.execute(_SQL[kind]["existing_keys"]).fetchall()[0][0])
        new_customers: list[str] = []
        if kind != "customers":
            new_customers = [r[0] for r in cur.execute(_NEW_CUSTOMERS).fetchall()]
        values = vocabulary.detect(cur, kind, _ROWS)
        cur.unregister(_ROWS)
        existing = cur.execute(_ACTIVE_BATCH_FOR_FILE, {"kind": kind, "hash": _hash(data)}).fetchall()[0][0]
    finally:
        cur.close()
    accepted = accepted_arrow.to_pandas(date_as_object=False, types_mapper=_NULLABLE_TYPES.get)
    rejected = _rejected_frame(raw, result.filter(pc.invert(ok)), used)
    plan = ImportPlan(
        kind=kind, file_name=file_name, file_hash=_hash(data), mapping=used,
        values=values, source_values=accepted[list(vocabulary.DIMENSIONS[kind])].copy(),
        accepted=accepted, rejected=rejected, rows_total=raw.table.num_rows,
        new_customers=new_customers, updates=updates,
        already_imported=existing is not None, existing_batch_id=existing,
        source_columns=list(raw.columns), source=source_info,
    )
    return vocabulary.apply_choices(plan, value_mapping)


def _decimal_mark(stage: pa.Table, kind: str, mapping: dict[str, str]) -> str:
    """The decimal mark of the mapped amount columns (see `detect_decimal_mark`)."""
    fields = [f for f in _MONEY_FIELDS[kind] if f in mapping.values()]
    return detect_decimal_mark([stage.column(f) for f in fields])[0]


_YEAR_ONLY = r"^\s*(1[89]|2[01])\d\d\s*$"


def _refuse_year_only_dates(stage: pa.Table, kind: str, mapping: dict[str, str]) -> None:
    """A date column holding only years (1985): read as Excel serials they would become
    1905-06-07, so the column is refused, naming it, instead."""
    source_of = {target: source for source, target in mapping.items()}
    for name in _DATE_FIELDS[kind]:
        if name not in source_of:
            continue
        values = pc.utf8_trim_whitespace(stage.column(name).drop_null())
        values = values.filter(pc.greater(pc.utf8_length(values), 0))
        if len(values) and pc.all(pc.match_substring_regex(values, _YEAR_ONLY)).as_py():
            raise CRMInputError(
                "imports.error.year_only_dates", column=source_of[name], field=Translated(f"imports.field.{name}"),
                example=values[0].as_py(),
            )


# integers and booleans with missing values stay integers and booleans in pandas
_NULLABLE_TYPES = {pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stage_table(raw: RawTable, kind: str, mapping: dict[str, str]) -> pa.Table:
    """One VARCHAR column per target field (NULL when unmapped), plus pos, row_number, bad_shape."""
    n = raw.table.num_rows
    by_target = {target: f"c{raw.columns.index(source)}" for source, target in mapping.items()}
    arrays = {
        "pos": pa.array(np.arange(n, dtype=np.int64)),
        "row_number": raw.table.column(ROW_NUMBER),
        "bad_shape": raw.table.column(BAD_SHAPE),
    }
    for target in FIELDS[kind]:
        arrays[target] = raw.table.column(by_target[target]) if target in by_target else pa.nulls(n, pa.string())
    return pa.table(arrays)


def _validation_params(cur, kind: str, today: dt.date, mapping: dict[str, str]) -> dict:
    params: dict = {"latest": today + dt.timedelta(days=1)}
    for name in _DATE_FIELDS[kind]:
        params[f"serial_{name}"] = _is_serial_column(cur, name) if name in mapping.values() else False
    if kind == "customers":
        params["province_aliases"] = list(vocabulary.PROVINCE_ALIASES)
        params["province_names"] = list(vocabulary.PROVINCE_ALIASES.values())
    return params


def _is_serial_column(cur, name: str) -> bool:
    """Whether every non-empty value of the staged column is an Excel date serial number
    (a plain number from 1 to 2958465). The first 1,000 values are checked first, so
    ordinary date columns are not scanned to the end.

    `name` is a target field from ``_DATE_FIELDS`` (an allow-list), never user text.
    """
    if name not in {f for fields in _DATE_FIELDS.values() for f in fields}:
        raise ValueError(name)
    for limit in (1000, None):
        value = cur.execute(
            f"""
            SELECT bool_and(coalesce(TRY_CAST(v AS DOUBLE) BETWEEN 1 AND $max, FALSE)
                            AND NOT contains(lower(v), 'e'))
            FROM (SELECT crm_imp_text({name}) AS v FROM {_STAGE} WHERE crm_imp_text({name}) IS NOT NULL
                  LIMIT $limit)
            """,
            {"max": _SERIAL_MAX, "limit": limit},
        ).fetchall()[0][0]
        if not value:
            return False
    return True


def _rejected_frame(raw: RawTable, rejected: pa.Table, mapping: dict[str, str]) -> pd.DataFrame:
    """The rejected rows' original text plus row_number, column, reason and reason texts."""
    reserved = {ROW_NUMBER, "column", "reason", "reason_text_zh", "reason_text_en"}
    display = [f"{n} (file)" if n in reserved else n for n in raw.columns]
    original = raw.table.take(rejected.column("pos")).select(raw.safe_names).rename_columns(display)
    frame = original.to_pandas()
    rej = rejected.column("rej")
    source_of = {target: source for source, target in mapping.items()}
    fields = pc.struct_field(rej, "field").to_pandas()
    reasons = pc.struct_field(rej, "reason").to_pandas()
    values = pc.struct_field(rej, "value").to_pandas()
    first_rows = rejected.column("first_row").to_pandas()
    frame[ROW_NUMBER] = rejected.column("row_number").to_numpy()
    frame["column"] = fields.map(source_of)
    frame["reason"] = reasons
    for lang in LANGUAGES:
        frame[f"reason_text_{lang}"] = _reason_texts(reasons, fields, values, first_rows, source_of, lang)
    return frame.reset_index(drop=True)


def _reason_texts(
    reasons: pd.Series, fields: pd.Series, values: pd.Series, first_rows: pd.Series,
    source_of: dict[str, str], lang: str,
) -> pd.Series:
    """Reason keys rendered in `lang`: one template per distinct (reason, field), then the
    row's value and first-row number filled in with vectorised string operations."""
    out = pd.Series("", index=reasons.index, dtype="str")
    if not len(reasons):
        return out
    fields = fields.fillna("")
    values = values.fillna("").astype("str").str.slice(0, 60)
    first_text = first_rows.astype("Int64").astype("str").fillna("")
    combos = pd.DataFrame({"reason": reasons, "field": fields}).drop_duplicates()
    for reason, field_name in zip(combos["reason"], combos["field"]):
        column = source_of.get(field_name) or (t(f"imports.field.{field_name}", lang) if field_name else "")
        template = t(reason, lang, column=column, value="\x00value\x00", first_row="\x00first_row\x00")
        mask = (reasons == reason) & (fields == field_name)
        out[mask] = _render(template, {"value": values[mask], "first_row": first_text[mask]})
    return out


def _render(template: str, columns: dict[str, pd.Series]) -> pd.Series | str:
    """`template` with each \\x00name\\x00 placeholder replaced by the row's value from `columns`."""
    text: pd.Series | str = ""
    for i, piece in enumerate(template.split("\x00")):
        text = text + (columns[piece].astype("str") if i % 2 else piece)
    return text


# --------------------------------------------------------------------------- commit and undo


def choose_values(plan: ImportPlan, value_mapping: dict | None) -> ImportPlan:
    """`plan` with category / channel / province values mapped by `value_mapping`
    (dimension → {value: target, or None to keep it}); other values keep their
    remembered mapping. Fast: nothing is read again."""
    return vocabulary.apply_choices(plan, value_mapping)


def commit_import(con: duckdb.DuckDBPyConnection, plan: ImportPlan) -> ImportResult:
    """Write `plan` as one import batch in one transaction (see the module docstring).

    Re-importing a file whose identical bytes are already in an active batch of
    the same kind writes nothing and returns ``skipped_duplicate_file=True``.
    Raises CRMInputError('imports.error.nothing_to_import') when no row was accepted.
    """
    if plan.rows_accepted == 0:
        raise CRMInputError("imports.error.nothing_to_import", file=plan.file_name)
    sql = _SQL[plan.kind]
    con.begin()
    try:
        existing = con.execute(_ACTIVE_BATCH_FOR_FILE, {"kind": plan.kind, "hash": plan.file_hash}).fetchall()[0][0]
        if existing is not None:
            con.rollback()
            return ImportResult(
                batch_id=int(existing), inserted=0, updated=0, customers_created=0,
                rejected=plan.rows_rejected, skipped_duplicate_file=True,
            )
        batch = db.next_batch_id(con)
        params = {"batch": batch}
        con.register(_ROWS, plan.accepted)
        con.execute(sql["stage"], params)
        con.unregister(_ROWS)
        inserted, updated = (int(v) for v in con.execute(sql["counts"]).fetchall()[0])
        con.execute(sql["save_replaced"], params)
        con.execute(sql["delete_replaced"])
        con.execute(sql["insert"])
        created = 0
        if plan.kind != "customers":
            created = int(con.execute(_INSERT_STUBS, params).fetchall()[0][0])
        con.execute(f"DROP TABLE {_NEW}")
        vocabulary.remember(con, plan.values, batch)
        con.execute(
            """
            INSERT INTO import_batches (batch_id, table_name, file_name, file_hash, imported_at, rows_total,
                rows_accepted, rows_rejected, rows_inserted, rows_updated, customers_created, status, mapping)
            VALUES ($batch, $kind, $file, $hash, $at, $total, $accepted, $rejected, $inserted, $updated,
                    $created, 'active', $mapping)
            """,
            {
                "batch": batch, "kind": plan.kind, "file": plan.file_name, "hash": plan.file_hash,
                "at": dt.datetime.now().replace(microsecond=0), "total": plan.rows_total,
                "accepted": plan.rows_accepted, "rejected": plan.rows_rejected, "inserted": inserted,
                "updated": updated, "created": created,
                "mapping": json.dumps(plan.mapping, ensure_ascii=False),
            },
        )
        features.materialise(con)
        db.bump_data_version(con)
        con.commit()
    except BaseException:
        _rollback(con)
        raise
    return ImportResult(
        batch_id=batch, inserted=inserted, updated=updated, customers_created=created,
        rejected=plan.rows_rejected, skipped_duplicate_file=False,
    )


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction, if any; the caller re-raises the original error."""
    try:
        con.rollback()
    except duckdb.TransactionException:
        pass  # the failure ended the transaction already
    for name in (_ROWS,):
        try:
            con.unregister(name)
        except duckdb.Error:
            pass


def check_undo(con: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Raise the CRMInputError `undo_batch` would raise for `batch_id`, writing nothing."""
    row = db.query(con, "SELECT table_name, status FROM import_batches WHERE batch_id = ?", [batch_id])
    if batch_id == 0 or (len(row) and row["table_name"].iloc[0] == "demo"):
        raise CRMInputError("imports.error.undo_demo", batch=batch_id)
    if not len(row):
        raise CRMInputError("imports.error.unknown_batch", batch=batch_id)
    if row["status"].iloc[0] == "undone":
        raise CRMInputError("imports.error.already_undone", batch=batch_id)
    later = db.query(
        con,
        """
        SELECT DISTINCT r.replaced_by FROM (
            SELECT replaced_by FROM customers_replaced WHERE batch_id = $batch
            UNION ALL SELECT replaced_by FROM orders_replaced WHERE batch_id = $batch
            UNION ALL SELECT replaced_by FROM tickets_replaced WHERE batch_id = $batch
        ) r JOIN import_batches b ON b.batch_id = r.replaced_by AND b.status = 'active'
        ORDER BY 1 DESC
        """,
        {"batch": batch_id},
    )["replaced_by"].tolist()
    if later:
        raise CRMInputError(
            "imports.error.undo_later_first", batch=batch_id, later=", ".join(str(int(b)) for b in later),
        )


def undo_batch(con: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Reverse import batch `batch_id` in one transaction.

    Deletes the rows the batch wrote (including the stub customers it created,
    unless rows of other batches still refer to them: those stay and are
    attributed to the earliest such batch), restores the rows it replaced,
    marks it 'undone', rebuilds the aggregates and raises the data version.

    Raises CRMInputError for an unknown batch, the demo build (batch 0), a
    batch already undone, and a batch whose rows a later active batch replaced
    (that one must be undone first).
    """
    check_undo(con, batch_id)
    params = {"batch": batch_id}
    con.begin()
    try:
        for table in _SURVEY_TABLES:  # a survey batch (crm.intake.surveys) owns its rows outright
            con.execute(f"DELETE FROM {table} WHERE batch_id = $batch", params)
        for kind in ("orders", "tickets"):
            con.execute(_SQL[kind]["undo_delete"], params)
            con.execute(_SQL[kind]["undo_restore"], params)
            con.execute(_SQL[kind]["undo_forget"], params)
        # stubs of this batch that other batches' orders or tickets still use stay, owned by the earliest of them
        con.execute(
            """
            UPDATE customers SET batch_id = refs.first_batch
            FROM (
                SELECT customer_id, min(batch_id) AS first_batch FROM (
                    SELECT customer_id, batch_id FROM orders
                    UNION ALL SELECT customer_id, batch_id FROM tickets
                ) GROUP BY customer_id
            ) refs
            WHERE customers.customer_id = refs.customer_id AND customers.is_stub
              AND customers.batch_id = $batch
            """,
            params,
        )
        con.execute(_SQL["customers"]["undo_delete"], params)
        con.execute(_SQL["customers"]["undo_restore"], params)
        con.execute(_SQL["customers"]["undo_forget"], params)
        vocabulary.forget_batch(con, batch_id)
        con.execute(
            "UPDATE import_batches SET status = 'undone', undone_at = $at WHERE batch_id = $batch",
            {"batch": batch_id, "at": dt.datetime.now().replace(microsecond=0)},
        )
        features.materialise(con)
        db.bump_data_version(con)
        con.commit()
    except BaseException:
        _rollback(con)
        raise


def list_batches(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every import batch, newest first."""
    return db.query(
        con,
        """
        SELECT batch_id, table_name, file_name, imported_at, status, rows_total, rows_accepted,
               rows_rejected, rows_inserted, rows_updated, customers_created, undone_at, mapping, file_hash
        FROM import_batches ORDER BY batch_id DESC
        """,
    )


# --------------------------------------------------------------------------- data quality

_QUALITY_TABLES = {
    "customers": (db.CUSTOMER_COLUMNS, "signup_date"),
    "orders": (db.ORDER_COLUMNS, "order_date"),
    "tickets": (db.TICKET_COLUMNS, "opened_at"),
}


def _build_quality_sql() -> tuple[str, str]:
    """Static queries built once from the column constants (identifiers only, no values)."""
    empty_parts, range_parts = [], []
    for table, (columns, date_column) in _QUALITY_TABLES.items():
        for column in columns:
            if column in ("batch_id", "is_stub"):
                continue
            empty_parts.append(
                f"SELECT '{table}' AS table_name, '{column}' AS column_name, count(*) AS rows, "
                f"count(*) FILTER (WHERE {column} IS NULL OR trim({column}::VARCHAR) = '') AS empty "
                f"FROM {table}"
            )
        range_parts.append(
            f"SELECT '{table}' AS table_name, '{date_column}' AS column_name, count(*) AS rows, "
            f"min({date_column})::DATE AS first_date, max({date_column})::DATE AS last_date FROM {table}"
        )
    empty_sql = (
        "SELECT table_name, column_name, rows, empty, "
        "CASE WHEN rows > 0 THEN empty / rows END AS empty_share FROM ("
        + " UNION ALL ".join(empty_parts) + ")"
    )
    return empty_sql, " UNION ALL ".join(range_parts)


_EMPTY_SQL, _RANGE_SQL = _build_quality_sql()


def data_quality(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """Health of the stored data.

    * ``row_counts``: table, rows (customers, orders, tickets, and stub customers).
    * ``date_ranges``: table, column, rows, first_date, last_date (orders.order_date,
      customers.signup_date, tickets.opened_at).
    * ``empty_values``: table, column, rows, empty, empty_share = empty ÷ rows, where
      empty means NULL or blank text.
    * ``orphan_orders``: orders, orphan_orders, orphan_share = orders whose customer is
      missing or only a stub ÷ all orders.
    """
    counts = db.query(
        con,
        """
        SELECT 'customers' AS table_name, count(*) AS rows FROM customers
        UNION ALL SELECT 'stub_customers', count(*) FROM customers WHERE is_stub
        UNION ALL SELECT 'orders', count(*) FROM orders
        UNION ALL SELECT 'tickets', count(*) FROM tickets
        """,
    )
    orphans = db.query(
        con,
        """
        SELECT count(*) AS orders,
               count(*) FILTER (WHERE c.customer_id IS NULL OR c.is_stub) AS orphan_orders,
               CASE WHEN count(*) > 0
                    THEN count(*) FILTER (WHERE c.customer_id IS NULL OR c.is_stub) / count(*) END AS orphan_share
        FROM orders o
        LEFT JOIN (SELECT customer_id, bool_and(coalesce(is_stub, FALSE)) AS is_stub
                   FROM customers GROUP BY customer_id) c USING (customer_id)
        """,
    )
    return {
        "row_counts": counts,
        "date_ranges": db.query(con, _RANGE_SQL),
        "empty_values": db.query(con, _EMPTY_SQL),
        "orphan_orders": orphans,
    }


# --------------------------------------------------------------------------- summaries

_REPORT_EXAMPLES = 10


def format_report(plan: ImportPlan, lang: str) -> str:
    """A short summary of a plan for the CLI, in `lang`."""
    lines = [
        t("imports.report.summary", lang, file=plan.file_name, kind=t(f"imports.kind.{plan.kind}", lang),
          total=plan.rows_total, accepted=plan.rows_accepted, rejected=plan.rows_rejected),
        t("imports.report.mapping", lang, mapping=", ".join(f"{s} → {f}" for s, f in plan.mapping.items())),
        t("imports.report.read_as", lang, details=describe_source(plan.source, lang)),
    ]
    if plan.updates:
        lines.append(t("imports.report.updates", lang, count=plan.updates))
    if plan.new_customers:
        lines.append(t("imports.report.new_customers", lang, count=len(plan.new_customers)))
    if plan.already_imported:
        lines.append(t("imports.report.already_imported", lang, batch=plan.existing_batch_id))
    lines.extend(vocabulary.report_lines(plan.values, lang))
    if plan.rows_rejected:
        by_reason = plan.rejected["reason"].value_counts()
        lines.append(t("imports.report.rejected_by_reason", lang))
        for reason, count in by_reason.items():
            lines.append(f"  {t('imports.reason.' + reason.rsplit('.', 1)[-1], lang)}: {count}")
        head = plan.rejected.head(_REPORT_EXAMPLES)
        texts = plan.reason_texts(lang).head(_REPORT_EXAMPLES)
        lines.extend(
            t("imports.report.rejected_row", lang, row=row, reason=text)
            for row, text in zip(head[ROW_NUMBER].tolist(), texts.tolist())
        )
        if plan.rows_rejected > _REPORT_EXAMPLES:
            lines.append(t("imports.report.more_rejected", lang, count=plan.rows_rejected - _REPORT_EXAMPLES))
    return "\n".join(lines)


def describe_source(source: dict, lang: str) -> str:
    """How a file was read, in `lang`: format, encoding, separator, sheet, decimal mark, NULs removed."""
    parts = []
    if source.get("format"):
        parts.append(t(f"imports.source.format.{source['format']}", lang))
    if source.get("encoding"):
        parts.append(t("imports.source.encoding", lang, encoding=source["encoding"].upper()))
    if source.get("delimiter"):
        name = "tab" if source["delimiter"] == "\t" else source["delimiter"]
        parts.append(t("imports.source.delimiter", lang, delimiter=t(f"imports.source.delimiter.{name}", lang)))
    if source.get("sheet"):
        parts.append(t("imports.source.sheet", lang, sheet=source["sheet"], count=len(source.get("sheets", ()))))
    if source.get("decimal"):
        parts.append(t("imports.source.decimal." + ("comma" if source["decimal"] == "," else "point"), lang))
    if source.get("nul_removed"):
        parts.append(t("imports.source.nul_removed", lang, count=source["nul_removed"]))
    return ("；" if lang == "zh" else "; ").join(parts)


def format_result(result: ImportResult, lang: str) -> str:
    """A one-line summary of a commit for the CLI, in `lang`."""
    if result.skipped_duplicate_file:
        return t("imports.result.skipped", lang, batch=result.batch_id)
    return t(
        "imports.result.done", lang, batch=result.batch_id, inserted=result.inserted, updated=result.updated,
        created=result.customers_created, rejected=result.rejected,
    )
