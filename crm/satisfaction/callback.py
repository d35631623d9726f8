"""Call-back list (回访名单): linked respondents to contact because they are unhappy.

A response is on the list when its NPS answer is a detractor's (0–6) or its overall-satisfaction
answer is in the bottom two boxes (v ≤ min + 1, e.g. 1–2 on 1–5). Columns: response_id,
submitted_at, customer_id, name, phone, email, province, overall, nps, nps_group, weakest (the
dimension with the lowest perceived score, 0–100), weakest_score, comment (the open answers,
joined). Worst first: NPS, then overall, then newest.
"""

from __future__ import annotations

import pandas as pd

from crm.satisfaction.surveys import params, scored_sql
from crm.store.db import query
from crm.store.filters import Filters

CONTACT_COLUMNS = {"phone": "phone", "email": "email"}


def callback_list(con, survey_ids, filters: Filters | None = None) -> pd.DataFrame:
    """The list described in the module docstring."""
    return query(con, "WITH " + scored_sql(filters) + """,
        picked AS (
            SELECT * FROM per_response
            WHERE customer_id IS NOT NULL AND (nps <= 6 OR overall_bottom2)
        ),
        weak AS (
            SELECT response_id, arg_min(dimension, score) AS weakest, min(score) AS weakest_score
            FROM (SELECT response_id, dimension, avg((v - lo) / nullif(hi - lo, 0) * 100) AS score
                  FROM scored WHERE kind = 'rating' AND measure = 'perceived' AND dimension IS NOT NULL
                    AND dimension <> 'overall' AND response_id IN (SELECT response_id FROM picked)
                  GROUP BY 1, 2)
            GROUP BY 1
        ),
        texts AS (
            SELECT a.response_id, string_agg(a.value_text, ' / ' ORDER BY q.position) AS comment
            FROM resp JOIN survey_answers a USING (response_id)
            JOIN survey_questions q ON q.survey_id = resp.survey_id AND q.question_id = a.question_id
            WHERE q.kind = 'text' AND nullif(trim(a.value_text), '') IS NOT NULL
              AND a.response_id IN (SELECT response_id FROM picked)
            GROUP BY 1
        )
        SELECT p.response_id, p.submitted_at, p.customer_id, c.name, c.phone, c.email, c.province,
               p.overall, p.nps,
               CASE WHEN p.nps >= 9 THEN 'promoter' WHEN p.nps >= 7 THEN 'passive' WHEN p.nps IS NOT NULL
                    THEN 'detractor' END AS nps_group,
               w.weakest, w.weakest_score, t.comment
        FROM picked p
        LEFT JOIN customer_features c USING (customer_id)
        LEFT JOIN weak w USING (response_id)
        LEFT JOIN texts t USING (response_id)
        ORDER BY p.nps NULLS LAST, p.overall NULLS LAST, p.submitted_at DESC, p.response_id
    """, params(survey_ids, filters))
