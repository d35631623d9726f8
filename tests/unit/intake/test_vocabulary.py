"""Dimension values in imports: unknown values with counts, suggestions, mappings applied,
remembered across imports and undone with their batch; province names normalised.

The database is the small shop (tests/fixtures/small_shop.py): categories 服装 美妆 美食 家居,
channels 天猫旗舰店 京东 微信小程序 官网 线下门店, provinces 广东 北京 上海 浙江.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crm import cli
from crm.errors import CRMInputError
from crm.intake import imports, vocabulary
from crm.store import db

TODAY = dt.date(2025, 6, 30)
HEADER = "订单编号,会员ID,下单时间,实付金额,商品类目,渠道"
# the file: 食品 ×3, 母婴 ×1 (categories); 天猫 ×2, 门店 ×1, 抖音 ×1 (channels); 服装 and 京东 are known
ROWS = (
    "N1,A,2024-06-01,10,食品,天猫",
    "N2,A,2024-06-02,20,食品,门店",
    "N3,B,2024-06-03,30,母婴,抖音",
    "N4,B,2024-06-04,40,服装,京东",
    "N5,C,2024-06-05,50,食品,天猫",
)


def orders_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def prepare(con, data: bytes, kind: str = "orders", name: str = "new.csv", **kwargs) -> imports.ImportPlan:
    return imports.prepare_import(con, data, name, kind, today=TODAY, **kwargs)


def shown(plan) -> list[tuple]:
    """(dimension, value, rows, status, target, suggestion) of the values the report lists."""
    part = vocabulary.unknown_values(plan.values)
    return list(zip(part["dimension"], part["value"], part["rows"].tolist(), part["status"], part["target"],
                    part["suggestion"]))


def stored(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def mappings(con) -> list[tuple]:
    return stored(con, "SELECT dimension, source_value, target_value, batch_id FROM value_mappings ORDER BY 1, 2")


# --------------------------------------------------------------------------- detection and suggestions


def test_unknown_values_are_listed_with_row_counts_and_suggestions(shop):
    plan = prepare(shop, orders_file(*ROWS))
    assert plan.rows_accepted == 5
    assert shown(plan) == [
        ("category", "食品", 3, "new", None, "美食"),
        ("category", "母婴", 1, "new", None, None),
        ("channel", "天猫", 2, "new", None, "天猫旗舰店"),
        ("channel", "抖音", 1, "new", None, None),
        ("channel", "门店", 1, "new", None, "线下门店"),
    ]
    # known values are counted too but not listed
    known = plan.values.loc[plan.values["known"]]
    assert list(zip(known["value"], known["rows"])) == [("服装", 1), ("京东", 1)]
    # without a choice nothing is changed
    assert plan.accepted["category"].tolist() == ["食品", "食品", "母婴", "服装", "食品"]


def test_rejected_rows_are_not_counted(shop):
    plan = prepare(shop, orders_file("N1,A,2024-06-01,10,食品,天猫", "N2,A,2024-06-02,abc,食品,天猫"))
    assert plan.rows_rejected == 1
    assert shown(plan)[0][:3] == ("category", "食品", 1)


def test_tickets_have_no_dimension_values(shop):
    data = orders_file("K1,A,2024-01-01,投诉,抖音客服", header="工单号,客户编号,创建时间,工单类型,渠道")
    plan = prepare(shop, data, kind="tickets")
    assert plan.values.empty
    assert plan.accepted["channel"].tolist() == ["抖音客服"]


@pytest.mark.parametrize(("value", "dimension", "expected"), [
    ("天猫", "channel", "天猫旗舰店"),        # contained in a known value
    ("门店", "channel", "线下门店"),
    ("天猫旗舰店（北京）", "channel", "天猫旗舰店"),  # contains a known value
    ("Tmall", "channel", "天猫旗舰店"),       # contained in the English label
    ("JD.com", "channel", "京东"),            # equals the English label, ignoring punctuation
    ("food", "category", "美食"),
    ("Canton", "province", None),            # Latin text needs a close spelling (not Shandong)
    ("Guangdon", "province", "广东"),
    ("食品", "category", "美食"),             # one of two characters shared: ratio 0.5
    ("母婴", "category", None),
    ("抖音", "channel", None),
    ("", "channel", None),
    ("广东省广州市", "province", "广东"),
])
def test_suggestions(value, dimension, expected):
    known = {
        "channel": ["京东", "天猫旗舰店", "官网", "微信小程序", "线下门店"],
        "category": ["家居", "服装", "美妆", "美食"],
        "province": list(vocabulary.PROVINCES),
    }[dimension]
    assert vocabulary.suggest(value, known, dimension) == expected


def test_no_suggestion_without_known_values():
    assert vocabulary.suggest("食品", [], "category") is None


# --------------------------------------------------------------------------- choices applied


def test_choices_map_values_in_the_plan_and_in_the_database(shop):
    plan = prepare(shop, orders_file(*ROWS))
    chosen = imports.choose_values(plan, {"category": {"食品": "美食", "母婴": None},
                                          "channel": {"天猫": "天猫旗舰店", "门店": "线下门店"}})
    assert chosen.accepted["category"].tolist() == ["美食", "美食", "母婴", "服装", "美食"]
    assert chosen.accepted["channel"].tolist() == ["天猫旗舰店", "线下门店", "抖音", "京东", "天猫旗舰店"]
    assert [(d, v, s) for d, v, _, s, _, _ in shown(chosen)] == [
        ("category", "食品", "mapped"), ("category", "母婴", "new"),
        ("channel", "天猫", "mapped"), ("channel", "抖音", "new"), ("channel", "门店", "mapped"),
    ]
    # the original plan is unchanged (choices can be changed again)
    assert plan.accepted["category"].tolist()[0] == "食品"
    result = imports.commit_import(shop, chosen)
    assert result.inserted == 5
    assert stored(shop, "SELECT order_id, category, channel FROM orders WHERE batch_id = 1 ORDER BY 1") == [
        ("N1", "美食", "天猫旗舰店"), ("N2", "美食", "线下门店"), ("N3", "母婴", "抖音"), ("N4", "服装", "京东"),
        ("N5", "美食", "天猫旗舰店"),
    ]
    # 美食 revenue: O4 (50) + N1, N2, N5 (10 + 20 + 50)
    assert stored(shop, "SELECT sum(amount) FROM orders WHERE category = '美食'") == [(130,)]
    assert mappings(shop) == [
        ("category", "食品", "美食", 1), ("channel", "天猫", "天猫旗舰店", 1), ("channel", "门店", "线下门店", 1),
    ]


def test_prepare_takes_choices_and_rejects_unknown_dimensions(shop):
    plan = prepare(shop, orders_file(*ROWS), value_mapping={"channel": {"抖音": "官网"}})
    assert plan.accepted["channel"].tolist() == ["天猫", "门店", "官网", "京东", "天猫"]
    with pytest.raises(CRMInputError, match=r"“province” has no values to map here; dimensions: category, channel"):
        prepare(shop, orders_file(*ROWS), value_mapping={"province": {"广州": "广东"}})
    with pytest.raises(CRMInputError, match=r"“category” has no values to map here"):
        imports.choose_values(prepare(shop, orders_file("K1,A,2024-01-01", header="工单号,客户编号,创建时间"),
                                      kind="tickets"), {"category": {"a": "b"}})


def test_mapping_a_known_value_and_a_value_to_itself(shop):
    plan = prepare(shop, orders_file(*ROWS), value_mapping={"channel": {"京东": "天猫旗舰店", "天猫": "天猫"}})
    assert plan.accepted["channel"].tolist() == ["天猫", "门店", "抖音", "天猫旗舰店", "天猫"]
    assert ("channel", "京东", 1, "mapped", "天猫旗舰店", None) in shown(plan)
    assert ("channel", "天猫", 2, "new", None, "天猫旗舰店") in shown(plan)


# --------------------------------------------------------------------------- memory


def test_mappings_are_remembered_and_applied_at_the_next_import(shop):
    first = prepare(shop, orders_file(*ROWS), value_mapping={"category": {"食品": "美食"},
                                                              "channel": {"天猫": "天猫旗舰店"}})
    imports.commit_import(shop, first)
    second = prepare(shop, orders_file("M1,D,2024-06-10,5,食品,天猫", "M2,D,2024-06-11,6,母婴,快手"))
    assert shown(second) == [
        ("category", "食品", 1, "auto", "美食", "美食"),
        ("channel", "天猫", 1, "auto", "天猫旗舰店", "天猫旗舰店"),
        ("channel", "快手", 1, "new", None, None),
    ]  # 母婴 was kept as a new value by the first import: now known
    assert second.accepted["category"].tolist() == ["美食", "母婴"]
    assert second.accepted["channel"].tolist() == ["天猫旗舰店", "快手"]
    # a remembered mapping stays editable: 天猫 now kept, 食品 now 家居
    changed = imports.choose_values(second, {"channel": {"天猫": None}, "category": {"食品": "家居"}})
    assert changed.accepted["channel"].tolist() == ["天猫", "快手"]
    assert changed.accepted["category"].tolist() == ["家居", "母婴"]
    imports.commit_import(shop, changed)
    assert mappings(shop) == [("category", "食品", "家居", 2)]
    assert stored(shop, "SELECT source_value, target_value, batch_id, replaced_by FROM value_mappings_replaced "
                        "ORDER BY 1") == [("天猫", "天猫旗舰店", 1, 2), ("食品", "美食", 1, 2)]


def test_confirming_a_remembered_mapping_keeps_its_batch(shop):
    imports.commit_import(shop, prepare(shop, orders_file(*ROWS), value_mapping={"channel": {"天猫": "天猫旗舰店"}}))
    imports.commit_import(shop, prepare(shop, orders_file("M1,D,2024-06-10,5,食品,天猫"), name="second.csv"))
    assert mappings(shop) == [("channel", "天猫", "天猫旗舰店", 1)]
    assert stored(shop, "SELECT count(*) FROM value_mappings_replaced") == [(0,)]


def test_undo_removes_the_batchs_mappings_and_restores_the_ones_it_replaced(shop):
    one = imports.commit_import(shop, prepare(shop, orders_file(*ROWS), value_mapping={
        "category": {"食品": "美食"}, "channel": {"天猫": "天猫旗舰店", "门店": "线下门店"}}))
    two = imports.commit_import(shop, prepare(shop, orders_file("M1,D,2024-06-10,5,食品,天猫"), name="2.csv",
                                              value_mapping={"category": {"食品": "家居"}}))
    assert mappings(shop) == [("category", "食品", "家居", 2), ("channel", "天猫", "天猫旗舰店", 1),
                              ("channel", "门店", "线下门店", 1)]
    imports.undo_batch(shop, two.batch_id)
    # batch 2's choice goes, batch 1's mapping comes back
    assert mappings(shop) == [("category", "食品", "美食", 1), ("channel", "天猫", "天猫旗舰店", 1),
                              ("channel", "门店", "线下门店", 1)]
    assert stored(shop, "SELECT count(*) FROM value_mappings_replaced") == [(0,)]
    # the next import maps by batch 1's choices again
    again = prepare(shop, orders_file("M1,D,2024-06-10,5,食品,天猫"), name="3.csv")
    assert again.accepted["category"].tolist() == ["美食"]
    imports.undo_batch(shop, one.batch_id)
    assert mappings(shop) == []
    # with batch 1 undone, its values are unknown again and nothing is mapped automatically
    after = prepare(shop, orders_file(*ROWS), name="4.csv")
    assert [(v, s) for _, v, _, s, _, _ in shown(after)] == [
        ("食品", "new"), ("母婴", "new"), ("天猫", "new"), ("抖音", "new"), ("门店", "new")]


def test_undoing_an_earlier_batch_leaves_a_later_choice_and_forgets_its_own_versions(shop):
    one = imports.commit_import(shop, prepare(shop, orders_file(*ROWS), value_mapping={"category": {"食品": "美食"}}))
    three = imports.commit_import(shop, prepare(shop, orders_file("M1,D,2024-06-10,5,食品,官网"), name="2.csv",
                                                value_mapping={"category": {"食品": "家居"}}))
    imports.undo_batch(shop, one.batch_id)  # allowed: batch 2 replaced no rows of batch 1
    assert mappings(shop) == [("category", "食品", "家居", three.batch_id)]
    imports.undo_batch(shop, three.batch_id)
    # batch 1's 食品 → 美食 is not brought back: that batch is undone
    assert mappings(shop) == []
    assert stored(shop, "SELECT count(*) FROM value_mappings_replaced") == [(0,)]


def test_customers_share_the_channel_memory_with_orders(shop):
    imports.commit_import(shop, prepare(shop, orders_file(*ROWS), value_mapping={"channel": {"门店": "线下门店"}}))
    plan = prepare(shop, orders_file("Z1,门店,广东省", header="客户编号,渠道,省份"), kind="customers")
    assert shown(plan) == [("channel", "门店", 1, "auto", "线下门店", "线下门店")]
    assert plan.accepted[["channel", "province"]].values.tolist() == [["线下门店", "广东"]]


# --------------------------------------------------------------------------- provinces


@pytest.mark.parametrize(("text", "expected"), [
    ("广东省", "广东"), ("广西壮族自治区", "广西"), ("内蒙古自治区", "内蒙古"), ("北京市", "北京"),
    ("新疆维吾尔自治区", "新疆"), ("香港特别行政区", "香港"), ("宁夏回族自治区", "宁夏"), ("西藏自治区", "西藏"),
    ("澳门特别行政区", "澳门"), ("黑龙江省", "黑龙江"), ("广东 省", "广东"), ("上海", "上海"),
    ("Guangdong", "广东"), ("Guangdong Province", "广东"), ("guangdong sheng", "广东"), ("GUANGDONG", "广东"),
    ("Inner Mongolia Autonomous Region", "内蒙古"), ("Guangxi Zhuang Autonomous Region", "广西"),
    ("Xinjiang Uygur Autonomous Region", "新疆"), ("Tibet", "西藏"), ("Hong Kong SAR", "香港"),
    ("Beijing Municipality", "北京"), ("Shaanxi", "陕西"), ("Shanxi Province", "山西"), ("Macao", "澳门"),
])
def test_province_names_are_normalised(shop, text, expected):
    plan = prepare(shop, orders_file(f"Z1,{text}", header="客户编号,省份"), kind="customers")
    assert plan.accepted["province"].tolist() == [expected]
    # every provincial-level name is known, seen in the database or not
    assert shown(plan) == []


def test_unknown_provinces_stay_listed(shop):
    plan = prepare(shop, orders_file("Z1,广东省广州市", "Z2,Canton", "Z3,Canton", "Z4,广东省",
                                     header="客户编号,省份"), kind="customers")
    assert shown(plan) == [
        ("province", "Canton", 2, "new", None, None),
        ("province", "广东省广州", 1, "new", None, "广东"),  # the city's 市 is dropped like a province's
    ]
    chosen = imports.choose_values(plan, {"province": {"广东省广州": "广东"}})
    assert chosen.accepted["province"].tolist() == ["广东", "Canton", "Canton", "广东"]


# --------------------------------------------------------------------------- report and command line


def test_report_lists_values_in_both_languages(shop):
    imports.commit_import(shop, prepare(shop, orders_file(*ROWS), value_mapping={"channel": {"天猫": "天猫旗舰店"}}))
    plan = prepare(shop, orders_file("M1,D,2024-06-10,5,食品,天猫", "M2,D,2024-06-10,6,零食,线下",
                                     "M3,D,2024-06-10,7,零食,线下"), name="2.csv")
    en = imports.format_report(plan, "en").splitlines()
    assert en[2:] == [
        "Category values the database has not seen (1):",
        "  零食 (rows: 2): kept as a new value; closest known value: 美食 (--map-value category:零食=美食)",
        "Channel values the database has not seen (2):",
        "  线下 (rows: 2): kept as a new value; closest known value: 线下门店 (--map-value channel:线下=线下门店)",
        "  天猫 (rows: 1) → 天猫旗舰店 (mapped automatically, as chosen in an earlier import)",
    ]
    zh = imports.format_report(plan, "zh").splitlines()
    assert zh[2] == "数据库中尚未出现的商品类目值（1 个）："
    assert zh[6] == "  天猫（1 行）→ 天猫旗舰店（自动映射，沿用之前导入时的选择）"


def test_report_caps_long_lists():
    values = pd.DataFrame({
        "dimension": ["category"] * 25, "value": [f"v{i:02d}" for i in range(25)], "rows": [1] * 25,
        "known": [False] * 25, "suggestion": [None] * 25, "remembered": [None] * 25, "target": [None] * 25,
        "status": ["new"] * 25,
    })
    lines = vocabulary.report_lines(values, "en")
    assert len(lines) == 1 + 20 + 1
    assert lines[-1] == "  … and 5 more values"


@pytest.mark.parametrize(("text", "expected"), [
    ("category:食品=美食", ("category", "食品", "美食")),
    ("channel: 天猫 = 天猫旗舰店", ("channel", "天猫", "天猫旗舰店")),
    ("渠道:门店=线下门店", ("channel", "门店", "线下门店")),
    ("Province:Canton=广东", ("province", "Canton", "广东")),
    ("category:食品=", ("category", "食品", None)),
    ("category:a=b=c", ("category", "a", "b=c")),
])
def test_parse_choice(text, expected):
    assert vocabulary.parse_choice(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("食品=美食", r"Bad value mapping “食品=美食”: write DIMENSION:VALUE=TARGET"),
    ("category:食品", r"Bad value mapping “category:食品”"),
    ("category:=美食", r"Bad value mapping “category:=美食”"),
    ("brand:a=b", r"“brand” has no values to map here; dimensions: category, channel, province"),
])
def test_parse_choice_errors(text, message):
    with pytest.raises(CRMInputError, match=message):
        vocabulary.parse_choice(text)


def test_cli_map_value_is_applied_and_remembered(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CRM_LANG", "en")
    path = tmp_path / "cli.duckdb"
    con = db.connect(path)
    from tests.fixtures.small_shop import build

    build(con)
    con.close()
    file = tmp_path / "new.csv"
    file.write_bytes(orders_file(*ROWS))
    args = ["import", "orders", str(file), "--db", str(path)]
    assert cli.main(args + ["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "  食品 (rows: 3): kept as a new value; closest known value: 美食 (--map-value category:食品=美食)" in out
    assert cli.main(args + ["--map-value", "category:食品=美食", "--map-value", "渠道:天猫=天猫旗舰店",
                            "--map-value", "category:食物=美食"]) == 0
    captured = capsys.readouterr()
    assert captured.err.strip() == "Note: --map-value for category “食物” is not used: the file has no such value."
    out = captured.out
    assert "  食品 (rows: 3) → 美食" in out
    assert "Import done (batch 1): 5 rows added" in out
    con = db.connect(path)
    assert mappings(con) == [("category", "食品", "美食", 1), ("channel", "天猫", "天猫旗舰店", 1)]
    assert stored(con, "SELECT count(*) FROM orders WHERE category = '美食'") == [(4,)]
    con.close()
    assert cli.main(args + ["--map-value", "brand:x=y"]) == 2
    assert "“brand” has no values to map here" in capsys.readouterr().err


def test_demo_build_forgets_mappings(shop):
    from crm.intake import demo

    imports.commit_import(shop, prepare(shop, orders_file(*ROWS), value_mapping={"channel": {"天猫": "天猫旗舰店"}}))
    demo.build_demo(shop, customers=100, seed=1)
    assert mappings(shop) == []


def test_province_list_matches_the_demo_and_the_aliases():
    from crm.intake import demo

    assert {p[0] for p in demo.PROVINCES} <= set(vocabulary.PROVINCES)
    assert set(vocabulary.PROVINCE_ALIASES.values()) == set(vocabulary.PROVINCES)
    assert len(vocabulary.PROVINCES) == 34


def test_generated_message_keys_exist():
    from crm.i18n import has_key

    keys = [f"imports.values.line.{s}" for s in ("new", "suggest", "mapped", "auto")]
    keys += [f"imports.field.{d}" for d in vocabulary.ALL_DIMENSIONS]
    for lang in ("zh", "en"):
        assert [k for k in keys if not has_key(k, lang)] == []


def test_suggestions_only_for_the_most_frequent_unknown_values(shop, monkeypatch):
    monkeypatch.setattr(vocabulary, "SUGGEST_LIMIT", 1)
    plan = prepare(shop, orders_file(*ROWS))
    assert [(v, s) for _, v, _, _, _, s in shown(plan)] == [
        ("食品", "美食"), ("母婴", None), ("天猫", "天猫旗舰店"), ("抖音", None), ("门店", None)]
