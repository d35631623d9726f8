"""Repeat buying against the retention shop (tests/fixtures/retention_shop.py).

Orders in 2024-01-01 .. 2024-06-30 per customer: A 3, B 2 (+1 returned), C 1, D 3, E 2,
F 2 (on one day), G 1. Purchase days and the gaps ending in the period:
A 01-05 → 02-10 (36) → 04-01 (51); B 01-20 → 03-15 (55); D 02-01 → 02-20 (19) → 05-05 (75);
E 02-28 → 06-30 (123); G 2023-12-15 → 01-10 (26); C and F have one purchase day.
"""

import datetime as dt

import pytest

from crm.retention import repeat
from crm.store.filters import Filters
from crm.value import overview

D = dt.date
F = Filters(start=D(2024, 1, 1), end=D(2024, 6, 30), as_of=D(2024, 6, 30))


def test_repeat_rate_matches_the_overview(retention_shop):
    summary = repeat.repeat_summary(retention_shop, F)
    assert (summary.buyers, summary.repeaters) == (7, 5)  # F's two same-day orders count as two orders
    assert summary.repeat_rate == pytest.approx(5 / 7)
    kpi = overview.compute_kpis(retention_shop, F).set_index("metric").loc["repeat_rate", "current"]
    assert summary.repeat_rate == pytest.approx(kpi)


def test_second_purchase_conversion(retention_shop):
    summary = repeat.repeat_summary(retention_shop, F)
    assert summary.new_customers == 6  # A..F; G first bought in December
    # days to the next purchase day: A 36, B 55, D 19, E 123; C none, F none (same day only)
    assert summary.eligible == {30: 6, 60: 6, 90: 6}
    assert summary.converted == {30: 1, 60: 3, 90: 3}
    assert summary.conversion(60) == pytest.approx(0.5)


def test_conversion_counts_only_customers_observed_long_enough(retention_shop):
    spring = Filters(start=D(2024, 1, 1), end=D(2024, 3, 31), as_of=D(2024, 4, 15))
    summary = repeat.repeat_summary(retention_shop, spring)
    # first days by 04-15 − w: 30 days → all six (F 03-03), 60 → A B C D (≤ 02-15), 90 → A (≤ 01-16)
    assert summary.eligible == {30: 6, 60: 4, 90: 1}
    assert summary.converted == {30: 1, 60: 3, 90: 1}


def test_gap_distribution_and_quantiles(retention_shop):
    gaps = repeat.gap_distribution(retention_shop, F)
    assert gaps["gap_days"].tolist() == [19, 26, 36, 51, 55, 75, 123]
    assert gaps["gaps"].tolist() == [1] * 7
    assert repeat.gap_quantile(gaps, 0.5) == 51
    assert repeat.gap_quantile(gaps, 0.9) == 123  # 0.9 × 7 = 6.3: the 7th gap
    assert repeat.gap_quantile(gaps, 0.8) == 75   # 5.6: the 6th
    assert repeat.gap_quantile(gaps.iloc[:0], 0.5) is None
    march = Filters(start=D(2024, 3, 1), end=D(2024, 3, 31), as_of=D(2024, 6, 30))
    assert repeat.gap_distribution(retention_shop, march)["gap_days"].tolist() == [55]


def test_orders_per_customer(retention_shop):
    table = repeat.orders_per_customer(retention_shop, F)
    assert table[["orders", "customers"]].values.tolist() == [[1, 2], [2, 3], [3, 2]]
    assert table["share"].sum() == pytest.approx(1)
