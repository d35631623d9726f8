"""Imports: reading, mapping, validation, commit, undo, the CLI.

The database is the hand-computed small shop (tests/fixtures/small_shop.py:
customers A–E, orders O1–O11, tickets T1–T5, all batch 0). Expected values are
worked out by hand from the rows written in each test. Every failure case also
checks that nothing stored before was lost or changed (`snapshot`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from crm import cli
from crm.intake import imports
from crm.store import db, features
from crm.errors import CRMInputError
from crm.i18n import catalog, t

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "data" / "samples"
TODAY = dt.date(2025, 6, 30)
ORDERS_HEADER = "订单编号,会员ID,下单时间,实付金额,商品类目,渠道,数量"
TABLES = (
    "customers", "orders", "tickets", "customers_replaced", "orders_replaced", "tickets_replaced",
    "import_batches", "meta", "order_facts", "customer_features",
)
BASE_TABLES = ("customers", "orders", "tickets", "customers_replaced", "orders_replaced", "tickets_replaced")


def snapshot(con, tables=TABLES) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: equal snapshots mean nothing was lost or changed."""
    return {name: sorted(con.execute(f"SELECT * FROM {name}").fetchall(), key=repr) for name in tables}


def csv_bytes(*rows: str, header: str = ORDERS_HEADER, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def prepare(con, data: bytes, kind: str = "orders", name: str = "orders.csv", **kwargs) -> imports.ImportPlan:
    return imports.prepare_import(con, data, name, kind, today=TODAY, **kwargs)


def rejections(plan) -> list[tuple[int, str]]:
    return list(zip(plan.rejected["row_number"].tolist(), plan.rejected["reason"].tolist()))


def values(series) -> list:
    """A column as a list, missing values as None (pandas' string dtype shows them as NaN)."""
    return [None if pd.isna(v) else v for v in series.tolist()]


def count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


# --------------------------------------------------------------------------- whole-file errors


def test_missing_required_columns_names_them(shop):
    before = snapshot(shop)
    data = csv_bytes("SO-1,A,2024-01-01,服装", header="订单编号,会员ID,下单时间,商品类目")
    with pytest.raises(CRMInputError, match=r"Missing required columns: amount\.") as info:
        prepare(shop, data)
    assert info.value.key == "imports.error.missing_columns"
    with pytest.raises(CRMInputError, match=r"Missing required columns: customer ID, order date, amount") as three:
        prepare(shop, csv_bytes("SO-1,服装", header="订单编号,商品类目"))
    assert "缺少必需的列：实付金额。" in info.value.message("zh")  # field names in the reader's language
    assert "缺少必需的列：客户编号、下单时间、实付金额。" in three.value.message("zh")
    assert snapshot(shop) == before


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\r\n  \n"])
def test_empty_file(shop, data):
    before = snapshot(shop)
    with pytest.raises(CRMInputError, match="is empty"):
        prepare(shop, data)
    assert snapshot(shop) == before


def test_header_without_rows(shop):
    before = snapshot(shop)
    with pytest.raises(CRMInputError, match="has a header but no data rows"):
        prepare(shop, csv_bytes())
    with pytest.raises(CRMInputError, match="has a header but no data rows"):
        prepare(shop, csv_bytes(",,,,,,", ",,,,,,"))  # Excel's empty lines count as no rows
    assert snapshot(shop) == before


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("junk.csv", bytes(range(256)) * 40),
        ("letter.csv", "亲爱的客户\n感谢您一直以来的支持\n祝您生活愉快\n".encode("utf-8")),
        ("prose.txt", b"Dear customer, thank you for your order.\nWe hope to see you again, soon, and often.\n"
                      b"Kind regards\nThe shop\n"),
        ("broken.xlsx", b"PK\x03\x04 this is not a workbook"),
        ("broken.parquet", b"PAR1 not really parquet"),
    ],
)
def test_not_a_table(shop, name, data):
    before = snapshot(shop)
    with pytest.raises(CRMInputError, match="could not be read as a table") as info:
        prepare(shop, data, name=name)
    assert info.value.key == "imports.error.not_a_table"
    assert snapshot(shop) == before


def test_unknown_extension(shop):
    with pytest.raises(CRMInputError, match=r"The format of “orders\.pdf” is not supported"):
        prepare(shop, csv_bytes("SO-1,A,2024-01-01,1,服装,天猫,1"), name="orders.pdf")


def test_file_larger_than_the_limit(shop, monkeypatch):
    before = snapshot(shop)
    data = csv_bytes("SO-1,A,2024-01-01,1,服装,天猫,1")
    monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", len(data) - 1)
    with pytest.raises(CRMInputError, match="is too large") as info:
        prepare(shop, data)
    assert info.value.key == "imports.error.file_too_large"
    with pytest.raises(CRMInputError, match="is too large"):
        imports.read_table(data, "orders.csv")
    monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", len(data))
    assert prepare(shop, data).rows_accepted == 1  # exactly at the limit is fine
    assert snapshot(shop) == before


def test_unknown_kind_and_bad_mappings(shop):
    before = snapshot(shop)
    data = csv_bytes("SO-1,A,2024-01-01,1,服装,天猫,1")
    with pytest.raises(CRMInputError, match="Unknown import type “products”"):
        prepare(shop, data, kind="products")
    with pytest.raises(CRMInputError, match="Unknown import type"):
        imports.suggest_mapping(["a"], "products")
    with pytest.raises(CRMInputError, match="is mapped to “member”, which is not a field"):
        prepare(shop, data, mapping={"会员ID": "member"})
    with pytest.raises(CRMInputError, match="is mapped to “is_stub”, which is not a field"):
        prepare(shop, data, mapping={"会员ID": "is_stub"})
    with pytest.raises(CRMInputError, match="The mapped column “客户” is not in the file"):
        prepare(shop, data, mapping={"客户": "customer_id"})
    with pytest.raises(CRMInputError, match="same field “customer ID”: 订单编号, 会员ID"):
        prepare(shop, data, mapping={"订单编号": "customer_id", "会员ID": "customer_id"})
    with pytest.raises(CRMInputError, match="Missing required columns: amount"):
        prepare(shop, data, mapping={"实付金额": ""})  # ignoring the amount column
    assert snapshot(shop) == before


# --------------------------------------------------------------------------- row errors


def test_non_numeric_amount_rejects_the_row(shop):
    before = snapshot(shop)
    plan = prepare(shop, csv_bytes(
        "SO-1,A,2024-01-01 10:00,100,服装,天猫,1",
        "SO-2,B,2024-01-02,abc,服装,天猫,1",
        'SO-3,B,2024-01-03,"1,250.50",服装,天猫,1',
        "SO-4,C,2024-01-04,¥88,服装,天猫,1",
        'SO-5,C,2024-01-05,"12,50",服装,天猫,1',  # a decimal comma is not a thousands separator
        "SO-6,C,2024-01-06,,服装,天猫,1",
    ))
    assert snapshot(shop) == before  # prepare writes nothing
    assert rejections(plan) == [
        (3, "imports.reject.bad_amount"), (6, "imports.reject.bad_amount"), (7, "imports.reject.missing_value"),
    ]
    assert plan.rejected["reason_text_en"].tolist() == [
        "“实付金额” is not a valid amount: abc",
        "“实付金额” is not a valid amount: 12,50",
        "“实付金额” is empty",
    ]
    assert plan.rejected["reason_text_zh"].iloc[0] == "“实付金额”不是有效金额：abc"
    # the original row is kept as it was in the file
    assert plan.rejected[["订单编号", "会员ID", "实付金额"]].iloc[0].tolist() == ["SO-2", "B", "abc"]
    assert plan.rejected["column"].tolist() == ["实付金额"] * 3
    assert plan.accepted["order_id"].tolist() == ["SO-1", "SO-3", "SO-4"]
    assert plan.accepted["amount"].tolist() == [100.0, 1250.5, 88.0]
    assert plan.counts == {"total": 6, "accepted": 3, "rejected": 3}

    result = imports.commit_import(shop, plan)
    assert (result.inserted, result.updated, result.rejected) == (3, 0, 3)
    after = snapshot(shop, ("orders",))["orders"]
    assert [r for r in after if r[-1] == 0] == before["orders"]  # the shop's orders are untouched
    assert count(shop, "orders") == 11 + 3


def test_negative_amount_and_cost(shop):
    before = snapshot(shop)
    plan = prepare(shop, csv_bytes(
        "SO-1,A,2024-01-01,-5,1",
        "SO-2,A,2024-01-01,0,0",
        "SO-3,A,2024-01-01,10,-1",
        "SO-4,A,2024-01-01,10,12",
        header="订单编号,会员ID,下单时间,实付金额,成本",
    ))
    assert rejections(plan) == [(2, "imports.reject.negative_amount"), (4, "imports.reject.negative_amount")]
    assert plan.rejected["reason_text_en"].tolist() == [
        "“实付金额” must not be negative: -5", "“成本” must not be negative: -1",
    ]
    assert plan.accepted["order_id"].tolist() == ["SO-2", "SO-4"]
    assert plan.accepted["cost"].tolist() == [0.0, 12.0]
    assert snapshot(shop) == before


def test_impossible_dates(shop):
    before = snapshot(shop)
    plan = prepare(shop, csv_bytes(
        "SO-1,A,2024-02-30,1", "SO-2,A,2023-13-01,1", "SO-3,A,1899-12-31,1", "SO-4,A,2024-02-29,1",
        "SO-5,A,2023-02-29,1", "SO-6,A,2024-01-01 25:00,1", "SO-7,A,yesterday,1", "SO-8,A,31/01/2024,1",
        header="订单编号,会员ID,下单时间,实付金额",
    ))
    assert rejections(plan) == [(r, "imports.reject.bad_date") for r in (2, 3, 4, 6, 7, 8, 9)]
    assert plan.rejected["reason_text_en"].iloc[0] == "“下单时间” is not a valid date: 2024-02-30"
    assert plan.accepted["order_date"].tolist() == [dt.datetime(2024, 2, 29)]
    assert snapshot(shop) == before


def test_future_dates_are_rejected_after_tomorrow(shop):
    before = snapshot(shop)
    plan = prepare(shop, csv_bytes(
        "SO-1,A,2025-06-30 23:59,1", "SO-2,A,2025-07-01 23:59,1", "SO-3,A,2025-07-02,1", "SO-4,A,2030-01-01,1",
        header="订单编号,会员ID,下单时间,实付金额",
    ))  # today = 2025-06-30
    assert rejections(plan) == [(4, "imports.reject.future_date"), (5, "imports.reject.future_date")]
    assert plan.rejected["reason_text_zh"].tolist() == [
        "“下单时间”的日期在未来：2025-07-02", "“下单时间”的日期在未来：2030-01-01",
    ]
    assert plan.accepted["order_id"].tolist() == ["SO-1", "SO-2"]
    assert snapshot(shop) == before


def test_duplicate_keys_inside_the_file_keep_the_first(shop):
    before = snapshot(shop)
    plan = prepare(shop, csv_bytes(
        "SO-1,A,2024-01-01,10", "SO-2,A,2024-01-02,20", "SO-1,B,2024-01-03,30", "SO-1,C,2024-01-04,40",
        "SO-9,A,2024-01-05,oops", "SO-9,A,2024-01-06,60",
        header="订单编号,会员ID,下单时间,实付金额",
    ))
    assert rejections(plan) == [
        (4, "imports.reject.duplicate_key"), (5, "imports.reject.duplicate_key"), (6, "imports.reject.bad_amount"),
    ]
    assert plan.rejected["reason_text_en"].tolist()[:2] == [
        "“订单编号” repeats row 2 (the first one is kept): SO-1",
        "“订单编号” repeats row 2 (the first one is kept): SO-1",
    ]
    assert plan.rejected["reason_text_zh"].iloc[0] == "“订单编号”与第 2 行重复（保留第一行）：SO-1"
    # a later row whose earlier twin was rejected for another reason is kept
    assert plan.accepted[["order_id", "amount"]].values.tolist() == [["SO-1", 10.0], ["SO-2", 20.0], ["SO-9", 60.0]]

    customers = prepare(shop, csv_bytes("X1,甲", "X2,乙", "X1,丙", header="客户编号,姓名"), kind="customers")
    assert rejections(customers) == [(4, "imports.reject.duplicate_key")]
    assert snapshot(shop) == before


def test_bad_quantity_boolean_and_field_count(shop):
    before = snapshot(shop)
    plan = prepare(shop, csv_bytes(
        "SO-1,A,2024-01-01,10,2.0,是", "SO-2,A,2024-01-01,10,0,否", "SO-3,A,2024-01-01,10,1.5,no",
        "SO-4,A,2024-01-01,10,x,", "SO-5,A,2024-01-01,10,1,maybe", "SO-6,A,2024-01-01,10,1,yes,extra",
        "SO-7,A,2024-01-01", "SO-8,A,2024-01-01,10,,N",
        header="订单编号,会员ID,下单时间,实付金额,数量,是否退货",
    ))
    assert rejections(plan) == [
        (3, "imports.reject.bad_quantity"), (4, "imports.reject.bad_quantity"), (5, "imports.reject.bad_quantity"),
        (6, "imports.reject.bad_boolean"), (7, "imports.reject.field_count"), (8, "imports.reject.field_count"),
    ]
    assert values(plan.rejected["column"]) == ["数量", "数量", "数量", "是否退货", None, None]
    assert values(plan.accepted["quantity"]) == [2, None]
    assert plan.accepted["returned"].tolist() == [True, False]
    assert snapshot(shop) == before


def test_every_row_rejected_gives_a_plan_but_nothing_to_commit(shop):
    before = snapshot(shop)
    plan = prepare(shop, csv_bytes("SO-1,A,2024-02-30,1", "SO-2,,2024-01-01,1", header="订单编号,会员ID,下单时间,实付金额"))
    assert plan.counts == {"total": 2, "accepted": 0, "rejected": 2}
    assert rejections(plan) == [(2, "imports.reject.bad_date"), (3, "imports.reject.missing_value")]
    with pytest.raises(CRMInputError, match="Nothing to import from “orders.csv”") as info:
        imports.commit_import(shop, plan)
    assert info.value.key == "imports.error.nothing_to_import"
    assert snapshot(shop) == before


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_with_chinese_headers(shop, encoding):
    data = csv_bytes("SO-1,A,2024-01-01,10.5,母婴用品,天猫旗舰店,1", "SO-2,B,2024-01-02,20,服装,京东,2", encoding=encoding)
    plan = prepare(shop, data)
    assert plan.mapping == {
        "订单编号": "order_id", "会员ID": "customer_id", "下单时间": "order_date", "实付金额": "amount",
        "商品类目": "category", "渠道": "channel", "数量": "quantity",
    }
    assert plan.accepted["category"].tolist() == ["母婴用品", "服装"]
    assert values(plan.accepted["channel"]) == ["天猫旗舰店", "京东"]
    assert plan.accepted["amount"].sum() == 30.5


def test_gb18030_characters_outside_gbk(shop):
    data = csv_bytes("SO-1,A,2024-01-01,10,㐀类,天猫,1", encoding="gb18030")
    with pytest.raises(UnicodeEncodeError):
        "㐀".encode("gbk")
    assert prepare(shop, data).accepted["category"].tolist() == ["㐀类"]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters(shop, delimiter):
    rows = ["订单编号,会员ID,下单时间,实付金额", "SO-1,A,2024-01-01,1,5", "SO-2,B,2024-01-02,7"]
    rows[1] = "SO-1,A,2024-01-01,1.5"
    data = ("\n".join(r.replace(",", delimiter) for r in rows) + "\n").encode()
    plan = prepare(shop, data)
    assert plan.accepted["amount"].tolist() == [1.5, 7.0]


def test_read_table_keeps_text_and_line_numbers():
    data = b'id,note,amount\r\n1,"two\r\nlines, with comma",10\r\n\r\n2,"say ""hi""",020\r\n,,\r\n3,x,1e3\r\n'
    df = imports.read_table(data, "notes.csv")
    assert df.columns.tolist() == ["id", "note", "amount"]
    assert df.index.tolist() == [2, 5, 7]  # record 1 spans lines 2–3, line 4 is blank, line 6 all empty
    assert df["note"].tolist() == ["two\r\nlines, with comma", 'say "hi"', "x"]
    assert df["amount"].tolist() == ["10", "020", "1e3"]  # text, exactly as in the file


def test_read_table_stray_quotes_fall_back_and_keep_line_numbers():
    data = 'id,size\n1,12" TV\n\n2,15" TV\n'.encode()
    df = imports.read_table(data, "sizes.csv")
    assert df.index.tolist() == [2, 4]
    assert df["size"].tolist() == ['12" TV', '15" TV']


def test_a_single_column_is_a_table_when_its_header_is_a_field(shop):
    plan = prepare(shop, "客户编号\nN1\nN2\n".encode(), kind="customers", name="ids.csv")
    assert plan.accepted["customer_id"].tolist() == ["N1", "N2"]


def test_utf16_text_from_excel(shop):
    data = "订单编号\t会员ID\t下单时间\t实付金额\r\nSO-1\tA\t2024-01-01\t9.9\r\n".encode("utf-16")
    assert prepare(shop, data, name="orders.txt").accepted["amount"].tolist() == [9.9]


def test_read_table_names_blank_and_repeated_headers():
    df = imports.read_table(b"amount,,amount\n1,2,3\n", "x.csv")
    assert df.columns.tolist() == ["amount", "column_2", "amount.1"]


def _xlsx(rows_by_sheet: dict[str, list[tuple[int, list]]]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, rows in rows_by_sheet.items():
        sheet = workbook.add_worksheet(name)
        for row, values in rows:
            for col, value in enumerate(values):
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(row, col + 1, value, date_format)
                elif value is not None:
                    sheet.write(row, col + 1, value)
    workbook.close()
    return buffer.getvalue()


def test_xlsx_first_sheet_with_data_and_sheet_row_numbers(shop):
    data = _xlsx({
        "Notes": [],
        "Orders": [
            (2, ["Order ID", "Customer ID", "Order Date", "Amount", "Quantity"]),  # sheet row 3
            (3, ["SO-1", "A", dt.datetime(2024, 1, 31, 13, 45), 12.5, 2]),
            (4, ["SO-2", 1001, "2024/2/1", 7, 1]),
            (6, ["SO-3", "B", dt.datetime(2024, 3, 1), "n/a", 1]),  # sheet row 7, after an empty row
        ],
    })
    df = imports.read_table(data, "orders.xlsx")
    assert df.index.tolist() == [4, 5, 7]
    assert df["Customer ID"].tolist() == ["A", "1001", "B"]
    plan = prepare(shop, data, name="orders.xlsx")
    assert rejections(plan) == [(7, "imports.reject.bad_amount")]
    assert plan.accepted["order_date"].tolist() == [dt.datetime(2024, 1, 31, 13, 45), dt.datetime(2024, 2, 1)]
    assert plan.accepted["quantity"].tolist() == [2, 1]


def test_parquet(shop):
    table = pa.table({
        "order_id": ["P1", "P2"],
        "customer_id": pa.array([7, 8], pa.int64()),
        "order_date": pa.array([dt.datetime(2024, 1, 31, 8, 30), dt.datetime(2024, 2, 1)], pa.timestamp("ns")),
        "amount": [10.5, 20.0],
        "quantity": [1.0, 2.0],
    })
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    plan = prepare(shop, buffer.getvalue(), name="orders.parquet")
    assert plan.rejected.empty
    assert plan.accepted["customer_id"].tolist() == ["7", "8"]
    assert plan.accepted["order_date"].tolist() == [dt.datetime(2024, 1, 31, 8, 30), dt.datetime(2024, 2, 1)]
    assert plan.accepted["amount"].tolist() == [10.5, 20.0]
    assert plan.accepted["quantity"].tolist() == [1, 2]
    assert imports.read_table(buffer.getvalue(), "o.parquet").index.tolist() == [1, 2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-31", dt.datetime(2024, 1, 31)),
        ("2024/1/31", dt.datetime(2024, 1, 31)),
        ("2024.1.31", dt.datetime(2024, 1, 31)),
        ("20240131", dt.datetime(2024, 1, 31)),
        ("2024年1月31日", dt.datetime(2024, 1, 31)),
        ("2024年1月31日 13:45", dt.datetime(2024, 1, 31, 13, 45)),
        ("2024-01-31 13:45", dt.datetime(2024, 1, 31, 13, 45)),
        ("2024-01-31 13:45:07", dt.datetime(2024, 1, 31, 13, 45, 7)),
        ("2024/1/31 9:05", dt.datetime(2024, 1, 31, 9, 5)),
        ("2024-01-31T13:45:07", dt.datetime(2024, 1, 31, 13, 45, 7)),
        ("2024-01-31T13:45:07Z", dt.datetime(2024, 1, 31, 13, 45, 7)),
        ("2024-01-31 13:45:07.250", dt.datetime(2024, 1, 31, 13, 45, 7)),
        ("45322", dt.datetime(2024, 1, 31)),
    ],
)
def test_date_formats(shop, text, expected):
    plan = prepare(shop, csv_bytes(f"SO-1,A,{text},1", header="订单编号,会员ID,下单时间,实付金额"))
    assert plan.rejected.empty
    assert plan.accepted["order_date"].tolist() == [expected]


def test_excel_serial_numbers_only_when_the_whole_column_is_numeric(shop):
    serial = prepare(shop, csv_bytes("SO-1,A,45322,1", "SO-2,A,45322.5,1", "SO-3,A,45323,1",
                                     header="订单编号,会员ID,下单时间,实付金额"))
    assert serial.accepted["order_date"].tolist() == [
        dt.datetime(2024, 1, 31), dt.datetime(2024, 1, 31, 12), dt.datetime(2024, 2, 1),
    ]
    mixed = prepare(shop, csv_bytes("SO-1,A,2024-01-31,1", "SO-2,A,45322,1", header="订单编号,会员ID,下单时间,实付金额"))
    assert rejections(mixed) == [(3, "imports.reject.bad_date")]


def test_suggest_mapping_synonyms():
    columns = [" Customer-ID ", "订单号", "付款时间", "实付金额（元）", "QTY", "品类", "来源渠道", "备注", "Is_Returned"]
    assert imports.suggest_mapping(columns, "orders") == {
        " Customer-ID ": "customer_id", "订单号": "order_id", "付款时间": "order_date", "实付金额（元）": "amount",
        "QTY": "quantity", "品类": "category", "来源渠道": "channel", "Is_Returned": "returned",
    }
    assert imports.suggest_mapping(["会员编号", "性别", "出生日期", "省", "市", "入会时间", "手机", "邮箱", "客户类型"],
                                   "customers") == {
        "会员编号": "customer_id", "性别": "gender", "出生日期": "birthday", "省": "province", "市": "city",
        "入会时间": "signup_date", "手机": "phone", "邮箱": "email", "客户类型": "customer_type",
    }
    assert imports.suggest_mapping(["工单号", "用户ID", "受理时间", "完成时间", "工单类型", "状态", "渠道"], "tickets") == {
        "工单号": "ticket_id", "用户ID": "customer_id", "受理时间": "opened_at", "完成时间": "resolved_at",
        "工单类型": "type", "状态": "status", "渠道": "channel",
    }
    # the first of two matching columns wins
    assert imports.suggest_mapping(["金额", "成交金额"], "orders") == {"金额": "amount"}


def test_customer_values_are_normalised(shop):
    plan = prepare(shop, csv_bytes(
        "N1,男,广东省,深圳市,个人",
        "N2,女,北京市,北京市,企业",
        "N3,M,内蒙古自治区,呼和浩特市,Company",
        "N4,female,广西壮族自治区,南宁,其他",
        "N5,保密,新疆维吾尔自治区,乌鲁木齐市,",
        "N6,,Guangdong,Shenzhen,individual",
        "N7,F,香港特别行政区,,",
        header="客户编号,性别,省份,城市,客户类型",
    ), kind="customers")
    assert values(plan.accepted["gender"]) == ["M", "F", "M", "F", None, None, "F"]
    assert values(plan.accepted["province"]) == ["广东", "北京", "内蒙古", "广西", "新疆", "广东", "香港"]
    assert values(plan.accepted["city"]) == ["深圳", "北京", "呼和浩特", "南宁", "乌鲁木齐", "Shenzhen", None]
    assert values(plan.accepted["customer_type"]) == ["individual", "company", "company", None, None, "individual", None]


def test_ticket_values_are_normalised(shop):
    plan = prepare(shop, csv_bytes(
        "K1,A,2024-01-01 09:00,,投诉,待处理,电话",
        "K2,A,2024-01-01 09:00,2024-01-02,咨询,已解决,在线客服",
        "K3,B,2024-01-01 09:00,2024-01-02,售后,已关闭,邮件",
        "K4,B,2024-01-01 09:00,,其他,处理中,APP",
        "K5,C,2024-01-01 09:00,2024-01-03,,,门店",
        "K6,C,2024-01-01 09:00,,,,",
        "K7,C,2024-01-05 09:00,2024-01-04,投诉,已解决,电话",
        header="工单号,客户编号,创建时间,解决时间,工单类型,状态,渠道",
    ), kind="tickets")
    assert values(plan.accepted["type"]) == ["complaint", "consultation", "after_sales", "other", None, None]
    assert values(plan.accepted["status"]) == ["open", "resolved", "closed", "open", "resolved", "open"]
    assert values(plan.accepted["channel"]) == ["phone", "online_chat", "email", "app", "store", None]
    assert rejections(plan) == [(8, "imports.reject.resolved_before_opened")]


# --------------------------------------------------------------------------- commit


def _derived(*parts: str) -> str:
    return "D" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def test_derived_order_ids_are_stable_across_files(shop):
    first = prepare(shop, csv_bytes(
        "A,2024-01-31,12.5,服装", "A,2024-01-31,12.5,服装", "B,2024-02-01 08:00,20,食品",
        header="会员ID,下单时间,实付金额,商品类目",
    ))
    expected = [
        _derived("A", "2024-01-31 00:00:00", "12.50", "服装", "", "0"),
        _derived("A", "2024-01-31 00:00:00", "12.50", "服装", "", "1"),  # an identical second purchase
        _derived("B", "2024-02-01 08:00:00", "20.00", "食品", "", "0"),
    ]
    assert first.accepted["order_id"].tolist() == expected
    result = imports.commit_import(shop, first)
    assert (result.inserted, result.updated) == (3, 0)

    # the same orders exported differently: other date and amount spellings, columns reordered
    second = prepare(shop, csv_bytes(
        "服装,2024/1/31,A,¥12.50", "服装,2024年1月31日,A,12.5", "食品,2024-02-01 08:00:00,B,20",
        header="商品类目,下单时间,会员ID,实付金额",
    ), name="orders-again.csv")
    assert second.accepted["order_id"].tolist() == expected
    assert second.updates == 3 and not second.already_imported
    result = imports.commit_import(shop, second)
    assert (result.inserted, result.updated) == (0, 3)
    assert count(shop, "orders") == 11 + 3


def test_unknown_customers_become_stubs(shop):
    plan = prepare(shop, csv_bytes(
        "SO-1,A,2024-01-01,10", "SO-2,X1,2024-01-02,20", "SO-3,X1,2024-01-03,30", "SO-4,X2,2024-01-04,40",
        header="订单编号,会员ID,下单时间,实付金额",
    ))
    assert plan.new_customers == ["X1", "X2"]
    result = imports.commit_import(shop, plan)
    assert result.customers_created == 2
    stubs = shop.execute("SELECT customer_id, is_stub, batch_id, name FROM customers WHERE is_stub ORDER BY 1").fetchall()
    assert stubs == [("X1", True, 1, None), ("X2", True, 1, None)]
    assert count(shop, "customers") == 5 + 2
    batch = imports.list_batches(shop).iloc[0]
    assert (batch["customers_created"], batch["rows_inserted"], batch["table_name"]) == (2, 4, "orders")
    # the stubs appear in the aggregates, with their orders
    features_row = shop.execute("SELECT orders, revenue FROM customer_features WHERE customer_id = 'X1'").fetchall()
    assert features_row == [(2, 50.0)]

    tickets = prepare(shop, csv_bytes("K1,X1,2024-01-05", "K2,X3,2024-01-06", header="工单号,客户编号,创建时间"),
                      kind="tickets")
    assert tickets.new_customers == ["X3"]  # X1 exists now, as a stub
    assert imports.commit_import(shop, tickets).customers_created == 1


def test_reimporting_the_same_file_adds_nothing(shop):
    data = csv_bytes("SO-1,A,2024-01-01,10", "SO-2,X1,2024-01-02,20", header="订单编号,会员ID,下单时间,实付金额")
    imports.commit_import(shop, prepare(shop, data))
    before = snapshot(shop)
    plan = prepare(shop, data, name="renamed.csv")
    assert plan.already_imported and plan.existing_batch_id == 1
    assert "already imported (batch 1)" in imports.format_report(plan, "en")
    result = imports.commit_import(shop, plan)
    assert result.skipped_duplicate_file and result.batch_id == 1
    assert (result.inserted, result.updated, result.customers_created) == (0, 0, 0)
    assert imports.format_result(result, "en") == "This file was already imported (batch 1); nothing was written."
    assert snapshot(shop) == before


def test_a_modified_file_updates_instead_of_duplicating(shop):
    header = "订单编号,会员ID,下单时间,实付金额,商品类目"
    imports.commit_import(shop, prepare(shop, csv_bytes("SO-1,A,2024-01-01,100,服装", "SO-2,B,2024-01-02,200,食品",
                                                        header=header)))
    plan = prepare(shop, csv_bytes("SO-1,A,2024-01-01,150,", "SO-3,C,2024-01-03,300,家居", header=header),
                   name="orders-v2.csv")
    assert plan.updates == 1
    result = imports.commit_import(shop, plan)
    assert (result.batch_id, result.inserted, result.updated) == (2, 1, 1)
    rows = shop.execute(
        "SELECT order_id, amount::DOUBLE, category, batch_id FROM orders WHERE order_id LIKE 'SO-%' ORDER BY 1"
    ).fetchall()
    # an empty cell keeps the stored value (SO-1's category)
    assert rows == [("SO-1", 150.0, "服装", 2), ("SO-2", 200.0, "食品", 1), ("SO-3", 300.0, "家居", 2)]
    history = shop.execute("SELECT order_id, amount::DOUBLE, batch_id, replaced_by FROM orders_replaced").fetchall()
    assert history == [("SO-1", 100.0, 1, 2)]
    assert count(shop, "orders") == 11 + 3


def test_customer_update_keeps_values_the_file_does_not_have(shop):
    imports.commit_import(shop, prepare(shop, csv_bytes("SO-1,X1,2024-01-01,10", header="订单编号,会员ID,下单时间,实付金额")))
    plan = prepare(shop, csv_bytes("A,甲乙,", "X1,新客户,女", header="客户编号,姓名,性别"), kind="customers")
    assert plan.updates == 2
    result = imports.commit_import(shop, plan)
    assert (result.inserted, result.updated) == (0, 2)
    rows = shop.execute(
        "SELECT customer_id, name, gender, province, birthday, is_stub, batch_id FROM customers "
        "WHERE customer_id IN ('A', 'X1') ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("A", "甲乙", "F", "广东", dt.date(1990, 5, 1), False, 2),
        ("X1", "新客户", "F", None, None, False, 2),  # the stub became a real customer
    ]


# --------------------------------------------------------------------------- undo


def test_undo_restores_the_previous_version_exactly(shop):
    before = snapshot(shop, BASE_TABLES)
    version = db.data_version(shop)
    plan = prepare(shop, csv_bytes("O1,A,2023-03-10,999,服装", "SO-1,X9,2024-01-01,10,食品",
                                   header="订单编号,会员ID,下单时间,实付金额,商品类目"))
    result = imports.commit_import(shop, plan)
    assert (result.inserted, result.updated, result.customers_created) == (1, 1, 1)
    assert shop.execute("SELECT amount::DOUBLE FROM orders WHERE order_id = 'O1'").fetchall() == [(999.0,)]
    assert count(shop, "orders_replaced") == 1

    imports.undo_batch(shop, result.batch_id)
    assert snapshot(shop, BASE_TABLES) == before  # O1 back with amount 100, SO-1 and stub X9 gone
    batch = imports.list_batches(shop).iloc[0]
    assert batch["status"] == "undone" and batch["undone_at"] is not None
    assert db.data_version(shop) == version + 2
    assert shop.execute("SELECT revenue FROM customer_features WHERE customer_id = 'A'").fetchall() == [(600.0,)]
    again = prepare(shop, csv_bytes("O1,A,2023-03-10,999,服装", "SO-1,X9,2024-01-01,10,食品",
                                    header="订单编号,会员ID,下单时间,实付金额,商品类目"))
    assert not again.already_imported  # an undone batch no longer blocks its file


def test_undo_keeps_a_stub_that_a_later_batch_still_uses(shop):
    header = "订单编号,会员ID,下单时间,实付金额"
    first = imports.commit_import(shop, prepare(shop, csv_bytes("SO-1,X9,2024-01-01,10", header=header)))
    second = imports.commit_import(shop, prepare(shop, csv_bytes("SO-2,X9,2024-01-02,20", header=header)))
    assert (first.customers_created, second.customers_created) == (1, 0)
    imports.undo_batch(shop, first.batch_id)
    assert shop.execute("SELECT customer_id, is_stub, batch_id FROM customers WHERE customer_id = 'X9'").fetchall() == [
        ("X9", True, 2),
    ]
    imports.undo_batch(shop, second.batch_id)
    assert count(shop, "customers") == 5


def test_undo_refusals(shop):
    header = "订单编号,会员ID,下单时间,实付金额"
    imports.commit_import(shop, prepare(shop, csv_bytes("SO-1,A,2024-01-01,10", header=header)))
    imports.commit_import(shop, prepare(shop, csv_bytes("SO-1,A,2024-01-01,15", header=header), name="v2.csv"))
    before = snapshot(shop)
    with pytest.raises(CRMInputError, match="There is no import batch 99"):
        imports.undo_batch(shop, 99)
    with pytest.raises(CRMInputError, match="Batch 0 is the demo data"):
        imports.undo_batch(shop, 0)
    with pytest.raises(CRMInputError, match=r"later batch\(es\) 2 updated rows it wrote\. Undo 2 first") as info:
        imports.undo_batch(shop, 1)
    assert "请先撤销批次 2" in info.value.message("zh")
    assert snapshot(shop) == before
    imports.undo_batch(shop, 2)
    with pytest.raises(CRMInputError, match="Import batch 2 has already been undone"):
        imports.undo_batch(shop, 2)
    imports.undo_batch(shop, 1)
    assert count(shop, "orders") == 11 and count(shop, "orders_replaced") == 0


def test_a_failure_during_commit_leaves_the_database_unchanged(shop, monkeypatch):
    before = snapshot(shop)
    plan = prepare(shop, csv_bytes("O1,A,2023-03-10,999", "SO-1,X9,2024-01-01,10", header="订单编号,会员ID,下单时间,实付金额"))

    def broken(con):
        raise RuntimeError("disk full")

    monkeypatch.setattr(features, "materialise", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        imports.commit_import(shop, plan)
    assert snapshot(shop) == before
    monkeypatch.undo()
    result = imports.commit_import(shop, plan)  # the connection is usable and the plan still commits
    assert (result.batch_id, result.inserted, result.updated) == (1, 1, 1)


def test_a_failure_during_undo_leaves_the_database_unchanged(shop, monkeypatch):
    result = imports.commit_import(shop, prepare(shop, csv_bytes("O1,A,2023-03-10,999", header="订单编号,会员ID,下单时间,实付金额")))
    before = snapshot(shop)
    monkeypatch.setattr(db, "bump_data_version", lambda con: (_ for _ in ()).throw(RuntimeError("crash")))
    with pytest.raises(RuntimeError, match="crash"):
        imports.undo_batch(shop, result.batch_id)
    assert snapshot(shop) == before


# --------------------------------------------------------------------------- listing, quality, summaries


def test_list_batches_newest_first(shop):
    header = "订单编号,会员ID,下单时间,实付金额"
    imports.commit_import(shop, prepare(shop, csv_bytes("SO-1,A,2024-01-01,10", header=header), name="a.csv"))
    imports.commit_import(shop, prepare(shop, csv_bytes("SO-2,A,2024-01-01,10", "x", header=header), name="b.csv"))
    batches = imports.list_batches(shop)
    assert batches["batch_id"].tolist() == [2, 1]
    assert batches["file_name"].tolist() == ["b.csv", "a.csv"]
    assert batches["rows_rejected"].tolist() == [1, 0]
    assert json.loads(batches["mapping"].iloc[0]) == {
        "订单编号": "order_id", "会员ID": "customer_id", "下单时间": "order_date", "实付金额": "amount",
    }


def test_data_quality(shop):
    quality = imports.data_quality(shop)
    counts = dict(zip(quality["row_counts"]["table_name"], quality["row_counts"]["rows"]))
    assert counts == {"customers": 5, "stub_customers": 0, "orders": 11, "tickets": 5}
    ranges = quality["date_ranges"].set_index("table_name")
    assert ranges.loc["orders", "first_date"].date() == dt.date(2023, 3, 10)
    assert ranges.loc["orders", "last_date"].date() == dt.date(2024, 6, 30)
    assert ranges.loc["customers", "first_date"].date() == dt.date(2023, 1, 1)
    assert ranges.loc["tickets", "last_date"].date() == dt.date(2024, 6, 10)
    empty = quality["empty_values"].set_index(["table_name", "column_name"])["empty_share"]
    assert empty[("customers", "birthday")] == pytest.approx(1 / 5)  # E is a company
    assert empty[("customers", "phone")] == 1.0
    assert empty[("tickets", "resolved_at")] == pytest.approx(3 / 5)
    assert quality["orphan_orders"].iloc[0].tolist() == [11, 0, 0.0]

    imports.commit_import(shop, prepare(shop, csv_bytes("SO-1,X1,2024-01-01,10", "SO-2,X1,2024-01-02,10",
                                                        header="订单编号,会员ID,下单时间,实付金额")))
    orphans = imports.data_quality(shop)["orphan_orders"].iloc[0]
    assert (orphans["orders"], orphans["orphan_orders"]) == (13, 2)
    assert orphans["orphan_share"] == pytest.approx(2 / 13)


def test_format_report_and_result(shop):
    plan = prepare(shop, csv_bytes("O1,A,2023-03-10,100", "SO-1,X1,2024-01-01,abc", "SO-2,X2,2024-01-01,5",
                                   header="订单编号,会员ID,下单时间,实付金额"))
    assert imports.format_report(plan, "en").splitlines() == [
        "File orders.csv (orders): 3 rows, 2 can be imported, 1 rejected.",
        "Column mapping: 订单编号 → order_id, 会员ID → customer_id, 下单时间 → order_date, 实付金额 → amount",
        "Read as: text (CSV); encoding UTF-8; separator comma; decimal point (1,234.50)",
        "1 of them will update existing records.",
        "1 unknown customer IDs will be created as placeholder customers.",
        "Rejected rows by reason:",
        "  invalid amount: 1",
        "  row 3: “实付金额” is not a valid amount: abc",
    ]
    assert imports.format_report(plan, "zh").splitlines()[0] == "文件 orders.csv（订单）：共 3 行，可导入 2 行，拒绝 1 行。"
    result = imports.commit_import(shop, plan)
    assert imports.format_result(result, "en") == (
        "Import done (batch 1): 1 rows added, 1 updated, 1 placeholder customers created, 1 rejected."
    )
    assert imports.format_result(result, "zh") == "导入完成（批次 1）：新增 1 行，更新 1 行，新建占位客户 1 个，拒绝 1 行。"


def test_translation_catalogs_cover_the_import_keys():
    zh = json.loads((ROOT / "crm/locales/zh/imports.json").read_text(encoding="utf-8"))
    en = json.loads((ROOT / "crm/locales/en/imports.json").read_text(encoding="utf-8"))
    assert zh.keys() == en.keys()
    assert all(k.startswith(("imports.", "data.batches.", "quality.")) for k in zh)
    reasons = {r for sql in imports._VALIDATE_SQL.values() for r in __import__("re").findall(r"'(imports\.reject\.\w+)'", sql)}
    assert len(reasons) == 11
    for lang in ("zh", "en"):
        keys = catalog(lang)
        assert reasons <= keys.keys()
        assert {f"imports.reason.{r.rsplit('.', 1)[1]}" for r in reasons} <= keys.keys()
        assert {f"imports.field.{f}" for fields in imports.FIELDS.values() for f in fields} <= keys.keys()
        assert {f"imports.kind.{k}" for k in imports.KINDS} <= keys.keys()
    assert t("data.batches.undone", "zh", batch=3) == "已撤销导入批次 3"


# --------------------------------------------------------------------------- samples and the CLI


def test_sample_files_import_cleanly(tmp_path):
    con = db.connect(tmp_path / "samples.duckdb")
    expected = [
        ("customers", "customers.csv", 60, []),
        ("orders", "orders.csv", 150, [f"VIP-{i:04d}" for i in range(61, 66)]),
        ("orders", "orders_en.xlsx", 40, [f"VIP-{i:04d}" for i in range(66, 71)]),
        ("tickets", "tickets.csv", 30, ["VIP-0071", "VIP-0072"]),
    ]
    for kind, name, rows, new in expected:
        plan = imports.prepare_import(con, (SAMPLES / name).read_bytes(), name, kind)
        assert (plan.rows_total, plan.rows_accepted, plan.new_customers) == (rows, rows, new), name
        imports.commit_import(con, plan)
    assert db.table_counts(con) == {"customers": 72, "orders": 190, "tickets": 30, "survey_responses": 0}
    rows = con.execute(
        "SELECT customer_id, province, city, customer_type FROM customers "
        "WHERE customer_id IN ('VIP-0008', 'VIP-0009', 'VIP-0010') ORDER BY 1"
    ).fetchall()
    assert rows == [("VIP-0008", "内蒙古", "呼和浩特", "individual"), ("VIP-0009", "广西", "南宁", "individual"),
                    ("VIP-0010", "山东", "青岛", "company")]
    con.close()


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_LANG", "en")
    return tmp_path / "cli.duckdb"


def test_cli_imports_a_sample_and_undoes_it(cli_env, capsys):
    assert cli.main(["import", "customers", str(SAMPLES / "customers.csv"), "--db", str(cli_env)]) == 0
    assert "Import done (batch 1): 60 rows added" in capsys.readouterr().out
    assert cli.main(["import", "orders", str(SAMPLES / "orders.csv"), "--db", str(cli_env)]) == 0
    out = capsys.readouterr().out
    assert "File orders.csv (orders): 150 rows, 150 can be imported, 0 rejected." in out
    assert "Import done (batch 2): 150 rows added, 0 updated, 5 placeholder customers created, 0 rejected." in out
    assert cli.main(["batches", "--db", str(cli_env)]) == 0
    assert "orders.csv" in capsys.readouterr().out
    assert cli.main(["undo", "2", "--db", str(cli_env)]) == 0
    assert "Import batch 2 undone" in capsys.readouterr().out
    assert cli.main(["undo", "2", "--db", str(cli_env)]) == 2
    assert "Import batch 2 has already been undone." in capsys.readouterr().err
    con = db.connect(cli_env)
    assert db.table_counts(con) == {"customers": 60, "orders": 0, "tickets": 0, "survey_responses": 0}
    con.close()


def test_cli_bad_files_return_2_with_a_message(cli_env, tmp_path, capsys):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 10)
    assert cli.main(["import", "orders", str(junk), "--db", str(cli_env)]) == 2
    assert "“junk.csv” could not be read as a table" in capsys.readouterr().err
    assert cli.main(["import", "orders", str(tmp_path / "missing.csv"), "--db", str(cli_env)]) == 2
    assert "File not found" in capsys.readouterr().err
    assert cli.main(["import", "orders", str(SAMPLES / "orders.csv"), "--map", "会员ID", "--db", str(cli_env)]) == 2
    assert "Bad mapping argument “会员ID”" in capsys.readouterr().err


def test_cli_map_dry_run_and_rejected_out(cli_env, tmp_path, capsys):
    source = tmp_path / "kunden.csv"
    source.write_text("Kunde,Datum,Betrag\nK1,2024-01-01,10\nK2,2024-01-02,-3\n", encoding="utf-8")
    rejected = tmp_path / "rejected.csv"
    args = ["import", "orders", str(source), "--map", "Kunde=customer_id", "--map", "Datum=order_date",
            "--map", "Betrag=amount", "--db", str(cli_env)]
    assert cli.main(args + ["--dry-run", "--rejected-out", str(rejected)]) == 0
    out = capsys.readouterr().out
    assert "Column mapping: Kunde → customer_id, Datum → order_date, Betrag → amount" in out
    assert "Import done" not in out
    lines = rejected.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Kunde,Datum,Betrag,row_number,column,reason,reason_text_zh,reason_text_en"
    assert lines[1].startswith("K2,2024-01-02,-3,3,Betrag,imports.reject.negative_amount,")
    con = db.connect(cli_env)
    assert db.table_counts(con)["orders"] == 0
    con.close()
    assert cli.main(args) == 0
    assert "Import done (batch 1): 1 rows added" in capsys.readouterr().out
