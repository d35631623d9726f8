"""Lifecycle stages: where each customer stands at the end of every month, and how they move.

Orders are the non-returned orders inside the sidebar's dimension filters. At
the end of each calendar month m (the *snapshot*; for the period's last month
the period end when that comes first), every customer whose first order is on
or before the snapshot is in exactly one stage. With the churn threshold T
(days) and r = days from the customer's last order on or before the snapshot
to the snapshot:

* ``new`` 新客 — the first order falls in month m.
* ``returning`` 回流 — ordered in month m, and was ``churned`` at the end of
  month m−1 (won back).
* ``active`` 活跃 — ordered in month m, neither new nor returning.
* ``dormant`` 沉睡 — no order in month m and r ≤ T: lapsing, not yet lost.
* ``churned`` 流失 — no order in month m and r > T.

So new + active + returning are the month's buyers, and dormant + churned the
rest of the customer base. A customer who passes T and orders again within the
same month was never churned at a snapshot and counts as active.

Rates (from the month-over-month flows between snapshots):

* churn rate of month m — customers not churned at the end of m−1 (new,
  active, returning or dormant) who are churned at the end of m ÷ those not
  churned at the end of m−1.
* win-back rate of month m — customers churned at the end of m−1 who ordered
  in m (now ``returning``) ÷ those churned at the end of m−1.

The churn threshold's default is data-driven: the 90th percentile of the days
between consecutive purchase days (`crm.retention.repeat.gap_distribution`),
i.e. nine in ten repeat purchases come sooner than T days after the previous
one; a customer silent for longer is unlikely to be merely between purchases.

Implementation: orders are reduced to one row per customer and month with an
order from the month before the period on, plus one row for each customer's
last order before that (which is all the earlier history the stages depend
on); each row opens a run of stages (its own stage, then dormant until T has
passed, then churned until the next order month), and the monthly counts and
flows are running sums of the runs' starts and ends — no row per customer and
month is ever built.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from crm.errors import CRMInputError
from crm.retention.repeat import gap_distribution, gap_quantile
from crm.store.db import query
from crm.store.filters import Filters

STAGES = ("new", "active", "returning", "dormant", "churned")
DEFAULT_PERCENTILE = 0.9
MIN_THRESHOLD, MAX_THRESHOLD = 1, 3650
# Used when the data has no repeat purchases at all to derive the threshold from.
FALLBACK_THRESHOLD = 180


@dataclass(frozen=True)
class ChurnThreshold:
    """The churn threshold and how it was derived."""

    days: int
    percentile: float          # the quantile of the gaps used (0.9)
    gaps: int                  # how many gaps between consecutive purchase days it was taken from
    median_gap: int | None     # for context
    derived: bool              # False: no gaps in the data, the fallback was used


def churn_threshold(con, filters: Filters, *, percentile: float = DEFAULT_PERCENTILE) -> ChurnThreshold:
    """The data-driven churn threshold: the `percentile` quantile of the days between consecutive purchase days.

    Gaps are those whose later purchase day falls in the period (see
    `crm.retention.repeat`). With no gap at all, `FALLBACK_THRESHOLD` days.
    """
    if not 0 < percentile < 1:
        raise CRMInputError("retention.error.percentile", value=percentile)
    gaps = gap_distribution(con, filters)
    return threshold_from_gaps(gaps, percentile)


def threshold_from_gaps(gaps: pd.DataFrame, percentile: float = DEFAULT_PERCENTILE) -> ChurnThreshold:
    """`churn_threshold` from an already computed gap distribution."""
    total = int(gaps["gaps"].sum()) if len(gaps) else 0
    if total == 0:
        return ChurnThreshold(days=FALLBACK_THRESHOLD, percentile=percentile, gaps=0, median_gap=None, derived=False)
    return ChurnThreshold(days=max(MIN_THRESHOLD, gap_quantile(gaps, percentile)), percentile=percentile,
                          gaps=total, median_gap=gap_quantile(gaps, 0.5), derived=True)


# Months are integers (year × 12 + month − 1) so that month arithmetic is plain addition.
_LIFECYCLE_SQL = """
WITH earlier AS (  -- each customer's last order before the months in view (their state when the view opens)
    SELECT customer_id, max(order_date) AS last_date
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date < $before_day
    GROUP BY customer_id
), buys AS (  -- one row per customer and month with an order in view, after that earlier order
    SELECT customer_id, year(order_month) * 12 + month(order_month) - 1 AS m, max(order_date) AS last_date
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date BETWEEN $before_day AND $end
    GROUP BY ALL
    UNION ALL
    SELECT customer_id, year(last_date) * 12 + month(last_date) - 1, last_date FROM earlier
), seq AS (
    SELECT customer_id, m, last_date,
           row_number() OVER w AS n,
           coalesce(lead(m) OVER w, $after) AS next_m,
           lag(m) OVER w AS prev_m, lag(last_date) OVER w AS prev_last,
           lag(m, 2) OVER w AS prev2_m, lag(last_date, 2) OVER w AS prev2_last
    FROM buys
    WINDOW w AS (PARTITION BY customer_id ORDER BY m)
), churn AS (  -- the first month whose snapshot sees more than T days since each order month's last order
    SELECT *,
           greatest(m + 1, year(last_date + $T + 1) * 12 + month(last_date + $T + 1) - 1) AS c0,
           greatest(prev_m + 1, year(prev_last + $T + 1) * 12 + month(prev_last + $T + 1) - 1) AS prev_c,
           greatest(prev2_m + 1, year(prev2_last + $T + 1) * 12 + month(prev2_last + $T + 1) - 1) AS prev2_c
    FROM seq
), staged AS MATERIALIZED (
    SELECT customer_id, m, next_m,
           -- the last snapshot is the period end: not churned there unless T has passed by then
           CASE WHEN c0 = $last AND last_date + $T + 1 > $end THEN $after ELSE c0 END AS c,
           CASE WHEN n = 1 THEN 'new' WHEN prev_c < m THEN 'returning' ELSE 'active' END AS stage,
           CASE WHEN n = 1 THEN 'none'
                WHEN prev_m = m - 1 THEN
                    CASE WHEN n = 2 THEN 'new' WHEN prev2_c < prev_m THEN 'returning' ELSE 'active' END
                WHEN prev_c < m THEN 'churned'
                ELSE 'dormant' END AS from_stage
    FROM churn
), runs AS (  -- runs of one stage: [a, b] in months, entered from from_stage
    SELECT stage, m AS a, m AS b, from_stage FROM staged
    UNION ALL
    SELECT 'dormant', m + 1, least(c, next_m) - 1, stage FROM staged WHERE least(c, next_m) > m + 1
    UNION ALL
    SELECT 'churned', c, next_m - 1, CASE WHEN c > m + 1 THEN 'dormant' ELSE stage END
    FROM staged WHERE c < next_m
), clipped AS MATERIALIZED (
    SELECT stage, greatest(a, $before) AS a, least(b, $last) AS b, a AS entered, from_stage
    FROM runs WHERE b >= $before AND a <= $last
), events AS (
    -- stage counts: +1 when a run is in view, -1 after it
    SELECT 'count' AS kind, stage, 'none' AS from_stage, a AS m, 1 AS delta FROM clipped
    UNION ALL SELECT 'count', stage, 'none', b + 1, -1 FROM clipped WHERE b < $last
    -- flows into a run, in the month it is entered
    UNION ALL SELECT 'enter', stage, from_stage, entered, 1 FROM clipped WHERE entered >= $first
    -- staying in a run from one month to the next
    UNION ALL SELECT 'stay', stage, stage, greatest(a + 1, $first), 1 FROM clipped WHERE b > a AND b >= $first
    UNION ALL SELECT 'stay', stage, stage, b + 1, -1 FROM clipped WHERE b > a AND b < $last AND b + 1 > $first
)
SELECT kind, stage, from_stage, m, sum(delta)::BIGINT AS delta
FROM events
GROUP BY ALL
"""


@dataclass(frozen=True)
class Lifecycle:
    """Stage counts, flows and rates by month (see the module docstring)."""

    threshold_days: int
    months: list[dt.date]          # first day of each month of the period
    counts: pd.DataFrame           # month, stage, customers (every month × stage)
    flows: pd.DataFrame            # month, from_stage, to_stage, customers (month-1 → month; from 'none' = not yet a customer)
    rates: pd.DataFrame            # month, base, churned, churn_rate, churned_base, won_back, winback_rate
    partial_last: bool             # the last month's snapshot is the period end, not the month end


def _index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def lifecycle(con, filters: Filters, threshold_days: int) -> Lifecycle:
    """Stages at the end of every month of the period, the flows between them and the churn / win-back rates."""
    if not MIN_THRESHOLD <= int(threshold_days) <= MAX_THRESHOLD:
        raise CRMInputError("retention.error.threshold", value=threshold_days, low=MIN_THRESHOLD, high=MAX_THRESHOLD)
    first, last = _index(filters.start), _index(filters.end)
    params = {**filters.params(), "T": int(threshold_days), "first": first, "last": last, "before": first - 1,
              "after": last + 1, "before_day": _month(first - 1)}
    events = query(con, _LIFECYCLE_SQL, params)
    month_index = list(range(first - 1, last + 1))

    # stage counts: running sums of the +1 / -1 events over every month × stage
    counted = events[events["kind"] == "count"].groupby(["stage", "m"])["delta"].sum()
    grid = pd.MultiIndex.from_product([list(STAGES), month_index], names=["stage", "m"])
    counts = counted.reindex(grid, fill_value=0).groupby(level="stage").cumsum().rename("customers").reset_index()

    entered = events[events["kind"] == "enter"].groupby(["from_stage", "stage", "m"])["delta"].sum()
    stays = events[events["kind"] == "stay"].groupby(["stage", "m"])["delta"].sum()
    stays = stays.reindex(grid, fill_value=0).groupby(level="stage").cumsum()
    stays = stays[stays.index.get_level_values("m") >= first]
    stay_frame = stays.rename("customers").reset_index().assign(from_stage=lambda d: d["stage"])
    flows = pd.concat([entered.rename("customers").reset_index(), stay_frame], ignore_index=True)
    flows = flows.groupby(["m", "from_stage", "stage"], as_index=False)["customers"].sum()
    flows = flows[flows["customers"] > 0].rename(columns={"stage": "to_stage"})

    # rates, from the counts at the end of the previous month and this month's flows
    wide = counts.pivot(index="m", columns="stage", values="customers").reindex(columns=list(STAGES), fill_value=0)
    previous = wide.shift(1)
    into_churned = flows[(flows["to_stage"] == "churned") & (flows["from_stage"] != "churned")] \
        .groupby("m")["customers"].sum()
    won_back = flows[(flows["from_stage"] == "churned") & (flows["to_stage"] == "returning")] \
        .groupby("m")["customers"].sum()
    months = month_index[1:]
    base = (previous[["new", "active", "returning", "dormant"]].sum(axis=1)).reindex(months)
    churned_base = previous["churned"].reindex(months)
    rates = pd.DataFrame({
        "m": months,
        "base": base.to_numpy().astype("int64"),
        "churned": into_churned.reindex(months, fill_value=0).to_numpy().astype("int64"),
        "churned_base": churned_base.to_numpy().astype("int64"),
        "won_back": won_back.reindex(months, fill_value=0).to_numpy().astype("int64"),
    })
    rates["churn_rate"] = rates["churned"] / rates["base"].where(rates["base"] > 0)
    rates["winback_rate"] = rates["won_back"] / rates["churned_base"].where(rates["churned_base"] > 0)

    def with_month(df: pd.DataFrame) -> pd.DataFrame:
        out = df[df["m"] >= first].copy()
        out.insert(0, "month", [_month(int(i)) for i in out["m"]])
        return out.drop(columns=["m"]).reset_index(drop=True)

    counts = with_month(counts)[["month", "stage", "customers"]]
    counts["customers"] = counts["customers"].astype("int64")
    flows = with_month(flows)[["month", "from_stage", "to_stage", "customers"]]
    flows["customers"] = flows["customers"].astype("int64")
    rates = with_month(rates)[["month", "base", "churned", "churn_rate", "churned_base", "won_back", "winback_rate"]]
    month_end = _month(last + 1) - dt.timedelta(days=1)
    return Lifecycle(threshold_days=int(threshold_days), months=[_month(i) for i in range(first, last + 1)],
                     counts=counts, flows=flows, rates=rates, partial_last=filters.end < month_end)


def customer_stages(con, filters: Filters, threshold_days: int) -> pd.DataFrame:
    """Each customer's stage at the period end: customer_id, stage, last_order_date, days_since (for lists)."""
    if not MIN_THRESHOLD <= int(threshold_days) <= MAX_THRESHOLD:
        raise CRMInputError("retention.error.threshold", value=threshold_days, low=MIN_THRESHOLD, high=MAX_THRESHOLD)
    return query(con, _CUSTOMER_STAGES_SQL, {**filters.params(), "T": int(threshold_days)})


_CUSTOMER_STAGES_SQL = """
WITH days AS (
    SELECT customer_id, order_date
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date <= $end
), per_customer AS (
    SELECT customer_id, min(order_date) AS first_order_date, max(order_date) AS last_order_date,
           max(order_date) FILTER (WHERE order_date < date_trunc('month', $end::DATE)) AS before_month
    FROM days GROUP BY customer_id
)
SELECT customer_id,
       CASE WHEN date_trunc('month', first_order_date) = date_trunc('month', $end::DATE) THEN 'new'
            WHEN last_order_date >= date_trunc('month', $end::DATE) THEN
                CASE WHEN date_diff('day', before_month, date_trunc('month', $end::DATE)::DATE - 1) > $T
                     THEN 'returning' ELSE 'active' END
            WHEN date_diff('day', last_order_date, $end) > $T THEN 'churned'
            ELSE 'dormant' END AS stage,
       last_order_date,
       date_diff('day', last_order_date, $end) AS days_since
FROM per_customer
ORDER BY customer_id
"""
