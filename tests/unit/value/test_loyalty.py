"""Points and tiers on the small shop, as of 2024-06-30, by hand.

customer  signup      first order  start       whole months  lifetime spend (≤ as_of, O6 returned)
A         2023-01-01  2023-03-10   2023-01-01  17            100 + 200 + 300 = 600
B         2023-02-01  2023-06-01   2023-02-01  16            50 + 150 = 200
C         2023-06-01  2023-07-01   2023-06-01  12            120
D         2024-01-05  2024-01-10   2024-01-05   5            400 + 100 = 500
E         2024-03-01  2024-04-01   2024-03-01   3            5000 + 3000 = 8000

Default rule (1 point a month, 1 point per 10 yuan): A 77, B 36, C 24, D 55, E 803.
"""

import datetime as dt

import pytest

from crm.value import loyalty
from crm.errors import CRMInputError
from crm.store.filters import Filters, default_filters

F = default_filters(dt.date(2024, 6, 30))


def points(df):
    return dict(zip(df["customer_id"], df["points"]))


def test_points_default_rule(shop):
    df = loyalty.compute_points(shop, F)
    assert df.columns.tolist() == loyalty.POINTS_COLUMNS
    assert dict(zip(df["customer_id"], df["tenure_months"])) == {"A": 17, "B": 16, "C": 12, "D": 5, "E": 3}
    assert dict(zip(df["customer_id"], df["spend"])) == {"A": 600, "B": 200, "C": 120, "D": 500, "E": 8000}
    assert points(df) == {"A": 77, "B": 36, "C": 24, "D": 55, "E": 803}


def test_points_are_lifetime_not_the_period(shop):
    short = Filters(start=dt.date(2024, 6, 1), end=dt.date(2024, 6, 30), as_of=dt.date(2024, 6, 30))
    assert points(loyalty.compute_points(shop, short)) == points(loyalty.compute_points(shop, F))


def test_points_stop_at_as_of(shop):
    f = Filters(start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31), as_of=dt.date(2024, 3, 31))
    df = loyalty.compute_points(shop, f)
    # E has not bought by 03-31; D: 2024-01-05 -> 03-31 is 2 whole months, spend 400
    assert "E" not in set(df["customer_id"])
    assert points(df)["D"] == 2 + 40


def test_points_custom_rule(shop):
    df = loyalty.compute_points(shop, F, points_per_month=10, yuan_per_point=1)
    assert points(df) == {"A": 770, "B": 360, "C": 240, "D": 550, "E": 8030}


def test_default_tiers(shop):
    df = loyalty.assign_tiers(loyalty.compute_points(shop, F))
    assert dict(zip(df["customer_id"], df["tier"].astype(str))) == {
        "A": "normal", "B": "normal", "C": "normal", "D": "normal", "E": "silver"}
    assert list(df["tier"].cat.categories) == ["normal", "silver", "gold", "diamond"]


def test_tier_thresholds_are_inclusive(shop):
    df = loyalty.compute_points(shop, F)
    tiers = (("base", 0), ("plus", 77), ("top", 803.5))
    out = loyalty.assign_tiers(df, tiers)
    assert dict(zip(out["customer_id"], out["tier"].astype(str))) == {
        "A": "plus", "B": "base", "C": "base", "D": "base", "E": "plus"}


def test_tier_summary(shop):
    df = loyalty.assign_tiers(loyalty.compute_points(shop, F, points_per_month=10, yuan_per_point=1))
    summary = loyalty.tier_summary(df).set_index("tier")
    assert summary.index.tolist() == ["normal", "silver", "gold", "diamond"]
    assert summary["customers"].tolist() == [2, 2, 0, 1]  # B C | A D | — | E
    assert summary["share"].tolist() == pytest.approx([0.4, 0.4, 0, 0.2])
    assert summary["revenue"].tolist() == [320, 1100, 0, 8000]
    assert summary["revenue_share"].tolist() == pytest.approx([320 / 9420, 1100 / 9420, 0, 8000 / 9420])
    assert summary["avg_points"].tolist() == pytest.approx([300, 660, 0, 8030])


@pytest.mark.parametrize("tiers", [
    (("normal", 100), ("gold", 500)),          # does not start at 0
    (("normal", 0), ("gold", 500), ("silver", 500)),  # not increasing
    (("normal", 0), ("gold", 500), ("silver", 200)),
])
def test_tier_threshold_validation(shop, tiers):
    df = loyalty.compute_points(shop, F)
    with pytest.raises(CRMInputError, match="Tier thresholds must start at 0 and increase"):
        loyalty.assign_tiers(df, tiers)


@pytest.mark.parametrize("tiers", [(), (("a", 0), ("a", 10)), (("", 0),), ((1, 2, 3),), "gold"])
def test_tier_shape_validation(shop, tiers):
    df = loyalty.compute_points(shop, F)
    with pytest.raises(CRMInputError, match="Invalid tiers"):
        loyalty.assign_tiers(df, tiers)


@pytest.mark.parametrize("kwargs", [{"points_per_month": -1}, {"yuan_per_point": 0}, {"yuan_per_point": "10"}])
def test_rate_validation(shop, kwargs):
    with pytest.raises(CRMInputError, match="Invalid points rule"):
        loyalty.compute_points(shop, F, **kwargs)


def test_points_for_customers(shop):
    df = loyalty.points_for_customers(shop, F, ["E", "A", "Z"])
    assert points(df) == {"A": 77, "E": 803}
