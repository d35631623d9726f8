"""Question scores, CSAT, NPS and the headline against hand-computed values (tests/fixtures/survey_shop.py)."""

import datetime as dt

import pytest

from crm.satisfaction import scores, surveys, trend
from crm.store.filters import Filters

WAVE = ("S2",)
ALL = Filters(start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 30), as_of=dt.date(2024, 6, 30))


def test_question_scores_on_mixed_scales_with_a_reversed_item(survey):
    df = scores.question_scores(survey, WAVE).set_index("question_id")
    assert df.index.tolist() == ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"]
    # overall 5 4 2 3 4: mean 18/5; top-2-box (4–5) 3 of 5
    assert df.loc["q1", "n"] == 5 and df.loc["q1", "mean"] == pytest.approx(3.6)
    assert df.loc["q1", "top2_share"] == pytest.approx(0.6)
    # 1–7 item 7 5 2 4 6: mean 4.8; top-2-box (6–7) 2 of 5
    assert df.loc["q3", "mean"] == pytest.approx(4.8) and df.loc["q3", "top2_share"] == pytest.approx(0.4)
    # reversed 1–5 item answered 1 2 5 3 2 counts as 5 4 1 3 4: mean 17/5; top-2-box 3 of 5
    assert bool(df.loc["q4", "reverse_scored"])
    assert df.loc["q4", "mean"] == pytest.approx(3.4) and df.loc["q4", "top2_share"] == pytest.approx(0.6)
    assert df.loc["q3", "nps"] != df.loc["q3", "nps"]  # NaN: no NPS for ratings


def test_nps_counts_9_10_as_promoters_and_0_6_as_detractors(survey):
    row = scores.question_scores(survey, WAVE).set_index("question_id").loc["q2"]
    # 10 9 | 7 | 3 6  ->  (2 − 2) / 5
    assert (row["promoters"], row["passives"], row["detractors"]) == pytest.approx((0.4, 0.2, 0.4))
    assert row["nps"] == pytest.approx(0.0)


def test_headline_csat_and_previous_wave(survey):
    head = scores.headline(survey, WAVE)
    assert head["responses"] == 5 and head["linked"] == 4 and head["linked_share"] == pytest.approx(0.8)
    assert head["csat"] == pytest.approx(0.6) and head["mean_overall"] == pytest.approx(3.6)
    assert head["nps"] == pytest.approx(0.0)
    prev = scores.headline(survey, ("S1",))
    assert (prev["responses"], prev["csat"], prev["mean_overall"], prev["nps"]) == (1, 0.0, 3.0, 0.0)


def test_filters_keep_linked_customers_inside_them(survey):
    from dataclasses import replace

    guangdong = replace(ALL, provinces=("广东",))  # A and C: overall 5 and 2, NPS 10 and 3
    head = scores.headline(survey, WAVE, guangdong)
    assert head["responses"] == 2 and head["csat"] == pytest.approx(0.5)
    assert head["mean_overall"] == pytest.approx(3.5) and head["nps"] == pytest.approx(0.0)
    # a channel filter: customers with an order in 家居 (D and E): only E answered
    assert scores.headline(survey, WAVE, replace(ALL, categories=("家居",)))["responses"] == 1
    # no filter: the anonymous response counts
    assert scores.headline(survey, WAVE, ALL)["responses"] == 5


def test_distribution_after_reverse_scoring(survey):
    dist = scores.distribution(survey, WAVE)
    q4 = dist[dist["question_id"] == "q4"].set_index("value")["count"].to_dict()
    assert q4 == {1.0: 1, 3.0: 1, 4.0: 2, 5.0: 1}


def test_waves_and_latest_survey(survey):
    assert surveys.waves(survey, "客户调查")[["survey_id", "wave"]].values.tolist() == [
        ["S1", "2024-Q1"], ["S2", "2024-Q2"]]
    assert surveys.latest_survey_id(survey) == "S2"
    listing = surveys.list_surveys(survey).set_index("survey_id")
    assert listing.loc["S2", "responses"] == 5 and listing.loc["S2", "linked"] == 4


def test_trend_by_month(survey):
    df = trend.satisfaction_trend(survey, ("S1", "S2"), unit="month")
    rows = {str(p)[:7]: (n, csat) for p, n, csat in zip(df["period"], df["n"], df["csat"])}
    # Feb: R0 (3); Mar: R2 (4); Apr: R1 5, R3 2, R4 3, R5 4 -> 2 of 4
    assert rows == {"2024-02": (1, 0.0), "2024-03": (1, 1.0), "2024-04": (4, 0.5)}
