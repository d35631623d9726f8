"""Loyalty after answering (with Wilson intervals), comments and word counts, the call-back list, breakdowns."""

import datetime as dt

import numpy as np
import pytest

from crm.satisfaction import breakdowns, callback, comments, loyalty
from crm.store.filters import Filters

WAVE = ("S2",)
ALL = Filters(start=dt.date(2023, 7, 1), end=dt.date(2024, 6, 30), as_of=dt.date(2024, 6, 30))


def test_wilson_interval_by_hand():
    low, high = loyalty.wilson_interval([8, 0], [10, 0])
    # p = 0.8, n = 10, z = 1.96: centre 0.7167, half-width 0.2266
    assert (low[0], high[0]) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert np.isnan(low[1]) and np.isnan(high[1])


def test_repurchase_by_nps_group(survey):
    df = loyalty.loyalty_by_group(survey, WAVE, by="nps_group").set_index("group")
    # promoters A (answered 04-05, bought 05-01) and B (03-01, bought 03-15): both within 30 days
    assert df.loc["promoter", "n"] == 2 and df.loc["promoter", "n_30"] == 2
    assert df.loc["promoter", "repurchase_30"] == pytest.approx(1.0)
    # detractors C (no order after) and E (04-02, next order 06-01, 60 days later)
    assert df.loc["detractor", "repurchase_30"] == pytest.approx(0.0)
    # 90 days observed only for B (03-01 + 90 ≤ 06-30)
    assert df.loc["promoter", "n_90"] == 1 and df.loc["detractor", "n_90"] == 0
    assert np.isnan(df.loc["detractor", "repurchase_90"])
    low, high = loyalty.wilson_interval(0, 2)
    assert df.loc["detractor", "repurchase_30_low"] == pytest.approx(low) and low == 0.0
    assert df.loc["detractor", "repurchase_30_high"] == pytest.approx(high)
    assert "passive" not in df.index  # the only passive (R4) is anonymous


def test_loyalty_by_overall_level(survey):
    df = loyalty.loyalty_by_group(survey, WAVE, by="overall")
    assert df["group"].tolist() == ["2", "4", "5"]
    assert df["n"].tolist() == [1, 2, 1]


def test_comments_search_and_words(survey):
    listed = comments.list_comments(survey, WAVE)
    assert set(listed["response_id"]) == {"R1", "R2", "R3"}
    found = comments.list_comments(survey, WAVE, search="物流")
    assert sorted(found["response_id"]) == ["R1", "R3"]
    assert found.set_index("response_id").loc["R3", "nps_group"] == "detractor"
    words = comments.word_frequencies(survey, WAVE)
    everyone = words[words["group"] == "all"].set_index("word")
    assert everyone.loc["质量", "comments"] == 2 and everyone.loc["质量", "share"] == pytest.approx(2 / 3)
    detractor = words[words["group"] == "detractor"].set_index("word")
    assert set(detractor.index) == {"质量", "物流", "太慢"}
    assert "很" not in everyone.index  # stop word


def test_english_tokenising_drops_stop_words():
    assert comments.tokenise("Delivery was slow, the box was DAMAGED!") == ["delivery", "slow", "box", "damaged"]


def test_callback_list(survey):
    df = callback.callback_list(survey, WAVE)
    # R3 (NPS 3, overall 2) then R5 (NPS 6); R4 is anonymous and not a detractor
    assert df["response_id"].tolist() == ["R3", "R5"]
    first = df.iloc[0]
    assert (first["customer_id"], first["name"], first["weakest"]) == ("C", "丙", "quality")
    assert first["weakest_score"] == pytest.approx((1 / 6 + 0) / 2 * 100)
    assert first["comment"] == "质量太差，物流太慢"


def test_breakdown_by_province(survey):
    df = breakdowns.breakdown(survey, WAVE, ALL, "province").set_index("group")
    # 广东: A (5, NPS 10) and C (2, NPS 3); 北京: B; 浙江: E
    assert df.loc["广东", "n"] == 2 and df.loc["广东", "csat"] == pytest.approx(0.5)
    assert df.loc["广东", "nps"] == pytest.approx(0.0)
    assert df.loc["北京", "nps"] == pytest.approx(100.0)
    first = breakdowns.breakdown(survey, WAVE, ALL, "first_category").set_index("group")
    # first orders: A 服装, B 美食, C 美妆, E 家居
    assert first["n"].to_dict() == {"服装": 1, "美食": 1, "美妆": 1, "家居": 1}
    tiers = breakdowns.breakdown(survey, WAVE, ALL, "tier")
    assert tiers["n"].sum() == 4
