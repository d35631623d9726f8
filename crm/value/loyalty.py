"""Loyalty points and membership tiers.

Population: customers with at least one order in ``crm_orders`` (non-returned,
inside the dimension filters) on or before ``filters.as_of``. Points are a
lifetime measure: the analysis period (start, end) does not limit them.

* start_date — the customer's first such order, or their signup_date when that
  is earlier (a missing signup_date is ignored).
* tenure_months — whole months from start_date to as_of (DuckDB
  ``date_sub('month', start_date, as_of)``: 2024-01-15 → 2024-02-14 is 0,
  → 2024-02-15 is 1; a month-end to the next month-end counts as a full month).
* spend — sum of order amounts on or before as_of (CNY, net of returns).
* points = tenure_months × points_per_month + spend ÷ yuan_per_point.

Tiers: ``(name, threshold)`` pairs, thresholds starting at 0 and increasing; a
customer is in the highest tier whose threshold ≤ points. Default
``DEFAULT_TIERS``: normal 0, silver 500, gold 2000, diamond 5000 (names in the
catalogs as ``loyalty.tier.<name>``: 普通/银卡/金卡/钻石, Regular/Silver/Gold/Diamond).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from crm.store.db import query
from crm.errors import CRMInputError
from crm.store.filters import Filters

DEFAULT_TIERS = (("normal", 0), ("silver", 500), ("gold", 2000), ("diamond", 5000))

POINTS_COLUMNS = ["customer_id", "name", "first_order_date", "signup_date", "start_date",
                  "tenure_months", "spend", "points"]

_POINTS_HEAD = """
WITH o AS (
    SELECT customer_id, min(order_date) AS first_order_date, sum(amount) AS spend
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
"""
_POINTS_TAIL = """
    GROUP BY customer_id
), p AS (
    SELECT o.customer_id, cf.name, o.first_order_date, cf.signup_date,
           least(o.first_order_date, coalesce(cf.signup_date, o.first_order_date)) AS start_date,
           o.spend
    FROM o LEFT JOIN customer_features cf USING (customer_id)
)
SELECT customer_id, name, first_order_date, signup_date, start_date,
       date_sub('month', start_date, $as_of) AS tenure_months,
       spend,
       date_sub('month', start_date, $as_of) * $points_per_month + spend / $yuan_per_point AS points
FROM p
ORDER BY customer_id
"""
# Every customer, or only those in $customer_ids (filtered before aggregating:
# a customer's points do not depend on anyone else's).
_POINTS_SQL = _POINTS_HEAD + "    WHERE order_date <= $as_of" + _POINTS_TAIL
_POINTS_SOME_SQL = (
    _POINTS_HEAD
    + "    WHERE order_date <= $as_of AND customer_id IN (SELECT unnest($customer_ids::VARCHAR[]))"
    + _POINTS_TAIL
)


def _check_rates(points_per_month: object, yuan_per_point: object) -> tuple[float, float]:
    for x in (points_per_month, yuan_per_point):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise CRMInputError("loyalty.error.rates", points_per_month=points_per_month, yuan_per_point=yuan_per_point)
    if points_per_month < 0 or yuan_per_point <= 0:
        raise CRMInputError("loyalty.error.rates", points_per_month=points_per_month, yuan_per_point=yuan_per_point)
    return float(points_per_month), float(yuan_per_point)


def compute_points(con, filters: Filters, *, points_per_month: float = 1.0, yuan_per_point: float = 10.0) -> pd.DataFrame:
    """Points of every customer who bought on or before as_of (formula in the module docstring).

    Columns: customer_id, name, first_order_date, signup_date, start_date,
    tenure_months, spend, points; sorted by customer_id.
    """
    a, b = _check_rates(points_per_month, yuan_per_point)
    return query(con, _POINTS_SQL, {**filters.params(), "points_per_month": a, "yuan_per_point": b})[POINTS_COLUMNS]


def points_for_customers(con, filters: Filters, customer_ids: list[str], *, points_per_month: float = 1.0,
                         yuan_per_point: float = 10.0) -> pd.DataFrame:
    """The `compute_points` rows of the given customers (no row for one who never bought by as_of)."""
    a, b = _check_rates(points_per_month, yuan_per_point)
    params = {**filters.params(), "points_per_month": a, "yuan_per_point": b, "customer_ids": list(customer_ids)}
    return query(con, _POINTS_SOME_SQL, params)[POINTS_COLUMNS]


def validate_tiers(tiers: object) -> tuple[list[str], np.ndarray]:
    """Tier names and thresholds; CRMInputError unless they start at 0 and strictly increase."""
    try:
        pairs = [(str(name), float(threshold)) for name, threshold in tiers]  # type: ignore[union-attr]
    except (TypeError, ValueError) as exc:
        raise CRMInputError("loyalty.error.tiers", tiers=tiers) from exc
    names = [name for name, _ in pairs]
    thresholds = np.array([threshold for _, threshold in pairs], dtype="float64")
    if not pairs or any(not name.strip() for name in names) or len(set(names)) != len(names):
        raise CRMInputError("loyalty.error.tiers", tiers=tiers)
    if not np.isfinite(thresholds).all() or thresholds[0] != 0 or (np.diff(thresholds) <= 0).any():
        raise CRMInputError("loyalty.error.tier_thresholds", thresholds=", ".join(f"{x:g}" for x in thresholds))
    return names, thresholds


def assign_tiers(points_df: pd.DataFrame, tiers: Sequence[tuple[str, float]] = DEFAULT_TIERS) -> pd.DataFrame:
    """A copy of `points_df` with a `tier` column: the highest tier whose threshold ≤ points.

    `tier` is an ordered Categorical whose categories are the tier names in
    order, so `tier_summary` knows the order and the empty tiers.
    """
    names, thresholds = validate_tiers(tiers)
    index = np.searchsorted(thresholds, points_df["points"].to_numpy(dtype="float64"), side="right") - 1
    out = points_df.copy()
    out["tier"] = pd.Categorical.from_codes(np.clip(index, 0, None), categories=names, ordered=True)
    return out


def tier_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per tier, in tier order (every tier, zeros when empty): customers, share of
    customers, revenue (sum of lifetime spend), revenue_share and avg_points (0 when empty)."""
    tiers = df["tier"]
    categories = list(tiers.cat.categories) if isinstance(tiers.dtype, pd.CategoricalDtype) else sorted(tiers.unique())
    grouped = df.groupby(pd.Categorical(tiers, categories=categories), observed=False)
    out = pd.DataFrame({
        "customers": grouped.size(),
        "revenue": grouped["spend"].sum(),
        "avg_points": grouped["points"].mean(),
    }).reindex(categories).fillna(0.0)
    out["customers"] = out["customers"].astype("int64")
    n, total = out["customers"].sum(), out["revenue"].sum()
    out["share"] = out["customers"] / n if n else 0.0
    out["revenue_share"] = out["revenue"] / total if total else 0.0
    out = out.rename_axis("tier").reset_index()
    out["tier"] = out["tier"].astype("str")
    return out[["tier", "customers", "share", "revenue", "revenue_share", "avg_points"]]
