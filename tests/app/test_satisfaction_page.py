"""The satisfaction page in both languages: headline figures, filters and waves change them, every tab draws."""

import datetime as dt
from dataclasses import replace

import pytest

from crm.formatting import format_number, format_percent
from crm.i18n import t
from crm.satisfaction import index, scores, surveys
from crm.store import access, db
from crm.store.filters import Filters
from tests.app.conftest import metrics

LANGS = ["zh", "en"]
PAGE = "pages/satisfaction.py"
TABS = ("questions", "csi", "reliability", "drivers", "trend", "breakdowns", "comments", "loyalty", "callback")


def shown_filters(at) -> Filters:
    q = at.query_params
    return Filters(start=dt.date.fromisoformat(q["start"]), end=dt.date.fromisoformat(q["end"]),
                   as_of=dt.date.fromisoformat(q["as_of"]),
                   provinces=tuple(q["prov"].split(",")) if "prov" in q else ())


def wave_ids(demo_db) -> list[str]:
    with access.reading(demo_db) as con:
        return surveys.waves(con, "客户满意度调查")["survey_id"].tolist()


def headline(demo_db, ids, filters):
    with access.reading(demo_db) as con:
        return scores.headline(con, tuple(ids), filters)


@pytest.mark.parametrize("lang", LANGS)
def test_headline_of_the_latest_wave(open_app, demo_db, lang):
    at = open_app(lang, page=PAGE)
    assert at.title[0].value == t("satisfaction.title", lang)
    latest = wave_ids(demo_db)[-1]
    assert at.selectbox(key="sat.wave").value == latest
    expected = headline(demo_db, [latest], shown_filters(at))
    shown = metrics(at)
    assert shown[t("satisfaction.kpi.responses", lang)] == format_number(expected["responses"], lang)
    assert shown[t("satisfaction.kpi.csat", lang)] == format_percent(expected["csat"])
    assert shown[t("satisfaction.kpi.nps", lang)] == format_number(expected["nps"], lang, decimals=1)
    assert expected["responses"] > 20


@pytest.mark.parametrize("lang", LANGS)
def test_province_filter_changes_responses(open_app, demo_db, lang):
    at = open_app(lang, page=PAGE)
    label = t("satisfaction.kpi.responses", lang)
    before = metrics(at)[label]
    at.multiselect(key="crm.filter.provinces").select("广东").run()
    assert not at.exception
    after = metrics(at)[label]
    assert after != before
    expected = headline(demo_db, [wave_ids(demo_db)[-1]], shown_filters(at))
    assert after == format_number(expected["responses"], lang)
    assert shown_filters(at).provinces == ("广东",)


@pytest.mark.parametrize("lang", LANGS)
def test_wave_selection_changes_the_figures(open_app, demo_db, lang):
    at = open_app(lang, page=PAGE)
    ids = wave_ids(demo_db)
    label = t("satisfaction.kpi.responses", lang)
    at.selectbox(key="sat.wave").set_value(ids[2]).run()
    assert not at.exception
    first = headline(demo_db, [ids[2]], shown_filters(at))
    assert metrics(at)[label] == format_number(first["responses"], lang)
    at.selectbox(key="sat.wave").set_value("__all__").run()
    everything = headline(demo_db, ids, shown_filters(at))
    assert metrics(at)[label] == format_number(everything["responses"], lang)
    assert everything["responses"] > first["responses"]


@pytest.mark.parametrize("lang", LANGS)
def test_every_tab_draws(open_app, demo_db, lang):
    at = open_app(lang, page=PAGE)
    for name in TABS:
        at.session_state["sat.tab"] = t(f"satisfaction.tab.{name}", lang)
        at.run()
        assert not at.exception, (name, [e.value for e in at.exception])
        assert len(at.dataframe) + len(at.info) >= 1, name
    # the CSI tab shows the index with the default weights
    at.session_state["sat.tab"] = t("satisfaction.tab.csi", lang)
    at.run()
    with access.reading(demo_db) as con:
        value = index.csi(index.dimension_scores(con, (wave_ids(demo_db)[-1],), shown_filters(at)))
    assert metrics(at)[t("satisfaction.csi.value", lang)] == format_number(value, lang, decimals=1)


def test_callback_list_masks_contacts(open_app, demo_db):
    at = open_app("zh", page=PAGE)
    at.session_state["sat.tab"] = t("satisfaction.tab.callback", "zh")
    at.run()
    table = at.dataframe[0].value
    phones = table[t("keyacc.col.phone", "zh")].dropna()
    assert len(phones) > 0 and phones.str.contains(r"\*\*\*\*").all()


def test_empty_state_without_surveys(open_app, tmp_path):
    from tests.fixtures import small_shop

    path = tmp_path / "nosurvey.duckdb"
    con = db.connect(path)
    small_shop.build(con)
    con.close()
    for lang in LANGS:
        at = open_app(lang, page=PAGE, db=path)
        assert t("satisfaction.empty", lang) in [i.value for i in at.info]
        assert not at.metric


HOSTILE = "**立即领取** [奖品](http://evil.example) <img src=x onerror=alert(1)> =HYPERLINK(\"x\")"


@pytest.fixture
def survey_db(tmp_path):
    """The small shop with a two-wave survey (tests/fixtures/survey_shop.py) and a hostile comment."""
    from tests.fixtures import small_shop, survey_shop

    path = tmp_path / "survey.duckdb"
    con = db.connect(path)
    small_shop.build(con)
    survey_shop.build(con)
    con.execute("UPDATE survey_answers SET value_text = ? WHERE response_id = 'R2' AND question_id = 'q10'", [HOSTILE])
    con.close()
    return path


@pytest.mark.parametrize("lang", LANGS)
def test_small_survey_waves_and_literal_comments(open_app, survey_db, lang):
    at = open_app(lang, page=PAGE, db=survey_db)
    label = t("satisfaction.kpi.responses", lang)
    shown = metrics(at)
    assert at.selectbox(key="sat.wave").value == "S2"
    assert shown[label] == "5" and shown[t("satisfaction.kpi.csat", lang)] == "60.0%"
    assert shown[t("satisfaction.kpi.nps", lang)] == format_number(0.0, lang, decimals=1)
    at.selectbox(key="sat.wave").set_value("S1").run()
    assert metrics(at)[label] == "1"
    at.selectbox(key="sat.wave").set_value("S2").run()
    at.session_state["sat.tab"] = t("satisfaction.tab.comments", lang)
    at.run()
    assert not at.exception
    listed = at.dataframe[0].value
    assert HOSTILE in listed[t("satisfaction.col.comment", lang)].tolist()
    at.session_state["sat.tab"] = t("satisfaction.tab.csi", lang)
    at.run()
    # CSI with the survey's stated importance: (4.2 × 61.67 + 3.4 × 60) ÷ 7.6
    quality = (100 + 425 / 6 + 25 / 3 + 50 + 475 / 6) / 5
    assert metrics(at)[t("satisfaction.csi.value", lang)] == format_number((4.2 * quality + 3.4 * 60) / 7.6, lang,
                                                                            decimals=1)
