"""Churn risk page in both languages: the model card against crm/, the win-back list and its filters."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.formatting import format_money, format_number, format_percent
from crm.i18n import t
from crm.retention import churn, winback
from crm.store import access, db
from tests.app.conftest import metrics

LANGS = ["zh", "en"]


def open_churn(open_app, lang):
    return open_app(lang, page="pages/churn.py")


def open_tab(at, name):
    at.session_state["churn.tab"] = t(f"churn.tab.{name}", at.query_params["lang"])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def expected(demo_db, **kwargs):
    with access.reading(str(demo_db)) as con:
        as_of = dt.date.fromisoformat(kwargs.pop("as_of"))
        result = churn.score_churn(con, as_of=as_of, **kwargs)
        details = winback.customer_details(con, as_of)
        values = winback.customer_values(con, as_of)
    return result, details, values


@pytest.mark.parametrize("lang", LANGS)
def test_risk_tab_and_model_card(open_app, demo_db, lang):
    at = open_churn(open_app, lang)
    result, _, _ = expected(demo_db, as_of=at.query_params["as_of"])
    shown = metrics(at)
    recent = result.scores[result.scores["recency_days"] <= 90]
    assert shown[t("churn.metric.scored", lang)] == format_number(len(result.scores), lang)
    assert shown[t("churn.metric.recent", lang)] == format_number(len(recent), lang)
    assert shown[t("churn.metric.high", lang)] == format_number(int((recent["risk_band"] == "high").sum()), lang)
    top = next(d.value for d in at.dataframe if t("churn.col.churn_probability", lang) in d.value.columns)
    assert len(top) == min(200, len(recent))
    assert top[t("churn.col.customer_id", lang)].tolist() == recent["customer_id"].head(200).tolist()

    open_tab(at, "card")
    shown = metrics(at)
    card = result.card
    assert shown[t("churn.card.auc", lang)] == f"{card['auc']:.3f}"
    assert shown[t("churn.card.baseline", lang)] == f"{card['baseline_auc']:.3f}"
    assert shown[t("churn.card.lift", lang)] == f"{card['top_decile_lift']:.2f}×"
    assert shown[t("churn.card.estimator", lang)] == t(f"churn.estimator.{card['estimator']}", lang)
    texts = [m.value for m in at.markdown]
    assert any(format_number(card["holdout_rows"], lang) in text for text in texts)
    success = [s.value for s in at.success]
    warning = [w.value for w in at.warning]
    assert (t("churn.card.not_better", lang) in warning) == (not card["better_than_baseline"])
    assert any(f"{card['auc']:.3f}" in s for s in success) == card["better_than_baseline"]


@pytest.mark.parametrize("lang", LANGS)
def test_win_back_filters_change_the_count(open_app, demo_db, lang):
    at = open_tab(open_churn(open_app, lang), "winback")
    result, details, values = expected(demo_db, as_of=at.query_params["as_of"])
    table = winback.rank_win_back(result.scores, details, values).table
    count = t("churn.wb.customers", lang)
    assert metrics(at)[count] == format_number(len(table), lang)
    listing = next(d.value for d in at.dataframe if t("winback.col.at_stake", lang) in d.value.columns)
    assert listing[t("winback.col.customer_id", lang)].tolist() == table["customer_id"].head(2000).tolist()
    assert set(listing[t("winback.col.action", lang)]) <= {t(f"winback.action.{a}", lang) for a in winback.ACTIONS}
    at.multiselect(key="churn.wb.status").select("at_risk").run()
    at_risk = table[table["status"] == "at_risk"]
    assert metrics(at)[count] == format_number(len(at_risk), lang) != format_number(len(table), lang)
    at.slider(key="churn.wb.min_probability").set_value(80).run()
    high = at_risk[at_risk["churn_probability"] >= 0.8]
    assert metrics(at)[count] == format_number(len(high), lang)
    assert not at.exception


@pytest.mark.parametrize("lang", LANGS)
def test_horizon_retrains(open_app, demo_db, lang):
    at = open_tab(open_churn(open_app, lang), "card")
    at.selectbox(key="churn.horizon").set_value(60).run()
    result, _, _ = expected(demo_db, as_of=at.query_params["as_of"], horizon_days=60)
    assert metrics(at)[t("churn.card.auc", lang)] == f"{result.card['auc']:.3f}"
    assert any(t("churn.card.window", lang, cutoff="X", start="X", end="X", as_of="X", days=60).split("X")[0]
               in m.value for m in at.markdown)


@pytest.mark.parametrize("lang", LANGS)
def test_customer_360_shows_churn_risk(open_app, demo_db, lang):
    at = open_app(lang, page="pages/key_accounts.py")
    at.session_state["ka.tab"] = t("keyacc.tab.360", lang)  # only the open tab is drawn
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    customer = at.selectbox(key="ka.360.customer").value
    result, _, values = expected(demo_db, as_of=at.query_params["as_of"])
    row = result.scores.set_index("customer_id").loc[customer]
    shown = metrics(at)
    assert shown[t("c360.retention.churn", lang)] == format_percent(row["churn_probability"])
    if values is None:  # no lifetime-value model in this build: said, not hidden
        assert shown[t("c360.retention.clv", lang)] == "—"
        assert t("c360.retention.no_clv", lang) in [c.value for c in at.caption]
    else:
        value = values.set_index("customer_id").loc[customer]
        assert shown[t("c360.retention.p_alive", lang)] == format_percent(value["p_alive"])
        assert shown[t("c360.retention.clv", lang)] == format_money(value["clv"], lang, compact=True)
