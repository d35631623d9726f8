"""The Data page in both languages: upload, validate, import, re-import, undo, bad files, mapping."""

from pathlib import Path

import pytest

from crm.store import db
from crm.i18n import t
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
    label = t(key, lang)
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


UNKNOWN_VALUES = (
    "订单编号,会员ID,下单时间,实付金额,商品类目,渠道\n"
    "N1,A,2024-06-01,10,食品,天猫\nN2,A,2024-06-02,20,食品,门店\nN3,B,2024-06-03,30,母婴,抖音\n"
    "N4,B,2024-06-04,40,服装,京东\nN5,C,2024-06-05,50,食品,天猫\n"
).encode()


def stored(path, sql: str) -> list[tuple]:
    con = db.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("lang", LANGS)
def test_unknown_values_are_listed_mapped_and_remembered(open_app, shop_db, lang):
    at = open_app(lang, page="pages/data.py", db=shop_db)
    upload(at, "unknown.csv", UNKNOWN_VALUES)
    prefix = f"data.import.values.unknown.csv.{len(UNKNOWN_VALUES)}.orders"
    assert any(w.value == t("data.values.warning", lang, count="5") for w in at.warning)
    boxes = {s.key.removeprefix(prefix + "."): s for s in at.selectbox if s.key and s.key.startswith(prefix)}
    assert sorted(boxes) == ["category.母婴", "category.食品", "channel.天猫", "channel.抖音", "channel.门店"]
    assert boxes["category.食品"].label == t("data.values.label", lang, value="食品", rows="3")
    assert boxes["category.母婴"].label == t("data.values.label.one", lang, value="母婴")
    # the closest known value is preselected; values without one are kept
    assert {k: b.value for k, b in boxes.items()} == {
        "category.食品": "美食", "category.母婴": "", "channel.天猫": "天猫旗舰店", "channel.抖音": "", "channel.门店": "线下门店",
    }
    assert boxes["category.食品"].format_func("美食") == t(
        "data.values.suggested", lang, value="美食" if lang == "zh" else "Food · 美食")
    assert boxes["channel.抖音"].format_func("") == t("data.values.keep", lang)
    # choose: 母婴 → 美妆, 门店 kept as a new value
    boxes["category.母婴"].set_value("美妆")
    boxes["channel.门店"].set_value("").run()
    assert not at.exception
    at.button(key="data.import.commit").click().run()
    assert stored(shop_db, "SELECT order_id, category, channel FROM orders WHERE batch_id = 1 ORDER BY 1") == [
        ("N1", "美食", "天猫旗舰店"), ("N2", "美食", "门店"), ("N3", "美妆", "抖音"), ("N4", "服装", "京东"),
        ("N5", "美食", "天猫旗舰店"),
    ]
    assert stored(shop_db, "SELECT dimension, source_value, target_value FROM value_mappings ORDER BY 1, 2") == [
        ("category", "母婴", "美妆"), ("category", "食品", "美食"), ("channel", "天猫", "天猫旗舰店"),
    ]

    # The next file: remembered choices are applied and shown as such; 门店 is known now.
    data = "会员ID,下单时间,实付金额,商品类目,渠道\nD,2024-06-10,5,母婴,天猫\n".encode()
    upload(at, "next.csv", data)
    prefix = f"data.import.values.next.csv.{len(data)}.orders"
    boxes = {s.key.removeprefix(prefix + "."): s for s in at.selectbox if s.key and s.key.startswith(prefix)}
    assert {k: b.value for k, b in boxes.items()} == {"category.母婴": "美妆", "channel.天猫": "天猫旗舰店"}
    assert [c.value for c in at.caption].count(t("data.values.auto", lang)) == 2
    assert not any(w.value.startswith(t("data.values.warning", lang, count="")[:3]) for w in at.warning)
    at.button(key="data.import.commit").click().run()
    assert stored(shop_db, "SELECT category, channel FROM orders WHERE batch_id = 2") == [("美妆", "天猫旗舰店")]


@pytest.mark.parametrize("lang", LANGS)
def test_template_downloads_for_each_kind(open_app, shop_db, lang):
    at = open_app(lang, page="pages/data.py", db=shop_db)
    for kind in ("customers", "orders", "tickets"):
        at.selectbox(key="data.import.kind").set_value(kind).run()
        buttons = [b.proto for b in at.get("download_button") if "data.import.template." in b.proto.id]
        assert [b.label for b in buttons] == [t("data.template.csv", lang), t("data.template.xlsx", lang)]
        assert [b.id.rsplit("-", 1)[1] for b in buttons] == [f"data.import.template.{kind}.{f}" for f in ("csv", "xlsx")]
