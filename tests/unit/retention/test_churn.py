"""Churn risk: features by hand, an honest label window, determinism, and a model that beats recency alone."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from crm.errors import CRMInputError
from crm.retention import churn
from crm.store import db, features

D = dt.date
CUTOFF = D(2024, 6, 30)


def load(con, orders, tickets=(), answers=()) -> None:
    """Customers A–D, the given orders / tickets / survey answers, features materialised."""
    con.executemany("INSERT INTO customers (customer_id, name, province, customer_type, is_stub, batch_id) "
                    "VALUES (?, ?, '广东', 'individual', FALSE, 0)",
                    [(c, f"客户{c}") for c in "ABCD"])
    con.executemany("INSERT INTO orders (order_id, customer_id, order_date, amount, cost, profit, category, channel, "
                    "quantity, returned, batch_id) VALUES (?, ?, ?, ?, 0, ?, ?, '官网', 1, ?, 0)",
                    [(o[0], o[1], o[2], o[3], o[3], o[4], o[5]) for o in orders])
    if tickets:
        con.executemany("INSERT INTO tickets (ticket_id, customer_id, opened_at, resolved_at, type, status, channel, "
                        "batch_id) VALUES (?, ?, ?, ?, ?, ?, 'phone', 0)", list(tickets))
    if answers:
        con.execute("INSERT INTO surveys (survey_id, title, batch_id) VALUES ('S', '满意度', 0)")
        con.executemany(
            "INSERT INTO survey_questions (survey_id, question_id, position, text, kind, dimension, measure, "
            "scale_min, scale_max, batch_id, reverse_scored) VALUES ('S', ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
            [("Q1", 1, "总体满意度", "rating", "overall", "overall", 1.0, 5.0, False),
             ("Q2", 2, "推荐意愿", "nps", None, None, 0.0, 10.0, False),
             ("Q3", 3, "不满意程度", "rating", "overall", "overall", 1.0, 7.0, True)])
        responses = sorted({(a[0], a[1], a[2]) for a in answers})
        con.executemany("INSERT INTO survey_responses (response_id, survey_id, customer_id, submitted_at, batch_id) "
                        "VALUES (?, 'S', ?, ?, 0)", responses)
        con.executemany("INSERT INTO survey_answers (response_id, question_id, value_num, batch_id) "
                        "VALUES (?, ?, ?, 0)", [(a[0], a[3], a[4]) for a in answers])
    features.materialise(con)


ORDERS = [
    # id, customer, date, amount, category, returned
    ("O1", "A", D(2024, 1, 10), 100, "服装", False),
    ("O2", "A", D(2024, 3, 10), 50, "美妆", False),
    ("O3", "A", D(2024, 3, 10), 30, "服装", False),   # same day as O2: one purchase day
    ("O4", "A", D(2024, 5, 20), 200, "家居", False),
    ("O5", "A", D(2024, 6, 1), 80, "服装", True),     # returned: not a purchase, one return
    ("O6", "B", D(2023, 12, 1), 400, "美食", False),  # B bought once
]
TICKETS = [
    # id, customer, opened, resolved, type, status
    ("T1", "A", dt.datetime(2024, 2, 1, 9), dt.datetime(2024, 2, 2, 15), "complaint", "resolved"),  # 30 h
    ("T2", "A", dt.datetime(2024, 6, 20, 9), dt.datetime(2024, 7, 5, 9), "complaint", "resolved"),  # open at cutoff
    ("T3", "A", dt.datetime(2024, 4, 1, 9), None, "consultation", "open"),  # not a complaint
]
ANSWERS = [
    # response, customer, submitted, question, value
    ("R1", "A", dt.datetime(2024, 2, 1), "Q1", 5.0),
    ("R1", "A", dt.datetime(2024, 2, 1), "Q2", 9.0),
    ("R2", "A", dt.datetime(2024, 5, 1), "Q3", 6.0),   # reverse-scored 1–7: 6 → 2 → (2−1)/6
    ("R2", "A", dt.datetime(2024, 5, 1), "Q2", 3.0),
]


@pytest.fixture
def hand():
    con = db.connect(":memory:")
    load(con, ORDERS, TICKETS, ANSWERS)
    yield con
    con.close()


def test_features_by_hand(hand):
    f = churn.churn_features(hand, CUTOFF).set_index("customer_id")
    assert list(f.index) == ["A", "B"]
    a, b = f.loc["A"], f.loc["B"]
    # A: purchase days 01-10, 03-10, 05-20 (the 06-01 order was returned)
    assert a["recency_days"] == 41 and a["tenure_days"] == 172
    assert a["frequency"] == 3 and a["orders"] == 4 and a["monetary"] == 380 and a["avg_order_value"] == 95
    assert a["mean_gap_days"] == pytest.approx(131 / 2) and a["last_gap_days"] == 71
    assert a["overdue_ratio"] == pytest.approx(41 / 65.5)
    # last 90 days (04-02 .. 06-30): 200; the 90 before (01-03 .. 04-01): 100 + 80
    assert a["spend_90"] == 200 and a["spend_prior_90"] == 180
    assert a["spend_trend"] == pytest.approx(20 / 380)
    assert a["categories"] == 3 and a["returns"] == 1 and a["return_rate"] == pytest.approx(1 / 5)
    assert a["complaints"] == 2 and a["open_complaints"] == 1  # T2 resolved only after the cutoff
    assert a["complaint_resolution_hours"] == pytest.approx(30)  # only T1 was resolved by the cutoff
    assert a["satisfaction"] == pytest.approx(1 / 6)  # the latest response, reverse-scored
    assert a["nps"] == 3
    assert b["frequency"] == 1 and b["recency_days"] == 212 and b["monetary"] == 400
    assert np.isnan(b["mean_gap_days"]) and np.isnan(b["last_gap_days"]) and np.isnan(b["overdue_ratio"])
    assert b["spend_trend"] == 0 and b["complaints"] == 0 and np.isnan(b["satisfaction"]) and np.isnan(b["nps"])


def test_labels_by_hand(hand):
    hand.execute("INSERT INTO orders (order_id, customer_id, order_date, amount, returned, batch_id) VALUES "
                 "('L1', 'B', '2024-08-01', 10, FALSE, 0), ('L2', 'A', '2024-08-01', 10, TRUE, 0), "
                 "('L3', 'A', '2024-12-01', 10, FALSE, 0)")
    features.materialise(hand)
    f = churn.churn_features(hand, CUTOFF, horizon_days=90).set_index("customer_id")
    # B bought on 08-01 (inside 07-01 .. 09-28): stayed; A only returned an order inside, bought after: churned
    assert f["churned"].to_dict() == {"A": 1, "B": 0}


def test_nothing_after_the_cutoff_leaks_into_features(hand):
    before = churn.churn_features(hand, CUTOFF)
    # orders, tickets, resolutions and survey answers after the cutoff, for known and new customers
    hand.execute("INSERT INTO orders (order_id, customer_id, order_date, amount, category, returned, batch_id) VALUES "
                 "('X1', 'A', '2024-07-01', 999, '包包', FALSE, 0), ('X2', 'B', '2024-07-15', 5, '鞋子', TRUE, 0), "
                 "('X3', 'C', '2024-08-01', 50, '服装', FALSE, 0)")
    hand.execute("INSERT INTO tickets (ticket_id, customer_id, opened_at, resolved_at, type, status, batch_id) VALUES "
                 "('X4', 'B', '2024-07-02 10:00', '2024-07-02 11:00', 'complaint', 'resolved', 0)")
    hand.execute("INSERT INTO survey_responses (response_id, survey_id, customer_id, submitted_at, batch_id) "
                 "VALUES ('X5', 'S', 'A', '2024-07-03', 0)")
    hand.execute("INSERT INTO survey_answers (response_id, question_id, value_num, batch_id) VALUES "
                 "('X5', 'Q1', 1, 0), ('X5', 'Q2', 10, 0)")
    features.materialise(hand)
    after = churn.churn_features(hand, CUTOFF)
    pd.testing.assert_frame_equal(before.drop(columns="churned"), after.drop(columns="churned"))
    assert after.set_index("customer_id")["churned"].to_dict() == {"A": 1, "B": 1}  # no labels window asked for


@pytest.fixture(scope="module")
def demo_con():
    from crm.intake import demo

    con = db.connect(":memory:")
    demo.build_demo(con, customers=3000, seed=5)
    yield con
    con.close()


def test_deterministic_for_a_seed(demo_con):
    first = churn.score_churn(demo_con, random_state=3)
    second = churn.score_churn(demo_con, random_state=3)
    pd.testing.assert_frame_equal(first.scores, second.scores)
    assert first.card["auc"] == second.card["auc"]
    pd.testing.assert_frame_equal(first.card["importances"], second.card["importances"])


def test_beats_the_recency_baseline_on_the_holdout(demo_con):
    result = churn.score_churn(demo_con)
    card = result.card
    assert card["better_than_baseline"] and card["auc"] > card["baseline_auc"] + 0.005
    assert 0.8 < card["baseline_auc"] < card["auc"] <= 1
    assert card["auc"] == max(card["candidates"].values())
    # the window: features at as_of − 90, labels from the next day to as_of
    as_of = features.reference_date(demo_con)
    assert card["as_of"] == as_of and card["feature_cutoff"] == as_of - dt.timedelta(days=90)
    assert card["label_start"] == card["feature_cutoff"] + dt.timedelta(days=1) and card["label_end"] == as_of
    population = demo_con.execute("SELECT count(DISTINCT customer_id) FROM orders WHERE NOT returned "
                                  "AND order_date::DATE <= ?", [card["feature_cutoff"]]).fetchone()[0]
    assert card["training_customers"] == population
    assert card["fit_rows"] + card["holdout_rows"] == population and card["holdout_rows"] == round(population * 0.25)
    assert card["calibration"]["customers"].sum() == card["holdout_rows"]
    assert list(card["calibration"]["decile"]) == list(range(1, 11))
    # everyone who bought by as_of is scored, highest risk first
    buyers = demo_con.execute("SELECT count(DISTINCT customer_id) FROM orders WHERE NOT returned").fetchone()[0]
    assert card["scored_customers"] == len(result.scores) == buyers
    assert result.scores["churn_probability"].is_monotonic_decreasing
    assert set(card["importances"]["feature"]) == set(card["features"])
    # a long-silent customer is riskier than a frequent recent one
    s = result.scores
    assert s.loc[s["recency_days"] > 365, "churn_probability"].mean() > 0.9
    assert s.loc[(s["recency_days"] < 15) & (s["frequency"] > 10), "churn_probability"].mean() < 0.3


def test_sampled_training_is_deterministic_and_scores_everyone(demo_con):
    one = churn.score_churn(demo_con, max_training_rows=800, random_state=1)
    two = churn.score_churn(demo_con, max_training_rows=800, random_state=1)
    assert one.card["sampled"] and 650 < one.card["sample_rows"] < 950
    assert one.card["fit_rows"] + one.card["holdout_rows"] == one.card["sample_rows"]
    assert one.card["training_customers"] > 2000  # the population, not the sample
    assert len(one.scores) == one.card["scored_customers"] > 2000
    pd.testing.assert_frame_equal(one.scores, two.scores)


def test_calibration_and_lift_by_hand():
    y = np.array([0, 0, 0, 0, 0, 1, 0, 1, 1, 1])
    p = np.linspace(0.05, 0.95, 10)
    table = churn.calibration_table(y, p, bins=5)
    assert table["customers"].tolist() == [2, 2, 2, 2, 2]
    assert table["observed"].tolist() == [0, 0, 0.5, 0.5, 1]
    assert table["predicted"].tolist() == pytest.approx([0.1, 0.3, 0.5, 0.7, 0.9])
    assert churn.top_decile_lift(y, p) == pytest.approx(1 / 0.4)  # top 1 of 10 churned; base rate 40 %


def test_validation(hand):
    with pytest.raises(CRMInputError, match="horizon"):
        churn.score_churn(hand, horizon_days=0)
    with pytest.raises(CRMInputError, match="horizon"):
        churn.score_churn(hand, horizon_days=1.5)
    with pytest.raises(CRMInputError, match="Too little history"):
        churn.score_churn(hand, horizon_days=365)
    with pytest.raises(CRMInputError, match="Not enough training data"):
        churn.score_churn(hand, horizon_days=90)  # two customers
    empty = db.connect(":memory:")
    with pytest.raises(CRMInputError, match="no orders"):
        churn.score_churn(empty)
