import io

import pandas as pd
import pytest

from crm import export
from crm.errors import CRMInputError


def frame():
    return pd.DataFrame({
        "name": ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "张三", "\tTAB", None],
        "amount": [1.5, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
    })


def test_neutralise_prefixes_formula_text_only():
    out = export.neutralise(frame())
    assert out["name"].tolist()[:6] == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2", "'@SUM(A1)", "张三", "'\tTAB"]
    assert pd.isna(out["name"].iloc[6])
    assert out["amount"].tolist() == [1.5, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0]  # numbers stay numbers


def test_csv_has_bom_and_chinese():
    data = export.to_csv_bytes(frame())
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "张三" in text and "'=HYPERLINK" in text


def test_xlsx_round_trip_keeps_text_as_text():
    data = export.to_xlsx_bytes(frame(), sheet_name="客户")
    back = pd.read_excel(io.BytesIO(data), sheet_name="客户")
    assert back["name"].iloc[0] == "'=HYPERLINK(\"http://x\")"
    assert back["amount"].iloc[1] == -2.0
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb["客户"]["A2"].data_type == "s"  # a string cell, not a formula


def test_write_table_by_extension(tmp_path):
    assert export.write_table(frame(), tmp_path / "a.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert export.write_table(frame(), tmp_path / "a.xlsx").read_bytes()[:2] == b"PK"
    with pytest.raises(CRMInputError, match="Unknown export format"):
        export.write_table(frame(), tmp_path / "a.json")


def test_csv_rounds_float_noise():
    text = export.to_csv_bytes(pd.DataFrame({"profit": [1019386.8400000001, 0.1 + 0.2]})).decode("utf-8-sig")
    assert text.splitlines()[1:] == ["1019386.84", "0.3"]


def key_account_rows():
    import datetime as dt

    return pd.DataFrame({
        "客户": ["张三", "李四"],
        "销售额": [530868.8200000002, 1234.5],
        "订单数": [1234, 7],
        "毛利率": [0.123456, 0.5],
        "最近下单": pd.to_datetime(["2026-11-15", "2026-10-01"]),
        "首单": [dt.date(2024, 1, 31), None],
    })


def test_xlsx_has_title_row_number_formats_widths_and_frozen_header():
    import datetime as dt

    import openpyxl

    kinds = {"销售额": "money", "毛利率": "percent"}
    title = "大客户管理 · 大客户列表 — 分析期间 2025-11-16 至 2026-11-15"
    data = export.to_xlsx_bytes(key_account_rows(), "大客户管理", title=title, kinds=kinds)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["大客户管理"]
    assert sheet["A1"].value == title and sheet["A1"].font.b
    assert [c.value for c in sheet[2]] == ["客户", "销售额", "订单数", "毛利率", "最近下单", "首单"]
    assert sheet.freeze_panes == "A3"  # title and header stay in view
    assert sheet["B3"].value == 530868.82  # no float noise
    assert sheet["B3"].number_format == "¥#,##0.00"
    assert sheet["C3"].number_format == "#,##0"  # counts inferred from integers
    assert sheet["D3"].value == 0.1235 and sheet["D3"].number_format == "0.0%"
    assert sheet["E3"].value == dt.datetime(2026, 11, 15) and sheet["E3"].number_format == "yyyy-mm-dd"
    assert sheet["F3"].value == dt.datetime(2024, 1, 31) and sheet["F3"].number_format == "yyyy-mm-dd"
    assert sheet["F4"].value is None
    assert sheet.column_dimensions["B"].width >= 12  # ¥530,868.82 fits
    assert sheet.column_dimensions["E"].width >= 10


def test_xlsx_without_title_keeps_header_on_first_row():
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(key_account_rows()))).active
    assert sheet["A1"].value == "客户" and sheet.freeze_panes == "A2"


def test_csv_rounds_by_kind_and_writes_dates_without_time():
    text = export.to_csv_bytes(key_account_rows(), {"销售额": "money", "毛利率": "percent"}).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[1] == "张三,530868.82,1234,0.1235,2026-11-15,2024-01-31"
    assert "00:00:00" not in text


def test_file_name_carries_page_period_and_export_date():
    import datetime as dt

    name = export.file_name("key_accounts", "xlsx", dt.date(2026, 11, 25), dt.date(2025, 11, 16), dt.date(2026, 11, 15))
    assert name == "key_accounts_2025-11-16_2026-11-15_20261125.xlsx"
    assert export.file_name("import_batches", "csv", dt.date(2026, 11, 25)) == "import_batches_20261125.csv"
    assert export.file_name("rejected_my file (2)", "csv", dt.date(2026, 11, 25)) == "rejected_my_file_2_20261125.csv"


def test_undeclared_floats_keep_their_precision_in_files():
    # a ratio nobody declared stays 0.123457 (6 places); a declared percentage is kept to 4 places
    df = pd.DataFrame({"ratio": [0.1234567891], "margin": [0.1234567891]})
    text = export.to_csv_bytes(df, {"margin": "percent"}).decode("utf-8-sig")
    assert text.splitlines()[1] == "0.123457,0.1235"
