"""The retention page in both languages: heatmap, curves, repeat buying and lifecycle follow the filters."""

from __future__ import annotations

import base64
import datetime as dt
import json

import numpy as np

import pytest

from crm.formatting import format_number, format_percent
from crm.i18n import t
from crm.retention import cohorts, lifecycle, repeat
from crm.store import access
from crm.store.filters import Filters
from tests.app.conftest import metrics
from tests.app.test_no_raw_missing import raw_missing_shown

LANGS = ["zh", "en"]
PAGE = "pages/retention.py"


def shown_filters(at) -> Filters:
    q = at.query_params
    return Filters(
        start=dt.date.fromisoformat(q["start"]), end=dt.date.fromisoformat(q["end"]),
        as_of=dt.date.fromisoformat(q["as_of"]),
        provinces=tuple(q["prov"].split(",")) if "prov" in q else (),
        categories=tuple(q["cat"].split(",")) if "cat" in q else (),
    )


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def plain(value):
    """Plotly's JSON typed array ({"dtype", "bdata", "shape"}) as nested lists; other values unchanged."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return array.tolist()
    return value


def heatmap(at) -> dict:
    trace = next(tr for f in figures(at) for tr in f["data"] if tr["type"] == "heatmap")
    return {key: plain(value) for key, value in trace.items()}


def trace_values(trace: dict, axis: str) -> list:
    return plain(trace[axis])


def read(demo_db, func, *args, **kwargs):
    with access.reading(demo_db) as con:  # as the app reads
        return func(con, *args, **kwargs)


def open_tab(at, name: str, lang: str):
    at.session_state["ret.tab"] = t(f"retention.tab.{name}", lang)
    return at.run()


@pytest.mark.parametrize("lang", LANGS)
def test_heatmap_rows_are_the_cohorts_with_their_sizes(open_app, demo_db, lang):
    at = open_app(lang, page=PAGE)
    assert not at.exception
    assert at.title[0].value == t("retention.title", lang)
    table = read(demo_db, cohorts.cohort_table, shown_filters(at))
    trace = heatmap(at)
    sizes = table.groupby("cohort")["cohort_size"].first()
    clipped = table.groupby("cohort")["cohort_clipped"].first()
    assert trace["y"] == [t("retention.heatmap.row", lang, cohort=c.strftime("%Y-%m") + ("*" if clipped[c] else ""),
                            size=format_number(sizes[c], lang)) for c in sizes.index]
    second = table[table["period"] == 1].iloc[0]
    assert trace["z"][0][1] == pytest.approx(second["retention"])
    assert trace["text"][0][0] == "100%"
    assert len(at.get("plotly_chart")) == 2  # heatmap and curves: only the open tab is drawn
    assert raw_missing_shown(at) == []


@pytest.mark.parametrize("lang", LANGS)
def test_province_filter_changes_the_cohort_sizes(open_app, demo_db, lang):
    at = open_app(lang, page=PAGE)
    before = heatmap(at)["y"][1]
    at.multiselect(key="crm.filter.provinces").select("广东").run()
    f = shown_filters(at)
    assert f.provinces == ("广东",)
    table = read(demo_db, cohorts.cohort_table, f)
    after = heatmap(at)["y"][1]
    assert after != before
    size = table.groupby("cohort")["cohort_size"].first().iloc[1]
    assert format_number(size, lang) in after


@pytest.mark.parametrize("lang", LANGS)
def test_unbounded_counts_and_revenue_views(open_app, demo_db, lang):
    at = open_app(lang, page=PAGE)
    table = read(demo_db, cohorts.cohort_table, shown_filters(at))
    first = table[table["cohort"] == table["cohort"].min()]
    at.radio(key="ret.definition").set_value("unbounded").run()
    assert heatmap(at)["z"][0][:3] == pytest.approx(first["unbounded_retention"].tolist()[:3])
    at.radio(key="ret.values").set_value("customers").run()
    assert heatmap(at)["z"][0][:3] == first["unbounded_customers"].tolist()[:3]
    at.radio(key="ret.values").set_value("revenue").run()
    assert heatmap(at)["z"][0][:3] == pytest.approx(first["cumulative_revenue_per_customer"].tolist()[:3])
    text = heatmap(at)["text"][0][0]
    assert text.startswith("¥") and (("万" in text) or lang == "en" or float(text[1:].replace(",", "")) < 10_000)
    at.radio(key="ret.by").set_value("quarter").run()
    quarters = read(demo_db, cohorts.cohort_table, shown_filters(at), by="quarter")
    assert len(heatmap(at)["y"]) == quarters["cohort"].nunique()


@pytest.mark.parametrize("lang", LANGS)
def test_split_by_channel_shows_one_channel(open_app, demo_db, lang):
    at = open_app(lang, page=PAGE)
    at.selectbox(key="ret.split").set_value("acquisition_channel").run()
    table = read(demo_db, cohorts.cohort_table, shown_filters(at), split="acquisition_channel")
    largest = table[table["period"] == 0].groupby("segment")["cohort_size"].sum().idxmax()
    assert at.selectbox(key="ret.segment.acquisition_channel").value == largest
    mine = table[table["segment"] == largest]
    sizes = mine.groupby("cohort")["cohort_size"].first()
    assert format_number(sizes.iloc[0], lang) in heatmap(at)["y"][0]
    # the split's average curves are in the legend (hidden until picked)
    names = [tr["name"] for f in figures(at) for tr in f["data"] if tr.get("visible") == "legendonly"]
    assert len(names) == min(8, table["segment"].nunique())


@pytest.mark.parametrize("lang", LANGS)
def test_repeat_tab_numbers_follow_the_filters(open_app, demo_db, lang):
    at = open_tab(open_app(lang, page=PAGE), "repeat", lang)
    assert not at.exception
    label = t("retention.repeat.rate", lang)
    f = shown_filters(at)
    summary = read(demo_db, repeat.repeat_summary, f)
    assert metrics(at)[label] == format_percent(summary.repeat_rate)
    assert metrics(at)[t("retention.repeat.conversion", lang, days=90)] == format_percent(summary.conversion(90))
    at.multiselect(key="crm.filter.provinces").select("广东").run()
    canton = read(demo_db, repeat.repeat_summary, shown_filters(at))
    assert metrics(at)[label] == format_percent(canton.repeat_rate)
    assert canton.buyers < summary.buyers
    gaps = read(demo_db, repeat.gap_distribution, shown_filters(at))
    median = repeat.gap_quantile(gaps, 0.5)
    assert any(t("retention.repeat.median", lang, days=median) == a.get("text")
               for fig in figures(at) for a in fig["layout"].get("annotations", []))
    assert raw_missing_shown(at) == []


@pytest.mark.parametrize("lang", LANGS)
def test_lifecycle_threshold_stages_and_sankey(open_app, demo_db, lang):
    at = open_tab(open_app(lang, page=PAGE), "lifecycle", lang)
    assert not at.exception
    f = shown_filters(at)
    derived = read(demo_db, lifecycle.churn_threshold, f)
    assert any(i.value == t("retention.threshold.derived", lang, days=derived.days, pct=90,
                            gaps=format_number(derived.gaps, lang), median=derived.median_gap) for i in at.info)
    result = read(demo_db, lifecycle.lifecycle, f, derived.days)
    bars = next(fig for fig in figures(at) if any(tr["type"] == "bar" for tr in fig["data"]))
    churned = next(tr for tr in bars["data"] if tr["name"] == t("retention.stage.churned", lang))
    expected = result.counts[result.counts["stage"] == "churned"]["customers"].tolist()
    assert result.partial_last  # the demo's last month ends on 11-15: drawn apart (hatched), not in the main bars
    assert trace_values(churned, "y") == [*expected[:-1], None]
    hatched = [tr for tr in bars["data"] if tr.get("marker", {}).get("pattern")]
    assert [plain(tr["y"])[0] for tr in hatched if tr["name"] == churned["name"]] == expected[-1:]
    assert churned["marker"]["color"] == "#94a3b8"  # the stage's fixed colour
    sankey = next(tr for fig in figures(at) for tr in fig["data"] if tr["type"] == "sankey")
    last = result.flows[result.flows["month"] == result.months[-1]]
    assert sum(plain(sankey["link"]["value"])) == int(last["customers"].sum())
    # editing the threshold changes the stages
    key = f"ret.threshold.{derived.days}"
    at.number_input(key=key).set_value(derived.days * 2).run()
    edited = read(demo_db, lifecycle.lifecycle, f, derived.days * 2)
    bars = next(fig for fig in figures(at) if any(tr["type"] == "bar" for tr in fig["data"]))
    churned = next(tr for tr in bars["data"] if tr["name"] == t("retention.stage.churned", lang))
    assert trace_values(churned, "y")[:-1] == edited.counts[edited.counts["stage"] == "churned"]["customers"].tolist()[:-1]
    assert any(t("retention.threshold.edited", lang, days=derived.days * 2, derived=derived.days) == c.value
               for c in at.caption)
    assert raw_missing_shown(at) == []


def test_empty_period_shows_help(open_app):
    at = open_app("en", page=PAGE, start="2023-11-17", end="2023-11-17", prov="西藏", cat="美食")
    assert any("No data for these filters" in i.value for i in at.info)
    for name in ("repeat", "lifecycle"):
        at = open_tab(at, name, "en")
        assert not at.exception
        assert any("No data for these filters" in i.value for i in at.info)
