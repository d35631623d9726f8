"""Segmentation page in both languages: RFM table, filters, drill-down, tabs, exports."""

import datetime as dt

import pandas as pd
import pytest

from crm.store import access, db
from crm.value import clusters, profiles, rfm
from crm.store.filters import Filters
from crm.i18n import t

LANGS = ["zh", "en"]


def filters_of(at) -> Filters:
    q = at.query_params
    return Filters(start=dt.date.fromisoformat(q["start"]), end=dt.date.fromisoformat(q["end"]),
                   as_of=dt.date.fromisoformat(q["as_of"]),
                   provinces=tuple(q["prov"].split(",")) if "prov" in q else ())


def expected_rfm(demo_db, filters, **kw):
    with access.reading(demo_db) as con:  # as the app reads
        return rfm.compute_rfm(con, filters, **kw)


# AppTest does not expose a display-only dataframe's key: find each table by a column it alone has.
TABLE_COLUMN = {
    "seg.rfm.summary": "segmentation.col.action", "seg.drill.table": "segmentation.col.last_order",
    "seg.clusters.profiles": "segmentation.col.cluster", "seg.abc": "segmentation.col.abc_class",
    "seg.tiers.table": "segmentation.col.avg_points", "seg.who.table": "segmentation.who.province",
}


def table(at, key, lang=None):
    lang = lang or at.query_params["lang"]
    column = t(TABLE_COLUMN[key], lang)
    return next(d.value for d in at.dataframe if column in d.value.columns)


def open_segments(open_app, lang, **query):
    at = open_app(lang, page="pages/segments.py", **query)
    assert at.title[0].value == t("segmentation.title", lang)
    return at


@pytest.mark.parametrize("lang", LANGS)
def test_rfm_summary_matches_crm(open_app, demo_db, lang):
    at = open_segments(open_app, lang)
    summary = table(at, "seg.rfm.summary")
    assert len(summary) == 8
    names = [t(f"rfm.segment.{c}", lang) for c in rfm.SEGMENTS]
    assert summary.iloc[:, 0].tolist() == names
    expected = rfm.segment_summary(expected_rfm(demo_db, filters_of(at)))
    assert summary[t("segmentation.col.customers", lang)].tolist() == expected["customers"].tolist()


@pytest.mark.parametrize("lang", LANGS)
def test_filter_changes_segments(open_app, demo_db, lang):
    at = open_segments(open_app, lang)
    col = t("segmentation.col.customers", lang)
    before = table(at, "seg.rfm.summary")[col].sum()
    at.multiselect(key="crm.filter.provinces").select("广东").run()
    after = table(at, "seg.rfm.summary")[col].sum()
    assert after < before
    assert after == len(expected_rfm(demo_db, filters_of(at)))


@pytest.mark.parametrize("lang", LANGS)
def test_drill_down_lists_the_segment(open_app, demo_db, lang):
    at = open_segments(open_app, lang)
    scores = expected_rfm(demo_db, filters_of(at))
    at.selectbox(key="seg.drill").set_value("important_winback").run()
    listing = table(at, "seg.drill.table")
    assert len(listing) == int((scores["segment"] == "important_winback").sum())
    labels = [b.label for b in at.get("download_button")]
    assert t("common.download.csv", lang) in labels and t("common.download.xlsx", lang) in labels


def test_quartiles_and_median(open_app, demo_db):
    at = open_segments(open_app, "en")
    at.radio(key="seg.bins").set_value(4).run()
    at.radio(key="seg.split").set_value("median").run()
    expected = rfm.segment_summary(expected_rfm(demo_db, filters_of(at), bins=4, split="median"))
    assert table(at, "seg.rfm.summary")["Customers"].tolist() == expected["customers"].tolist()


def open_tab(at, name: str):
    """Select a tab of the page (only the open tab is drawn)."""
    at.session_state["seg.tab"] = t(f"segmentation.tab.{name}", at.query_params["lang"])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_only_the_open_tab_is_drawn(open_app):
    at = open_segments(open_app, "en")
    assert len(table(at, "seg.rfm.summary")) == 8
    assert not [d for d in at.dataframe if t(TABLE_COLUMN["seg.abc"], "en") in d.value.columns]
    open_tab(at, "value")
    assert not [d for d in at.dataframe if t(TABLE_COLUMN["seg.rfm.summary"], "en") in d.value.columns]


def test_other_tabs_render(open_app):
    at = open_segments(open_app, "en")
    rfm_customers = table(at, "seg.rfm.summary")["Customers"].sum()
    open_tab(at, "value")
    abc = table(at, "seg.abc")
    assert abc["ABC class"].tolist() == ["A", "B", "C"]
    assert abc["Customers"].sum() == rfm_customers
    at.number_input(key="seg.a").set_value(70).run()
    assert table(at, "seg.abc")["Customers"].iloc[0] < abc["Customers"].iloc[0]
    open_tab(at, "clusters")
    assert len(table(at, "seg.clusters.profiles")) >= 2
    at.selectbox(key="seg.k").set_value(3).run()
    assert len(table(at, "seg.clusters.profiles")) == 3
    open_tab(at, "tiers")
    assert table(at, "seg.tiers.table")["Customers"].sum() >= rfm_customers
    open_tab(at, "who")
    assert len(table(at, "seg.who.table")) > 0


# ------------------------------------------------------------------ clusters tab
def chart_spec(at, key: str) -> dict:
    """The Plotly figure a page drew with `key` (AppTest keeps charts as unknown elements)."""
    import json

    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key))
    return json.loads(chart.proto.spec)


def values(array) -> list:
    """A Plotly array, plain or typed (base64 'bdata'), as a list."""
    import base64

    import numpy as np

    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def expected_clusters(demo_db, filters, **kw):
    with access.reading(demo_db) as con:  # as the app reads
        return profiles.cluster_analysis(con, filters, **kw)


# The 1,500-customer test demo (seed 11), default period: four clusters at k = 4.
DEMO_NAMES = {"zh": ["高频高值", "沉睡高值", "新近客户", "低频低值"],
              "en": ["Frequent high spenders", "Dormant high spenders", "Recent buyers", "Occasional low spenders"]}


@pytest.mark.parametrize("lang", LANGS)
def test_clusters_are_named_from_their_profiles(open_app, demo_db, lang):
    at = open_tab(open_segments(open_app, lang), "clusters")
    result = expected_clusters(demo_db, filters_of(at))
    names = clusters.name_clusters(result.levels, lang)
    shown = table(at, "seg.clusters.profiles")
    assert shown[t("segmentation.col.cluster", lang)].tolist() == [names[c] for c in sorted(names)] == DEMO_NAMES[lang]
    assert shown[t("segmentation.clusters.number", lang)].tolist() == [1, 2, 3, 4]
    assert shown[t("segmentation.col.customers", lang)].tolist() == result.profiles["customers"].tolist()
    assert shown[t("segmentation.col.customers", lang)].sum() == len(expected_rfm(demo_db, filters_of(at)))
    # the charts name the clusters the same way, in the same order
    sizes = chart_spec(at, "seg.chart.cluster_sizes")
    assert [trace["name"] for trace in sizes["data"]] == DEMO_NAMES[lang]
    assert [values(trace["x"])[0] for trace in sizes["data"]] == result.profiles["customers"].tolist()
    assert sizes["layout"]["xaxis"]["tickformat"] == ",d"  # whole customers on the size axis
    profile = chart_spec(at, "seg.chart.cluster_profile")
    assert [trace["name"] for trace in profile["data"]] == DEMO_NAMES[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_silhouette_of_every_k_is_shown_and_the_used_k_marked(open_app, demo_db, lang):
    at = open_tab(open_segments(open_app, lang), "clusters")
    result = expected_clusters(demo_db, filters_of(at))
    assert result.n_clusters == result.best_k == 4
    assert {m.label: m.value for m in at.metric}[t("segmentation.clusters.chosen", lang)] == "4"
    spec = chart_spec(at, "seg.chart.silhouette")
    bars = {trace["name"]: dict(zip(values(trace["x"]), values(trace["y"]))) for trace in spec["data"]}
    assert list(bars[t("segmentation.clusters.k_in_use", lang)]) == ["4"]
    drawn = {**bars[t("segmentation.clusters.k_in_use", lang)], **bars[t("segmentation.clusters.k_other", lang)]}
    assert sorted(drawn, key=int) == ["3", "4", "5", "6", "7", "8"]
    assert {int(k): v for k, v in drawn.items()} == pytest.approx(result.silhouette_scores)
    assert max(drawn, key=drawn.get) == "4"
    captions = [c.value for c in at.caption]
    assert t("segmentation.clusters.best_k", lang, k=4, low=3, high=8) in captions
    # the seed and the extra features wait in the collapsed "advanced" expander
    advanced = next(e for e in at.expander if e.label == t("segmentation.clusters.advanced", lang))
    assert [w.key for w in advanced.number_input] == ["seg.seed"]
    assert [w.key for w in advanced.multiselect] == ["seg.extra"]

    # overriding k: six named clusters, silhouette still shown for the whole range, 6 marked
    at.selectbox(key="seg.k").set_value(6).run()
    shown = table(at, "seg.clusters.profiles")[t("segmentation.col.cluster", lang)].tolist()
    expected = expected_clusters(demo_db, filters_of(at), n_clusters=6)
    names = clusters.name_clusters(expected.levels, lang)
    assert shown == [names[c] for c in range(1, 7)] and len(set(shown)) == 6
    spec = chart_spec(at, "seg.chart.silhouette")
    marked = next(tr for tr in spec["data"] if tr["name"] == t("segmentation.clusters.k_in_use", lang))
    assert values(marked["x"]) == ["6"]
    assert t("segmentation.clusters.override", lang, k=6, best=4, low=3, high=8) in [c.value for c in at.caption]


def test_cluster_seed_lives_in_advanced_and_gives_the_same_result_for_the_same_seed(open_app, demo_db):
    at = open_tab(open_segments(open_app, "en"), "clusters")
    first = table(at, "seg.clusters.profiles")
    at.number_input(key="seg.seed").set_value(0).run()
    pd.testing.assert_frame_equal(table(at, "seg.clusters.profiles"), first)
    at.number_input(key="seg.seed").set_value(3).run()
    again = expected_clusters(demo_db, filters_of(at), random_state=3)
    assert table(at, "seg.clusters.profiles")["Customers"].tolist() == again.profiles["customers"].tolist()


@pytest.mark.parametrize("lang", LANGS)
def test_treemap_is_tall_and_labels_every_tile_readably(open_app, demo_db, lang):
    at = open_segments(open_app, lang)
    spec = chart_spec(at, "seg.chart.treemap")
    assert spec["layout"]["height"] >= 500
    trace = spec["data"][0]
    assert trace["textfont"]["size"] >= 16
    assert trace["texttemplate"][1:] == ["<b>%{label}</b><br>%{text}"] * (len(trace["labels"]) - 1)
    summary = rfm.segment_summary(expected_rfm(demo_db, filters_of(at)))
    summary = summary[summary["customers"] > 0]
    tiles = dict(zip(trace["labels"][1:], trace["text"][1:]))  # [0]: the hidden root
    total = summary["customers"].sum()
    for code, customers in zip(summary["segment"], summary["customers"]):
        text = tiles[t(f"rfm.segment.{code}", lang)]
        assert text == f"{customers:,} · {customers / total:.0%}"  # every tile: bold name, customers, share
