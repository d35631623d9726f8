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
    assert back["name"].iloc[0] == "=HYPERLINK(\"http://x\")"  # as stored: no visible apostrophe
    assert back["amount"].iloc[1] == -2.0
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    sheet = wb["客户"]
    names = [sheet.cell(row=r, column=1) for r in range(2, 8)]
    assert [c.value for c in names] == ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "张三", "\tTAB"]
    assert {c.data_type for c in names} == {"s"}  # string cells: Excel shows them, never runs them
    assert not sheet._hyperlinks


def test_write_table_by_extension(tmp_path):
    assert export.write_table(frame(), tmp_path / "a.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert export.write_table(frame(), tmp_path / "a.xlsx").read_bytes()[:2] == b"PK"
    with pytest.raises(CRMInputError, match="Unknown export format"):
        export.write_table(frame(), tmp_path / "a.json")


def test_csv_rounds_float_noise():
    text = export.to_csv_bytes(pd.DataFrame({"profit": [1019386.8400000001, 0.1 + 0.2]})).decode("utf-8-sig")
    assert text.splitlines()[1:] == ["1019386.84", "0.3"]
