"""Overview KPIs and trends for managers.

Definitions (all honour the filters; "orders" are non-returned orders in
``order_facts`` inside the dimension filters, so revenue is net of returns):

* customers — customers with at least one order on or before the period end.
* active customers — customers with at least one order in the period.
* new customers — customers whose first order (within the filters) falls in the period.
* revenue — sum of order amounts in the period; orders — their count.
* average order value (AOV) — revenue ÷ orders.
* repeat-purchase rate — customers with ≥ 2 orders in the period ÷ active customers.
* lapsed customers — customers active in the previous period of equal length
  who placed no order in this period.
* open complaints — complaint tickets open on the "as of" date: opened on or
  before it and not resolved by then (customer-level filters apply).

Every KPI is also computed for the previous period of equal length
(`Filters.previous`) so the page can show the change.
"""

from __future__ import annotations

import pandas as pd

from crm.store.db import query
from crm.store.filters import Filters
from crm.formatting import relative_change

KPI_ORDER = [
    "customers", "active_customers", "new_customers", "revenue", "orders",
    "avg_order_value", "repeat_rate", "lapsed_customers", "open_complaints",
]

_KPI_SQL = """
WITH per_customer AS (
    SELECT customer_id,
           min(order_date) AS first_date,
           count(*) FILTER (WHERE order_date BETWEEN $start AND $end) AS n_cur,
           sum(amount) FILTER (WHERE order_date BETWEEN $start AND $end) AS rev_cur,
           count(*) FILTER (WHERE order_date BETWEEN $prev_start AND $prev_end) AS n_prev,
           sum(amount) FILTER (WHERE order_date BETWEEN $prev_start AND $prev_end) AS rev_prev,
           count(*) FILTER (WHERE order_date BETWEEN $prev2_start AND $prev2_end) AS n_prev2
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date <= $end
    GROUP BY customer_id
)
SELECT
    count(*) AS customers_cur,
    count(*) FILTER (WHERE first_date <= $prev_end) AS customers_prev,
    count(*) FILTER (WHERE n_cur > 0) AS active_customers_cur,
    count(*) FILTER (WHERE n_prev > 0) AS active_customers_prev,
    count(*) FILTER (WHERE first_date BETWEEN $start AND $end) AS new_customers_cur,
    count(*) FILTER (WHERE first_date BETWEEN $prev_start AND $prev_end) AS new_customers_prev,
    coalesce(sum(rev_cur), 0) AS revenue_cur,
    coalesce(sum(rev_prev), 0) AS revenue_prev,
    coalesce(sum(n_cur), 0) AS orders_cur,
    coalesce(sum(n_prev), 0) AS orders_prev,
    count(*) FILTER (WHERE n_cur >= 2) AS repeaters_cur,
    count(*) FILTER (WHERE n_prev >= 2) AS repeaters_prev,
    count(*) FILTER (WHERE n_prev > 0 AND n_cur = 0) AS lapsed_customers_cur,
    count(*) FILTER (WHERE n_prev2 > 0 AND n_prev = 0) AS lapsed_customers_prev
FROM per_customer
"""

_OPEN_COMPLAINTS_SQL = """
SELECT
    count(*) FILTER (WHERE t.opened_at::DATE <= $as_of
                       AND (t.resolved_at::DATE > $as_of
                            OR (t.resolved_at IS NULL AND coalesce(t.status, 'open') NOT IN ('resolved', 'closed'))))
        AS open_complaints_cur,
    count(*) FILTER (WHERE t.opened_at::DATE <= $prev_as_of
                       AND (t.resolved_at::DATE > $prev_as_of
                            OR (t.resolved_at IS NULL AND coalesce(t.status, 'open') NOT IN ('resolved', 'closed'))))
        AS open_complaints_prev
FROM tickets t
JOIN crm_customers($provinces, $genders, $age_bands) c USING (customer_id)
WHERE t.type = 'complaint'
"""


def _period_params(filters: Filters) -> dict[str, object]:
    prev = filters.previous()
    prev2 = prev.previous()
    return {
        **filters.params(),
        "prev_start": prev.start, "prev_end": prev.end, "prev_as_of": prev.as_of,
        "prev2_start": prev2.start, "prev2_end": prev2.end,
    }


def compute_kpis(con, filters: Filters) -> pd.DataFrame:
    """The overview KPIs: one row per metric with `current`, `previous` and `change`.

    `change` is (current − previous) ÷ previous, None without a previous value.
    Ratios (AOV, repeat rate) are derived from the summed counts, never averaged.
    """
    params = _period_params(filters)
    row = query(con, _KPI_SQL, params).iloc[0]
    complaints = query(con, _OPEN_COMPLAINTS_SQL, params).iloc[0]
    values: dict[str, tuple[float, float]] = {}
    for name in ("customers", "active_customers", "new_customers", "revenue", "orders", "lapsed_customers"):
        values[name] = (float(row[f"{name}_cur"]), float(row[f"{name}_prev"]))
    values["open_complaints"] = (float(complaints["open_complaints_cur"]), float(complaints["open_complaints_prev"]))
    values["avg_order_value"] = tuple(
        _ratio(row[f"revenue_{p}"], row[f"orders_{p}"]) for p in ("cur", "prev")
    )
    values["repeat_rate"] = tuple(
        _ratio(row[f"repeaters_{p}"], row[f"active_customers_{p}"]) for p in ("cur", "prev")
    )
    return pd.DataFrame(
        [
            {"metric": name, "current": values[name][0], "previous": values[name][1],
             "change": relative_change(values[name][0], values[name][1])}
            for name in KPI_ORDER
        ]
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


_MONTHLY_SQL = """
WITH customer_months AS (  -- one row per customer and month: distinct counts become plain counts
    SELECT customer_id, order_month,
           count(*) FILTER (WHERE order_date >= $start) AS orders,
           sum(amount) FILTER (WHERE order_date >= $start) AS revenue,
           sum(profit) FILTER (WHERE order_date >= $start) AS profit
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date <= $end
    GROUP BY customer_id, order_month
), firsts AS (
    SELECT customer_id, min(order_month) AS first_month FROM customer_months GROUP BY customer_id
)
SELECT m.order_month AS month,
       sum(m.revenue) AS revenue,
       sum(m.profit) AS profit,
       sum(m.orders) AS orders,
       count(*) AS customers,
       count(*) FILTER (WHERE f.first_month = m.order_month) AS new_customers,
       count(*) FILTER (WHERE f.first_month < m.order_month) AS returning_customers
FROM customer_months m JOIN firsts f USING (customer_id)
WHERE m.orders > 0
GROUP BY m.order_month
ORDER BY m.order_month
"""


def monthly_trend(con, filters: Filters) -> pd.DataFrame:
    """Revenue, profit, orders and new versus returning customers per calendar month of the period.

    A customer is *new* in the month of their first order within the filters and
    *returning* in every later month with an order.
    """
    return query(con, _MONTHLY_SQL, filters.params())


BREAKDOWN_DIMENSIONS = ("category", "channel", "province", "gender", "age_band", "customer_type")

_BREAKDOWN_SQL = """
SELECT CASE $dimension
           WHEN 'category' THEN category WHEN 'channel' THEN channel
           WHEN 'province' THEN province WHEN 'gender' THEN gender
           WHEN 'age_band' THEN age_band WHEN 'customer_type' THEN customer_type
       END AS value,
       sum(amount) AS revenue,
       sum(profit) AS profit,
       count(*) AS orders,
       count(DISTINCT customer_id) AS customers
FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
WHERE order_date BETWEEN $start AND $end
GROUP BY ALL
ORDER BY revenue DESC
"""


def breakdown(con, filters: Filters, dimension: str) -> pd.DataFrame:
    """Revenue, profit, orders and customers in the period by one dimension, largest first.

    `share` is the value's revenue ÷ total revenue of the period.
    """
    if dimension not in BREAKDOWN_DIMENSIONS:
        from crm.errors import CRMInputError

        raise CRMInputError("filters.error.unknown_dimension", dimension=dimension)
    df = query(con, _BREAKDOWN_SQL, {**filters.params(), "dimension": dimension})
    total = df["revenue"].sum()
    df["share"] = df["revenue"] / total if total else 0.0
    return df


_OPTIONS_SQL = """
SELECT 'provinces' AS dimension, province AS value, count(*) AS n FROM customer_features WHERE province IS NOT NULL GROUP BY ALL
UNION ALL SELECT 'channels', channel, count(*) FROM order_facts WHERE channel IS NOT NULL GROUP BY ALL
UNION ALL SELECT 'categories', category, count(*) FROM order_facts WHERE category IS NOT NULL GROUP BY ALL
UNION ALL SELECT 'genders', gender, count(*) FROM customer_features WHERE gender IS NOT NULL GROUP BY ALL
UNION ALL SELECT 'age_bands', age_band, count(*) FROM customer_features GROUP BY ALL
ORDER BY dimension, n DESC, value
"""


def filter_options(con) -> dict[str, list[str]]:
    """The values each sidebar filter offers, most frequent first."""
    df = query(con, _OPTIONS_SQL)
    return {dim: group["value"].tolist() for dim, group in df.groupby("dimension", sort=False)}


_DATA_RANGE_SQL = "SELECT min(order_date) AS first, max(order_date) AS last, count(*) AS orders FROM order_facts"


def data_range(con) -> dict[str, object]:
    """First and last order date and the order count of the whole database."""
    row = query(con, _DATA_RANGE_SQL).iloc[0]
    first = row["first"]
    last = row["last"]
    return {
        "first": None if pd.isna(first) else pd.Timestamp(first).date(),
        "last": None if pd.isna(last) else pd.Timestamp(last).date(),
        "orders": int(row["orders"]),
    }
