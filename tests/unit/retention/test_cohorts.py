"""Cohort tables against the hand-built retention shop (tests/fixtures/retention_shop.py).

Monthly cohorts with first purchases in 2024-01-01 .. 2024-06-30, followed to 2024-06-30:

January {A, B, C}: A buys in Jan, Feb, Apr; B in Jan and Mar (its February order was
returned); C only in Jan.  February {D, E}: D in Feb (twice) and May; E in Feb and Jun.
March {F}: two orders on 2024-03-03 only.  G's first order (2023-12-15) is before the period.
"""

import datetime as dt

import pytest

from crm.errors import CRMInputError
from crm.retention import cohorts
from crm.store.filters import Filters

D = dt.date
F = Filters(start=D(2024, 1, 1), end=D(2024, 6, 30), as_of=D(2024, 6, 30))


def by_cohort(table, column):
    return {c.isoformat(): g.sort_values("period")[column].tolist() for c, g in table.groupby("cohort")}


def test_monthly_cohorts_exact_and_unbounded(retention_shop):
    table = cohorts.cohort_table(retention_shop, F)
    assert list(table.columns) == cohorts.COLUMNS
    assert by_cohort(table, "cohort_size") == {"2024-01-01": [3] * 6, "2024-02-01": [2] * 5, "2024-03-01": [1] * 4}
    # exact: bought in period k
    assert by_cohort(table, "customers") == {
        "2024-01-01": [3, 1, 1, 1, 0, 0], "2024-02-01": [2, 0, 0, 1, 1], "2024-03-01": [1, 0, 0, 0]}
    # unbounded: bought in period k or later (A last in k3, B in k2, C in k0; D k3, E k4)
    assert by_cohort(table, "unbounded_customers") == {
        "2024-01-01": [3, 2, 2, 1, 0, 0], "2024-02-01": [2, 2, 2, 2, 1], "2024-03-01": [1, 0, 0, 0]}
    assert by_cohort(table, "retention")["2024-01-01"] == pytest.approx([1, 1 / 3, 1 / 3, 1 / 3, 0, 0])
    assert by_cohort(table, "unbounded_retention")["2024-02-01"] == pytest.approx([1, 1, 1, 1, 0.5])
    # revenue: January k0 = 100 + 200 + 50, k1 = A's 50 (B's returned order does not count)
    assert by_cohort(table, "revenue") == {
        "2024-01-01": [350, 50, 100, 30, 0, 0], "2024-02-01": [360, 0, 0, 100, 60], "2024-03-01": [1500, 0, 0, 0]}
    assert by_cohort(table, "cumulative_revenue_per_customer")["2024-01-01"] == pytest.approx(
        [350 / 3, 400 / 3, 500 / 3, 530 / 3, 530 / 3, 530 / 3])
    assert table["complete"].all()  # observed to 2024-06-30, a month end
    assert not table["cohort_clipped"].any()
    assert by_cohort(table, "period_start")["2024-02-01"][-1] == D(2024, 6, 1)


def test_average_curve_weights_cohorts_by_size_over_completed_periods(retention_shop):
    curve = cohorts.average_curve(cohorts.cohort_table(retention_shop, F)).set_index("period")
    assert curve["cohorts"].tolist() == [3, 3, 3, 3, 2, 1]
    assert curve["retention"].tolist() == pytest.approx([1, 1 / 6, 1 / 6, 2 / 6, 1 / 5, 0])
    assert curve["unbounded_retention"].tolist() == pytest.approx([1, 4 / 6, 4 / 6, 3 / 6, 1 / 5, 0])
    # k0: (350 + 360 + 1500) / 6
    assert curve.loc[0, "cumulative_revenue_per_customer"] == pytest.approx(2210 / 6)


def test_quarterly_and_weekly_cohorts(retention_shop):
    quarter = cohorts.cohort_table(retention_shop, F, by="quarter")
    assert quarter[["cohort", "cohort_size", "period", "customers", "unbounded_customers", "revenue"]] \
        .values.tolist() == [[D(2024, 1, 1), 6, 0, 6, 6, 2360.0], [D(2024, 1, 1), 6, 1, 3, 3, 190.0]]
    week = cohorts.cohort_table(retention_shop, F, by="week")
    a = week[week["cohort"] == D(2024, 1, 1)].set_index("period")  # A alone: Mon 2024-01-01 .. Sun 01-07
    assert a["cohort_size"].iloc[0] == 1
    assert a.index[a["customers"] > 0].tolist() == [0, 5, 13]  # 02-10 is in the week of 02-05, 04-01 a Monday
    assert a.loc[13, "unbounded_customers"] == 1 and a.loc[14, "unbounded_customers"] == 0
    assert sorted(week["cohort"].unique()) == [D(2024, 1, 1), D(2024, 1, 15), D(2024, 1, 29), D(2024, 2, 26)]
    assert week.loc[week["cohort"] == D(2024, 1, 29), "cohort_size"].iloc[0] == 2  # C (Wed 01-31) and D (Thu 02-01)


def test_last_observed_period_is_marked_incomplete(retention_shop):
    early = Filters(start=F.start, end=D(2024, 6, 29), as_of=D(2024, 6, 29))
    table = cohorts.cohort_table(retention_shop, early)
    assert by_cohort(table, "customers")["2024-02-01"] == [2, 0, 0, 1, 0]  # E's 06-30 order not yet seen
    last = table.groupby("cohort")["period"].transform("max") == table["period"]
    assert not table.loc[last, "complete"].any()
    assert table.loc[~last, "complete"].all()
    assert cohorts.average_curve(table)["period"].max() == 4  # June is nobody's completed period


def test_split_by_acquisition_channel(retention_shop):
    table = cohorts.cohort_table(retention_shop, F, split="acquisition_channel")
    jan = table[table["cohort"] == D(2024, 1, 1)]
    tmall = jan[jan["segment"] == "天猫旗舰店"]  # A and C
    assert tmall["cohort_size"].iloc[0] == 2
    assert tmall["customers"].tolist() == [2, 1, 0, 1, 0, 0]
    assert tmall["unbounded_customers"].tolist() == [2, 1, 1, 1, 0, 0]
    assert jan[jan["segment"] == "京东"]["customers"].tolist() == [1, 0, 1, 0, 0, 0]  # B
    sizes = table[table["period"] == 0].groupby("segment")["cohort_size"].sum().to_dict()
    assert sizes == {"天猫旗舰店": 2, "京东": 2, "微信小程序": 1, "官网": 1}


def test_split_by_province_first_category_and_value_band(retention_shop):
    def members(split):
        t = cohorts.cohort_table(retention_shop, F, split=split)
        return t[t["period"] == 0].groupby("segment")["cohort_size"].sum().to_dict()

    assert members("province") == {"广东": 3, "北京": 1, "上海": 1, "浙江": 1}
    # F's first day holds 家居 1,000 and 服装 500: the larger order's category
    assert members("first_category") == {"服装": 1, "美妆": 2, "美食": 1, "家居": 2}
    # first-day spend: A 100, B 200, C 50, D 300, E 40, F 1,500
    assert members("first_order_band") == {"100_300": 2, "lt100": 2, "300_1000": 1, "ge1000": 1}


def test_category_filter_makes_the_first_order_in_that_category(retention_shop):
    beauty = Filters(start=F.start, end=F.end, as_of=F.as_of, categories=("美妆",))
    table = cohorts.cohort_table(retention_shop, beauty)
    # first 美妆 orders: B 01-20; A 02-10, D 02-20, E 02-28; only E buys 美妆 again (June)
    assert by_cohort(table, "cohort_size") == {"2024-01-01": [1] * 6, "2024-02-01": [3] * 5}
    assert by_cohort(table, "customers")["2024-02-01"] == [3, 0, 0, 0, 1]
    assert by_cohort(table, "revenue")["2024-02-01"] == [110, 0, 0, 0, 60]


def test_customer_filter_and_clipped_first_cohort(retention_shop):
    canton = Filters(start=D(2024, 1, 10), end=F.end, as_of=F.as_of, provinces=("广东",))
    table = cohorts.cohort_table(retention_shop, canton)
    # A (01-05) starts before the period; C and E are Cantonese
    assert by_cohort(table, "cohort_size") == {"2024-01-01": [1] * 6, "2024-02-01": [1] * 5}
    assert table.groupby("cohort")["cohort_clipped"].first().to_dict() == {D(2024, 1, 1): True, D(2024, 2, 1): False}


def test_empty_and_invalid(retention_shop):
    nobody = Filters(start=D(2024, 4, 1), end=D(2024, 4, 30), as_of=F.as_of)
    empty = cohorts.cohort_table(retention_shop, nobody)
    assert empty.empty and list(empty.columns) == cohorts.COLUMNS
    assert cohorts.average_curve(empty).empty
    with pytest.raises(CRMInputError, match="Unknown cohort period"):
        cohorts.cohort_table(retention_shop, F, by="day")
    with pytest.raises(CRMInputError, match="split"):
        cohorts.cohort_table(retention_shop, F, split="gender")


def test_export_columns(retention_shop):
    out = cohorts.export_table(cohorts.cohort_table(retention_shop, F))
    assert list(out.columns) == ["cohort", "cohort_size", "period", "customers", "retention", "revenue"]
    assert out.iloc[1].tolist() == ["2024-01-01", 3, 1, 1, pytest.approx(1 / 3), 50.0]
