"""The overview page in both languages: renders, filters change numbers, URL round-trips."""

import datetime as dt

import pytest

from crm.store import db
from crm.value import overview
from crm.store.filters import Filters
from crm.i18n import t
from tests.app.conftest import metrics
from ui.components import format_metric

LANGS = ["zh", "en"]


def expected(demo_db, filters: Filters, metric: str, lang: str) -> str:
    con = db.connect(demo_db)  # same process as the app: same configuration
    try:
        row = overview.compute_kpis(con, filters).set_index("metric").loc[metric]
    finally:
        con.close()
    return format_metric(metric, row["current"], lang)


def shown_filters(at) -> Filters:
    q = at.query_params
    return Filters(
        start=dt.date.fromisoformat(q["start"]), end=dt.date.fromisoformat(q["end"]),
        as_of=dt.date.fromisoformat(q["as_of"]),
        provinces=tuple(q["prov"].split(",")) if "prov" in q else (),
        categories=tuple(q["cat"].split(",")) if "cat" in q else (),
    )


@pytest.mark.parametrize("lang", LANGS)
def test_renders_kpis_in_language(open_app, demo_db, lang):
    at = open_app(lang)
    assert at.title[0].value == t("overview.title", lang)
    shown = metrics(at)
    assert len(shown) == 9
    revenue_label = t("overview.kpi.revenue", lang)
    assert shown[revenue_label] == expected(demo_db, shown_filters(at), "revenue", lang)
    assert at.query_params["lang"] == lang
    # the default period is the 12 months up to the latest order
    assert at.query_params["end"] == at.query_params["as_of"]


@pytest.mark.parametrize("lang", LANGS)
def test_province_filter_changes_revenue(open_app, demo_db, lang):
    at = open_app(lang)
    label = t("overview.kpi.revenue", lang)
    before = metrics(at)[label]
    at.multiselect(key="crm.filter.provinces").select("广东").run()
    after = metrics(at)[label]
    assert after != before
    assert at.query_params["prov"] == "广东"
    assert after == expected(demo_db, shown_filters(at), "revenue", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_shared_link_opens_the_same_view(open_app, demo_db, lang):
    at = open_app(lang, start="2026-01-01", end="2026-06-30", cat="美妆")
    f = shown_filters(at)
    assert (f.start, f.end, f.categories) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30), ("美妆",))
    assert at.multiselect(key="crm.filter.categories").value == ["美妆"]
    label = t("overview.kpi.orders", lang)
    assert metrics(at)[label] == expected(demo_db, f, "orders", lang)


def test_filters_survive_page_switch(open_app):
    at = open_app("en")
    at.multiselect(key="crm.filter.genders").select("F").run()
    revenue = metrics(at)["Revenue"]
    at.switch_page("pages/data.py").run()
    assert not at.exception
    at.switch_page("pages/overview.py").run()
    assert at.multiselect(key="crm.filter.genders").value == ["F"]
    assert metrics(at)["Revenue"] == revenue
    assert at.query_params["gender"] == "F"


def test_language_switch_and_reset(open_app):
    at = open_app("en")
    at.multiselect(key="crm.filter.provinces").select("北京").run()
    at.radio(key="crm.lang").set_value("zh").run()
    assert at.title[0].value == "经营总览"
    assert at.query_params["lang"] == "zh"
    at.button(key="crm.filter.reset").click().run()
    assert at.multiselect(key="crm.filter.provinces").value == []
    assert "prov" not in at.query_params


def test_tables_and_downloads_present(open_app):
    at = open_app("en")
    assert len(at.dataframe) >= 2  # the open breakdown tab's table and the monthly table
    labels = [b.label for b in at.get("download_button")]
    assert "Download CSV" in labels and "Download Excel" in labels


@pytest.mark.parametrize("lang", LANGS)
def test_only_the_open_breakdown_tab_is_drawn(open_app, demo_db, lang):
    """One breakdown chart and table per run (the first tab by default), the one picked after a switch."""
    at = open_app(lang)
    assert len(at.get("plotly_chart")) == 3  # the two monthly trends and the open tab's chart
    f = shown_filters(at)
    con = db.connect(demo_db)
    try:
        by_channel = overview.breakdown(con, f, "channel")
        by_category = overview.breakdown(con, f, "category")
    finally:
        con.close()
    first = at.dataframe[0].value
    assert len(first) == len(by_category)
    assert first.iloc[:, 1].sum() == pytest.approx(float(by_category["revenue"].sum()))
    at.session_state["overview.tab"] = t("overview.tab.channel", lang)
    at.run()
    assert len(at.get("plotly_chart")) == 3
    shown = at.dataframe[0].value
    assert len(shown) == len(by_channel)
    assert shown.iloc[:, 1].sum() == pytest.approx(float(by_channel["revenue"].sum()))


def test_empty_filters_show_help(open_app):
    # A one-day period with an as-of in the far past of the data: no orders that day for this mix.
    at = open_app("en", start="2023-11-17", end="2023-11-17", prov="西藏", cat="美食")
    assert metrics(at)["Revenue"] == "¥0.00"
    assert any("No data for these filters" in i.value for i in at.info)


@pytest.mark.parametrize("lang", LANGS)
def test_empty_database_points_to_data_page(open_app, tmp_path, lang):
    empty = tmp_path / "empty.duckdb"
    db.connect(empty).close()
    at = open_app(lang, db=empty)
    assert at.warning[0].value == t("common.empty.no_data", lang)


@pytest.mark.parametrize("locale, lang", [("en-US", "en"), ("zh-CN", "zh"), ("zh-TW", "zh"), ("de-DE", "en"),
                                          ("fr-FR", "en")])
def test_language_follows_the_browser_locale(demo_db, monkeypatch, locale, lang):
    """Without lang= in the URL, the browser's locale chooses: Chinese locales 中文, every other English."""
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT

    monkeypatch.setenv("CRM_DB", str(demo_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.context["locale"] = locale
    at.run()
    assert at.title[0].value == t("overview.title", lang)
    assert at.query_params["lang"] == lang


@pytest.mark.parametrize("param, locale, lang", [
    ("fr", "zh-CN", "en"), ("de", None, "en"), ("en", "zh-CN", "en"), ("zh", "de-DE", "zh"), ("zh-TW", "en-US", "zh"),
])
def test_lang_parameter_wins_over_the_browser(demo_db, monkeypatch, param, locale, lang):
    """?lang= decides when present: zh (any Chinese form) gives 中文, any other value English."""
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT

    monkeypatch.setenv("CRM_DB", str(demo_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if locale:
        at.context["locale"] = locale
    at.query_params["lang"] = param
    at.run()
    assert at.title[0].value == t("overview.title", lang)
    assert at.query_params["lang"] == lang


def test_no_parameter_and_no_locale_gets_chinese(demo_db, monkeypatch):
    """Nothing to go on (a client that sends no locale): the home market's language."""
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT

    monkeypatch.setenv("CRM_DB", str(demo_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert at.title[0].value == t("overview.title", "zh")
    assert at.query_params["lang"] == "zh"
