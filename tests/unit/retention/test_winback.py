"""Win-back list: who is on it, the ranking by value at stake, the action rules, filters (hand fixture)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from crm.errors import CRMInputError
from crm.retention import winback
from crm.store import db

NAN = np.nan
# customer, churn probability, days since, past value, orders, tenure days, open complaints, satisfaction, nps
SCORES = pd.DataFrame([
    ("A", 0.95, 200, 10_000.0, 20, 730, 0, NAN, NAN),   # lapsed, big spender
    ("B", 0.90, 120, 1_000.0, 3, 365, 1, NAN, NAN),     # lapsed, open complaint
    ("C", 0.60, 30, 2_000.0, 5, 400, 0, 0.9, 9.0),      # at risk (recent, p ≥ 0.5)
    ("D", 0.40, 20, 5_000.0, 9, 500, 0, NAN, NAN),      # recent, p < 0.5: not listed
    ("E", 0.99, 800, 50_000.0, 40, 1500, 0, NAN, NAN),  # silent beyond 730 days: lost, not listed
    ("F", 0.70, 60, 800.0, 2, 200, 0, 0.2, NAN),        # at risk, unhappy (satisfaction below half)
    ("G", 0.97, 95, 600.0, 2, 300, 0, NAN, 5.0),        # lapsed, detractor
    ("H", 0.92, 100, 3_000.0, 6, 1000, 0, NAN, NAN),    # lapsed
], columns=["customer_id", "churn_probability", "recency_days", "monetary", "orders", "tenure_days",
            "open_complaints", "satisfaction", "nps"])
DETAILS = pd.DataFrame({
    "customer_id": list("ABCDEFGH"), "name": [f"客户{c}" for c in "ABCDEFGH"],
    "province": ["广东", "北京", "广东", "上海", "浙江", "北京", "广东", "上海"],
    "customer_type": ["individual"] * 8, "phone": ["13800000000"] * 8, "email": [None] * 8,
    "last_order_date": pd.to_datetime(["2024-01-01"] * 8), "last_category": list("xyzxyzxy"),
    "last_complaint_date": [None] * 8,
})
# the CLV engineer's `customer_value(...).table`, reduced to what the list reads (a small fake)
VALUES = pd.DataFrame({"customer_id": list("ABCDEFGH"),
                       "p_alive": [0.10, 0.50, 0.80, 0.9, 0.01, 0.60, 0.02, 0.40],
                       "clv": [500.0, 400.0, 1_600.0, 900.0, 1.0, 300.0, 10.0, 1_200.0]})


def test_listed_ranked_and_valued_with_clv():
    result = winback.rank_win_back(SCORES, DETAILS, VALUES, horizon_days=90)
    table = result.table
    assert result.value_source == "clv" and list(table.columns) == winback.COLUMNS
    # value if kept = clv / max(p_alive, 0.05); at stake = p × value if kept
    kept = {"A": 5_000, "B": 800, "C": 2_000, "F": 500, "G": 200, "H": 3_000}
    stake = {c: SCORES.set_index("customer_id").loc[c, "churn_probability"] * v for c, v in kept.items()}
    assert table["customer_id"].tolist() == ["A", "H", "C", "B", "F", "G"]  # 4750, 2760, 1200, 720, 350, 194
    assert table.set_index("customer_id")["at_stake"].to_dict() == pytest.approx(stake)
    assert table.set_index("customer_id")["value_if_kept"].to_dict() == pytest.approx(kept)
    assert table.set_index("customer_id")["status"].to_dict() == {
        "A": "lapsed", "H": "lapsed", "C": "at_risk", "B": "lapsed", "F": "at_risk", "G": "lapsed"}
    # rules in order: unhappy first, then the top 10 % by stake (1 of 6), then lapsed / at risk
    assert table.set_index("customer_id")["action"].to_dict() == {
        "A": "personal_call", "H": "winback_offer", "C": "retention_care", "B": "service_recovery",
        "F": "service_recovery", "G": "service_recovery"}
    assert table["past_value"].tolist() == [10_000, 3_000, 2_000, 1_000, 800, 600]


def test_run_rate_without_clv_and_the_limits():
    result = winback.rank_win_back(SCORES, DETAILS, None, horizon_days=90, max_days_since=None,
                                   at_risk_threshold=0.3, top_share=0.25)
    table = result.table.set_index("customer_id")
    assert result.value_source == "run_rate"
    assert set(table.index) == set("ABCDEFGH")  # no age limit; D is at risk from 0.3
    # value if kept = past value × 365 / max(tenure, 365)
    assert table.loc["A", "value_if_kept"] == pytest.approx(10_000 * 365 / 730)
    assert table.loc["F", "value_if_kept"] == pytest.approx(800)
    assert table.loc["E", "value_if_kept"] == pytest.approx(50_000 * 365 / 1500)
    assert table["p_alive"].isna().all() and table["clv"].isna().all()
    assert result.table["customer_id"].head(2).tolist() == ["E", "A"]  # 12 050 then 4 750
    assert table.loc["E", "action"] == "personal_call" and table.loc["A", "action"] == "personal_call"
    assert table.loc["D", "action"] == "retention_care"


def test_a_missing_value_falls_back_to_the_run_rate():
    values = VALUES[VALUES["customer_id"] != "H"]
    table = winback.rank_win_back(SCORES, DETAILS, values).table.set_index("customer_id")
    assert table.loc["H", "value_if_kept"] == pytest.approx(3_000 * 365 / 1000)
    assert np.isnan(table.loc["H", "clv"])


def test_filters():
    table = winback.rank_win_back(SCORES, DETAILS, VALUES).table
    assert winback.filter_win_back(table)["customer_id"].tolist() == ["A", "H", "C", "B", "F", "G"]
    assert winback.filter_win_back(table, statuses=["at_risk"])["customer_id"].tolist() == ["C", "F"]
    assert winback.filter_win_back(table, actions=["service_recovery"], provinces=["北京"])["customer_id"].tolist() \
        == ["B", "F"]
    assert winback.filter_win_back(table, min_probability=0.93)["customer_id"].tolist() == ["A", "G"]
    assert winback.filter_win_back(table, max_days_since=100, categories=["x", "y"])["customer_id"].tolist() == ["H", "G"]
    assert winback.filter_win_back(table, min_stake=1_000)["customer_id"].tolist() == ["A", "H", "C"]


def test_threshold_is_validated():
    with pytest.raises(CRMInputError, match="between 0 and 1"):
        winback.rank_win_back(SCORES, DETAILS, VALUES, at_risk_threshold=1.5)


def test_win_back_list_on_the_demo_with_a_fake_value_table():
    from crm.intake import demo
    from crm.retention.churn import score_churn

    con = db.connect(":memory:")
    demo.build_demo(con, customers=1500, seed=3)
    scores = score_churn(con).scores
    fake = pd.DataFrame({"customer_id": scores["customer_id"], "p_alive": 0.5, "clv": 100.0})
    result = winback.win_back_list(con, values=fake)
    table = result.table
    assert result.value_source == "clv" and (table["value_if_kept"] == 200).all()
    lapsed = scores[(scores["recency_days"] > 90) & (scores["recency_days"] <= 730)]
    at_risk = scores[(scores["recency_days"] <= 90) & (scores["churn_probability"] >= 0.5)]
    assert len(table) == len(lapsed) + len(at_risk)
    assert table["at_stake"].is_monotonic_decreasing
    # details from the orders: the last purchase's date and category
    row = table.iloc[0]
    last = con.execute("SELECT order_date::DATE, category FROM orders WHERE customer_id = ? AND NOT returned "
                       "ORDER BY order_date DESC, order_id DESC LIMIT 1", [row["customer_id"]]).fetchone()
    assert pd.Timestamp(row["last_order_date"]).date() == last[0] and row["last_category"] == last[1]
    assert set(table["action"]) <= set(winback.ACTIONS)
    no_clv = winback.win_back_list(con, use_clv=False)
    assert no_clv.value_source == "run_rate" and len(no_clv.table) == len(table)
    con.close()
