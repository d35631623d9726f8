"""CSAT, mean overall satisfaction and NPS by week or month of the answer date.

Per period (``date_trunc(unit, submitted_at)``, weeks starting on Monday): n (responses),
CSAT = top-2-box share of the overall question, mean_overall, nps = 100 × (share 9–10 − share 0–6)
with n_nps its answers (formulas in ``crm.satisfaction.scores``).
"""

from __future__ import annotations

import pandas as pd

from crm.errors import CRMInputError
from crm.satisfaction.surveys import params, scored_sql
from crm.store.db import query
from crm.store.filters import Filters

UNITS = ("week", "month")


def satisfaction_trend(con, survey_ids, filters: Filters | None = None, *, unit: str = "month") -> pd.DataFrame:
    """period (date), n, csat, mean_overall, nps, n_nps; in time order."""
    if unit not in UNITS:
        raise CRMInputError("satisfaction.error.unit", unit=unit)
    return query(con, "WITH " + scored_sql(filters) + """
        SELECT date_trunc($unit, submitted_at)::DATE AS period, count(*) AS n,
               avg(overall_top2::INT) AS csat, avg(overall) AS mean_overall,
               100 * (avg((nps >= 9)::INT) - avg((nps <= 6)::INT)) AS nps, count(nps) AS n_nps
        FROM per_response WHERE submitted_at IS NOT NULL
        GROUP BY 1 ORDER BY 1
    """, {**params(survey_ids, filters), "unit": unit})
