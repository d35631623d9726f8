"""Dimension scores, the customer satisfaction index (CSI) and expectation versus perception.

Per dimension d (quality, price, delivery, service, packaging, after_sales, other), over the
respondents' rating answers, reverse-scored items flipped first:

* score S_d (0–100) = mean over the dimension's *perceived* answers of (v − min) ÷ (max − min) × 100.
* expectation a_d = mean of the dimension's *expected* answers, on the expected item's scale;
  perception b_d = the same perceived answers mapped linearly onto that scale,
  min_e + (v − min) ÷ (max − min) × (max_e − min_e), and averaged.
* c_d = b_d ÷ a_d (perception ÷ expectation, the textbook satisfaction ratio: c < 1 means the
  experience falls short of what customers expected) and the gap b_d − a_d.
* stated importance = mean of the dimension's *importance* answers (own scale);
  derived importance = Pearson correlation, over responses, of the respondent's dimension score
  with their overall-satisfaction answer (floored at 0).
* CSI (0–100) = Σ w_d · S_d ÷ Σ w_d over dimensions with a score and a positive weight; the
  default weights are the stated importances when the survey asks them, otherwise the derived
  importances. Weights are relative (they need not sum to 1).
"""

from __future__ import annotations

import math
from typing import Mapping

import pandas as pd

from crm.errors import CRMInputError
from crm.satisfaction.surveys import params, scored_sql
from crm.store.db import query
from crm.store.filters import Filters

DIMENSION_ORDER = ["quality", "price", "delivery", "service", "packaging", "after_sales", "other"]

DIMENSION_COLUMNS = ["dimension", "n", "score", "expected", "perceived", "c", "gap", "importance",
                     "derived_importance", "weight"]


def dimension_scores(con, survey_ids, filters: Filters | None = None) -> pd.DataFrame:
    """One row per dimension with perceived items: n (responses), score (0–100), expected (a), perceived (b),
    c = b ÷ a, gap = b − a, importance (stated), derived_importance, weight (the default CSI weight)."""
    df = query(con, "WITH " + scored_sql(filters) + """,
        dims AS (
            SELECT dimension, min(lo) FILTER (WHERE measure = 'expected') AS elo,
                   max(hi) FILTER (WHERE measure = 'expected') AS ehi
            FROM scored WHERE kind = 'rating' AND dimension IS NOT NULL AND dimension <> 'overall' GROUP BY 1
        ),
        per AS (  -- one row per response and dimension
            SELECT s.response_id, s.dimension,
                   avg((s.v - s.lo) / nullif(s.hi - s.lo, 0) * 100) FILTER (WHERE s.measure = 'perceived') AS score,
                   avg(d.elo + (s.v - s.lo) / nullif(s.hi - s.lo, 0) * (d.ehi - d.elo))
                       FILTER (WHERE s.measure = 'perceived') AS perceived,
                   avg(s.v) FILTER (WHERE s.measure = 'expected') AS expected,
                   avg(s.v) FILTER (WHERE s.measure = 'importance') AS importance
            FROM scored s JOIN dims d USING (dimension)
            GROUP BY 1, 2
        )
        SELECT per.dimension, count(per.score) AS n, avg(per.score) AS score, avg(per.expected) AS expected,
               avg(per.perceived) AS perceived, avg(per.importance) AS importance,
               greatest(coalesce(corr(per.score, p.overall), 0), 0) AS derived_importance
        FROM per LEFT JOIN per_response p USING (response_id)
        GROUP BY 1 HAVING count(per.score) > 0
    """, params(survey_ids, filters))
    df["c"] = df["perceived"] / df["expected"]
    df["gap"] = df["perceived"] - df["expected"]
    stated = df["importance"].notna().all() and len(df) > 0
    df["weight"] = df["importance"] if stated else df["derived_importance"]
    rank = {d: i for i, d in enumerate(DIMENSION_ORDER)}
    df = df.sort_values("dimension", key=lambda s: s.map(lambda d: rank.get(d, len(rank)))).reset_index(drop=True)
    return df[DIMENSION_COLUMNS]


def csi(scores: pd.DataFrame, weights: Mapping[str, float] | None = None) -> float | None:
    """CSI = Σ w_d · S_d ÷ Σ w_d (0–100); `weights` {dimension: weight} replaces the default weights.

    Weights must be finite and ≥ 0 and at least one positive where a score exists; otherwise
    CRMInputError('satisfaction.error.weights').
    """
    w = scores["weight"] if weights is None else scores["dimension"].map(dict(weights)).fillna(0.0)
    values = [float(x) for x in w]
    if any(not math.isfinite(x) or x < 0 for x in values):
        raise CRMInputError("satisfaction.error.weights")
    usable = scores["score"].notna() & (w > 0)
    if not usable.any():
        if weights is not None:
            raise CRMInputError("satisfaction.error.weights")
        return None
    return float((scores["score"][usable] * w[usable]).sum() / w[usable].sum())
