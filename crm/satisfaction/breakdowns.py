"""CSAT and NPS by customer group, for linked respondents.

Groups come from the materialised customer features (``crm/store/features.py``):

* province — the customer's province;
* channel — the customer's acquisition channel;
* first_category — the category of the customer's first non-returned order;
* rfm_class — the 8-class RFM model over the sidebar period (``crm.value.rfm``);
* tier — the loyalty tier at the as-of date (``crm.value.loyalty`` default rules).

Per group: n (linked responses), CSAT (top-2-box share of the overall question), mean_overall,
NPS = 100 × (share 9–10 − share 0–6) and n_nps. Groups are sorted by n, largest first.
"""

from __future__ import annotations

import pandas as pd

from crm.errors import CRMInputError
from crm.satisfaction.surveys import params, scored_sql
from crm.store.db import query
from crm.store.filters import Filters

GROUPS = ("province", "channel", "first_category", "rfm_class", "tier")

_AGG = """
        SELECT g.grp AS "group", count(*) AS n, avg(p.overall_top2::INT) AS csat, avg(p.overall) AS mean_overall,
               100 * (avg((p.nps >= 9)::INT) - avg((p.nps <= 6)::INT)) AS nps, count(p.nps) AS n_nps
        FROM per_response p JOIN g USING (customer_id)
        GROUP BY 1 ORDER BY n DESC, 1
"""


# Groups read from the feature tables (static SQL per group; RFM class and tier are computed in Python first).
_GROUP_SQL = {
    "province": ", g AS (SELECT customer_id, province AS grp FROM customer_features)",
    "channel": ", g AS (SELECT customer_id, acquisition_channel AS grp FROM customer_features)",
    "first_category": """, g AS (
        SELECT customer_id, arg_min(category, order_date) AS grp
        FROM order_facts WHERE NOT returned
          AND customer_id IN (SELECT customer_id FROM resp WHERE customer_id IS NOT NULL)
        GROUP BY 1)""",
}


def breakdown(con, survey_ids, filters: Filters, group: str) -> pd.DataFrame:
    """group (the value; NULL shown as missing), n, csat, mean_overall, nps, n_nps."""
    if group not in GROUPS:
        raise CRMInputError("satisfaction.error.group", group=group)
    p = params(survey_ids, filters)
    if group in _GROUP_SQL:
        return query(con, "WITH " + scored_sql(filters) + _GROUP_SQL[group] + _AGG, p)
    ids = query(con, "WITH " + scored_sql(filters) + " SELECT DISTINCT customer_id FROM resp WHERE customer_id IS NOT NULL",
                p)["customer_id"].tolist()
    if group == "rfm_class":
        from crm.value.rfm import rfm_for_customers

        frame = rfm_for_customers(con, filters, ids)
        frame = pd.DataFrame({"customer_id": frame["customer_id"], "grp": frame["segment"].astype("string")})
    else:
        from crm.value.loyalty import assign_tiers, points_for_customers

        frame = assign_tiers(points_for_customers(con, filters, ids))
        frame = pd.DataFrame({"customer_id": frame["customer_id"], "grp": frame["tier"].astype("string")})
    return query(con, "WITH " + scored_sql(filters) + ", g AS (SELECT * FROM _groups)" + _AGG, p, frames={"_groups": frame})
