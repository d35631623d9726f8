"""Pareto curve, headline, ABC classes, by hand on the `accounts` shop.

Period 2024-04-01..2024-06-30. Revenue: K1 500, K2 300, K3 100, K4 60, K5 40
(total 1000; cumulative .5 .8 .9 .96 1). Profit: K2 250, K1 150, K3 50, K4 0,
K5 −50: positive total 450, net total 400.
"""

import datetime as dt

import pandas as pd
import pytest

from crm.value import concentration
from crm.errors import CRMInputError
from crm.store.filters import Filters

F = Filters(start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30), as_of=dt.date(2024, 6, 30))



def test_pareto_by_revenue(accounts):
    df = concentration.pareto(accounts, F)
    assert df.columns.tolist() == concentration.PARETO_COLUMNS
    assert df["customer_id"].tolist() == ["K1", "K2", "K3", "K4", "K5"]
    assert df["customer_rank"].tolist() == [1, 2, 3, 4, 5]
    assert df["customer_share"].tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert df["cumulative_share"].tolist() == pytest.approx([0.5, 0.8, 0.9, 0.96, 1.0])


def test_pareto_by_profit_ignores_losses_in_the_cumulative_share(accounts):
    df = concentration.pareto(accounts, F, value="profit")
    assert df["customer_id"].tolist() == ["K2", "K1", "K3", "K4", "K5"]
    assert df["value"].tolist() == [250, 150, 50, 0, -50]
    assert df["cumulative_share"].tolist() == pytest.approx([250 / 450, 400 / 450, 1, 1, 1])


def test_ties_rank_by_customer_id(shop):
    f = Filters(start=dt.date(2023, 7, 1), end=dt.date(2024, 6, 30), as_of=dt.date(2024, 6, 30))
    df = concentration.pareto(shop, f)
    assert df["customer_id"].tolist() == ["E", "A", "D", "B", "C"]  # A and D both 500
    assert df["cumulative_share"].iloc[0] == pytest.approx(8000 / 9270)


def test_headline(accounts):
    df = concentration.pareto(accounts, F)
    h = concentration.headline(df)
    assert (h["customers"], h["customer_share"], h["value"], h["total_customers"], h["total_value"]) == (1, 0.2, 500, 5, 1000)
    assert h["value_share"] == pytest.approx(0.5)
    h = concentration.headline(df, top_share=0.5)  # floor(2.5) = 2 customers
    assert (h["customers"], h["value_share"]) == (2, pytest.approx(0.8))
    h = concentration.headline(df, top_share=0.1)  # less than one customer: still one
    assert h["customers"] == 1
    assert concentration.headline(df.iloc[0:0])["customers"] == 0


def test_top_share_for(accounts):
    df = concentration.pareto(accounts, F)
    assert concentration.top_share_for(df) == pytest.approx(0.4)  # K2 brings the curve to exactly 80 %
    assert concentration.top_share_for(df, 0.85) == pytest.approx(0.6)
    assert concentration.top_share_for(df, 0.5) == pytest.approx(0.2)
    assert concentration.top_share_for(df, 1.0) == pytest.approx(1.0)
    assert concentration.top_share_for(df.iloc[0:0]) is None


def test_pareto_points_keep_first_last_and_exact_points():
    n = 2000
    df = pd.DataFrame({
        "customer_id": [f"C{i}" for i in range(n)], "value": [1.0] * n,
        "customer_rank": range(1, n + 1), "customer_share": [(i + 1) / n for i in range(n)],
        "cumulative_share": [(i + 1) / n for i in range(n)],
    })
    points = concentration.pareto_points(df, max_points=500)
    assert len(points) == 500
    assert points["customer_rank"].iloc[0] == 1 and points["customer_rank"].iloc[-1] == n
    assert (points["customer_share"] == points["customer_rank"] / n).all()  # rows of the curve, not interpolated
    assert points["customer_rank"].is_monotonic_increasing
    assert len(concentration.pareto_points(df.head(10))) == 10
    with pytest.raises(CRMInputError, match="plot points"):
        concentration.pareto_points(df, max_points=1)


def test_abc_classes_default_cut_points(accounts):
    df = concentration.abc_classes(accounts, F)
    assert df.columns.tolist() == concentration.ABC_COLUMNS
    # share before each: 0, .5, .8, .9, .96 -> A A B B C (K2 crosses 80 % and stays A; K3 starts at 80 %)
    assert dict(zip(df["customer_id"], df["abc_class"])) == {"K1": "A", "K2": "A", "K3": "B", "K4": "B", "K5": "C"}


def test_abc_classes_edited_cut_points(accounts):
    df = concentration.abc_classes(accounts, F, a=0.5, b=0.9)
    # share before: K2 .5 is not < .5 -> B; K3 .8 < .9 -> B; K4 .9 -> C
    assert df["abc_class"].tolist() == ["A", "B", "B", "C", "C"]
    df = concentration.abc_classes(accounts, F, a=0.6, b=0.95)
    assert df["abc_class"].tolist() == ["A", "A", "B", "B", "C"]


def test_abc_by_profit_puts_losses_in_c(accounts):
    df = concentration.abc_classes(accounts, F, value="profit")
    # positive shares before: K2 0, K1 250/450, K3 400/450 = .889 -> A A B; K4 (0) and K5 (−50) are C
    assert dict(zip(df["customer_id"], df["abc_class"])) == {"K2": "A", "K1": "A", "K3": "B", "K4": "C", "K5": "C"}
    summary = concentration.abc_summary(df).set_index("abc_class")
    assert summary["value"].tolist() == [400, 50, -50]
    assert summary["value_share"].tolist() == pytest.approx([1.0, 0.125, -0.125])  # of the net 400


def test_abc_summary(accounts):
    summary = concentration.abc_summary(concentration.abc_classes(accounts, F)).set_index("abc_class")
    assert summary.index.tolist() == ["A", "B", "C"]
    assert summary["customers"].tolist() == [2, 2, 1]
    assert summary["customer_share"].tolist() == pytest.approx([0.4, 0.4, 0.2])
    assert summary["value"].tolist() == [800, 160, 40]
    assert summary["value_share"].tolist() == pytest.approx([0.8, 0.16, 0.04])


def test_abc_summary_has_every_class(accounts):
    df = concentration.abc_classes(accounts, F, a=0.9, b=0.99)
    summary = concentration.abc_summary(df[df["abc_class"] == "A"]).set_index("abc_class")
    assert summary.loc["C", "customers"] == 0 and summary.loc["C", "value"] == 0


@pytest.mark.parametrize("a, b", [(0.95, 0.8), (0.8, 0.8), (0, 0.5), (0.5, 1), (-0.1, 0.5), ("0.8", 0.9)])
def test_cut_point_validation(accounts, a, b):
    with pytest.raises(CRMInputError, match="ABC cut points must satisfy 0 < A < B < 1"):
        concentration.abc_classes(accounts, F, a=a, b=b)


def test_value_allow_list(accounts):
    with pytest.raises(CRMInputError, match='value must be "revenue" or "profit"'):
        concentration.pareto(accounts, F, value="amount; DROP TABLE orders")
    with pytest.raises(CRMInputError, match="revenue"):
        concentration.abc_classes(accounts, F, value="orders")


def test_share_validation(accounts):
    df = concentration.pareto(accounts, F)
    with pytest.raises(CRMInputError, match="top_share must be a share between 0 and 1, got: 20"):
        concentration.headline(df, top_share=20)
    with pytest.raises(CRMInputError, match="value_share"):
        concentration.top_share_for(df, value_share=0)
