"""Key accounts on the `accounts` shop (see tests/fixtures/segment_shops.py), by hand.

Period 2024-04-01..2024-06-30, as of 06-30, previous period 2024-01-01..03-31.

customer  revenue profit orders last   days  previous  change   trend      open complaints
K1          500    150     2   06-20    10     400     +25 %   growing     0 (T1 resolved 05-01)
K2          300    250     1   04-01    90     600     −50 %   declining   0 (T3 is a consultation)
K3          100     50     1   06-01    29      95     +5.3 %  stable      1 (T2)
K4           60      0     3   06-25     5       0      —      new         0
K5           40    −50     1   04-02    89      50     −20 %   declining   0

Totals of the period: revenue 1000, profit 400.
"""

import datetime as dt

import pandas as pd
import pytest

from crm.value import key_accounts as ka
from crm.errors import CRMInputError
from crm.store.filters import Filters

F = Filters(start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30), as_of=dt.date(2024, 6, 30))



def ids(result):
    return result.table["customer_id"].tolist()


def test_table_columns_and_values(accounts):
    result = ka.select_key_accounts(accounts, F, top_n=5)
    t = result.table.set_index("customer_id")
    assert result.table.columns.tolist() == ka.KEY_ACCOUNT_COLUMNS
    assert t["rank"].tolist() == [1, 2, 3, 4, 5]
    assert t.loc["K1", ["name", "customer_type", "province"]].tolist() == ["大客户一", "company", "广东"]
    assert t["revenue"].tolist() == [500, 300, 100, 60, 40]
    assert t["profit"].tolist() == [150, 250, 50, 0, -50]
    assert t["margin"].tolist() == pytest.approx([0.3, 250 / 300, 0.5, 0, -1.25])
    assert t["orders"].tolist() == [2, 1, 1, 3, 1]
    assert t["avg_order_value"].tolist() == pytest.approx([250, 300, 100, 20, 40])
    assert pd.Timestamp(t.loc["K1", "last_order_date"]).date() == dt.date(2024, 6, 20)
    assert t["days_since_last_order"].tolist() == [10, 90, 29, 5, 89]
    assert t["prev_revenue"].tolist() == [400, 600, 95, 0, 50]
    assert t["change"].tolist()[:3] == pytest.approx([0.25, -0.5, 5 / 95])
    assert pd.isna(t.loc["K4", "change"])
    assert t["trend"].tolist() == ["growing", "declining", "stable", "new", "declining"]
    assert t["open_complaints"].tolist() == [0, 0, 1, 0, 0]
    assert t["segment"].astype(str).tolist() == [
        "important_value", "important_winback", "general_development", "general_value", "general_winback"]
    assert t["tier"].astype(str).tolist() == ["normal"] * 5  # K1: 17 months + 900 / 10 = 107 points


def test_shares_and_counts(accounts):
    result = ka.select_key_accounts(accounts, F, top_n=2)
    assert ids(result) == ["K1", "K2"]
    assert (result.customers, result.total_customers) == (2, 5)
    assert result.revenue_share == pytest.approx(0.8)  # 800 / 1000
    assert result.profit_share == pytest.approx(1.0)  # (150 + 250) / 400


def test_by_profit(accounts):
    result = ka.select_key_accounts(accounts, F, by="profit", top_n=2)
    assert ids(result) == ["K2", "K1"]
    assert result.table["rank"].tolist() == [1, 2]


def test_by_orders_ties_broken_by_revenue(accounts):
    result = ka.select_key_accounts(accounts, F, by="orders", top_n=4)
    assert ids(result) == ["K4", "K1", "K2", "K3"]  # 3, 2, then the 1-order customers by revenue
    assert result.revenue_share == pytest.approx(0.96)  # (60 + 500 + 300 + 100) / 1000
    assert result.profit_share == pytest.approx(450 / 400)


def test_top_share_rounds_up(accounts):
    assert ids(ka.select_key_accounts(accounts, F, top_share=0.4)) == ["K1", "K2"]
    assert ids(ka.select_key_accounts(accounts, F, top_share=0.5)) == ["K1", "K2", "K3"]  # ceil(2.5)
    assert len(ka.select_key_accounts(accounts, F, top_share=0.01).table) == 1
    assert len(ka.select_key_accounts(accounts, F, top_share=1).table) == 5


def test_thresholds(accounts):
    assert ids(ka.select_key_accounts(accounts, F, min_revenue=100)) == ["K1", "K2", "K3"]
    result = ka.select_key_accounts(accounts, F, min_orders=2)
    assert ids(result) == ["K1", "K4"]
    assert result.table["rank"].tolist() == [1, 4]  # rank among every customer of the period
    assert ids(ka.select_key_accounts(accounts, F, min_revenue=100, min_orders=2)) == ["K1"]
    assert ids(ka.select_key_accounts(accounts, F, by="orders", min_orders=2)) == ["K4", "K1"]


def test_empty_selection_keeps_totals(accounts):
    result = ka.select_key_accounts(accounts, F, min_revenue=10_000)
    assert result.table.empty and result.table.columns.tolist() == ka.KEY_ACCOUNT_COLUMNS
    assert (result.customers, result.total_customers, result.revenue_share) == (0, 5, 0.0)


def test_filters_apply(accounts):
    f = Filters(start=F.start, end=F.end, as_of=F.as_of, provinces=("广东",))
    result = ka.select_key_accounts(accounts, f, top_n=1)
    assert ids(result) == ["K1"]
    assert result.revenue_share == pytest.approx(500 / 600)  # K1 and K3 are in 广东


def test_alerts_default(accounts):
    table = ka.select_key_accounts(accounts, F, top_n=5).table
    alerts = ka.key_account_alerts(table)
    assert alerts["customer_id"].tolist() == ["K2"]  # −50 % and 90 days without an order
    assert alerts["reason"].tolist() == ["both"]


def test_alerts_each_reason(accounts):
    table = ka.select_key_accounts(accounts, F, top_n=5).table
    alerts = ka.key_account_alerts(table, drop_share=0.3, inactive_days=80)
    assert dict(zip(alerts["customer_id"], alerts["reason"])) == {"K2": "both", "K5": "inactive"}
    alerts = ka.key_account_alerts(table, drop_share=0.15, inactive_days=100)
    assert dict(zip(alerts["customer_id"], alerts["reason"])) == {"K2": "spend_drop", "K5": "spend_drop"}
    assert alerts[["spend_drop", "inactive"]].values.tolist() == [[True, False], [True, False]]
    # K4 is new (no previous revenue): never a spend drop
    assert "K4" not in set(ka.key_account_alerts(table, drop_share=0.01, inactive_days=365)["customer_id"])


def test_alert_reasons_label_every_row(accounts):
    table = ka.select_key_accounts(accounts, F, top_n=5).table
    reasons = ka.alert_reasons(table, drop_share=0.3, inactive_days=80)
    assert len(reasons) == len(table)
    assert dict(zip(table["customer_id"], reasons)) == {
        c: {"K2": "both", "K5": "inactive"}.get(c, "") for c in table["customer_id"]}
    with pytest.raises(CRMInputError, match="Inactive days must be a positive integer"):
        ka.alert_reasons(table, inactive_days=0)


@pytest.mark.parametrize("kwargs", [
    {}, {"top_n": 2, "top_share": 0.1}, {"top_n": 2, "min_revenue": 10}, {"top_share": 0.1, "min_orders": 2},
])
def test_selection_must_be_exactly_one(accounts, kwargs):
    with pytest.raises(CRMInputError, match="Choose exactly one way to select"):
        ka.select_key_accounts(accounts, F, **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"top_n": 0}, "Top N must be a positive integer, got: 0"),
    ({"top_n": 2.5}, "Top N must be a positive integer"),
    ({"top_share": 1.5}, "Top share must be between 0 and 1"),
    ({"top_share": 0}, "Top share must be between 0 and 1"),
    ({"min_revenue": -1}, "Minimum revenue must not be negative"),
    ({"min_orders": 0}, "Minimum orders must be a positive integer"),
    ({"top_n": 5, "by": "name"}, "Rank by must be revenue, profit or orders, got: name"),
])
def test_parameter_validation(accounts, kwargs, message):
    with pytest.raises(CRMInputError, match=message):
        ka.select_key_accounts(accounts, F, **kwargs)


def test_alert_parameter_validation(accounts):
    table = ka.select_key_accounts(accounts, F, top_n=5).table
    with pytest.raises(CRMInputError, match="drop share must be between 0 and 1"):
        ka.key_account_alerts(table, drop_share=1.2)
    with pytest.raises(CRMInputError, match="Inactive days must be a positive integer"):
        ka.key_account_alerts(table, inactive_days=0)


def test_trend_band_constant():
    assert ka.TREND_BAND == 0.10


def test_search_table_matches_id_or_name_case_insensitively():
    table = pd.DataFrame({"customer_id": ["VIP-01", "C02", "C03"], "name": ["甲公司", None, "Acme Ltd"]})
    assert ka.search_table(table, "vip")["customer_id"].tolist() == ["VIP-01"]
    assert ka.search_table(table, "ACME")["customer_id"].tolist() == ["C03"]
    assert ka.search_table(table, "公司")["customer_id"].tolist() == ["VIP-01"]
    assert ka.search_table(table, "  ")["customer_id"].tolist() == ["VIP-01", "C02", "C03"]
    assert ka.search_table(table, "%")["customer_id"].tolist() == []
