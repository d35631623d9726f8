"""Lifecycle stages, flows, rates and the churn threshold against the retention shop.

With a 30-day threshold, each customer's stage at the end of each month of 2024 (Dec 2023: G new):

      Jan     Feb      Mar        Apr        May        Jun
A     new     active   churned    returning  churned    churned
B     new     churned  returning  churned    churned    churned
C     new     dormant  churned    churned    churned    churned
D     -       new      churned    churned    returning  churned
E     -       new      churned    churned    churned    returning
F     -       -        new        churned    churned    churned
G     active  churned  churned    churned    churned    churned

(B on 02-29: 40 days since 01-20; C on 02-29: 29 days; E on 03-31: 32 days since 02-28.)
"""

import datetime as dt

import pytest

from crm.errors import CRMInputError
from crm.retention import lifecycle
from crm.store.filters import Filters

D = dt.date
F = Filters(start=D(2024, 1, 1), end=D(2024, 6, 30), as_of=D(2024, 6, 30))


def stage_table(result):
    wide = result.counts.pivot(index="month", columns="stage", values="customers")
    return {m.strftime("%m"): {s: int(wide.loc[m, s]) for s in lifecycle.STAGES if wide.loc[m, s]}
            for m in wide.index}


def test_stage_counts_by_month(retention_shop):
    result = lifecycle.lifecycle(retention_shop, F, 30)
    assert result.months == [D(2024, m, 1) for m in range(1, 7)]
    assert stage_table(result) == {
        "01": {"new": 3, "active": 1},
        "02": {"new": 2, "active": 1, "dormant": 1, "churned": 2},
        "03": {"new": 1, "returning": 1, "churned": 5},
        "04": {"returning": 1, "churned": 6},
        "05": {"returning": 1, "churned": 6},
        "06": {"returning": 1, "churned": 6},
    }
    assert not result.partial_last


def test_flows_between_months(retention_shop):
    flows = lifecycle.lifecycle(retention_shop, F, 30).flows
    feb = flows[flows["month"] == D(2024, 2, 1)]
    assert {(r.from_stage, r.to_stage): r.customers for r in feb.itertuples()} == {
        ("none", "new"): 2, ("new", "active"): 1, ("new", "churned"): 1, ("new", "dormant"): 1,
        ("active", "churned"): 1}
    mar = flows[flows["month"] == D(2024, 3, 1)]
    assert {(r.from_stage, r.to_stage): r.customers for r in mar.itertuples()} == {
        ("none", "new"): 1, ("active", "churned"): 1, ("dormant", "churned"): 1, ("new", "churned"): 2,
        ("churned", "returning"): 1, ("churned", "churned"): 1}


def test_flows_conserve_customers(demo_con):
    """Out of every stage flows what it held the month before; into every stage what it holds now."""
    f = Filters(start=D(2025, 6, 1), end=D(2026, 11, 15), as_of=D(2026, 11, 15))
    result = lifecycle.lifecycle(demo_con, f, 60)
    counts = result.counts.set_index(["month", "stage"])["customers"]
    for month in result.months[1:]:
        previous = D(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        flows = result.flows[result.flows["month"] == month]
        out = flows[flows["from_stage"] != "none"].groupby("from_stage")["customers"].sum()
        into = flows.groupby("to_stage")["customers"].sum()
        for stage in lifecycle.STAGES:
            assert out.get(stage, 0) == counts[(previous, stage)], (month, stage)
            assert into.get(stage, 0) == counts[(month, stage)], (month, stage)
    last = result.counts[result.counts["month"] == result.months[-1]].set_index("stage")["customers"]
    now = lifecycle.customer_stages(demo_con, f, 60)["stage"].value_counts()
    assert {s: int(last[s]) for s in lifecycle.STAGES} == {s: int(now.get(s, 0)) for s in lifecycle.STAGES}
    assert result.partial_last  # the period ends on 11-15


def test_churn_and_winback_rates(retention_shop):
    rates = lifecycle.lifecycle(retention_shop, F, 30).rates.set_index("month")
    assert rates["base"].tolist() == [1, 4, 4, 2, 1, 1]
    assert rates["churned"].tolist() == [0, 2, 4, 2, 1, 1]
    assert rates["churn_rate"].tolist() == pytest.approx([0, 0.5, 1, 1, 1, 1])
    assert rates["churned_base"].tolist() == [0, 0, 2, 5, 6, 6]
    assert rates["won_back"].tolist() == [0, 0, 1, 1, 1, 1]
    assert rates["winback_rate"].iloc[:2].isna().all()
    assert rates["winback_rate"].iloc[2:].tolist() == pytest.approx([0.5, 0.2, 1 / 6, 1 / 6])


def test_last_snapshot_is_the_period_end(retention_shop):
    mid_june = Filters(start=F.start, end=D(2024, 6, 15), as_of=D(2024, 6, 15))
    # D last bought 05-05: 41 days by 06-15 (56 by 06-30); E's 06-30 order is not seen
    at_45 = lifecycle.lifecycle(retention_shop, mid_june, 45)
    assert at_45.partial_last
    assert stage_table(at_45)["06"] == {"dormant": 1, "churned": 6}
    assert stage_table(lifecycle.lifecycle(retention_shop, mid_june, 40))["06"] == {"churned": 7}
    stages = lifecycle.customer_stages(retention_shop, mid_june, 45).set_index("customer_id")
    assert stages.loc["D", "stage"] == "dormant" and stages.loc["D", "days_since"] == 41


def test_customer_stages_at_the_period_end(retention_shop):
    stages = lifecycle.customer_stages(retention_shop, F, 30).set_index("customer_id")["stage"].to_dict()
    assert stages == {"A": "churned", "B": "churned", "C": "churned", "D": "churned", "E": "returning",
                      "F": "churned", "G": "churned"}


def test_threshold_is_the_90th_percentile_of_gaps(retention_shop):
    threshold = lifecycle.churn_threshold(retention_shop, F)
    # gaps 19 26 36 51 55 75 123: 0.9 × 7 = 6.3 → the 7th
    assert threshold == lifecycle.ChurnThreshold(days=123, percentile=0.9, gaps=7, median_gap=51, derived=True)
    assert lifecycle.churn_threshold(retention_shop, F, percentile=0.8).days == 75
    with pytest.raises(CRMInputError, match="percentile"):
        lifecycle.churn_threshold(retention_shop, F, percentile=1.5)


def test_threshold_without_repeat_purchases_falls_back(retention_shop):
    one_day = Filters(start=D(2024, 3, 3), end=D(2024, 3, 3), as_of=D(2024, 3, 3))  # F's two orders, one day
    threshold = lifecycle.churn_threshold(retention_shop, one_day)
    assert (threshold.days, threshold.gaps, threshold.derived) == (lifecycle.FALLBACK_THRESHOLD, 0, False)


def test_threshold_bounds(retention_shop):
    with pytest.raises(CRMInputError, match="threshold"):
        lifecycle.lifecycle(retention_shop, F, 0)
    with pytest.raises(CRMInputError, match="threshold"):
        lifecycle.customer_stages(retention_shop, F, 5000)
