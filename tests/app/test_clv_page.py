"""Lifetime value page in both languages: figures from crm, parameters and filters change them, backtest shown."""

import datetime as dt

import pytest

from crm.formatting import format_money, format_number, format_percent
from crm.i18n import t
from crm.retention import backtest, clv
from crm.store import access
from crm.store.filters import Filters
from tests.app.conftest import metrics

LANGS = ["zh", "en"]


def filters_of(at) -> Filters:
    q = at.query_params
    return Filters(start=dt.date.fromisoformat(q["start"]), end=dt.date.fromisoformat(q["end"]),
                   as_of=dt.date.fromisoformat(q["as_of"]),
                   provinces=tuple(q["prov"].split(",")) if "prov" in q else ())


def expected_report(demo_db, filters, **kw):
    with access.reading(demo_db) as con:  # as the app reads
        return clv.value_report(con, filters, **kw)


def open_clv(open_app, lang, **query):
    at = open_app(lang, page="pages/clv.py", **query)
    assert at.title[0].value == t("clv.title", lang)
    return at


def total_label(lang, months=12):
    return t("clv.kpi.total", lang, months=months)


@pytest.mark.parametrize("lang", LANGS)
def test_headline_figures_match_crm(open_app, demo_db, lang):
    at = open_clv(open_app, lang)
    report = expected_report(demo_db, filters_of(at))
    shown = metrics(at)
    table = report.value.table
    assert shown[t("clv.kpi.customers", lang)] == format_number(len(table), lang)
    assert shown[total_label(lang)] == format_money(table["clv"].sum(), lang, compact=True)
    assert shown[t("clv.kpi.expected_90", lang)] == format_number(table["expected_90"].sum(), lang)
    assert shown[t("clv.kpi.active", lang)] == format_percent((table["p_alive"] >= 0.5).mean())
    assert report.value.margin_source == "data"  # the demo knows its costs
    # every parameter is explained beside its value
    explained = at.table[0].value
    assert len(explained) == 7 and explained.iloc[:, -1].str.len().min() > 20


@pytest.mark.parametrize("lang", LANGS)
def test_a_filter_changes_the_figures(open_app, demo_db, lang):
    at = open_clv(open_app, lang)
    before = metrics(at)[t("clv.kpi.customers", lang)]
    at.multiselect(key="crm.filter.provinces").select("广东").run()
    assert not at.exception
    report = expected_report(demo_db, filters_of(at))
    after = metrics(at)[t("clv.kpi.customers", lang)]
    assert after != before and after == format_number(len(report.value.table), lang)


@pytest.mark.parametrize("lang", LANGS)
def test_parameters_change_the_value(open_app, demo_db, lang):
    at = open_clv(open_app, lang)
    at.number_input(key="clv.horizon").set_value(24).run()
    at.number_input(key="clv.margin").set_value(20.0).run()
    at.number_input(key="clv.discount").set_value(2.0).run()
    assert not at.exception
    report = expected_report(demo_db, filters_of(at), horizon_months=24, margin=0.2, monthly_discount=0.02)
    assert report.value.margin_source == "given"
    assert metrics(at)[total_label(lang, 24)] == format_money(report.value.table["clv"].sum(), lang, compact=True)


@pytest.mark.parametrize("lang", LANGS)
def test_top_customers_and_groups(open_app, demo_db, lang):
    at = open_clv(open_app, lang)
    report = expected_report(demo_db, filters_of(at))
    at.session_state["clv.tab"] = t("clv.tab.top", lang)
    at.run()
    top = next(d.value for d in at.dataframe if t("clv.col.p_alive", lang) in d.value.columns)
    clv_column = t("clv.col.clv", lang, months=12)
    assert len(top) == 100
    assert top[clv_column].iloc[0] == pytest.approx(report.value.table["clv"].max())
    at.session_state["clv.tab"] = t("clv.tab.groups", lang)
    at.run()
    at.radio(key="clv.group").set_value("tier").run()
    groups = next(d.value for d in at.dataframe if t("clv.col.clv_share", lang) in d.value.columns)
    assert groups[t("clv.col.customers", lang)].sum() == len(report.value.table)
    assert groups.iloc[:, 0].tolist()[0] == t("loyalty.tier.normal", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_backtest_is_shown_with_its_verdict(open_app, demo_db, lang):
    at = open_clv(open_app, lang)
    at.session_state["clv.tab"] = t("clv.tab.backtest", lang)
    at.run()
    assert not at.exception
    with access.reading(demo_db) as con:
        result = backtest.backtest(con, holdout_months=6, filters=filters_of(at))
    verdict = (at.error if result.poor_fit else at.success)[0].value
    assert format_percent(result.errors["total_error"], signed=True) in verdict
    assert metrics(at)[t("clv.backtest.metric.actual", lang)] == format_number(result.errors["total_actual"], lang)
    table = next(d.value for d in at.dataframe if t("clv.backtest.col.predicted", lang) in d.value.columns)
    assert table[t("clv.col.customers", lang)].tolist() == result.by_frequency["customers"].tolist()
    at.selectbox(key="clv.backtest.holdout").set_value(3).run()
    shorter = metrics(at)[t("clv.backtest.metric.actual", lang)]
    assert shorter != format_number(result.errors["total_actual"], lang)
