"""Key accounts page in both languages: selection, shares, alerts, customer 360."""

import datetime as dt

import pytest

from crm.store import access, db
from crm.value import key_accounts
from crm.store.filters import Filters
from crm.formatting import format_percent
from crm.i18n import t

LANGS = ["zh", "en"]


def filters_of(at) -> Filters:
    q = at.query_params
    return Filters(start=dt.date.fromisoformat(q["start"]), end=dt.date.fromisoformat(q["end"]),
                   as_of=dt.date.fromisoformat(q["as_of"]))


def listing(at, lang="en"):
    """The key-account table (it alone has a rank column and no alert column)."""
    rank, alert = t("keyacc.col.rank", lang), t("keyacc.col.reason", lang)
    return next(d.value for d in at.dataframe if rank in d.value.columns and alert not in d.value.columns)


def alert_tables(at, lang="en"):
    return [d.value for d in at.dataframe if t("keyacc.col.reason", lang) in d.value.columns]


def metric(at, key, lang):
    return next(m.value for m in at.metric if m.label == t(key, lang))


@pytest.mark.parametrize("lang", LANGS)
def test_top_share_selection_matches_crm(open_app, demo_db, lang):
    at = open_app(lang, page="pages/key_accounts.py")
    assert at.title[0].value == t("keyacc.title", lang)
    with access.reading(demo_db) as con:  # as the app reads
        expected = key_accounts.select_key_accounts(con, filters_of(at), by="revenue", top_share=0.05)
        top50 = key_accounts.select_key_accounts(con, filters_of(at), by="revenue", top_n=50)
    assert metric(at, "keyacc.metric.accounts", lang) == f"{expected.customers:,}"
    assert metric(at, "keyacc.metric.revenue_share", lang) == format_percent(expected.revenue_share)
    shown = listing(at, lang)
    assert shown[t("keyacc.col.customer_id", lang)].tolist() == expected.table["customer_id"].tolist()

    at.radio(key="ka.mode").set_value("top_n").run()
    at.number_input(key="ka.top_n").set_value(50).run()
    assert metric(at, "keyacc.metric.accounts", lang) == "50"
    assert metric(at, "keyacc.metric.revenue_share", lang) == format_percent(top50.revenue_share)


@pytest.mark.parametrize("lang", LANGS)
def test_customer_360(open_app, lang):
    at = open_app(lang, page="pages/key_accounts.py")
    first = listing(at, lang)[t("keyacc.col.customer_id", lang)].iloc[0]
    at.selectbox(key="ka.360.customer").set_value(first).run()
    assert any(first in s.value for s in at.subheader)
    assert metric(at, "keyacc.col.orders", lang) != "—"



@pytest.mark.parametrize("lang", LANGS)
def test_customer_360_tickets_are_translated(open_app, demo_db, lang):
    at = open_app(lang, page="pages/key_accounts.py")
    listed = listing(at, lang)[t("keyacc.col.customer_id", lang)].tolist()
    with access.reading(demo_db) as con:  # as the app reads
        with_tickets = set(db.query(con, "SELECT DISTINCT customer_id FROM tickets")["customer_id"])
    customer = next(c for c in listed if c in with_tickets)
    at.selectbox(key="ka.360.customer").set_value(customer).run()
    tickets = next(d.value for d in at.dataframe if t("keyacc.360.col.ticket_id", lang) in d.value.columns)
    types = set(tickets[t("keyacc.360.col.type", lang)])
    allowed = {t(f"keyacc.360.type.{c}", lang) for c in ("complaint", "consultation", "after_sales", "other")}
    assert types and types <= allowed


def test_search_and_alerts(open_app):
    at = open_app("en", page="pages/key_accounts.py")
    target = listing(at)["Customer ID"].iloc[3]
    at.text_input(key="ka.search").input(target).run()
    assert listing(at)["Customer ID"].tolist() == [target]
    at.number_input(key="ka.inactive").set_value(1).run()  # accounts without an order on the as-of day
    alerts = alert_tables(at)
    assert alerts and len(alerts[0]) >= 1


def test_invalid_thresholds_explain(open_app):
    at = open_app("en", page="pages/key_accounts.py")
    at.radio(key="ka.mode").set_value("thresholds").run()
    at.number_input(key="ka.min_revenue").set_value(0.0).run()
    # revenue ≥ 0 and no order minimum selects every buyer of the period
    assert metric(at, "keyacc.metric.customer_share", "en") == "100.0%"


@pytest.mark.parametrize("lang", LANGS)
def test_sidebar_filter_changes_key_accounts(open_app, demo_db, lang):
    at = open_app(lang, page="pages/key_accounts.py")
    before = metric(at, "keyacc.metric.accounts", lang)
    at.multiselect(key="crm.filter.categories").select("美妆").run()
    f = filters_of(at)
    f = Filters(start=f.start, end=f.end, as_of=f.as_of, categories=("美妆",))
    with access.reading(demo_db) as con:  # as the app reads
        expected = key_accounts.select_key_accounts(con, f, by="revenue", top_share=0.05)
    after = metric(at, "keyacc.metric.accounts", lang)
    assert after != before
    assert after == f"{expected.customers:,}"
    assert set(listing(at, lang)[t("keyacc.col.customer_id", lang)]) == set(expected.table["customer_id"])
