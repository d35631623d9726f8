"""Satisfaction → loyalty: what linked respondents did after answering.

For each linked response (answer date d = submitted_at's date; reference date R = the latest
order date in the data), from non-returned orders in ``order_facts``:

* repurchase within h days (h = 30, 90, 180): an order on a day in (d, d + h]; counted only over
  responses observed long enough, d + h ≤ R (``n_30`` … are those responses);
* revenue_180: the mean revenue in (d, d + 180] over responses with d + 180 ≤ R;
* churned: no order in the 180 days up to R (last order ≤ R − 180), over responses with d + 180 ≤ R.

Groups: the overall-satisfaction answer (``by='overall'``, one group per scale point) or the NPS group
(``by='nps_group'``: promoter 9–10, passive 7–8, detractor 0–6).

Each rate has a Wilson score 95 % interval (Wilson 1927): with p̂ = k ÷ n and z = 1.96,
centre = (p̂ + z²/2n) ÷ (1 + z²/n), half-width = z √(p̂(1 − p̂)/n + z²/4n²) ÷ (1 + z²/n).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm.errors import CRMInputError
from crm.satisfaction.surveys import params, scored_sql
from crm.store.db import query
from crm.store.features import reference_date
from crm.store.filters import Filters

BY = ("overall", "nps_group")
HORIZONS = (30, 90, 180)
Z95 = 1.959963984540054


def wilson_interval(k, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper Wilson score bounds of k successes in n trials (NaN where n = 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low, high = centre - half, centre + half
    low = np.where(n > 0, np.clip(low, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(high, 0, 1), np.nan)
    return low, high


def loyalty_by_group(con, survey_ids, filters: Filters | None = None, *, by: str = "overall") -> pd.DataFrame:
    """group, n (linked responses), and per horizon h: n_h, repurchase_h, repurchase_h_low, repurchase_h_high;
    n_180 responses give revenue_180, churned, churned_low, churned_high."""
    if by not in BY:
        raise CRMInputError("satisfaction.error.by", by=by)
    ref = reference_date(con)
    df = query(con, "WITH " + scored_sql(filters) + """,
        lr AS (
            SELECT response_id, customer_id, submitted_at::DATE AS d,
                   CASE WHEN $by = 'overall' THEN CAST(CAST(round(overall) AS BIGINT) AS VARCHAR)
                        WHEN nps >= 9 THEN 'promoter' WHEN nps >= 7 THEN 'passive' WHEN nps IS NOT NULL THEN 'detractor'
                   END AS grp
            FROM per_response WHERE customer_id IS NOT NULL AND submitted_at IS NOT NULL
        ),
        after AS (
            SELECT lr.response_id,
                   count(*) FILTER (WHERE o.order_date <= lr.d + 30) AS o30,
                   count(*) FILTER (WHERE o.order_date <= lr.d + 90) AS o90,
                   count(*) AS o180, sum(o.amount) AS rev180
            FROM lr JOIN order_facts o ON o.customer_id = lr.customer_id AND NOT o.returned
                 AND o.order_date > lr.d AND o.order_date <= lr.d + 180
            GROUP BY 1
        ),
        last AS (  -- the latest non-returned order, materialised in customer_features
            SELECT customer_id, last_order_date AS last_order FROM customer_features
        )
        SELECT lr.grp AS "group", count(*) AS n,
               count(*) FILTER (WHERE lr.d + 30 <= $ref) AS n_30,
               count(*) FILTER (WHERE lr.d + 30 <= $ref AND coalesce(a.o30, 0) > 0) AS k_30,
               count(*) FILTER (WHERE lr.d + 90 <= $ref) AS n_90,
               count(*) FILTER (WHERE lr.d + 90 <= $ref AND coalesce(a.o90, 0) > 0) AS k_90,
               count(*) FILTER (WHERE lr.d + 180 <= $ref) AS n_180,
               count(*) FILTER (WHERE lr.d + 180 <= $ref AND coalesce(a.o180, 0) > 0) AS k_180,
               avg(coalesce(a.rev180, 0)) FILTER (WHERE lr.d + 180 <= $ref) AS revenue_180,
               count(*) FILTER (WHERE lr.d + 180 <= $ref AND (l.last_order IS NULL OR l.last_order <= $ref - 180))
                   AS k_churned
        FROM lr LEFT JOIN after a USING (response_id) LEFT JOIN last l USING (customer_id)
        WHERE lr.grp IS NOT NULL
        GROUP BY 1
    """, {**params(survey_ids, filters), "by": by, "ref": ref})
    for h in HORIZONS:
        n, k = df[f"n_{h}"], df.pop(f"k_{h}")
        df[f"repurchase_{h}"] = np.where(n > 0, k / n.where(n > 0, 1), np.nan)
        df[f"repurchase_{h}_low"], df[f"repurchase_{h}_high"] = wilson_interval(k, n)
    k = df.pop("k_churned")
    n = df["n_180"]
    df["churned"] = np.where(n > 0, k / n.where(n > 0, 1), np.nan)
    df["churned_low"], df["churned_high"] = wilson_interval(k, n)
    order = ["detractor", "passive", "promoter"] if by == "nps_group" else None
    if order:
        df = df.set_index("group").reindex([g for g in order if g in set(df["group"])]).reset_index()
    else:
        df = df.sort_values("group", key=lambda s: s.astype(float)).reset_index(drop=True)
    return df
