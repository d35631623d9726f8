"""Per-question scores, the headline (CSAT, mean overall, NPS) and answer distributions.

Formulas (v = the answer on the question's own scale [min, max], reverse-scored items flipped to
min + max − v first; n = answers given):

* mean = Σ v ÷ n, on the question's own scale.
* top-2-box share = #(v ≥ max − 1) ÷ n (4–5 on a 1–5 scale, 6–7 on 1–7, 9–10 on 0–10).
* CSAT = the top-2-box share of the overall-satisfaction question (the first rating whose
  measure or dimension is 'overall').
* NPS (net promoter score, Reichheld 2003) = 100 × (#promoters − #detractors) ÷ n with
  promoters answering 9–10, passives 7–8 and detractors 0–6 on the 0–10 question.
* Against the previous wave: the same figures for that wave's survey ids.
"""

from __future__ import annotations

import pandas as pd

from crm.satisfaction.surveys import params, scored_sql
from crm.store.db import query
from crm.store.filters import Filters

QUESTION_COLUMNS = ["question_id", "question", "kind", "dimension", "measure", "reverse_scored", "scale_min",
                    "scale_max", "n", "mean", "top2_share", "nps", "promoters", "passives", "detractors"]


def question_scores(con, survey_ids, filters: Filters | None = None) -> pd.DataFrame:
    """One row per rating or NPS question (in questionnaire order): n, mean, top-2-box share and, for the
    NPS question, the NPS (−100 … 100) and the promoter / passive / detractor shares (fractions)."""
    return query(con, "WITH " + scored_sql(filters) + """
        SELECT question_id, any_value(text ORDER BY position) AS question, any_value(kind) AS kind,
               any_value(dimension) AS dimension, any_value(measure) AS measure,
               bool_or(reverse_scored) AS reverse_scored, min(lo) AS scale_min, max(hi) AS scale_max,
               count(*) AS n, avg(v) AS mean, avg((v >= hi - 1)::INT) AS top2_share,
               CASE WHEN any_value(kind) = 'nps' THEN 100 * (avg((v >= 9)::INT) - avg((v <= 6)::INT)) END AS nps,
               CASE WHEN any_value(kind) = 'nps' THEN avg((v >= 9)::INT) END AS promoters,
               CASE WHEN any_value(kind) = 'nps' THEN avg((v BETWEEN 7 AND 8)::INT) END AS passives,
               CASE WHEN any_value(kind) = 'nps' THEN avg((v <= 6)::INT) END AS detractors,
               min(position) AS pos
        FROM scored GROUP BY question_id ORDER BY pos, question_id
    """, params(survey_ids, filters))[QUESTION_COLUMNS]


def headline(con, survey_ids, filters: Filters | None = None) -> dict:
    """responses, linked, linked_share, csat, mean_overall, overall_min/max, n_overall, nps, promoters,
    passives, detractors (shares of NPS answers), n_nps. Missing figures are None."""
    df = query(con, "WITH " + scored_sql(filters) + """
        SELECT count(*) AS responses, count(customer_id) AS linked,
               count(overall) AS n_overall, avg(overall_top2::INT) AS csat, avg(overall) AS mean_overall,
               min(overall_lo) AS overall_min, max(overall_hi) AS overall_max,
               count(nps) AS n_nps,
               100 * (avg((nps >= 9)::INT) - avg((nps <= 6)::INT)) AS nps,
               avg((nps >= 9)::INT) AS promoters, avg((nps BETWEEN 7 AND 8)::INT) AS passives,
               avg((nps <= 6)::INT) AS detractors
        FROM per_response
    """, params(survey_ids, filters))
    row = {k: (None if pd.isna(v) else v) for k, v in df.iloc[0].to_dict().items()}
    row["linked_share"] = row["linked"] / row["responses"] if row["responses"] else None
    return row


def distribution(con, survey_ids, filters: Filters | None = None) -> pd.DataFrame:
    """Answer counts per rating question and scale point (after reverse scoring), for a diverging Likert bar:
    question_id, question, value, scale_min, scale_max, count, share (of the question's answers)."""
    return query(con, "WITH " + scored_sql(filters) + """
        SELECT question_id, any_value(text) AS question, round(v) AS value, min(lo) AS scale_min,
               max(hi) AS scale_max, count(*) AS count, min(position) AS pos
        FROM scored WHERE kind = 'rating'
        GROUP BY question_id, round(v)
        ORDER BY pos, question_id, value
    """, params(survey_ids, filters)).assign(
        share=lambda d: d["count"] / d.groupby("question_id")["count"].transform("sum")).drop(columns="pos")
