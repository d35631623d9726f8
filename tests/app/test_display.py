"""How numbers, money, months and colours look, in both languages, on every page (issue 6, §1.5 and §2.3–2.7)."""

from __future__ import annotations

import datetime as dt
import json
import re

import plotly.graph_objects as go
import pytest

from crm.i18n import t
from crm.periods import month_coverage
from crm.value import loyalty, rfm
from ui import components as ui

LANGS = ["zh", "en"]


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def figure_with(at, trace_type: str) -> dict:
    return next(f for f in figures(at) if any(tr["type"] == trace_type for tr in f["data"]))


def open_tab(at, name: str):
    at.session_state["seg.tab"] = t(f"segmentation.tab.{name}", at.query_params["lang"])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# ------------------------------------------------------------------ §2.5 money on charts
@pytest.mark.parametrize("lang", LANGS)
def test_money_axes_and_hover_follow_the_language(open_app, lang):
    at = open_app(lang)
    revenue = figures(at)[0]  # monthly revenue and profit
    ticks = revenue["layout"]["yaxis"]["ticktext"]
    assert all(text.startswith(("¥", "-¥")) for text in ticks)
    if lang == "zh":
        assert any(text.endswith("万") for text in ticks) and not any(re.search("[kKMB]$", x) for x in ticks)
    else:
        assert any(text.endswith(("K", "M")) for text in ticks) and not any("万" in x for x in ticks)
    bars = revenue["data"][0]
    hover = [row[0] for row in bars["customdata"]]
    assert all(h.startswith("¥") for h in hover)
    assert any(("万" in h) if lang == "zh" else h.endswith(("K", "M")) for h in hover)
    assert "customdata[0]" in bars["hovertemplate"]


def test_money_axis_helper_sets_ticks_from_stacked_totals():
    fig = go.Figure([go.Bar(x=["a", "b"], y=[30_000, 50_000], name="x"), go.Bar(x=["a", "b"], y=[40_000, 70_000])])
    fig.update_layout(barmode="stack")
    ui.money_axis(fig, "zh")
    assert list(fig.layout.yaxis.tickvals) == [0, 20_000, 40_000, 60_000, 80_000, 100_000, 120_000]  # stacked top
    assert list(fig.layout.yaxis.ticktext) == ["¥0", "¥2万", "¥4万", "¥6万", "¥8万", "¥10万", "¥12万"]
    assert [c[0] for c in fig.data[0].customdata] == ["¥3万", "¥5万"]


# ------------------------------------------------------------------ §1.5 partial months
@pytest.mark.parametrize("lang", LANGS)
def test_partial_months_are_hatched_dashed_and_named(open_app, lang):
    at = open_app(lang, start="2024-03-10", end="2024-09-20")
    assert at.query_params["start"] == "2024-03-10"
    expected = month_coverage(pd_months("2024-03", "2024-09"), start=dt.date(2024, 3, 10), end=dt.date(2024, 9, 20))
    assert expected["partial"].tolist() == [True, False, False, False, False, False, True]
    revenue, customers = figures(at)[:2]
    full, partial = revenue["data"][0], next(tr for tr in revenue["data"] if tr["type"] == "bar" and tr is not revenue["data"][0])
    # complete months in the solid bars, the two partial ones in a lighter, hatched trace of the same colour
    assert [y is None for y in full["y"]] == expected["partial"].tolist()
    assert [x[:7] for x in partial["x"]] == ["2024-03", "2024-09"]
    assert partial["marker"]["pattern"]["shape"] == "/" and partial["marker"]["opacity"] == ui.PARTIAL_OPACITY
    assert partial["marker"]["color"] == full["marker"]["color"] and partial["showlegend"] is False
    hatched = [tr for tr in customers["data"] if tr.get("marker", {}).get("pattern", {}).get("shape") == "/"]
    assert len(hatched) == 2  # new and returning customers
    dashed = [tr for tr in revenue["data"] if tr["type"] == "scatter" and tr.get("line", {}).get("dash") == "dash"]
    assert len(dashed) == 1  # the profit line's partial ends
    notes = [c.value for c in at.caption if "2024-09" in c.value]
    if lang == "zh":
        assert any("2024-03 从 03-10 起，不完整" in n and "2024-09 到 09-20 为止，不完整" in n for n in notes)
    else:
        assert any("2024-03 from 03-10 only, incomplete" in n and "2024-09 up to 09-20 only" in n for n in notes)


def pd_months(first: str, last: str):
    import pandas as pd

    return pd.date_range(f"{first}-01", f"{last}-01", freq="MS")


def test_whole_months_carry_no_note(open_app):
    at = open_app("zh", start="2024-03-01", end="2024-08-31")
    assert not any("不完整" in c.value for c in at.caption)
    assert not any("pattern" in tr.get("marker", {}) for tr in figures(at)[0]["data"])


# ------------------------------------------------------------------ §2.7 stable colours
def slice_colours(at) -> dict[str, str]:
    pie = figure_with(at, "pie")["data"][0]
    return dict(zip(pie["labels"], pie["marker"]["colors"]))


@pytest.mark.parametrize("lang", LANGS)
def test_category_colour_is_the_same_under_different_filters(open_app, lang):
    everything = slice_colours(open_app(lang))
    some = slice_colours(open_app(lang, cat="美妆,服装"))
    apparel = t("value.categories.服装", lang)
    assert set(some) == {apparel, t("value.categories.美妆", lang)}
    assert some[apparel] == everything[apparel] == ui.COLOURS["categories"]["服装"]
    assert len(set(everything.values())) == len(everything)  # no two categories share a colour


def test_tiers_in_tier_order_with_fixed_colours(open_app):
    at = open_tab(open_app("zh", page="pages/segments.py"), "tiers")
    bars = figure_with(at, "bar")
    names = [t(f"loyalty.tier.{name}", "zh") for name, _ in loyalty.DEFAULT_TIERS]
    shown = [tr["name"] for tr in bars["data"]]
    assert shown == [n for n in names if n in shown]  # 普通 → 银卡 → 金卡 → 钻石
    pie = figure_with(at, "pie")["data"][0]
    assert pie["sort"] is False and list(pie["labels"]) == [n for n in names if n in pie["labels"]]
    table = next(d.value for d in at.dataframe if t("segmentation.col.tier", "zh") in d.value.columns)
    assert table[t("segmentation.col.tier", "zh")].tolist() == list(pie["labels"])
    gold = t("loyalty.tier.gold", "zh")
    assert dict(zip(pie["labels"], pie["marker"]["colors"]))[gold] == ui.COLOURS["tiers"]["gold"]


@pytest.mark.parametrize("lang", LANGS)
def test_segment_mix_table_and_chart_share_the_segment_order(open_app, lang):
    at = open_tab(open_app(lang, page="pages/segments.py"), "who")
    order = [t(f"rfm.segment.{c}", lang) for c in rfm.SEGMENTS]
    chart = figure_with(at, "bar")
    legend = [tr["name"] for tr in chart["data"]]
    assert legend == [n for n in order if n in legend]
    colours = {tr["name"]: tr["marker"]["color"] for tr in chart["data"]}
    assert colours[t("rfm.segment.important_value", lang)] == ui.COLOURS["segments"]["important_value"]
    table = next(d.value for d in at.dataframe if t("segmentation.who.province", lang) in d.value.columns)
    assert list(table.columns[1:]) == legend


def test_rfm_treemap_keeps_table_order_and_segment_colours(open_app):
    at = open_app("zh", page="pages/segments.py")
    tree = figure_with(at, "treemap")["data"][0]
    order = [t(f"rfm.segment.{c}", "zh") for c in rfm.SEGMENTS]
    labels, colours = list(tree["labels"])[1:], list(tree["marker"]["colors"])[1:]  # [0]: the hidden root
    assert tree["parents"][0] == "" and set(tree["parents"][1:]) == {tree["labels"][0]}
    assert labels == [n for n in order if n in labels]
    assert tree["sort"] is False
    assert colours[0] == ui.COLOURS["segments"][rfm.SEGMENTS[order.index(labels[0])]]


# ------------------------------------------------------------------ §2.6 numbers in tables
def column_formats(frame_element) -> dict[str, dict]:
    config = json.loads(frame_element.proto.columns)
    return {name: spec.get("type_config", {}) for name, spec in config.items()}


@pytest.mark.parametrize("lang", LANGS)
def test_tables_format_money_counts_and_percent_one_rule(open_app, lang):
    at = open_app(lang)
    frame = at.dataframe[0]  # revenue by category
    formats = column_formats(frame)
    assert formats[t("overview.col.revenue", lang)]["format"] == "¥%,.0f"
    assert formats[t("overview.col.orders", lang)]["format"] == "%,d"  # thousands separators on counts
    assert formats[t("overview.col.customers", lang)]["format"] == "%,d"
    assert formats[t("overview.col.share", lang)]["format"] == "%.1f%%"  # one decimal, every percentage
    shares = frame.value[t("overview.col.share", lang)]
    assert abs(shares.sum() - 100) < 1e-6  # shown as percent points


def test_percent_cards_use_one_decimal(open_app):
    at = open_app("en", page="pages/key_accounts.py")
    values = [m.value for m in at.metric if m.value.endswith("%")]
    assert values and all(re.fullmatch(r"\d+\.\d%", v) for v in values)


# ------------------------------------------------------------------ §2.3 raw codes, §2.4 English in Chinese
def test_sidebar_lists_show_no_english_bulk_action(open_app):
    at = open_app("zh")
    for widget in at.multiselect:
        assert widget.proto.select_all == 0  # no "Select all" (an empty filter already means all)
        assert widget.placeholder == t("shell.filter.all", "zh")


@pytest.mark.parametrize("lang", LANGS)
def test_data_quality_shows_field_names_and_plain_dates(open_app, lang):
    at = open_app(lang, page="pages/data.py")
    ranges = next(d.value for d in at.dataframe if t("quality.col.first", lang) in d.value.columns)
    columns = set(ranges[t("quality.col.column", lang)])
    assert t("imports.field.order_date", lang).lower() in {c.lower() for c in columns}
    assert not any("_" in c for c in columns)  # no snake_case
    first = ranges[t("quality.col.first", lang)].iloc[0]
    assert isinstance(first, dt.date) and not isinstance(first, dt.datetime)  # no 00:00:00
    if lang == "en":
        assert all(c[0].isupper() for c in columns)
        assert all(m.label[0].isupper() for m in at.metric)


def test_customer_360_city_in_english(open_app):
    at = open_app("en", page="pages/key_accounts.py")
    at.session_state["ka.tab"] = t("keyacc.tab.360", "en")
    at.session_state["ka.360.search"] = "C"
    at.run()
    lines = " ".join(m.value for m in at.markdown)
    city = re.search(r"\*\*City\*\* ([^·]+)", lines)
    assert city and re.fullmatch(r"[A-Z][A-Za-z' ]+", city.group(1).strip()), lines


def test_monthly_table_flags_partial_months(open_app):
    at = open_app("en", start="2024-03-10", end="2024-09-20")
    monthly = next(d.value for d in at.dataframe if t("display.partial.col", "en") in d.value.columns)
    flags = monthly[t("display.partial.col", "en")].tolist()
    assert flags == ["Incomplete month"] + [""] * 5 + ["Incomplete month"]


def test_chinese_uploader_explains_the_english_button(open_app):
    at = open_app("zh", page="pages/data.py")
    assert any("Upload" in c.value and "1,024 MB" in c.value for c in at.caption)


def test_unlisted_values_get_a_colour_from_their_name_not_their_position():
    first = ui.colour_map("categories", ["食品", "服装", "母婴"])
    second = ui.colour_map("categories", ["母婴", "食品"])  # other filters, other order
    assert first["食品"] == second["食品"] and first["母婴"] == second["母婴"]
    assert first["服装"] == ui.COLOURS["categories"]["服装"]
    assert ui.colour("provinces", "广东") != ui.colour("provinces", "浙江")
    assert len({ui.colour("provinces", p) for p in ui.COLOURS["provinces"]}) == 31  # one each
    assert ui.colour("tiers", None) == ui.UNKNOWN_COLOUR
