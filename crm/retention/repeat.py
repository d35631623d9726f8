"""Repeat buying: how many customers come back, how soon, and how often they buy.

Orders are the non-returned orders inside the sidebar's dimension filters. A
*purchase day* is a day on which a customer placed at least one order: several
orders on one day are one visit, so gaps between orders are never 0 days.

* repeat-purchase rate — customers with ≥ 2 orders in the period ÷ customers
  with ≥ 1 order in the period (the overview's figure of the same name).
* second-purchase conversion within w days (w = 30, 60, 90) — among the
  customers whose first purchase day (within the filters) falls in the
  period *and* lies at least w days before the as-of date (so that w days
  after it are observed), the share whose next purchase day came no more than
  w days after the first. `eligible` gives the denominator for each w.
* days between orders — for every purchase day in the period that is not the
  customer's first, the days since the customer's previous purchase day (which
  may lie before the period). The distribution is returned as counts per gap
  length; its median and other quantiles come from `gap_quantile`.
* orders per customer — customers with an order in the period by their number
  of orders in it (capped: `ORDERS_CAP` means "that many or more").
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm.store.db import query
from crm.store.filters import Filters

WINDOWS = (30, 60, 90)
ORDERS_CAP = 10

_SUMMARY_SQL = """
WITH firsts AS (  -- each customer's first purchase day within the filters
    SELECT customer_id, min(order_date) AS first_day
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date <= $end
    GROUP BY customer_id
), per_customer AS (  -- orders from the period start on: what the period and a new customer's next visit need
    SELECT f.first_day,
           count(*) FILTER (WHERE o.order_date <= $end) AS period_orders,
           min(o.order_date) FILTER (WHERE o.order_date > f.first_day) AS second_day
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands) o
    JOIN firsts f USING (customer_id)
    WHERE o.order_date BETWEEN $start AND $observe
    GROUP BY o.customer_id, f.first_day
), flagged AS (
    SELECT period_orders,
           first_day BETWEEN $start AND $end AS is_new,
           date_diff('day', first_day, second_day) AS days_to_second,
           date_diff('day', first_day, $observe) AS observed_days
    FROM per_customer
)
SELECT count(*) FILTER (WHERE period_orders >= 1) AS buyers,
       count(*) FILTER (WHERE period_orders >= 2) AS repeaters,
       count(*) FILTER (WHERE is_new) AS new_customers,
       count(*) FILTER (WHERE is_new AND observed_days >= 30) AS eligible_30,
       count(*) FILTER (WHERE is_new AND observed_days >= 30 AND days_to_second <= 30) AS converted_30,
       count(*) FILTER (WHERE is_new AND observed_days >= 60) AS eligible_60,
       count(*) FILTER (WHERE is_new AND observed_days >= 60 AND days_to_second <= 60) AS converted_60,
       count(*) FILTER (WHERE is_new AND observed_days >= 90) AS eligible_90,
       count(*) FILTER (WHERE is_new AND observed_days >= 90 AND days_to_second <= 90) AS converted_90
FROM flagged
"""

_GAPS_SQL = """
WITH earlier AS (  -- each customer's last order before the period: the one a first gap in it starts from
    SELECT customer_id, max(order_date) AS order_date
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date < $start
    GROUP BY customer_id
), orders_seen AS (
    SELECT customer_id, order_date
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date BETWEEN $start AND $end
    UNION ALL
    SELECT customer_id, order_date FROM earlier
), gaps AS (  -- days since the previous order; 0 for a second order on the same day (one purchase day)
    SELECT order_date,
           date_diff('day', lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date), order_date) AS gap
    FROM orders_seen
)
SELECT gap AS gap_days, count(*) AS gaps
FROM gaps
WHERE gap > 0 AND order_date >= $start
GROUP BY gap
ORDER BY gap
"""

_ORDERS_SQL = """
SELECT least(orders, $cap) AS orders, count(*) AS customers
FROM (SELECT customer_id, count(*) AS orders
      FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
      WHERE order_date BETWEEN $start AND $end
      GROUP BY customer_id)
GROUP BY ALL
ORDER BY orders
"""


@dataclass(frozen=True)
class RepeatSummary:
    """Repeat-purchase rate and second-purchase conversion (see the module docstring)."""

    buyers: int                      # customers with ≥ 1 order in the period
    repeaters: int                   # … with ≥ 2
    new_customers: int               # first purchase day in the period
    eligible: dict[int, int]         # window -> new customers observed for that many days
    converted: dict[int, int]        # window -> of those, next purchase day within the window

    @property
    def repeat_rate(self) -> float | None:
        return self.repeaters / self.buyers if self.buyers else None

    def conversion(self, window: int) -> float | None:
        eligible = self.eligible.get(window, 0)
        return self.converted[window] / eligible if eligible else None


def repeat_summary(con, filters: Filters, *, observe_until: dt.date | None = None) -> RepeatSummary:
    """Repeat-purchase rate of the period and second-purchase conversion of its new customers.

    Second purchases are looked for up to `observe_until` (default the as-of
    date, never before the period end).
    """
    observe = max(observe_until or filters.as_of, filters.end)
    row = query(con, _SUMMARY_SQL, {**filters.params(), "observe": observe}).iloc[0]
    return RepeatSummary(
        buyers=int(row["buyers"]), repeaters=int(row["repeaters"]), new_customers=int(row["new_customers"]),
        eligible={w: int(row[f"eligible_{w}"]) for w in WINDOWS},
        converted={w: int(row[f"converted_{w}"]) for w in WINDOWS},
    )


def gap_distribution(con, filters: Filters) -> pd.DataFrame:
    """Days between a customer's consecutive purchase days, for purchase days in the period.

    One row per gap length: `gap_days` (≥ 1), `gaps` (how many).
    """
    df = query(con, _GAPS_SQL, filters.params())
    return df.astype({"gap_days": "int64", "gaps": "int64"})


def gap_quantile(distribution: pd.DataFrame, q: float) -> int | None:
    """The q-quantile of the gaps by the inverse of their distribution: the smallest gap g with P(gap ≤ g) ≥ q."""
    if distribution.empty:
        return None
    cumulative = distribution["gaps"].cumsum().to_numpy()
    target = q * cumulative[-1]
    index = int(np.searchsorted(cumulative, math.ceil(target - 1e-9) if q > 0 else 1))
    return int(distribution["gap_days"].iloc[min(index, len(distribution) - 1)])


def orders_per_customer(con, filters: Filters) -> pd.DataFrame:
    """Customers by their number of orders in the period: `orders` (ORDERS_CAP = that many or more), `customers`."""
    df = query(con, _ORDERS_SQL, {**filters.params(), "cap": ORDERS_CAP})
    df = df.astype({"orders": "int64", "customers": "int64"})
    total = df["customers"].sum()
    df["share"] = df["customers"] / total if total else 0.0
    return df
