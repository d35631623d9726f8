"""Key accounts (大客户): the most valuable customers of the period and who needs attention.

Population: customers with at least one order in ``crm_orders`` (non-returned,
inside the dimension filters) dated in the period [``filters.start``, ``filters.end``].

Per customer (period figures unless said otherwise):

* revenue, profit, orders — sums / count of their orders in the period;
  margin = profit ÷ revenue; avg_order_value = revenue ÷ orders.
* last_order_date — their last order in the period; days_since_last_order =
  as_of − last_order_date.
* prev_revenue — revenue in the previous period of equal length (``Filters.previous``).
* change = (revenue − prev_revenue) ÷ prev_revenue (None when prev_revenue is 0).
* trend — "new" when prev_revenue is 0, else "growing" when change > +TREND_BAND,
  "declining" when change < −TREND_BAND, otherwise "stable" (TREND_BAND = 10 %).
* open_complaints — complaint tickets open on as_of: opened on or before it and
  not resolved by then (the definition of the overview KPI). Tickets belong to a
  customer, not to an order, so the channel and category filters do not apply to
  them (the customer-level filters do, through the selection).

Filters: the analysis period sets revenue, profit, orders and the ranking; the
as-of date (never before the period end: the sidebar moves it) sets
days_since_last_order, open_complaints, the RFM recency and the tier.
* segment — the customer's RFM class in ``crm.value.rfm.compute_rfm(con, filters)``
  (default bins and split, scored against every customer in the filters);
  tier — their tier in ``crm.value.loyalty.assign_tiers(compute_points(con, filters))`` (defaults).

Selection, exactly one of:

* ``top_n`` — the first n customers by ``by`` (revenue, profit or orders; ties
  broken by revenue, then customer_id);
* ``top_share`` — the first ceil(top_share × customers) customers by ``by``;
* thresholds — every customer with revenue ≥ ``min_revenue`` and/or orders ≥
  ``min_orders`` (both must hold when both are given), ranked by ``by``.

``rank`` is the customer's position among *every* customer of the period by
``by`` (so with thresholds the ranks of the selection can have gaps).
revenue_share / profit_share of the selection = its sum ÷ the sum over every
customer of the filtered period (None when that total is 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm.store.db import query
from crm.errors import CRMInputError
from crm.store.filters import Filters
from crm.value.loyalty import assign_tiers, points_for_customers
from crm.value.rfm import rfm_for_customers

BY = ("revenue", "profit", "orders")
TREND_BAND = 0.10
TRENDS = ("growing", "stable", "declining", "new")
ALERT_REASONS = ("spend_drop", "inactive", "both")

KEY_ACCOUNT_COLUMNS = [
    "rank", "customer_id", "name", "customer_type", "province", "revenue", "profit", "margin", "orders",
    "avg_order_value", "last_order_date", "days_since_last_order", "prev_revenue", "change", "trend",
    "open_complaints", "segment", "tier",
]

# $by comes from the BY allow-list and selects the ranking measure inside a CASE.
_KEY_ACCOUNTS_SQL = """
WITH cur AS (
    SELECT customer_id, sum(amount) AS revenue, sum(profit) AS profit, count(*) AS orders,
           max(order_date) AS last_order_date
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date BETWEEN $start AND $end
    GROUP BY customer_id
), ranked AS (
    SELECT *,
           row_number() OVER (ORDER BY CASE $by WHEN 'profit' THEN profit
                                                WHEN 'orders' THEN orders
                                                ELSE revenue END DESC,
                                       revenue DESC, customer_id) AS rank,
           count(*) OVER () AS n,
           sum(revenue) OVER () AS total_revenue,
           sum(profit) OVER () AS total_profit
    FROM cur
), selected AS (
    SELECT * FROM ranked
    WHERE CASE $mode
              WHEN 'top_n' THEN rank <= $limit
              WHEN 'top_share' THEN rank <= ceil($share * n - 1e-9)
              ELSE revenue >= $min_revenue AND orders >= $min_orders
          END
), prev AS (
    SELECT customer_id, sum(amount) AS prev_revenue
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date BETWEEN $prev_start AND $prev_end
      AND customer_id IN (SELECT customer_id FROM selected)
    GROUP BY customer_id
), complaints AS (
    SELECT customer_id, count(*) AS open_complaints
    FROM tickets
    WHERE type = 'complaint'
      AND customer_id IN (SELECT customer_id FROM selected)
      AND opened_at::DATE <= $as_of
      AND (resolved_at::DATE > $as_of
           OR (resolved_at IS NULL AND coalesce(status, 'open') NOT IN ('resolved', 'closed')))
    GROUP BY customer_id
)
SELECT s.rank, s.customer_id, cf.name, cf.customer_type, cf.province,
       s.revenue, s.profit, s.orders, s.last_order_date,
       coalesce(p.prev_revenue, 0) AS prev_revenue,
       coalesce(c.open_complaints, 0) AS open_complaints,
       s.n AS total_customers, s.total_revenue, s.total_profit
FROM selected s
LEFT JOIN customer_features cf USING (customer_id)
LEFT JOIN prev p USING (customer_id)
LEFT JOIN complaints c USING (customer_id)
ORDER BY s.rank
"""

_TOTALS_SQL = """
SELECT count(DISTINCT customer_id) AS total_customers, coalesce(sum(amount), 0) AS total_revenue,
       coalesce(sum(profit), 0) AS total_profit
FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
WHERE order_date BETWEEN $start AND $end
"""


@dataclass(frozen=True)
class KeyAccounts:
    """The selected key accounts and what they weigh in the filtered period.

    table — one row per key account (columns ``KEY_ACCOUNT_COLUMNS``, by rank);
    customers — rows in the table; revenue_share / profit_share — their revenue /
    profit ÷ the period's total over all customers in the filters (None when 0);
    total_customers — customers with an order in the filtered period.
    """

    table: pd.DataFrame
    customers: int
    revenue_share: float | None
    profit_share: float | None
    total_customers: int


def _is_number(x: object) -> bool:
    return not isinstance(x, bool) and isinstance(x, (int, float, np.integer, np.floating)) and math.isfinite(x)


def _selection(top_n, top_share, min_revenue, min_orders) -> dict[str, object]:
    """Validate the selection arguments and turn them into bound parameters."""
    chosen = [top_n is not None, top_share is not None, min_revenue is not None or min_orders is not None]
    if sum(chosen) != 1:
        raise CRMInputError("key_accounts.error.selection")
    params: dict[str, object] = {"limit": 0, "share": 0.0, "min_revenue": 0.0, "min_orders": 0}
    if top_n is not None:
        if not _is_number(top_n) or int(top_n) != top_n or top_n < 1:
            raise CRMInputError("key_accounts.error.top_n", top_n=top_n)
        params.update(mode="top_n", limit=int(top_n))
    elif top_share is not None:
        if not _is_number(top_share) or not 0 < top_share <= 1:
            raise CRMInputError("key_accounts.error.top_share", top_share=top_share)
        params.update(mode="top_share", share=float(top_share))
    else:
        if min_revenue is not None:
            if not _is_number(min_revenue) or min_revenue < 0:
                raise CRMInputError("key_accounts.error.min_revenue", min_revenue=min_revenue)
            params["min_revenue"] = float(min_revenue)
        else:
            params["min_revenue"] = float("-inf")
        if min_orders is not None:
            if not _is_number(min_orders) or int(min_orders) != min_orders or min_orders < 1:
                raise CRMInputError("key_accounts.error.min_orders", min_orders=min_orders)
            params["min_orders"] = int(min_orders)
        params["mode"] = "thresholds"
    return params


def select_key_accounts(
    con,
    filters: Filters,
    *,
    by: str = "revenue",
    top_n: int | None = None,
    top_share: float | None = None,
    min_revenue: float | None = None,
    min_orders: int | None = None,
) -> KeyAccounts:
    """Select and describe the key accounts (rules in the module docstring)."""
    if by not in BY:
        raise CRMInputError("key_accounts.error.by", by=by)
    selection = _selection(top_n, top_share, min_revenue, min_orders)
    prev = filters.previous()
    params = {**filters.params(), **selection, "by": by, "prev_start": prev.start, "prev_end": prev.end}
    table = query(con, _KEY_ACCOUNTS_SQL, params)
    if len(table):  # the period's totals ride along on every row
        totals = table[["total_customers", "total_revenue", "total_profit"]].iloc[0]
    else:
        totals = query(con, _TOTALS_SQL, filters.params()).iloc[0]

    ids = table["customer_id"].tolist()
    segments = rfm_for_customers(con, filters, ids)[["customer_id", "segment"]]
    tiers = assign_tiers(points_for_customers(con, filters, ids))[["customer_id", "tier"]]
    table = table.merge(segments, on="customer_id", how="left").merge(tiers, on="customer_id", how="left")
    revenue = table["revenue"].astype("float64")
    table["margin"] = (table["profit"] / revenue).where(revenue != 0)
    table["avg_order_value"] = revenue / table["orders"]
    as_of = pd.Timestamp(filters.as_of)
    table["days_since_last_order"] = (as_of - pd.to_datetime(table["last_order_date"])).dt.days.astype("int64")
    prev_revenue = table["prev_revenue"].astype("float64")
    table["change"] = ((revenue - prev_revenue) / prev_revenue).where(prev_revenue != 0)
    table["trend"] = np.select(
        [prev_revenue == 0, table["change"] > TREND_BAND, table["change"] < -TREND_BAND],
        ["new", "growing", "declining"],
        default="stable",
    )
    table["open_complaints"] = table["open_complaints"].fillna(0).astype("int64")
    table["rank"] = table["rank"].astype("int64")
    table = table[KEY_ACCOUNT_COLUMNS].reset_index(drop=True)

    total_revenue, total_profit = float(totals["total_revenue"]), float(totals["total_profit"])
    return KeyAccounts(
        table=table,
        customers=len(table),
        revenue_share=float(table["revenue"].sum()) / total_revenue if total_revenue else None,
        profit_share=float(table["profit"].sum()) / total_profit if total_profit else None,
        total_customers=int(totals["total_customers"]),
    )


def _alert_flags(table: pd.DataFrame, drop_share: float, inactive_days: int) -> tuple[pd.Series, pd.Series]:
    if not _is_number(drop_share) or not 0 < drop_share < 1:
        raise CRMInputError("key_accounts.error.drop_share", drop_share=drop_share)
    if not _is_number(inactive_days) or int(inactive_days) != inactive_days or inactive_days < 1:
        raise CRMInputError("key_accounts.error.inactive_days", inactive_days=inactive_days)
    prev_revenue = table["prev_revenue"].astype("float64")
    change = (table["revenue"].astype("float64") - prev_revenue) / prev_revenue.where(prev_revenue > 0)
    spend_drop = (change < -drop_share).fillna(False).astype(bool)
    inactive = (table["days_since_last_order"] >= inactive_days).astype(bool)
    return spend_drop, inactive


def alert_reasons(table: pd.DataFrame, *, drop_share: float = 0.3, inactive_days: int = 90) -> pd.Series:
    """Per row of `table`: "spend_drop", "inactive", "both" or "" (no alert); rules of `key_account_alerts`."""
    spend_drop, inactive = _alert_flags(table, drop_share, inactive_days)
    reasons = np.select([spend_drop & inactive, spend_drop, inactive], ["both", "spend_drop", "inactive"], default="")
    return pd.Series(reasons, index=table.index, name="reason", dtype="string")


def key_account_alerts(table: pd.DataFrame, *, drop_share: float = 0.3, inactive_days: int = 90) -> pd.DataFrame:
    """Key accounts that need attention, with the reason.

    * spend_drop — revenue fell by more than `drop_share` of the previous
      period's: prev_revenue > 0 and change < −drop_share.
    * inactive — no order for at least `inactive_days` days: days_since_last_order ≥ inactive_days.

    Returns the matching rows of `table` (same columns, same order) plus the
    booleans spend_drop and inactive and `reason`: "spend_drop", "inactive" or "both".
    """
    spend_drop, inactive = _alert_flags(table, drop_share, inactive_days)
    out = table.assign(spend_drop=spend_drop, inactive=inactive)
    out = out[spend_drop | inactive].copy()
    out["reason"] = np.select(
        [out["spend_drop"] & out["inactive"], out["spend_drop"]], ["both", "spend_drop"], default="inactive"
    )
    return out.reset_index(drop=True)


def search_table(table: pd.DataFrame, text: str) -> pd.DataFrame:
    """Rows of a key-account table whose customer ID or name contains `text` (case-insensitive)."""
    needle = (text or "").strip().lower()
    if not needle:
        return table
    names = table["name"].astype("string").fillna("").str.lower()
    ids = table["customer_id"].astype("string").str.lower()
    return table[ids.str.contains(needle, regex=False) | names.str.contains(needle, regex=False)]
