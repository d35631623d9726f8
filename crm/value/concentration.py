"""Value concentration: the Pareto curve, "top X % bring Y %" and ABC classes.

Population: customers with at least one order in ``crm_orders`` (non-returned,
inside the dimension filters) dated in the period [``filters.start``,
``filters.end``]. A customer's *value* is the sum of the chosen measure over
those orders: ``value="revenue"`` (order amounts) or ``value="profit"``.

Ranking: value descending, ties by customer_id ascending, so every rank is
unique and reproducible. With n customers and customer i at rank k:

* customer_share = k ÷ n
* cumulative_share = (sum of the positive values of ranks 1..k) ÷ (sum of all positive values)

Negative and zero values (a loss-making customer when value="profit")
-----------------------------------------------------------------------
Shares of a total only make sense for positive parts, so customers with
value ≤ 0 **do not count towards the cumulative share** (they add 0, the curve
stays flat at 100 % at the tail where they rank) and **are always class C**.
For revenue nothing changes (values are positive). ``abc_summary`` reports each
class's *net* value and its share of the net total, so with losses C's share is
negative and A's can exceed 100 % (the "whale curve").

ABC classes (cut points ``a`` < ``b``, default 0.8 and 0.95)
-------------------------------------------------------------
With share_before = cumulative_share − (the customer's own positive value ÷ positive total):

* A — share_before < a (so the customer whose value crosses 80 % is still A)
* B — otherwise, share_before < b
* C — otherwise, and every customer with value ≤ 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crm.store.db import query
from crm.errors import CRMInputError
from crm.store.filters import Filters

VALUES = ("revenue", "profit")
ABC_CLASSES = ("A", "B", "C")

PARETO_COLUMNS = ["customer_id", "value", "customer_rank", "customer_share", "cumulative_share"]
ABC_COLUMNS = ["customer_id", "value", "cumulative_share", "abc_class"]

# $value comes from the VALUES allow-list; it selects a column in a CASE, never as text in SQL.
_RANKED_SQL = """
WITH v AS (
    SELECT customer_id,
           sum(CASE WHEN $value = 'profit' THEN profit ELSE amount END) AS value
    FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
    WHERE order_date BETWEEN $start AND $end
    GROUP BY customer_id
), ranked AS (
    SELECT customer_id, value,
           row_number() OVER w AS customer_rank,
           count(*) OVER () AS n,
           sum(greatest(value, 0)) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_positive,
           sum(greatest(value, 0)) OVER () AS total_positive
    FROM v
    WINDOW w AS (ORDER BY value DESC, customer_id)
)
SELECT customer_id, value, customer_rank,
       customer_rank / n AS customer_share,
       CASE WHEN total_positive > 0 THEN cum_positive / total_positive ELSE 0 END AS cumulative_share,
       CASE WHEN value <= 0 OR total_positive <= 0 THEN 'C'
            WHEN cum_positive - value < $a * total_positive THEN 'A'
            WHEN cum_positive - value < $b * total_positive THEN 'B'
            ELSE 'C' END AS abc_class
FROM ranked
ORDER BY customer_rank
"""


def _check_value(value: object) -> None:
    if value not in VALUES:
        raise CRMInputError("concentration.error.value", value=value)


def _check_share(name: str, share: object, *, allow_one: bool = True) -> float:
    """A share in (0, 1] (or (0, 1) when allow_one is False)."""
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not math.isfinite(share):
        raise CRMInputError("concentration.error.share", name=name, share=share)
    if not (0 < share < 1 or (allow_one and share == 1)):
        raise CRMInputError("concentration.error.share", name=name, share=share)
    return float(share)


def _ranked(con, filters: Filters, value: str, a: float = 0.8, b: float = 0.95) -> pd.DataFrame:
    return query(con, _RANKED_SQL, {**filters.params(), "value": value, "a": a, "b": b})


def pareto(con, filters: Filters, *, value: str = "revenue") -> pd.DataFrame:
    """Every customer of the period ranked by value, with the Pareto (cumulative) shares.

    Columns: customer_id, value, customer_rank (1 = most valuable),
    customer_share (rank ÷ n) and cumulative_share (see the module docstring),
    sorted by rank. Use `pareto_points` to thin it for a chart.
    """
    _check_value(value)
    return _ranked(con, filters, value)[PARETO_COLUMNS]


def pareto_points(pareto_df: pd.DataFrame, max_points: int = 500) -> pd.DataFrame:
    """At most `max_points` rows of a `pareto` frame for plotting.

    Rows are picked at evenly spaced ranks and are exact points of the curve
    (never interpolated); the first and the last customer are always included.
    Smaller frames are returned whole.
    """
    if isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer)) or max_points < 2:
        raise CRMInputError("concentration.error.max_points", max_points=max_points)
    n = len(pareto_df)
    if n <= max_points:
        return pareto_df.reset_index(drop=True)
    positions = np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))
    return pareto_df.iloc[positions].reset_index(drop=True)


def headline(pareto_df: pd.DataFrame, top_share: float = 0.2) -> dict[str, float | int]:
    """"The top X % of customers bring Y % of the value."

    The top group is the first k = max(1, floor(top_share × n)) customers by rank
    (never more than `top_share` of them unless that is less than one customer).
    Returns top_share (as asked), customers (k), customer_share (k ÷ n),
    value (their summed value), value_share (their cumulative_share),
    total_customers (n) and total_value (sum of all values). With no customers,
    every count and share is 0.
    """
    top_share = _check_share("top_share", top_share)
    n = len(pareto_df)
    if n == 0:
        return {"top_share": top_share, "customers": 0, "customer_share": 0.0, "value": 0.0,
                "value_share": 0.0, "total_customers": 0, "total_value": 0.0}
    k = max(1, math.floor(top_share * n + 1e-9))
    ordered = pareto_df.sort_values("customer_rank")
    return {
        "top_share": top_share,
        "customers": int(k),
        "customer_share": k / n,
        "value": float(ordered["value"].iloc[:k].sum()),
        "value_share": float(ordered["cumulative_share"].iloc[k - 1]),
        "total_customers": int(n),
        "total_value": float(ordered["value"].sum()),
    }


def top_share_for(pareto_df: pd.DataFrame, value_share: float = 0.8) -> float | None:
    """The smallest customer share whose cumulative value share is ≥ `value_share`.

    E.g. 0.2 means the top 20 % of customers bring at least 80 % of the value.
    None when there are no customers or no positive value.
    """
    value_share = _check_share("value_share", value_share)
    ordered = pareto_df.sort_values("customer_rank")
    reached = ordered["cumulative_share"].to_numpy() >= value_share - 1e-12
    if not reached.any() or ordered["cumulative_share"].iloc[-1] <= 0:
        return None
    return float(ordered["customer_share"].to_numpy()[int(np.argmax(reached))])


def validate_cut_points(a: object, b: object) -> None:
    """Raise CRMInputError unless 0 < a < b < 1."""
    for x in (a, b):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise CRMInputError("concentration.error.cut_points", a=a, b=b)
    if not 0 < a < b < 1:
        raise CRMInputError("concentration.error.cut_points", a=a, b=b)


def abc_classes(con, filters: Filters, *, a: float = 0.8, b: float = 0.95, value: str = "revenue") -> pd.DataFrame:
    """ABC class of every customer of the period (rules in the module docstring).

    Columns: customer_id, value, cumulative_share, abc_class ('A', 'B' or 'C'),
    sorted by value descending (ties by customer_id).
    """
    _check_value(value)
    validate_cut_points(a, b)
    return _ranked(con, filters, value, float(a), float(b))[ABC_COLUMNS]


def abc_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per ABC class: customers, customer_share, value (net sum), value_share (÷ net total).

    All three classes are present, A B C in order, zeros when a class is empty.
    """
    grouped = df.groupby(pd.Categorical(df["abc_class"], categories=list(ABC_CLASSES)), observed=False)
    out = pd.DataFrame({"customers": grouped.size(), "value": grouped["value"].sum()}).reindex(list(ABC_CLASSES))
    out = out.fillna(0)
    out["customers"] = out["customers"].astype("int64")
    out["value"] = out["value"].astype("float64")
    n, total = out["customers"].sum(), out["value"].sum()
    out["customer_share"] = out["customers"] / n if n else 0.0
    out["value_share"] = out["value"] / total if total else 0.0
    out = out.rename_axis("abc_class").reset_index()
    out["abc_class"] = out["abc_class"].astype("str")
    return out[["abc_class", "customers", "customer_share", "value", "value_share"]]
