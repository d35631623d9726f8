"""Import templates: headers from the import's field definitions, two example rows that import cleanly."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from crm import cli
from crm.errors import CRMInputError
from crm.intake import imports, templates

TODAY = dt.date(2025, 6, 30)
CASES = [(kind, lang, fmt) for kind in imports.KINDS for lang in ("zh", "en") for fmt in templates.FORMATS]


def template_bytes(kind: str, lang: str, fmt: str) -> bytes:
    return templates.template_csv(kind, lang) if fmt == "csv" else templates.template_xlsx(kind, lang)


def test_examples_cover_exactly_the_import_fields():
    for kind in imports.KINDS:
        assert list(templates.EXAMPLES[kind]) == list(imports.FIELDS[kind])


@pytest.mark.parametrize(("kind", "lang", "fmt"), CASES)
def test_a_template_imports_cleanly_with_every_column_recognised(shop, kind, lang, fmt):
    plan = imports.prepare_import(shop, template_bytes(kind, lang, fmt), f"template.{fmt}", kind, today=TODAY)
    assert sorted(plan.mapping.values()) == sorted(imports.FIELDS[kind])
    assert (plan.rows_total, plan.rows_accepted, plan.rows_rejected) == (2, 2, 0)
    # the example values are the stored vocabulary: nothing to map
    assert vocabulary_shown(plan) == []


def vocabulary_shown(plan) -> list:
    from crm.intake import vocabulary

    return vocabulary.unknown_values(plan.values)["value"].tolist()


def test_csv_headers_bom_and_examples():
    data = templates.template_csv("orders", "zh")
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "客户编号,下单时间,实付金额,订单编号,成本,利润,商品类目,渠道,数量,是否退货"
    assert lines[1] == "C10001,2024-06-18 10:30,299.00,SO20240618001,180.00,119.00,服装,天猫旗舰店,1,否"
    assert len(lines) == 3
    en = templates.template_csv("customers", "en").decode("utf-8-sig").splitlines()
    assert en[0] == ("Customer ID,Name,Gender,Birthday,Province,City,Channel,Signup Date,Phone,Email,"
                     "Customer Type")
    assert en[2] == "C10002,Xinyuan Trading Co.,F,,Zhejiang,杭州,线下门店,2024-03-02,057188886666,buy@example.com,company"
    assert templates.template_csv("tickets", "en").decode("utf-8-sig").splitlines()[0] == (
        "Customer ID,Opened At,Ticket ID,Resolved At,Type,Status,Channel")


def test_headers_are_the_import_synonyms():
    for kind in imports.KINDS:
        for lang in ("zh", "en"):
            headers = list(templates.template_frame(kind, lang).columns)
            assert imports.suggest_mapping(headers, kind) == dict(zip(headers, imports.FIELDS[kind]))
    assert templates.header("orders", "amount", "zh") == imports.SYNONYMS["orders"]["amount"][0]


def test_xlsx_has_the_data_sheet_and_a_help_sheet():
    book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("orders", "zh")))
    assert book.sheetnames == ["数据", "说明"]
    rows = list(book["数据"].iter_rows(values_only=True))
    assert rows[0] == ("客户编号", "下单时间", "实付金额", "订单编号", "成本", "利润", "商品类目", "渠道", "数量", "是否退货")
    assert rows[2] == ("C10002", "2024-11-11", 1280.5, "SO20241111002", 860, 420.5, "家居", "京东", 3, "否")
    assert book["数据"]["A1"].font.bold
    assert book["数据"].freeze_panes == "A2"
    notes = list(book["说明"].iter_rows(values_only=True))
    assert notes[0] == ("列名", "字段", "是否必填", "填写说明")
    assert notes[1][:3] == ("客户编号", "客户编号", "必填")
    assert notes[4][:3] == ("订单编号", "订单编号", "可选")
    assert len(notes) == 1 + len(imports.FIELDS["orders"])
    en = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("tickets", "en")))
    assert en.sheetnames == ["data", "help"]
    assert [r[2] for r in en["help"].iter_rows(min_row=2, values_only=True)] == [
        "required", "required", "optional", "optional", "optional", "optional", "optional"]
    assert list(en["help"].iter_rows(values_only=True))[7][3] == "phone, online chat, email, store or app"


def test_cli_writes_templates(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CRM_LANG", "en")
    db_path = str(tmp_path / "cli.duckdb")
    out = tmp_path / "orders.xlsx"
    assert cli.main(["template", "orders", "--out", str(out), "--db", db_path]) == 0
    assert capsys.readouterr().out.strip() == f"Template for orders written to {out} (10 columns, 2 example rows)."
    assert out.read_bytes() == templates.template_xlsx("orders", "en")
    csv = tmp_path / "kunden.csv"
    assert cli.main(["template", "customers", "--out", str(csv), "--lang", "zh", "--db", db_path]) == 0
    assert csv.read_bytes() == templates.template_csv("customers", "zh")
    assert cli.main(["template", "orders", "--out", str(tmp_path / "x.json"), "--db", db_path]) == 2
    assert "Templates are written as .csv or .xlsx" in capsys.readouterr().err
    with pytest.raises(CRMInputError, match="Unknown import type “surveys”"):
        templates.template_frame("surveys", "en")


def test_every_column_has_a_translated_explanation():
    from crm.i18n import has_key

    keys = {f"imports.template.format.{v}" for v in templates._FORMAT.values()}
    keys |= {"imports.template.format.dimension", "imports.template.format.ticket_channel"}
    for lang in ("zh", "en"):
        assert sorted(k for k in keys if not has_key(k, lang)) == []
        for kind in imports.KINDS:
            notes = templates.help_frame(kind, lang)
            assert not notes.iloc[:, 3].str.startswith("imports.").any()
