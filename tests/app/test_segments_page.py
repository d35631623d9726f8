"""Segmentation page in both languages: RFM table, filters, drill-down, tabs, exports."""

import datetime as dt

import pytest

from crm.store import access, db
from crm.value import rfm
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
