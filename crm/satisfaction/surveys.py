"""Surveys, their waves, and the respondents an analysis counts.

A *questionnaire* is every survey sharing a ``title``; each survey of it is a
*wave* (``surveys.wave``, e.g. '2026-Q1'; ordered by the wave label, then
``created_at``). Analyses take the selected ``survey_ids`` (one wave, or all
waves of a questionnaire) and the sidebar ``Filters``:

* respondents are the responses of the selected surveys;
* when any dimension filter is set (province, gender, age band, channel,
  category) only responses *linked to a customer* inside it count: the customer
  is in ``crm_customers(...)`` and, when channels or categories are chosen, has
  a non-returned order in them. Anonymous responses count only without filters;
* the analysis period does not restrict responses: the wave chooses the time.

Scoring (``scored_sql``): rating answers on the question's own scale
[scale_min, scale_max]; reverse-scored items are flipped, v' = min + max − v,
before any mean, share or correlation. NPS answers are 0–10.
"""

from __future__ import annotations

import pandas as pd

from crm.store.db import query, scalar
from crm.store.filters import Filters

# The respondents of $survey_ids inside the filters (see the module docstring), in three static variants:
# no dimension filter, customer-level filters only, and with channels or categories (orders) as well.
_RESP_HEAD = """
resp AS (
    SELECT r.response_id, r.survey_id, r.customer_id, r.submitted_at
    FROM survey_responses r
    WHERE list_contains($survey_ids::VARCHAR[], r.survey_id)"""
_RESP_CUSTOMERS = """
      AND r.customer_id IN (SELECT customer_id FROM crm_customers($provinces, $genders, $age_bands))"""
_RESP_ORDERS = """
      AND r.customer_id IN (SELECT customer_id
                            FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands))"""
RESPONDENTS_SQL = {
    "none": _RESP_HEAD + "\n)\n",
    "customers": _RESP_HEAD + _RESP_CUSTOMERS + "\n)\n",
    "orders": _RESP_HEAD + _RESP_CUSTOMERS + _RESP_ORDERS + "\n)\n",
}
# Every numeric rating / NPS answer of those respondents, reverse-scored items flipped.
_SCORED_TAIL = """,
scored AS (
    SELECT a.response_id, resp.customer_id, resp.submitted_at, q.question_id, q.position, q.text, q.kind,
           q.dimension, q.measure, q.scale_min AS lo, q.scale_max AS hi, q.reverse_scored,
           CASE WHEN q.reverse_scored THEN q.scale_min + q.scale_max - a.value_num ELSE a.value_num END AS v
    FROM resp
    JOIN survey_answers a USING (response_id)
    JOIN survey_questions q ON q.survey_id = resp.survey_id AND q.question_id = a.question_id
    WHERE q.kind IN ('rating', 'nps') AND a.value_num IS NOT NULL
),
overall_q AS (  -- the overall-satisfaction question: the first rating whose measure or dimension is 'overall'
    SELECT question_id FROM survey_questions
    WHERE list_contains($survey_ids::VARCHAR[], survey_id) AND kind = 'rating'
      AND (measure = 'overall' OR dimension = 'overall')
    ORDER BY position, question_id LIMIT 1
),
nps_q AS (  -- the NPS question: the first of kind 'nps'
    SELECT question_id FROM survey_questions
    WHERE list_contains($survey_ids::VARCHAR[], survey_id) AND kind = 'nps'
    ORDER BY position, question_id LIMIT 1
),
overall_nps AS (  -- the overall (flipped when reverse-scored) and NPS answers, read without `scored`
    SELECT a.response_id,
           max(CASE WHEN q.reverse_scored THEN q.scale_min + q.scale_max - a.value_num ELSE a.value_num END)
               FILTER (WHERE a.question_id = (SELECT question_id FROM overall_q)) AS overall,
           max(q.scale_min) FILTER (WHERE a.question_id = (SELECT question_id FROM overall_q)) AS lo,
           max(q.scale_max) FILTER (WHERE a.question_id = (SELECT question_id FROM overall_q)) AS hi,
           max(a.value_num) FILTER (WHERE a.question_id = (SELECT question_id FROM nps_q)) AS nps
    FROM resp
    JOIN survey_answers a USING (response_id)
    JOIN survey_questions q ON q.survey_id = resp.survey_id AND q.question_id = a.question_id
    WHERE a.value_num IS NOT NULL
      AND (a.question_id = (SELECT question_id FROM overall_q) OR a.question_id = (SELECT question_id FROM nps_q))
    GROUP BY 1
),
per_response AS (  -- one row per response: overall answer (own scale), its top-2-box flag, NPS answer
    SELECT resp.response_id, resp.customer_id, resp.submitted_at,
           o.overall, o.lo AS overall_lo, o.hi AS overall_hi, o.overall >= o.hi - 1 AS overall_top2,
           o.overall <= o.lo + 1 AS overall_bottom2, o.nps
    FROM resp LEFT JOIN overall_nps o USING (response_id)
)
"""


SCORED_SQL = {variant: sql + _SCORED_TAIL for variant, sql in RESPONDENTS_SQL.items()}


def variant(filters: Filters | None) -> str:
    """Which respondent query the filters need: 'none', 'customers' or 'orders'."""
    if filters is None:
        return "none"
    if filters.channels or filters.categories:
        return "orders"
    return "customers" if (filters.provinces or filters.genders or filters.age_bands) else "none"


def respondents_sql(filters: Filters | None) -> str:
    """The `resp` CTE (static text) for these filters."""
    return RESPONDENTS_SQL[variant(filters)]


def scored_sql(filters: Filters | None) -> str:
    """The `resp`, `scored`, `overall_q`, `nps_q` and `per_response` CTEs (static text) for these filters."""
    return SCORED_SQL[variant(filters)]


def params(survey_ids, filters: Filters | None = None) -> dict[str, object]:
    """Bound values for RESPONDENTS_SQL / SCORED_SQL."""
    dims = filters.dimension_params() if filters is not None else {
        "provinces": [], "channels": [], "categories": [], "genders": [], "age_bands": []}
    return {**dims, "survey_ids": list(survey_ids)}


def list_surveys(con) -> pd.DataFrame:
    """One row per survey, most recently imported first: survey_id, title, wave, tool, language, created_at,
    batch_id, responses, linked (responses with a customer), first_response, last_response."""
    return query(con, """
        SELECT s.survey_id, s.title, s.wave, s.source_tool AS tool, s.language, s.created_at, s.batch_id,
               count(r.response_id) AS responses, count(r.customer_id) AS linked,
               min(r.submitted_at) AS first_response, max(r.submitted_at) AS last_response
        FROM surveys s LEFT JOIN survey_responses r USING (survey_id)
        GROUP BY ALL
        ORDER BY s.batch_id DESC NULLS LAST, s.created_at DESC NULLS LAST, s.survey_id DESC
    """)


def waves(con, title: str) -> pd.DataFrame:
    """The waves of one questionnaire in time order: survey_id, wave (label; the survey id when unlabelled),
    created_at, responses."""
    return query(con, """
        SELECT s.survey_id, coalesce(s.wave, s.survey_id) AS wave, s.created_at, count(r.response_id) AS responses
        FROM surveys s LEFT JOIN survey_responses r USING (survey_id)
        WHERE s.title IS NOT DISTINCT FROM $title
        GROUP BY ALL
        ORDER BY wave, created_at, survey_id
    """, {"title": title})


def latest_survey_id(con) -> str | None:
    """The most recently imported survey (highest batch, then latest creation)."""
    return scalar(con, """
        SELECT survey_id FROM surveys
        ORDER BY batch_id DESC NULLS LAST, created_at DESC NULLS LAST, survey_id DESC LIMIT 1""")


_ITEMS_SQL = """
SELECT q.question_id, any_value(q.text) AS question, any_value(q.dimension) AS dimension,
       min(q.scale_min) AS lo, max(q.scale_max) AS hi, min(q.position) AS pos
FROM survey_questions q
WHERE list_contains($survey_ids::VARCHAR[], q.survey_id) AND q.kind = 'rating' AND q.measure = 'perceived'
  AND q.dimension IS NOT NULL AND q.dimension <> 'overall'
GROUP BY 1 ORDER BY pos, question_id
"""
# Answers as integer coordinates (response row r, item column q; q = 0 holds the overall answer and
# q = −1 the NPS answer), so a quarter of a million responses reach numpy without string columns.
_MATRIX_TAIL = """,
items AS (SELECT unnest($item_ids::VARCHAR[]) AS question_id, generate_subscripts($item_ids::VARCHAR[], 1) AS q),
numbered AS (SELECT response_id, row_number() OVER (ORDER BY response_id) AS r FROM resp)
SELECT n.r, i.q, s.v FROM scored s JOIN items i USING (question_id) JOIN numbered n USING (response_id)
UNION ALL SELECT n.r, 0, p.overall FROM per_response p JOIN numbered n USING (response_id) WHERE p.overall IS NOT NULL
UNION ALL SELECT n.r, -1, p.nps FROM per_response p JOIN numbered n USING (response_id) WHERE p.nps IS NOT NULL
"""


def perceived_items(con, survey_ids, filters: Filters | None = None):
    """(items, matrix, overall, nps): items = question_id, question, dimension, lo, hi of the perceived
    rating items in questionnaire order; matrix = one row per response, one column per item (answers after
    reverse scoring, NaN when unanswered); overall and nps = each response's answers (NaN when missing)."""
    import numpy as np

    items = query(con, _ITEMS_SQL, {"survey_ids": list(survey_ids)}).drop(columns="pos")
    n = int(scalar(con, "WITH " + respondents_sql(filters) + " SELECT count(*) FROM resp",
                   params(survey_ids, filters)) or 0)
    k = len(items)
    matrix = np.full((n, k), np.nan)
    overall = np.full(n, np.nan)
    nps = np.full(n, np.nan)
    if n and k:
        cells = query(con, "WITH " + scored_sql(filters) + _MATRIX_TAIL,
                      {**params(survey_ids, filters), "item_ids": items["question_id"].tolist()})
        r = cells["r"].to_numpy(dtype=np.int64) - 1
        q = cells["q"].to_numpy(dtype=np.int64)
        v = cells["v"].to_numpy(dtype=float)
        on_item = q > 0
        matrix[r[on_item], q[on_item] - 1] = v[on_item]
        overall[r[q == 0]] = v[q == 0]
        nps[r[q == -1]] = v[q == -1]
    return items, matrix, overall, nps
