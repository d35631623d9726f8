"""Customer 360 on the small shop (as of 2024-06-30), by hand.

All history to 06-30 (O6 returned):
customer  recency  frequency  monetary
A           60        3         600     O1 100, O2 200, O3 300
B          107        2         200
C          365        1         120
D            0        2         500
E           29        2        8000
Means 112.2, 2, 1884: A is R high, F high (3 > 2), M low -> general_value.
Scores (n = 5): R by recency DESC C B A E D -> A 3; F: C 1, B D E tie (rank 2 -> 2), A 5; M: C B D A E -> A 4.
"""

import datetime as dt

import pandas as pd
import pytest

from crm.value import customer360 as c360
from crm.errors import CRMInputError

AS_OF = dt.date(2024, 6, 30)


def test_search_by_name_id_and_phone(shop):
    assert c360.search_customers(shop, "有限")["customer_id"].tolist() == ["E"]
    assert c360.search_customers(shop, "甲")["customer_id"].tolist() == ["A"]
    shop.execute("UPDATE customer_features SET phone = '13800001234' WHERE customer_id = 'B'")
    df = c360.search_customers(shop, "0000123")
    assert df.columns.tolist() == c360.SEARCH_COLUMNS
    assert df.to_dict("records") == [
        {"customer_id": "B", "name": "乙", "phone": "13800001234", "province": "北京", "revenue": 200.0}]


def test_search_orders_exact_id_first_then_revenue(shop):
    shop.execute("UPDATE customer_features SET name = 'Dana' WHERE customer_id = 'B'")
    df = c360.search_customers(shop, "d")  # D by id, B by name 'Dana'
    assert df["customer_id"].tolist() == ["D", "B"]
    assert c360.search_customers(shop, "d", limit=1)["customer_id"].tolist() == ["D"]


def test_search_escapes_wildcards(shop):
    assert c360.search_customers(shop, "%").empty  # not "everything"
    assert c360.search_customers(shop, "_").empty
    shop.execute("UPDATE customer_features SET name = '100%_纯棉' WHERE customer_id = 'C'")
    assert c360.search_customers(shop, "0%_纯")["customer_id"].tolist() == ["C"]
    assert c360.search_customers(shop, "   ").empty


def test_search_limit_validation(shop):
    with pytest.raises(CRMInputError, match="limit must be between 1 and 500, got: 0"):
        c360.search_customers(shop, "A", limit=0)


def test_profile_of_a_known_customer(shop):
    p = c360.profile(shop, "A", AS_OF)
    assert (p["customer_id"], p["name"], p["province"], p["customer_type"]) == ("A", "甲", "广东", "individual")
    assert (p["orders"], p["revenue"], p["open_complaints"]) == (3, 600, 1)
    assert p["first_order_date"] == dt.date(2023, 3, 10)
    assert (p["tenure_months"], p["spend"], p["points"], p["tier"]) == (17, 600, 77, "normal")
    assert (p["rfm_recency_days"], p["rfm_frequency"], p["rfm_monetary"]) == (60, 3, 600)
    assert (p["r_score"], p["f_score"], p["m_score"], p["segment"]) == (3, 5, 4, "general_value")
    assert p["as_of"] == AS_OF
    assert isinstance(p["orders"], int) and p["email"] is None  # plain Python values


def test_profile_as_of_earlier_date(shop):
    p = c360.profile(shop, "E", dt.date(2024, 3, 31))  # E's first order is 04-01
    assert (p["points"], p["tier"], p["segment"], p["rfm_frequency"]) == (0.0, None, None, 0)
    p = c360.profile(shop, "E", dt.date(2024, 5, 1))
    assert (p["rfm_recency_days"], p["rfm_monetary"], p["tier"]) == (30, 5000, "silver")  # 2 months + 500


def test_unknown_customer(shop):
    with pytest.raises(CRMInputError, match="Unknown customer: ZZZ"):
        c360.profile(shop, "ZZZ", AS_OF)


def test_order_history(shop):
    df = c360.order_history(shop, "B")
    assert [m.date() for m in pd.to_datetime(df["month"])] == [dt.date(2023, 6, 1), dt.date(2024, 3, 1)]
    assert df["orders"].tolist() == [1, 1]
    assert df["revenue"].tolist() == [50, 150]  # the returned O6 (80) is not revenue
    assert df["returned_orders"].tolist() == [0, 1]


def test_category_mix(shop):
    df = c360.category_mix(shop, "A")
    assert df["category"].tolist() == ["服装", "美妆"]
    assert df["orders"].tolist() == [2, 1]
    assert df["revenue"].tolist() == [400, 200]
    assert df["share"].tolist() == pytest.approx([2 / 3, 1 / 3])


def test_tickets(shop):
    df = c360.tickets(shop, "A")
    assert df["ticket_id"].tolist() == ["T1"]
    assert (df["type"].iloc[0], df["status"].iloc[0]) == ("complaint", "open")


def test_survey_answers_joined_with_questions(shop):
    shop.execute("INSERT INTO surveys (survey_id, title, source_tool, language, created_at, batch_id) VALUES ('S1', '满意度调查', 'demo', 'zh', '2024-06-01', 0)")
    shop.execute("INSERT INTO survey_questions (survey_id, question_id, position, text, kind, dimension, measure, scale_min, scale_max, batch_id) VALUES ('S1', 'q1', 1, '您对质量满意吗？', 'rating', 'quality', 'perceived', 1, 5, 0),"
                 " ('S1', 'q2', 2, '建议', 'text', NULL, NULL, NULL, NULL, 0)")
    shop.execute("INSERT INTO survey_responses (response_id, survey_id, customer_id, submitted_at, batch_id) VALUES ('R1', 'S1', 'A', '2024-06-05 10:00:00', 0)")
    shop.execute("INSERT INTO survey_answers VALUES ('R1', 'q1', 4, NULL, 0), ('R1', 'q2', NULL, '发货快', 0)")
    df = c360.survey_answers(shop, "A")
    assert df["question"].tolist() == ["您对质量满意吗？", "建议"]
    assert df["dimension"].tolist()[0] == "quality" and df["measure"].tolist()[0] == "perceived"
    assert df["value_num"].tolist()[0] == 4 and df["value_text"].tolist()[1] == "发货快"
    assert pd.Timestamp(df["submitted_at"].iloc[0]) == pd.Timestamp("2024-06-05 10:00:00")


def test_empty_frames_have_columns(shop):
    assert c360.survey_answers(shop, "B").columns.tolist() == [
        "submitted_at", "survey_id", "survey_title", "question_id", "question", "dimension", "measure",
        "value_num", "value_text"]
    assert c360.tickets(shop, "nobody").columns.tolist() == ["ticket_id", "opened_at", "resolved_at", "type", "status", "channel"]
    assert c360.order_history(shop, "nobody").columns.tolist() == ["month", "orders", "revenue", "profit", "returned_orders"]
    assert c360.category_mix(shop, "nobody").columns.tolist() == ["category", "orders", "revenue", "share"]
    assert c360.search_customers(shop, "no such").columns.tolist() == c360.SEARCH_COLUMNS


def test_period_totals_follow_the_period_and_filters(shop):
    """A in 2024 (O2 200 美妆 profit 80, O3 300 服装 profit 150); lifetime also O1 100."""
    from crm.store.filters import Filters

    year = Filters(start=dt.date(2024, 1, 1), end=AS_OF, as_of=AS_OF)
    assert c360.period_totals(shop, "A", year) == {"orders": 2, "revenue": 500.0, "profit": 230.0}
    beauty = Filters(start=dt.date(2024, 1, 1), end=AS_OF, as_of=AS_OF, categories=("美妆",))
    assert c360.period_totals(shop, "A", beauty) == {"orders": 1, "revenue": 200.0, "profit": 80.0}
    # B's returned O6 never counts; C bought nothing in 2024
    assert c360.period_totals(shop, "B", year) == {"orders": 1, "revenue": 150.0, "profit": 60.0}
    assert c360.period_totals(shop, "C", year) == {"orders": 0, "revenue": 0.0, "profit": 0.0}
    assert c360.profile(shop, "A", AS_OF)["revenue"] == 600  # all time


def test_open_complaints_are_counted_on_the_as_of_date(shop):
    """E's complaint T5 (opened 03-20, resolved 07-10) is open on 06-30 but not on 07-15; A's T1 opened 06-01."""
    assert c360.profile(shop, "E", AS_OF)["open_complaints"] == 1
    assert c360.profile(shop, "E", dt.date(2024, 7, 15))["open_complaints"] == 0
    assert c360.profile(shop, "A", dt.date(2024, 5, 31))["open_complaints"] == 0
    assert c360.profile(shop, "A", AS_OF)["open_complaints"] == 1
