"""Overview KPIs against the small shop, every figure worked out by hand.

Period 2024-04-01..2024-06-30 (91 days); previous 2024-01-01..2024-03-31;
the one before 2023-10-02..2023-12-31. Returned order O6 never counts.

customer  current period          previous period     first order
A         O3 300                  O2 200              2023-03-10
B         —                       O5 150              2023-06-01
C         —                       —                   2023-07-01
D         O9 100                  O8 400              2024-01-10
E         O10 5000, O11 3000      —                   2024-04-01
"""

import datetime as dt

import pandas as pd
import pytest

from crm.value import overview
from crm.errors import CRMInputError
from crm.store.filters import Filters, default_filters

PERIOD = Filters(start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30), as_of=dt.date(2024, 6, 30))


def kpis(con, filters=PERIOD):
    df = overview.compute_kpis(con, filters)
    return {r.metric: (r.current, r.previous) for r in df.itertuples()}


def test_previous_period_has_equal_length():
    prev = PERIOD.previous()
    assert (prev.start, prev.end, prev.days) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31), 91)
    assert prev.previous().start == dt.date(2023, 10, 2)


def test_kpis_match_hand_computation(shop):
    k = kpis(shop)
    assert k["customers"] == (5, 4)  # first order by 06-30: all; by 03-31: A B C D
    assert k["active_customers"] == (3, 3)  # A D E | A B D
    assert k["new_customers"] == (1, 1)  # E | D
    assert k["revenue"] == (8400, 750)  # 300+100+5000+3000 | 200+150+400
    assert k["orders"] == (4, 3)
    assert k["avg_order_value"] == (2100, 250)
    assert k["repeat_rate"][0] == pytest.approx(1 / 3)  # only E ordered twice
    assert k["repeat_rate"][1] == 0
    assert k["lapsed_customers"] == (1, 0)  # B bought before, not now
    # complaints open on 06-30: T1, T5 (resolved 07-10); on 03-31: T2, T5. T4 closed, T3 not a complaint.
    assert k["open_complaints"] == (2, 2)


def test_kpi_change_is_relative_to_previous(shop):
    df = overview.compute_kpis(shop, PERIOD).set_index("metric")
    assert df.loc["revenue", "change"] == pytest.approx((8400 - 750) / 750)
    assert df.loc["customers", "change"] == pytest.approx(0.25)
    assert pd.isna(df.loc["lapsed_customers", "change"])  # previous is 0: no ratio


def test_province_filter(shop):
    k = kpis(shop, Filters(start=PERIOD.start, end=PERIOD.end, as_of=PERIOD.as_of, provinces=("广东",)))
    assert k["customers"] == (2, 2)  # A, C
    assert k["revenue"] == (300, 200)
    assert k["lapsed_customers"] == (0, 0)
    assert k["open_complaints"] == (1, 0)  # T1 only


def test_category_filter_uses_first_order_in_category(shop):
    f = Filters(start=PERIOD.start, end=PERIOD.end, as_of=PERIOD.as_of, categories=("服装",))
    k = kpis(shop, f)
    assert k["customers"] == (2, 2)  # A (O1), B (O5); O6 is returned
    assert k["revenue"] == (300, 150)
    assert k["new_customers"] == (0, 1)  # B's first 服装 order is 03-15
    assert k["lapsed_customers"] == (1, 0)  # B


def test_age_band_uses_completed_years(shop):
    # C was born 2000-07-20: 23 on 2024-06-30, so under 25 (a year count would say 24).
    f = Filters(start=PERIOD.start, end=PERIOD.end, as_of=PERIOD.as_of, age_bands=("u25",))
    assert kpis(shop, f)["customers"] == (1, 1)


def test_monthly_trend(shop):
    df = overview.monthly_trend(shop, PERIOD)
    assert [d.month for d in df["month"]] == [4, 5, 6]
    assert df["revenue"].tolist() == [5000, 300, 3100]
    assert df["orders"].tolist() == [1, 1, 2]
    assert df["new_customers"].tolist() == [1, 0, 0]
    assert df["returning_customers"].tolist() == [0, 1, 2]
    assert df["profit"].tolist() == [1000, 150, 630]


def test_breakdown_by_category(shop):
    df = overview.breakdown(shop, PERIOD, "category").set_index("value")
    assert df.loc["家居", "revenue"] == 8100
    assert df.loc["家居", "customers"] == 2
    assert df.loc["家居", "profit"] == 1630
    assert df.loc["家居", "share"] == pytest.approx(8100 / 8400)
    assert df.index[0] == "家居"


def test_breakdown_rejects_unknown_dimension(shop):
    with pytest.raises(CRMInputError, match="dimension"):
        overview.breakdown(shop, PERIOD, "customer_id; drop table orders")


def test_filters_reject_reversed_period():
    with pytest.raises(CRMInputError, match="Start date 2024-02-01 is after end date 2024-01-01"):
        Filters(start=dt.date(2024, 2, 1), end=dt.date(2024, 1, 1), as_of=dt.date(2024, 1, 1))


def test_default_filters_cover_twelve_months_to_reference():
    f = default_filters(dt.date(2024, 6, 30))
    assert (f.start, f.end, f.as_of) == (dt.date(2023, 7, 1), dt.date(2024, 6, 30), dt.date(2024, 6, 30))


def test_filter_options_and_range(shop):
    options = overview.filter_options(shop)
    # 家居 and 服装 both have 4 orders (服装's include the returned O6): ties sort by name
    assert options["categories"][:2] == ["家居", "服装"]
    assert sorted(options["provinces"]) == ["上海", "北京", "广东", "浙江"]
    assert overview.data_range(shop) == {"first": dt.date(2023, 3, 10), "last": dt.date(2024, 6, 30), "orders": 11}


def test_empty_database_gives_zero_kpis():
    from crm.store import db

    con = db.connect(":memory:")
    k = kpis(con)
    assert k["revenue"] == (0, 0)
    assert all(pd.isna(v) for v in k["avg_order_value"])  # no orders: no average
