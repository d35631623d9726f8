"""The Data page's dimension step and templates in both languages: a file with unknown category and
channel values lists them with row counts and a select each; choices are imported and remembered."""

import pytest

from crm.i18n import t
from crm.store import db
from tests.app.test_data_page import LANGS, shop_db, upload  # noqa: F401 - shop_db is a fixture


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
    # the remembered mappings are listed on the page, dimension names translated
    assert at.expander[0].label == t("data.values.memory", lang, count="3")
    memory = next(d.value for d in at.dataframe if t("data.values.col.source_value", lang) in d.value.columns)
    category, channel = ("商品类目", "渠道") if lang == "zh" else ("Category", "Channel")
    assert memory.values.tolist() == [[category, "母婴", "美妆"], [category, "食品", "美食"], [channel, "天猫", "天猫旗舰店"]]
    assert list(memory.columns[:3]) == [t("data.values.col.dimension", lang), t("data.values.col.source_value", lang),
                                        t("data.values.col.target_value", lang)]


@pytest.mark.parametrize("lang", LANGS)
def test_template_downloads_for_each_kind(open_app, shop_db, lang):
    at = open_app(lang, page="pages/data.py", db=shop_db)
    for kind in ("customers", "orders", "tickets"):
        at.selectbox(key="data.import.kind").set_value(kind).run()
        buttons = [b.proto for b in at.get("download_button") if "data.import.template." in b.proto.id]
        assert [b.label for b in buttons] == [t("data.template.csv", lang), t("data.template.xlsx", lang)]
        assert [b.id.rsplit("-", 1)[1] for b in buttons] == [f"data.import.template.{kind}.{f}" for f in ("csv", "xlsx")]
