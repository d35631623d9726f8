"""RFM values, quantile scores, the 8 classes and their summaries, worked out by hand.

Small shop, default filters at 2024-06-30: period 2023-07-01..2024-06-30.
Orders in the period (O1 and O4 are earlier, O6 is returned):

customer  orders        last order   recency  frequency  monetary  profit
A         O2 200, O3 300  2024-05-01    60        2         500      230
B         O5 150          2024-03-15   107        1         150       60
C         O7 120          2023-07-01   365        1         120       40
D         O8 400, O9 100  2024-06-30     0        2         500      230
E         O10, O11        2024-06-01    29        2        8000     1600

Scores with n = 5, bins = 5: score = 1 + ((rank − 1) × 5) // 4, capped at 5, so
ranks 1..5 give 1, 2, 3, 4, 5 and tied values share the lower rank's score.
"""

import datetime as dt

import pandas as pd
import pytest

from crm.value import rfm
from crm.errors import CRMInputError
from crm.store.filters import Filters, default_filters
from tests.fixtures import segment_shops

F = default_filters(dt.date(2024, 6, 30))
EIGHT = Filters(start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 30), as_of=dt.date(2024, 6, 30))



def by_id(df, column):
    return dict(zip(df["customer_id"], df[column]))


def test_values(shop):
    df = rfm.compute_rfm(shop, F)
    assert df.columns.tolist() == rfm.RFM_COLUMNS
    assert df["customer_id"].tolist() == ["A", "B", "C", "D", "E"]
    assert by_id(df, "recency_days") == {"A": 60, "B": 107, "C": 365, "D": 0, "E": 29}
    assert by_id(df, "frequency") == {"A": 2, "B": 1, "C": 1, "D": 2, "E": 2}
    assert by_id(df, "monetary") == {"A": 500, "B": 150, "C": 120, "D": 500, "E": 8000}
    assert by_id(df, "profit") == {"A": 230, "B": 60, "C": 40, "D": 230, "E": 1600}
    assert by_id(df, "name")["E"] == "戊有限公司"
    assert pd.Timestamp(by_id(df, "last_order_date")["B"]).date() == dt.date(2024, 3, 15)


def test_scores_with_ties(shop):
    df = rfm.compute_rfm(shop, F)
    # R by recency DESC: C 365, B 107, A 60, E 29, D 0 -> 1..5
    assert by_id(df, "r_score") == {"C": 1, "B": 2, "A": 3, "E": 4, "D": 5}
    # F ascending: B, C tie at 1 (rank 1 -> 1); A, D, E tie at 2 (rank 3 -> 1 + 10 // 4 = 3)
    assert by_id(df, "f_score") == {"B": 1, "C": 1, "A": 3, "D": 3, "E": 3}
    # M ascending: C 120, B 150, A = D 500 (rank 3), E 8000 (rank 5)
    assert by_id(df, "m_score") == {"C": 1, "B": 2, "A": 3, "D": 3, "E": 5}


def test_quartiles(shop):
    df = rfm.compute_rfm(shop, F, bins=4)
    # 1 + ((rank − 1) × 4) // 4 = rank, capped at 4
    assert by_id(df, "r_score") == {"C": 1, "B": 2, "A": 3, "E": 4, "D": 4}
    assert by_id(df, "m_score") == {"C": 1, "B": 2, "A": 3, "D": 3, "E": 4}


def test_mean_split_classes(shop):
    df = rfm.compute_rfm(shop, F)
    # means: recency 561/5 = 112.2, frequency 8/5 = 1.6, monetary 9270/5 = 1854
    assert by_id(df, "r_high") == {"A": True, "B": True, "C": False, "D": True, "E": True}
    assert by_id(df, "f_high") == {"A": True, "B": False, "C": False, "D": True, "E": True}
    assert by_id(df, "m_high") == {"A": False, "B": False, "C": False, "D": False, "E": True}
    assert by_id(df, "segment") == {
        "A": "general_value", "B": "general_development", "C": "general_winback",
        "D": "general_value", "E": "important_value",
    }


def test_median_split_classes(shop):
    df = rfm.compute_rfm(shop, F, split="median")
    # medians: recency 60 (A is not < 60), frequency 2 (nobody > 2), monetary 500 (only E > 500)
    assert by_id(df, "segment") == {
        "A": "general_winback", "B": "general_winback", "C": "general_winback",
        "D": "general_development", "E": "important_development",
    }


def test_as_of_before_end_limits_the_orders(shop):
    f = Filters(start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 30), as_of=dt.date(2024, 3, 31))
    df = rfm.compute_rfm(shop, f)
    # orders 2024-01-01..03-31: A O2 (02-01), B O5 (03-15), D O8 (01-10)
    assert by_id(df, "recency_days") == {"A": 59, "B": 16, "D": 81}


def test_all_eight_classes(eight):
    for split in ("mean", "median"):
        df = rfm.compute_rfm(eight, EIGHT, split=split)
        assert df["segment"].astype(str).tolist() == list(rfm.SEGMENTS), split
    df = rfm.compute_rfm(eight, EIGHT)
    assert by_id(df, "recency_days") == {s[0]: s[1] for s in segment_shops.EIGHT}
    assert by_id(df, "monetary") == {"S1": 1200, "S2": 1000, "S3": 1100, "S4": 900,
                                     "S5": 100, "S6": 50, "S7": 90, "S8": 60}


def test_quintiles_of_eight(eight):
    # n = 8: score = 1 + ((rank − 1) × 5) // 7 -> ranks 1..8 give 1 1 2 3 3 4 5 5
    df = rfm.compute_rfm(eight, EIGHT)
    assert by_id(df, "r_score") == {"S3": 1, "S4": 1, "S7": 2, "S8": 3, "S6": 3, "S5": 4, "S2": 5, "S1": 5}
    # frequencies 1 1 1 2 3 4 5 6: the three 1s share rank 1
    assert by_id(df, "f_score") == {"S2": 1, "S6": 1, "S8": 1, "S4": 3, "S7": 3, "S5": 4, "S3": 5, "S1": 5}
    assert by_id(df, "m_score") == {"S6": 1, "S8": 1, "S7": 2, "S5": 3, "S4": 3, "S2": 4, "S3": 5, "S1": 5}
    # quartiles: 1 + ((rank − 1) × 4) // 7 -> 1 1 2 2 3 3 4 4
    q = rfm.compute_rfm(eight, EIGHT, bins=4)
    assert by_id(q, "r_score") == {"S3": 1, "S4": 1, "S7": 2, "S8": 2, "S6": 3, "S5": 3, "S2": 4, "S1": 4}


def test_segment_summary(shop):
    summary = rfm.segment_summary(rfm.compute_rfm(shop, F)).set_index("segment")
    assert summary.index.tolist() == list(rfm.SEGMENTS)
    assert summary["customers"].tolist() == [1, 0, 0, 0, 2, 1, 0, 1]
    assert summary.loc["general_value", "share"] == pytest.approx(0.4)
    assert summary.loc["general_value", "revenue"] == 1000
    assert summary.loc["important_value", "revenue_share"] == pytest.approx(8000 / 9270)
    assert summary.loc["general_value", "avg_recency"] == 30  # (60 + 0) / 2
    assert summary.loc["general_value", "avg_frequency"] == 2
    assert summary.loc["general_value", "avg_monetary"] == 500
    empty = summary.loc["important_retention"]
    assert (empty["customers"], empty["revenue"], empty["avg_recency"]) == (0, 0, 0)
    assert summary["share"].sum() == pytest.approx(1)


def test_rf_grid(shop):
    grid = rfm.rf_grid(rfm.compute_rfm(shop, F), bins=5)
    assert len(grid) == 25
    filled = grid[grid["customers"] > 0].set_index(["r_score", "f_score"])
    assert filled["customers"].to_dict() == {(1, 1): 1, (2, 1): 1, (3, 3): 1, (4, 3): 1, (5, 3): 1}
    assert filled.loc[(4, 3), "revenue"] == 8000
    assert grid["revenue"].sum() == 9270


def test_empty_period_gives_empty_table_and_zero_summary(shop):
    f = Filters(start=dt.date(2020, 1, 1), end=dt.date(2020, 12, 31), as_of=dt.date(2020, 12, 31))
    df = rfm.compute_rfm(shop, f)
    assert df.empty and df.columns.tolist() == rfm.RFM_COLUMNS
    assert rfm.segment_summary(df)["customers"].sum() == 0
    assert rfm.rf_grid(df, bins=4)["customers"].tolist() == [0] * 16


def test_filters_apply(shop):
    f = Filters(start=F.start, end=F.end, as_of=F.as_of, provinces=("广东",))
    df = rfm.compute_rfm(shop, f)
    assert df["customer_id"].tolist() == ["A", "C"]
    assert by_id(df, "r_score") == {"C": 1, "A": 5}  # n = 2: ranks 1, 2 -> 1, 1 + 5 // 1 capped


def test_rfm_for_customers_matches_full_table(shop):
    full = rfm.compute_rfm(shop, F).set_index("customer_id")
    some = rfm.rfm_for_customers(shop, F, ["E", "B", "nobody"]).set_index("customer_id")
    assert sorted(some.index) == ["B", "E"]
    pd.testing.assert_frame_equal(some.loc[["B", "E"]], full.loc[["B", "E"]])


@pytest.mark.parametrize("bins", [3, 6, True, "5", None])
def test_bins_validation(shop, bins):
    with pytest.raises(CRMInputError, match="Score bins must be 4"):
        rfm.compute_rfm(shop, F, bins=bins)


def test_split_validation(shop):
    with pytest.raises(CRMInputError, match='split must be "mean" or "median", got: mode'):
        rfm.compute_rfm(shop, F, split="mode")
