"""Every sidebar filter on every page: what it changes, checked against crm/, or the panel's "not used" note.

Each test walks the filters one after another (period, as-of, province, channel,
category, gender, age band; each kept as the next is added) and after every step
compares a shown number with the crm/ function for the filters in the URL.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import connect_beside_app

from crm.formatting import format_date
from crm.i18n import t
from crm.store import db
from crm.store.filters import Filters
from crm.value import concentration, key_accounts, loyalty, overview, rfm
from crm.value.clusters import cluster_features
from tests.app.conftest import metrics
from ui.components import format_metric

PARAMS = {"provinces": "prov", "channels": "chan", "categories": "cat", "genders": "gender", "age_bands": "age"}
CHOICES = {"provinces": "广东", "channels": "天猫旗舰店", "categories": "美妆", "genders": "F", "age_bands": "25_34"}
STEPS = ["period", "as_of", *CHOICES]


def filters_of(at) -> Filters:
    q = at.query_params
    return Filters(
        start=dt.date.fromisoformat(q["start"]), end=dt.date.fromisoformat(q["end"]),
        as_of=dt.date.fromisoformat(q["as_of"]),
        **{d: tuple(q[p].split(",")) if p in q else () for d, p in PARAMS.items()},
    )


PERIOD_DAYS, END_GAP, AS_OF_GAP = 240, 30, 15


def apply(at, step: str, reference: dt.date) -> None:
    """One filter step.

    period: 240 days ending 30 days before the data's end (the as-of stays at the
    data's end); as_of: 15 days before the data's end (still after the period end);
    a dimension: its one CHOICES value, the previous dimension's choice cleared
    first, so every dimension is compared with the same baseline.
    """
    if step == "period":
        at.date_input(key="crm.filter.period").set_value(
            (reference - dt.timedelta(days=PERIOD_DAYS), reference - dt.timedelta(days=END_GAP))).run()
    elif step == "as_of":
        at.date_input(key="crm.filter.as_of").set_value(reference - dt.timedelta(days=AS_OF_GAP)).run()
    else:
        for other in CHOICES:
            if other != step and at.multiselect(key=f"crm.filter.{other}").value:
                at.multiselect(key=f"crm.filter.{other}").set_value([]).run()
        at.multiselect(key=f"crm.filter.{step}").select(CHOICES[step]).run()
    assert not at.exception, [e.value for e in at.exception]
    f = filters_of(at)
    if step == "period":
        assert (f.start, f.end, f.as_of) == (reference - dt.timedelta(days=PERIOD_DAYS),
                                             reference - dt.timedelta(days=END_GAP), reference)
    elif step == "as_of":
        assert f.as_of == reference - dt.timedelta(days=AS_OF_GAP) and f.end < f.as_of
    else:
        assert [d for d in CHOICES if getattr(f, d)] == [step] and getattr(f, step) == (CHOICES[step],)


def walk(at, reference, check) -> None:
    """Every step in turn; `check(step, before)` gets what `check` returned for the baseline."""
    state = check(None, None)
    baseline = None
    for step in STEPS:
        apply(at, step, reference)
        result = check(step, baseline if step in CHOICES else state)
        if step == "as_of":
            baseline = result
        state = result


def compute(demo_db, func, *args, **kwargs):
    con = connect_beside_app(demo_db)
    try:
        return func(con, *args, **kwargs)
    finally:
        con.close()


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def reference_of(at) -> dt.date:
    return dt.date.fromisoformat(at.query_params["end"])  # the default period ends on the latest order


# AppTest does not expose a display-only dataframe's key: find each table by a column it alone has
# (the first such table on the page: the key-account list comes before the alerts table).
TABLE_COLUMN = {
    "overview.table.category": "overview.dim.category", "ka.table": "keyacc.col.rank",
    "seg.rfm.summary": "segmentation.col.action", "seg.clusters.profiles": "segmentation.col.cluster",
    "seg.tiers.table": "segmentation.col.avg_points", "seg.who.table": "segmentation.who.age_band",
}


def table_by_key(at, key: str):
    column = t(TABLE_COLUMN[key], at.query_params["lang"])
    return next(d.value for d in at.dataframe if column in d.value.columns)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview_walks_every_filter(open_app, demo_db, lang):
    at = open_app(lang)
    revenue, complaints = t("overview.kpi.revenue", lang), t("overview.kpi.open_complaints", lang)
    orders_col = t("overview.col.orders", lang)

    def check(step, before):
        f = filters_of(at)
        kpis = compute(demo_db, overview.compute_kpis, f).set_index("metric")["current"]
        shown = metrics(at)
        assert shown[revenue] == format_metric("revenue", kpis["revenue"], lang)
        assert shown[complaints] == format_metric("open_complaints", kpis["open_complaints"], lang)
        by_category = table_by_key(at, "overview.table.category")
        assert by_category[orders_col].sum() == compute(demo_db, overview.breakdown, f, "category")["orders"].sum()
        assert t("overview.note.kpis", lang, as_of=format_date(f.as_of, lang)) in captions(at)
        if step == "as_of":  # only open complaints use it; the charts say so
            assert shown[revenue] == before[revenue]
            assert t("overview.note.charts", lang) in captions(at)
        elif step:
            assert shown[revenue] != before[revenue], step
        if step in ("channels", "categories"):  # complaints belong to customers: unchanged; the note says why
            assert shown[complaints] == before[complaints]
        return shown

    walk(at, reference_of(at), check)


def open_tab(at, name: str) -> None:
    at.session_state["seg.tab"] = t(f"segmentation.tab.{name}", at.query_params["lang"])
    at.run()


def _customers(table, lang) -> int:
    return int(table[t("segmentation.col.customers", lang)].sum())


def _rfm(at, demo_db, f, lang):
    """(customers, average recency of each class), shown and computed."""
    table = table_by_key(at, "seg.rfm.summary")
    expected = rfm.segment_summary(compute(demo_db, rfm.compute_rfm, f))
    recency = table[t("segmentation.col.avg_recency", lang)].round(6).tolist()
    return ((_customers(table, lang), recency),
            (int(expected["customers"].sum()), expected["avg_recency"].round(6).tolist()))


def _who(at, demo_db, f, lang):
    shown = table_by_key(at, "seg.who.table").drop(columns=t("segmentation.who.age_band", lang))
    return int(shown.to_numpy().sum()), len(compute(demo_db, rfm.compute_rfm, f))


def _clusters(at, demo_db, f, lang):
    shown = _customers(table_by_key(at, "seg.clusters.profiles"), lang)
    return shown, len(compute(demo_db, cluster_features, f))


def _value(at, demo_db, f, lang):
    return metrics(at)[t("segmentation.col.customers", lang)], f"{len(compute(demo_db, concentration.pareto, f)):,}"


def _tiers(at, demo_db, f, lang):
    return _customers(table_by_key(at, "seg.tiers.table"), lang), len(compute(demo_db, loyalty.compute_points, f))


# tab -> (shown and expected figure, the step the tab does not use, the note that says so)
SEGMENT_TABS = {
    "rfm": (_rfm, None, None),
    "who": (_who, None, None),
    "clusters": (_clusters, None, None),
    "value": (_value, "as_of", "segmentation.note.value"),
    "tiers": (_tiers, "period", "segmentation.note.tiers"),
}
# steps that move recency only, not who is counted (the RFM figure includes the recency itself)
SAME_POPULATION = {"who": {"as_of"}, "clusters": {"as_of"}}


@pytest.mark.parametrize("tab", list(SEGMENT_TABS))
def test_segment_tabs_walk_every_filter(open_app, demo_db, tab):
    lang = "zh" if tab in ("rfm", "tiers") else "en"
    at = open_app(lang, page="pages/segments.py")
    open_tab(at, tab)
    if tab == "who":
        at.radio(key="seg.who").set_value("age_band").run()
    figure, unused, note = SEGMENT_TABS[tab]

    def check(step, before):
        f = filters_of(at)
        shown, expected = figure(at, demo_db, f, lang)
        assert shown == expected, step
        if step is None:
            return shown
        if step == unused:
            assert shown == before
            assert t(note, lang, as_of=format_date(f.as_of, lang)) in captions(at)
        elif step in SAME_POPULATION.get(tab, ()):
            assert shown == before
        else:
            assert shown != before, step
        return shown

    walk(at, reference_of(at), check)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_key_accounts_walk_every_filter(open_app, demo_db, lang):
    at = open_app(lang, page="pages/key_accounts.py")
    accounts = t("keyacc.metric.accounts", lang)
    ids, days = t("keyacc.col.customer_id", lang), t("keyacc.col.days_since_last_order", lang)

    def check(step, before):
        f = filters_of(at)
        expected = compute(demo_db, key_accounts.select_key_accounts, f, by="revenue", top_share=0.05)
        shown = table_by_key(at, "ka.table")
        assert metrics(at)[accounts] == f"{expected.customers:,}"
        assert shown[ids].tolist() == expected.table["customer_id"].tolist()
        assert shown[days].tolist() == expected.table["days_since_last_order"].tolist()
        assert shown[t("keyacc.col.open_complaints", lang)].tolist() == expected.table["open_complaints"].tolist()
        assert t("keyacc.note.list", lang, as_of=format_date(f.as_of, lang)) in captions(at)
        if step == "as_of":  # the same accounts, measured 15 days earlier
            assert shown[ids].tolist() == before[ids].tolist()
            assert (before[days] - shown[days]).eq(AS_OF_GAP).all()
        elif step:
            assert shown[ids].tolist() != before[ids].tolist(), step
        return shown

    walk(at, reference_of(at), check)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_as_of_before_the_period_end_is_moved_with_a_note(open_app, lang):
    at = open_app(lang)
    reference = reference_of(at)
    early = reference - dt.timedelta(days=100)
    at.date_input(key="crm.filter.as_of").set_value(early).run()
    assert at.query_params["as_of"] == reference.isoformat()  # moved to the period end
    assert at.date_input(key="crm.filter.as_of").value == reference
    note = t("shell.filter.as_of.moved", lang, chosen=early.isoformat(), end=reference.isoformat())
    assert note in [w.value for w in at.sidebar.warning]
    # a valid change clears the note
    at.date_input(key="crm.filter.period").set_value((early - dt.timedelta(days=60), early)).run()
    at.date_input(key="crm.filter.as_of").set_value(early).run()
    assert at.query_params["as_of"] == early.isoformat()
    assert not at.sidebar.warning


def test_as_of_before_the_period_end_in_a_link_is_moved(open_app):
    at = open_app("en", start="2026-01-01", end="2026-06-30", as_of="2026-03-01")
    assert at.query_params["as_of"] == "2026-06-30"
    assert any("2026-03-01" in w.value for w in at.sidebar.warning)
