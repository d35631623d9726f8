"""RFM analysis: recency, frequency and monetary value per customer, scores and the 8 classes.

Population and period
---------------------
One row per customer with at least one order in ``crm_orders`` (non-returned,
inside the dimension filters) dated in [``filters.start``, min(``filters.end``,
``filters.as_of``)]. Orders after the as-of date never count.

Metrics
-------
* recency_days — ``as_of`` − date of the customer's last order in the period (days).
* frequency — number of orders in the period.
* monetary — sum of order amounts in the period (CNY, net of returns);
  ``profit`` — sum of order profits in the period.

Scores (quantiles, computed by DuckDB window functions)
-------------------------------------------------------
With n customers and ``bins`` ∈ {4, 5} (quartiles or quintiles)::

    score = least(bins, 1 + floor(percent_rank() × bins))
    percent_rank() = (rank − 1) ÷ (n − 1)   (0 when n = 1)

evaluated in exact integer arithmetic as ``1 + ((rank − 1) × bins) // (n − 1)``
so that no float rounding moves a customer across a boundary. ``rank`` gives
tied values the same rank, so **ties always share a score**. For R the order is
``recency_days DESC`` (the most recent buyers get the highest score), for F and
M ascending (the most orders / the highest spend get the highest score).

The 8 classes
-------------
Each of R, F and M is *high* or *low* against a threshold: the mean over the
customers in the table (``split="mean"``) or the median (``split="median"``):

* R high ⇔ recency_days < threshold (bought more recently than typical)
* F high ⇔ frequency > threshold
* M high ⇔ monetary > threshold

===================== ===== ===== =====
code                   R     F     M
===================== ===== ===== =====
important_value        high  high  high
important_development  high  low   high
important_retention    low   high  high
important_winback      low   low   high
general_value          high  high  low
general_development    high  low   low
general_retention      low   high  low
general_winback        low   low   low
===================== ===== ===== =====

Names and recommended actions in both languages are in the catalogs:
``rfm.segment.<code>`` and ``rfm.segment.<code>.action``. The ``segment``
column is a pandas Categorical whose categories are ``SEGMENTS`` in this order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm.store.db import query
from crm.errors import CRMInputError
from crm.store.filters import Filters

SEGMENTS = (
    "important_value",
    "important_development",
    "important_retention",
    "important_winback",
    "general_value",
    "general_development",
    "general_retention",
    "general_winback",
)
BINS = (4, 5)
SPLITS = ("mean", "median")

RFM_COLUMNS = [
    "customer_id", "name", "last_order_date", "recency_days", "frequency", "monetary", "profit",
    "r_score", "f_score", "m_score", "r_high", "f_high", "m_high", "segment",
]

# segment_index = 4·(M low) + 2·(R low) + (F low) indexes SEGMENTS.
_RFM_SQL = """
WITH base AS (
    SELECT customer_id,
           max(order_date) AS last_order_date,
           date_diff('day', max(order_date), $as_of) AS recency_days,
           count(*) AS frequency,
           sum(amount) AS monetary,
           sum(profit) AS profit
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date BETWEEN $start AND least($end, $as_of)
    GROUP BY customer_id
), th AS (
    SELECT count(*) AS n,
           CASE WHEN $split = 'median' THEN median(recency_days) ELSE avg(recency_days) END AS r_th,
           CASE WHEN $split = 'median' THEN median(frequency) ELSE avg(frequency) END AS f_th,
           CASE WHEN $split = 'median' THEN median(monetary) ELSE avg(monetary) END AS m_th
    FROM base
), scored AS (
    SELECT b.customer_id, b.last_order_date, b.recency_days, b.frequency, b.monetary, b.profit,
           least($bins, 1 + ((rank() OVER (ORDER BY b.recency_days DESC) - 1) * $bins) // greatest(th.n - 1, 1))::INTEGER AS r_score,
           least($bins, 1 + ((rank() OVER (ORDER BY b.frequency) - 1) * $bins) // greatest(th.n - 1, 1))::INTEGER AS f_score,
           least($bins, 1 + ((rank() OVER (ORDER BY b.monetary) - 1) * $bins) // greatest(th.n - 1, 1))::INTEGER AS m_score,
           b.recency_days < th.r_th AS r_high,
           b.frequency > th.f_th AS f_high,
           b.monetary > th.m_th AS m_high
    FROM base b CROSS JOIN th
)
SELECT s.customer_id, cf.name, s.last_order_date, s.recency_days, s.frequency, s.monetary, s.profit,
       s.r_score, s.f_score, s.m_score, s.r_high, s.f_high, s.m_high,
       (4 * (NOT s.m_high)::INTEGER + 2 * (NOT s.r_high)::INTEGER + (NOT s.f_high)::INTEGER)::TINYINT AS segment_index
FROM scored s LEFT JOIN customer_features cf USING (customer_id)
ORDER BY s.customer_id
"""

# The same table restricted to some customers (after the window functions, so
# the scores and thresholds still come from the whole population).
_RFM_SOME_SQL = "SELECT * FROM (" + _RFM_SQL + ") WHERE customer_id IN (SELECT unnest($customer_ids::VARCHAR[]))"


def validate_rfm_parameters(bins: object, split: object) -> None:
    """Raise CRMInputError unless bins ∈ {4, 5} and split ∈ {"mean", "median"}."""
    if isinstance(bins, bool) or bins not in BINS:
        raise CRMInputError("rfm.error.bins", bins=bins)
    if split not in SPLITS:
        raise CRMInputError("rfm.error.split", split=split)


def compute_rfm(con, filters: Filters, *, bins: int = 5, split: str = "mean") -> pd.DataFrame:
    """One row per buying customer: R, F, M values, 1..bins scores, high/low flags and the class.

    Columns: customer_id, name, last_order_date, recency_days, frequency,
    monetary, profit, r_score, f_score, m_score, r_high, f_high, m_high,
    segment (Categorical over ``SEGMENTS``). Sorted by customer_id.
    See the module docstring for the formulas. One DuckDB query.
    """
    validate_rfm_parameters(bins, split)
    df = query(con, _RFM_SQL, {**filters.params(), "bins": bins, "split": split})
    return _finish(df)


def rfm_for_customers(con, filters: Filters, customer_ids: list[str], *, bins: int = 5,
                      split: str = "mean") -> pd.DataFrame:
    """The `compute_rfm` rows of the given customers, scored against everyone in the filters.

    Same columns and values as `compute_rfm`; ids without orders in the period have no row.
    """
    validate_rfm_parameters(bins, split)
    params = {**filters.params(), "bins": bins, "split": split, "customer_ids": list(customer_ids)}
    return _finish(query(con, _RFM_SOME_SQL, params))


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    codes = df.pop("segment_index").to_numpy(dtype=np.int8)
    df["segment"] = pd.Categorical.from_codes(codes, categories=list(SEGMENTS))
    return df[RFM_COLUMNS]


def segment_summary(rfm: pd.DataFrame) -> pd.DataFrame:
    """Customers, revenue and averages per class, all 8 classes in ``SEGMENTS`` order.

    * customers — customers in the class; share — customers ÷ all customers in `rfm`.
    * revenue — sum of monetary; revenue_share — revenue ÷ total monetary.
    * avg_recency, avg_frequency, avg_monetary — means over the class.

    A class without customers has zeros in every column (also the averages).
    """
    grouped = rfm.groupby(pd.Categorical(rfm["segment"], categories=list(SEGMENTS)), observed=False)
    out = pd.DataFrame({
        "customers": grouped.size(),
        "revenue": grouped["monetary"].sum(),
        "avg_recency": grouped["recency_days"].mean(),
        "avg_frequency": grouped["frequency"].mean(),
        "avg_monetary": grouped["monetary"].mean(),
    }).reindex(list(SEGMENTS))
    out = out.fillna(0.0)
    out["customers"] = out["customers"].astype("int64")
    total_customers = out["customers"].sum()
    total_revenue = out["revenue"].sum()
    out["share"] = out["customers"] / total_customers if total_customers else 0.0
    out["revenue_share"] = out["revenue"] / total_revenue if total_revenue else 0.0
    out = out.rename_axis("segment").reset_index()
    out["segment"] = out["segment"].astype("str")
    return out[["segment", "customers", "share", "revenue", "revenue_share", "avg_recency", "avg_frequency", "avg_monetary"]]


def rf_grid(rfm: pd.DataFrame, *, bins: int | None = None) -> pd.DataFrame:
    """Customers and revenue per (r_score, f_score) cell, for the R × F heatmap.

    Every cell of the bins × bins grid is present (zeros when empty); `bins`
    defaults to the highest score in `rfm` (pass the `compute_rfm` value to be exact).
    Columns: r_score, f_score, customers, revenue (sum of monetary).
    """
    if bins is None:
        bins = int(max(rfm["r_score"].max(), rfm["f_score"].max())) if len(rfm) else 5
    else:
        validate_rfm_parameters(bins, "mean")
    scores = range(1, bins + 1)
    full = pd.MultiIndex.from_product([scores, scores], names=["r_score", "f_score"])
    grouped = rfm.groupby(["r_score", "f_score"])
    out = pd.DataFrame({"customers": grouped.size(), "revenue": grouped["monetary"].sum()})
    out = out.reindex(full, fill_value=0).reset_index()
    out["customers"] = out["customers"].astype("int64")
    out["revenue"] = out["revenue"].astype("float64")
    return out
