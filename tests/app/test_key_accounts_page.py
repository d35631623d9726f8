"""Key accounts page in both languages: selection, shares, alerts, customer 360."""

import datetime as dt

import pytest

from tests.conftest import connect_beside_app

from crm.store import access, db
from crm.value import customer360, key_accounts
from crm.store.filters import Filters
from crm.formatting import format_date, format_money, format_number, format_percent
from crm.i18n import t

LANGS = ["zh", "en"]


def filters_of(at) -> Filters:
    q = at.query_params
    return Filters(start=dt.date.fromisoformat(q["start"]), end=dt.date.fromisoformat(q["end"]),
                   as_of=dt.date.fromisoformat(q["as_of"]))


def ranked_tables(at, lang):
    """The key-account list, then the alerts table when there is one (both have a rank column)."""
    return [d.value for d in at.dataframe if t("keyacc.col.rank", lang) in d.value.columns]


def listing(at, lang="en"):
    return ranked_tables(at, lang)[0]


def open_tab(at, name: str, lang: str):
    """Open a key-accounts tab (only the open tab is drawn)."""
    at.session_state["ka.tab"] = t(f"keyacc.tab.{name}", lang)
    return at.run()


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
    open_tab(at, "360", lang)
    at.selectbox(key="ka.360.customer").set_value(first).run()
    assert any(first in s.value for s in at.subheader)
    lifetime_orders = t("scope.lifetime", lang, label=t("keyacc.col.orders", lang))
    assert next(m.value for m in at.metric if m.label == lifetime_orders) != "—"


@pytest.mark.parametrize("lang", LANGS)
def test_customer_360_shows_all_time_and_this_period(open_app, demo_db, lang):
    """The list's period figures and the 360's lifetime figures are both shown, each labelled with its scope."""
    at = open_app(lang, page="pages/key_accounts.py")
    row = listing(at, lang).iloc[0]
    customer = row[t("keyacc.col.customer_id", lang)]
    open_tab(at, "360", lang)
    at.selectbox(key="ka.360.customer").set_value(customer).run()
    shown = {m.label: m.value for m in at.metric}
    con = connect_beside_app(demo_db)
    try:
        lifetime = db.query(con, "SELECT revenue, orders, profit FROM customer_features WHERE customer_id = $c",
                            {"c": customer}).iloc[0]
        period = customer360.period_totals(con, customer, filters_of(at))
    finally:
        con.close()
    period_label = lambda key: t("scope.period", lang, label=t(f"keyacc.col.{key}", lang))  # noqa: E731
    lifetime_label = lambda key: t("scope.lifetime", lang, label=t(f"keyacc.col.{key}", lang))  # noqa: E731
    # this period = the list's row
    assert period["revenue"] == pytest.approx(row[period_label("revenue")])
    assert period["orders"] == row[period_label("orders")]
    assert shown[period_label("revenue")] == format_money(period["revenue"], lang, compact=True)
    assert shown[period_label("orders")] == format_number(period["orders"], lang)
    assert shown[period_label("profit")] == format_money(period["profit"], lang, compact=True)
    assert shown[lifetime_label("revenue")] == format_money(lifetime["revenue"], lang, compact=True)
    assert shown[lifetime_label("orders")] == format_number(int(lifetime["orders"]), lang)
    assert shown[lifetime_label("profit")] == format_money(lifetime["profit"], lang, compact=True)
    assert lifetime["revenue"] >= period["revenue"]
    # open complaints on the as-of date, as in the list
    complaints = f"**{t('keyacc.col.open_complaints', lang)}** {row[t('keyacc.col.open_complaints', lang)]}"
    assert any(complaints in m.value for m in at.markdown)
    f = filters_of(at)
    note = t("keyacc.note.360", lang, start=format_date(f.start, lang), end=format_date(f.end, lang))
    assert note in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", LANGS)
def test_list_columns_acted_on_first_and_picker(open_app, lang):
    at = open_app(lang, page="pages/key_accounts.py")
    table = at.dataframe[0]
    order = list(table.proto.column_order)
    expected = [t("keyacc.col.rank", lang), t("keyacc.col.name", lang),
                t("scope.period", lang, label=t("keyacc.col.revenue", lang)), t("keyacc.col.change", lang),
                t("keyacc.col.trend", lang), t("keyacc.col.reason", lang), t("keyacc.col.segment", lang),
                t("keyacc.col.tier", lang), t("keyacc.col.open_complaints", lang), t("keyacc.col.last_order_date", lang)]
    assert order == expected
    assert t("keyacc.col.customer_id", lang) not in order  # technical columns are picked, not shown by default
    at.multiselect(key="ka.columns").select("customer_id").run()
    assert list(at.dataframe[0].proto.column_order)[-1] == t("keyacc.col.customer_id", lang)
    # new accounts have no change: blank placeholder, their trend says "new"
    shown = listing(at, lang)
    new = shown[shown[t("keyacc.col.trend", lang)] == t("key_accounts.trend.new", lang)]
    assert new[t("keyacc.col.change", lang)].isna().all()
    assert at.dataframe[0].proto.placeholder == "—"



@pytest.mark.parametrize("lang", LANGS)
def test_customer_360_tickets_are_translated(open_app, demo_db, lang):
    at = open_app(lang, page="pages/key_accounts.py")
    listed = listing(at, lang)[t("keyacc.col.customer_id", lang)].tolist()
    with access.reading(demo_db) as con:  # as the app reads
        with_tickets = set(db.query(con, "SELECT DISTINCT customer_id FROM tickets")["customer_id"])
    customer = next(c for c in listed if c in with_tickets)
    open_tab(at, "360", lang)
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
    open_tab(at, "alerts", "en")
    assert not any(w.key == "ka.search" for w in at.text_input)  # the list tab is not drawn while closed
    at.number_input(key="ka.inactive").set_value(1).run()  # accounts without an order on the as-of day
    alerts = ranked_tables(at, "en")  # only the open tab is drawn: the alerts table is the one ranked table
    assert alerts and len(alerts[0]) >= 1
    assert t("keyacc.col.reason", "en") in alerts[0].columns


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
