"""The reading layer's defences one by one: the isolated reader, limits, encodings, messages, CLI options."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm import cli
from crm.errors import CRMInputError
from crm.intake import fileformats, imports, sandbox
from crm.store import db
from tests.fixtures.small_shop import build

HOSTILE = Path(__file__).resolve().parents[2] / "fixtures" / "hostile"


@pytest.fixture
def shop():
    con = db.connect(":memory:")
    build(con)
    yield con
    con.close()


def test_a_reader_that_dies_becomes_a_message(monkeypatch):
    data = (HOSTILE / "xlsx_plain.xlsx").read_bytes()
    monkeypatch.setattr(sandbox, "READER_MEMORY_MB", 20)  # too little for Python itself: the child dies
    with pytest.raises(CRMInputError) as info:
        fileformats.read_raw(data, "orders.xlsx")
    assert info.value.key == "imports.error.reader_failed"
    assert "所需内存超过 20 MB" in info.value.message("zh")


def test_a_reader_that_hangs_is_stopped(monkeypatch):
    monkeypatch.setattr(sandbox, "READER_TIMEOUT_S", 0.01)
    with pytest.raises(CRMInputError, match="took longer than 0 seconds") as info:
        fileformats.read_raw((HOSTILE / "parquet_plain.parquet").read_bytes(), "o.parquet")
    assert info.value.key == "imports.error.reader_timeout"


def test_the_isolated_reader_returns_the_same_table_as_in_process():
    data = (HOSTILE / "xlsx_notes_first.xlsx").read_bytes()
    headers = frozenset(imports._ALL_HEADERS)
    isolated = fileformats.read_raw(data, "o.xlsx", known_headers=headers)
    local = fileformats.read_raw(data, "o.xlsx", known_headers=headers, isolate=False)
    assert isolated.columns == local.columns == ["订单编号", "会员ID", "下单时间", "实付金额"]
    assert isolated.table.equals(local.table)
    assert isolated.info == local.info == {"format": "excel", "sheet": "订单", "sheets": ["说明", "订单"],
                                           "nul_removed": 0}


def test_reader_errors_keep_their_row_and_column_across_the_process():
    with pytest.raises(CRMInputError) as info:
        fileformats.read_raw((HOSTILE / "xlsx_huge_cell.xlsx").read_bytes(), "c.xlsx")
    assert (info.value.key, info.value.row, info.value.column) == ("imports.error.cell_too_long", 2, "姓名")
    assert info.value.message("zh") == "“c.xlsx”第 2 行“姓名”列的内容有 40,000 个字符，每个值最多 32,767 个字符。请缩短或删除后重新上传。"


def test_limits_on_rows_and_columns(monkeypatch):
    monkeypatch.setattr(fileformats, "MAX_ROWS", 3)
    rows = "客户编号\n" + "".join(f"C{i}\n" for i in range(4))
    with pytest.raises(CRMInputError, match="has 4 rows; at most 3"):
        fileformats.read_raw(rows.encode(), "c.csv")
    assert fileformats.read_raw(rows.encode()[:-3], "c.csv").table.num_rows == 3


def test_utf8_file_with_a_gbk_line_names_the_line(shop):
    with pytest.raises(CRMInputError) as info:
        imports.prepare_import(shop, (HOSTILE / "enc_utf8_one_gbk_line.csv").read_bytes(), "m.csv", "customers")
    assert info.value.values["lines"] == "5"
    assert "第 5 行是其他编码" in info.value.message("zh")
    assert "line(s) 5 are in another encoding" in info.value.message("en")


def test_encoding_override_and_report(shop):
    data = "customer_id,name\nC9,陳大文\n".encode("big5")
    plan = imports.prepare_import(shop, data, "tw.csv", "customers", encoding="big5")
    assert plan.accepted["name"].tolist() == ["陳大文"]
    assert imports.describe_source(plan.source, "en") == "text (CSV); encoding BIG5; separator comma"
    with pytest.raises(CRMInputError, match="Unknown text encoding “klingon”"):
        imports.prepare_import(shop, data, "tw.csv", "customers", encoding="klingon")


def test_amounts_with_more_than_two_decimals_name_row_and_column(shop):
    data = "订单编号,会员ID,下单时间,实付金额\nSO-1,A,2024-01-02,12.345\nSO-2,A,2024-01-03,12.340\n".encode()
    plan = imports.prepare_import(shop, data, "d.csv", "orders")
    assert plan.rejected[["row_number", "column", "reason_text_zh"]].values.tolist() == [
        [2, "实付金额", "“实付金额”的小数超过两位，保存时会被四舍五入：12.345。请在文件中取整到分，若“.”是千位分隔符请选择小数逗号"],
    ]
    assert plan.accepted["amount"].tolist() == [12.34]


def test_bare_years_are_refused_naming_the_column(shop):
    data = "客户编号,出生年份\nC1,1985\n".encode()
    with pytest.raises(CRMInputError) as info:
        imports.prepare_import(shop, data, "y.csv", "customers", mapping={"出生年份": "birthday"})
    assert info.value.message("zh") == ("“出生年份”列（生日）只有年份（如 1985），不是日期；仅有年份无法存为日期。"
                                        "请在映射中将该列设为“不导入”，或提供完整日期，如 1985-06-01。")


def test_two_matching_columns_must_be_chosen_between(shop):
    data = "订单编号,会员ID,下单时间,金额,实付金额\nSO-1,A,2024-01-02,100,90\n".encode()
    with pytest.raises(CRMInputError) as info:
        imports.prepare_import(shop, data, "two.csv", "orders")
    assert info.value.message("zh").startswith("列 金额, 实付金额 都可能是实付金额。")
    plan = imports.prepare_import(shop, data, "two.csv", "orders", mapping={"金额": "amount"})
    assert plan.accepted["amount"].tolist() == [100.0]


def test_duckdb_memory_limit_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DB_MEMORY_LIMIT", "1GB")
    con = db.connect(tmp_path / "m.duckdb")
    try:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"
    finally:
        con.close()
    monkeypatch.setenv("CRM_DB_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="CRM_DB_MEMORY_LIMIT must be"):
        db.connect(":memory:")


def test_cli_folder_encoding_sheet_and_decimal(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CRM_LANG", "zh")
    database = str(tmp_path / "cli.duckdb")
    assert cli.main(["import", "orders", str(tmp_path), "--db", database]) == 2
    assert capsys.readouterr().err.strip() == f"“{tmp_path}”是文件夹而不是文件。请给出其中 CSV、XLSX 或 Parquet 文件的路径。"

    source = tmp_path / "eu.csv"
    source.write_bytes("订单编号;会员ID;下单时间;实付金额\nSO-1;A;2024-01-02;1.234\n".encode("gbk"))
    assert cli.main(["import", "orders", str(source), "--db", database, "--decimal", ",", "--encoding", "gb18030"]) == 0
    out = capsys.readouterr().out
    assert "读取方式：文本（CSV）；编码 GB18030；分隔符 分号；小数逗号（1.234,50）" in out
    con = db.connect(database)
    try:
        assert con.execute("SELECT amount FROM orders").fetchall() == [(1234,)]
    finally:
        con.close()

    workbook = HOSTILE / "xlsx_notes_first.xlsx"
    assert cli.main(["import", "orders", str(workbook), "--db", database, "--sheet", "说明", "--dry-run"]) == 2
    assert capsys.readouterr().err.startswith("无法把“xlsx_notes_first.xlsx”读成表格")
    assert cli.main(["import", "orders", str(workbook), "--db", database, "--sheet", "订单", "--dry-run"]) == 0
    assert "工作表“订单”（共 2 个）" in capsys.readouterr().out
