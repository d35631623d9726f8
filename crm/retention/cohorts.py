"""Acquisition cohorts: how well each group of new customers is kept, period by period.

Definitions (orders are the non-returned orders of ``order_facts`` inside the
sidebar's dimension filters, as everywhere else):

* first purchase — a customer's earliest order within the filters (with only
  customer-level filters this is ``customer_features.first_order_date``; with a
  channel or category filter, the first order in that channel / category).
* cohort — the customers whose first purchase falls in one calendar month
  (``by="month"``), ISO week (Monday first, ``"week"``) or quarter
  (``"quarter"``), for first purchases inside the analysis period
  [start, end]. The cohort is named by its period's first day. A cohort whose
  period is cut by the analysis period (the first one when ``start`` is not
  the period's first day) is flagged ``cohort_clipped``.
* period k — the k-th calendar period after the cohort's own (k = 0 is the
  cohort's own period). Orders are followed up to ``observe_until`` (the
  as-of date; never before ``end``).
* cohort_size — members of the cohort.
* customers (exact retention) — members with an order *in* period k;
  ``retention`` = customers ÷ cohort_size. Period 0 is 100 % by construction.
* unbounded_customers (unbounded retention) — members with an order in
  period k *or any later observed period*; ``unbounded_retention`` =
  unbounded_customers ÷ cohort_size. It never increases with k.
* revenue — the members' order amounts in period k;
  ``revenue_per_customer`` = revenue ÷ cohort_size (every member counts, buyer
  or not) and ``cumulative_revenue_per_customer`` its running sum over 0..k.
* complete — period k ended on or before ``observe_until``; the last observed
  period of each cohort is usually incomplete and its retention still rising.

Splits (``split=``) divide every cohort by one property of the member:
``acquisition_channel`` and ``province`` (the customer record),
``first_category`` (the category of the largest order on the first purchase
day; ties: the later category name) and ``first_order_band`` (the spend on
the first purchase day, in the bands of ``VALUE_BANDS``).

The whole table is one DuckDB query: orders are reduced to one row per
member and period, then to one row per cohort and period.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from crm.errors import CRMInputError
from crm.store.db import query
from crm.store.filters import Filters

GRANULARITIES = ("month", "week", "quarter")
SPLITS = ("acquisition_channel", "province", "first_category", "first_order_band")
# First-purchase-day spend bands: code -> inclusive lower bound in yuan (labels: `retention.band.<code>`).
VALUE_BANDS = {"lt100": 0, "100_300": 100, "300_1000": 300, "ge1000": 1000}

COLUMNS = [
    "cohort", "cohort_size", "period", "period_start", "customers", "retention", "unbounded_customers",
    "unbounded_retention", "revenue", "revenue_per_customer", "cumulative_revenue_per_customer", "complete",
    "cohort_clipped",
]

# ------------------------------------------------------------------ SQL, built once from fixed fragments
# Members when only customer-level filters are set: the materialised first order date.
_MEMBERS_FROM_FEATURES = """
members AS (
    SELECT customer_id, first_order_date AS first_date, acquisition_channel, province
    FROM crm_customers($provinces, $genders, $age_bands)
    WHERE first_order_date BETWEEN $start AND $end
)"""
# Members under a channel or category filter: the first order inside the filters.
_MEMBERS_FROM_ORDERS = """
firsts AS (
    SELECT customer_id, min(order_date) AS first_date
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date <= $end
    GROUP BY customer_id
    HAVING min(order_date) >= $start
), members AS (
    SELECT f.customer_id, f.first_date, c.acquisition_channel, c.province
    FROM firsts f JOIN customer_features c USING (customer_id)
)"""
# The first purchase day's spend and main category (only computed when a split needs them).
_FIRST_DAY = """,
first_day AS (
    SELECT o.customer_id, sum(o.amount) AS first_value,
           arg_max(o.category, (o.amount, coalesce(o.category, ''))) AS first_category
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands) o
    JOIN members m ON o.customer_id = m.customer_id AND o.order_date = m.first_date
    WHERE o.order_date BETWEEN $start AND $end
    GROUP BY o.customer_id
)"""
_SEGMENT = {
    None: "''",
    "acquisition_channel": "m.acquisition_channel",
    "province": "m.province",
    "first_category": "d.first_category",
    "first_order_band": """CASE WHEN d.first_value >= 1000 THEN 'ge1000' WHEN d.first_value >= 300 THEN '300_1000'
                                WHEN d.first_value >= 100 THEN '100_300' ELSE 'lt100' END""",
}
_COHORT_MEMBERS = """,
cohort_members AS (
    SELECT m.customer_id, date_trunc($unit, m.first_date)::DATE AS cohort, """
_FROM_MEMBERS = """ AS segment
    FROM members m"""
_JOIN_FIRST_DAY = " LEFT JOIN first_day d USING (customer_id)"
_BODY = """
), activity AS (  -- one row per member and period with an order
    SELECT m.cohort, m.segment, o.customer_id,
           date_diff($unit, m.cohort, date_trunc($unit, o.order_date)::DATE) AS period,
           sum(o.amount) AS revenue
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands) o
    JOIN cohort_members m USING (customer_id)
    WHERE o.order_date BETWEEN $start AND $observe
    GROUP BY ALL
), cells AS (
    SELECT cohort, segment, period, count(*) AS customers, sum(revenue) AS revenue
    FROM activity GROUP BY ALL
), lasts AS (  -- members by the last period they bought in
    SELECT cohort, segment, last_period, count(*) AS members
    FROM (SELECT cohort, segment, max(period) AS last_period FROM activity GROUP BY cohort, segment, customer_id)
    GROUP BY ALL
), sizes AS (
    SELECT cohort, segment, count(*) AS cohort_size FROM cohort_members GROUP BY ALL
), grid AS (  -- every observed period of every cohort, bought in or not
    SELECT cohort, segment, cohort_size,
           unnest(range(0, date_diff($unit, cohort, date_trunc($unit, $observe::DATE)::DATE) + 1)) AS period
    FROM sizes
)
SELECT g.segment, g.cohort, g.cohort_size, g.period::INTEGER AS period,
       coalesce(c.customers, 0) AS customers,
       coalesce((SELECT sum(l.members) FROM lasts l
                 WHERE l.cohort = g.cohort AND l.segment = g.segment AND l.last_period >= g.period), 0)
           AS unbounded_customers,
       coalesce(c.revenue, 0)::DOUBLE AS revenue
FROM grid g LEFT JOIN cells c USING (cohort, segment, period)
ORDER BY g.segment, g.cohort, g.period
"""


def _sql(split: str | None, order_filters: bool) -> str:
    members = _MEMBERS_FROM_ORDERS if order_filters else _MEMBERS_FROM_FEATURES
    first_day = split in ("first_category", "first_order_band")
    return ("WITH " + members + (_FIRST_DAY if first_day else "") + _COHORT_MEMBERS + _SEGMENT[split]
            + _FROM_MEMBERS + (_JOIN_FIRST_DAY if first_day else "") + _BODY)


# Every variant is a fixed string: the choice among them comes from the allow-lists above.
_QUERIES = {(split, order_filters): _sql(split, order_filters)
            for split in (None, *SPLITS) for order_filters in (False, True)}


def period_start(day: dt.date, by: str) -> dt.date:
    """The first day of the month / ISO week / quarter holding `day`."""
    if by == "week":
        return day - dt.timedelta(days=day.weekday())
    if by == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return day.replace(day=1)


def add_periods(day: dt.date, by: str, k: int) -> dt.date:
    """The first day of the k-th period after the one starting on `day` (a period's first day)."""
    if by == "week":
        return day + dt.timedelta(weeks=k)
    months = day.year * 12 + day.month - 1 + (3 * k if by == "quarter" else k)
    return dt.date(months // 12, months % 12 + 1, 1)


def _check(by: str, split: str | None) -> None:
    if by not in GRANULARITIES:
        raise CRMInputError("retention.error.granularity", value=by, allowed=", ".join(GRANULARITIES))
    if split is not None and split not in SPLITS:
        raise CRMInputError("retention.error.split", value=split, allowed=", ".join(SPLITS))


def cohort_table(con, filters: Filters, *, by: str = "month", split: str | None = None,
                 observe_until: dt.date | None = None) -> pd.DataFrame:
    """One row per cohort (and split value) and observed period k; columns `COLUMNS` (+ `segment` with a split).

    Cohorts are customers with their first purchase in [filters.start,
    filters.end]; their orders are followed up to `observe_until` (default
    `filters.as_of`; never before `filters.end`). See the module docstring for
    every column's meaning. Periods with no buyer are rows with zero customers;
    periods after `observe_until` are absent.
    """
    _check(by, split)
    observe = max(observe_until or filters.as_of, filters.end)
    sql = _QUERIES[(split, filters.has_order_dimensions)]
    df = query(con, sql, {**filters.params(), "unit": by, "observe": observe})
    if df.empty:
        columns = (["segment"] if split else []) + COLUMNS
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    df["cohort"] = pd.to_datetime(df["cohort"]).dt.date
    for column in ("cohort_size", "customers", "unbounded_customers"):
        df[column] = df[column].astype("int64")
    df["period"] = df["period"].astype("int64")
    size = df["cohort_size"].astype("float64")
    df["retention"] = df["customers"] / size
    df["unbounded_retention"] = df["unbounded_customers"] / size
    df["revenue_per_customer"] = df["revenue"] / size
    keys = ["segment", "cohort"]
    df["cumulative_revenue_per_customer"] = df.groupby(keys, sort=False)["revenue_per_customer"].cumsum()
    # period k's first day and whether it ended by the observation date (few distinct cohorts: no per-row loop)
    pairs = df[["cohort", "period"]].drop_duplicates()
    starts = {(c, k): add_periods(c, by, k) for c, k in zip(pairs["cohort"], pairs["period"])}
    df["period_start"] = [starts[(c, k)] for c, k in zip(df["cohort"], df["period"])]
    next_starts = {(c, k): add_periods(c, by, k + 1) for c, k in starts}
    df["complete"] = [next_starts[(c, k)] <= observe + dt.timedelta(days=1)
                      for c, k in zip(df["cohort"], df["period"])]
    first, last = period_start(filters.start, by), period_start(filters.end, by)
    clipped = {c: (c == first and filters.start > c) or (c == last and add_periods(c, by, 1) - dt.timedelta(days=1) > filters.end)
               for c in df["cohort"].unique()}
    df["cohort_clipped"] = df["cohort"].map(clipped).astype(bool)
    if split is None:
        return df[COLUMNS].reset_index(drop=True)
    return df[["segment", *COLUMNS]].reset_index(drop=True)


def average_curve(table: pd.DataFrame) -> pd.DataFrame:
    """The cohort-size-weighted average retention per period k, over the cohorts that completed period k.

    retention(k) = Σ customers(k) ÷ Σ cohort_size over those cohorts (the same
    for `unbounded_retention`; cumulative revenue per customer likewise
    weighted by cohort size); `cohorts` counts them. An incomplete last period
    would pull the average down, so it is left out; a period no cohort has
    completed yet is absent.
    """
    done = table[table["complete"]]
    if done.empty:
        return pd.DataFrame({"period": pd.Series(dtype="int64"), "cohorts": pd.Series(dtype="int64"),
                             "cohort_size": pd.Series(dtype="int64"), "retention": pd.Series(dtype="float64"),
                             "unbounded_retention": pd.Series(dtype="float64"),
                             "cumulative_revenue_per_customer": pd.Series(dtype="float64")})
    done = done.assign(cumulative_revenue=done["cumulative_revenue_per_customer"] * done["cohort_size"])
    grouped = done.groupby("period").agg(
        cohorts=("cohort", "size"), cohort_size=("cohort_size", "sum"), customers=("customers", "sum"),
        unbounded_customers=("unbounded_customers", "sum"), cumulative_revenue=("cumulative_revenue", "sum"),
    ).reset_index()
    size = grouped["cohort_size"].astype("float64")
    grouped["retention"] = grouped["customers"] / size
    grouped["unbounded_retention"] = grouped["unbounded_customers"] / size
    grouped["cumulative_revenue_per_customer"] = grouped["cumulative_revenue"] / size
    return grouped[["period", "cohorts", "cohort_size", "retention", "unbounded_retention",
                    "cumulative_revenue_per_customer"]]


EXPORT_COLUMNS = ["cohort", "cohort_size", "period", "customers", "retention", "revenue"]


def export_table(table: pd.DataFrame) -> pd.DataFrame:
    """The command-line table: exactly `EXPORT_COLUMNS`, `cohort` as an ISO date string."""
    out = table[EXPORT_COLUMNS].copy()
    out["cohort"] = [d.isoformat() for d in out["cohort"]]
    return out.reset_index(drop=True)
