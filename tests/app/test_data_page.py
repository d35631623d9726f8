"""The Data page in both languages: upload, validate, import, re-import, undo, bad files, mapping."""

import json
from pathlib import Path

import pandas as pd

import pytest

from crm.store import db
from crm.i18n import t
from ui.labels import as_label
from tests.fixtures.small_shop import build

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
LANGS = ["zh", "en"]


@pytest.fixture
def shop_db(tmp_path):
    path = tmp_path / "shop.duckdb"
    con = db.connect(path)
    build(con)
    con.close()
    return path


def order_count(path) -> int:
    con = db.connect(path)  # same process and configuration as the app's connection
    try:
        return db.table_counts(con)["orders"]
    finally:
        con.close()


def metric(at, key: str, lang: str) -> str:
    label = as_label(t(key, lang), lang)  # labels start with a capital in English
    return next(m.value for m in at.metric if m.label == label)


def upload(at, name: str, data: bytes, kind: str = "orders"):
    at.selectbox(key="data.import.kind").set_value(kind).run()
    at.get("file_uploader")[0].upload(name, data, "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", LANGS)
def test_renders_quality_and_empty_batches(open_app, shop_db, lang):
    at = open_app(lang, page="pages/data.py", db=shop_db)
    assert at.title[0].value == t("data.title", lang)
    assert metric(at, "quality.table.orders", lang) == "11"
    assert metric(at, "quality.table.customers", lang) == "5"
    assert any(i.value == t("data.batches.empty", lang) for i in at.info)


@pytest.mark.parametrize("lang", LANGS)
def test_import_reimport_and_undo(open_app, shop_db, lang):
    at = open_app(lang, page="pages/data.py", db=shop_db)
    data = (SAMPLES / "orders.csv").read_bytes()  # GBK, Chinese headers
    upload(at, "orders.csv", data)
    assert metric(at, "data.import.rows_total", lang) == "150"
    assert metric(at, "data.import.rows_accepted", lang) == "150"
    assert metric(at, "data.import.rows_rejected", lang) == "0"
    assert order_count(shop_db) == 11  # validated, nothing written yet

    at.button(key="data.import.commit").click().run()
    assert at.success, "no success message"
    assert order_count(shop_db) == 161
    assert metric(at, "quality.table.orders", lang) == "161"

    # The same file again: detected, and the import button is disabled.
    upload(at, "orders.csv", data)
    assert any(w.value == t("imports.report.already_imported", lang, batch=1) for w in at.warning)
    assert at.button(key="data.import.commit").disabled

    # Undo it.
    at.checkbox(key="data.batches.undo.confirm").check().run()
    at.button(key="data.batches.undo.button").click().run()
    assert any(s.value == t("data.batches.undone", lang, batch=1) for s in at.success)
    assert order_count(shop_db) == 11


@pytest.mark.parametrize("lang", LANGS)
def test_bad_files_get_a_message_in_the_language(open_app, shop_db, lang):
    at = open_app(lang, page="pages/data.py", db=shop_db)
    upload(at, "empty.csv", b"")
    assert at.error[0].value == t("imports.error.empty_file", lang, file="empty.csv")
    upload(at, "rows.csv", "会员ID,下单时间,实付金额\nA,2024-01-02,-5\nA,2024-13-40,5\nB,2024-01-03,abc\n".encode())
    assert metric(at, "data.import.rows_rejected", lang) == "3"
    assert at.button(key="data.import.commit").disabled
    assert order_count(shop_db) == 11


def test_unrecognised_headers_are_mapped_by_hand(open_app, shop_db):
    at = open_app("en", page="pages/data.py", db=shop_db)
    data = "who,when,how much\nA,2024-06-01,99.5\n".encode()
    upload(at, "odd.csv", data)
    assert "Missing required columns" in at.error[0].value
    prefix = f"data.import.mapping.odd.csv.{len(data)}.orders"
    at.selectbox(key=f"{prefix}.0").set_value("customer_id")
    at.selectbox(key=f"{prefix}.1").set_value("order_date")
    at.selectbox(key=f"{prefix}.2").set_value("amount").run()
    assert not at.error
    assert metric(at, "data.import.rows_accepted", "en") == "1"
    at.button(key="data.import.commit").click().run()
    assert order_count(shop_db) == 12


@pytest.mark.parametrize("lang", LANGS)
def test_import_preview_names_fields_for_people_and_shows_plain_dates(open_app, shop_db, lang):
    import datetime as dt

    from ui.labels import field_label

    at = open_app(lang, page="pages/data.py", db=shop_db)
    upload(at, "orders.csv", (SAMPLES / "orders.csv").read_bytes())
    preview = next(d for d in at.dataframe if field_label("order_date", lang) in d.value.columns)
    columns = list(preview.value.columns)
    assert not [c for c in columns if "_" in c]  # no customer_id, order_date …
    assert field_label("customer_id", lang) in columns and field_label("amount", lang) in columns
    if lang == "en":
        assert all(c[0].isupper() for c in columns)
    amount = json.loads(preview.proto.columns)[field_label("amount", lang)]["type_config"]["format"]
    assert amount == "¥%,.0f"
    day = preview.value[field_label("order_date", lang)].dropna().iloc[0]
    assert isinstance(day, (dt.date, pd.Timestamp))
    assert not (isinstance(day, pd.Timestamp) and day == day.normalize())  # a bare date never shows 00:00:00
