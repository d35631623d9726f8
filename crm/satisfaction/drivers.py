"""Key drivers of overall satisfaction (or NPS) and the importance–performance analysis (IPA).

Items are the perceived rating questions (reverse-scored items flipped). Over the respondents who
answered every item and the target (listwise):

* r_i = Pearson correlation of item i with the target (overall satisfaction, or the 0–10 NPS answer);
* β_i = standardised regression weight: the least-squares coefficients of the target's z-score on the
  items' z-scores (z = (x − mean) ÷ sd), all items together, so β_i is item i's effect holding the
  others fixed;
* importance (derived) = r_i; performance = the item's mean rescaled to 0–100, (mean − min) ÷ (max − min) × 100.

IPA (Martilla & James 1977): the item's place against the means of importance and performance over
the items: high importance and high performance = keep (保持优势), high importance and low performance =
improve (重点改进), low importance and low performance = low_priority (低优先级), low importance and high
performance = overkill (过度投入).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm.errors import CRMInputError
from crm.satisfaction.surveys import params, scored_sql
from crm.store.db import query
from crm.store.filters import Filters

TARGETS = ("overall", "nps")
QUADRANTS = ("keep", "improve", "low_priority", "overkill")
DRIVER_COLUMNS = ["question_id", "question", "dimension", "n", "performance", "r", "beta", "importance", "quadrant"]


def standardised_betas(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares weights of z(y) on the columns of z(x) (no intercept is needed after centring);
    a constant column gets weight 0."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    sd = x.std(axis=0, ddof=1)
    ok = sd > 0
    zx = np.zeros_like(x)
    zx[:, ok] = (x[:, ok] - x[:, ok].mean(axis=0)) / sd[ok]
    sy = y.std(ddof=1)
    zy = (y - y.mean()) / sy if sy > 0 else np.zeros_like(y)
    beta = np.zeros(x.shape[1])
    if ok.any():
        beta[ok] = np.linalg.lstsq(zx[:, ok], zy, rcond=None)[0]
    return beta


def quadrant(importance: pd.Series, performance: pd.Series) -> pd.Series:
    """IPA quadrant codes against the means of importance and performance."""
    hi_i = importance >= importance.mean()
    hi_p = performance >= performance.mean()
    codes = np.where(hi_i & hi_p, "keep", np.where(hi_i, "improve", np.where(hi_p, "overkill", "low_priority")))
    return pd.Series(codes, index=importance.index)


def key_drivers(con, survey_ids, filters: Filters | None = None, *, target: str = "overall") -> pd.DataFrame:
    """One row per perceived item: question_id, question, dimension, n, performance (0–100), r, beta,
    importance (= r), quadrant. Empty when fewer than 3 complete responses."""
    if target not in TARGETS:
        raise CRMInputError("satisfaction.error.target", target=target)
    long = query(con, "WITH " + scored_sql(filters) + """
        SELECT s.response_id, s.question_id, s.v, s.lo, s.hi,
               CASE WHEN $target = 'nps' THEN p.nps ELSE p.overall END AS y
        FROM scored s JOIN per_response p USING (response_id)
        WHERE s.kind = 'rating' AND s.measure = 'perceived' AND s.dimension IS NOT NULL AND s.dimension <> 'overall'
    """, {**params(survey_ids, filters), "target": target})
    items = query(con, """
        SELECT question_id, any_value(text) AS question, any_value(dimension) AS dimension, min(position) AS pos
        FROM survey_questions
        WHERE list_contains($survey_ids::VARCHAR[], survey_id) AND kind = 'rating' AND measure = 'perceived'
          AND dimension IS NOT NULL AND dimension <> 'overall'
        GROUP BY 1 ORDER BY pos, question_id
    """, {"survey_ids": list(survey_ids)}).drop(columns="pos")
    if long.empty:
        return pd.DataFrame(columns=DRIVER_COLUMNS)
    wide = long.pivot_table(index="response_id", columns="question_id", values="v", aggfunc="first")
    y = long.groupby("response_id")["y"].first()
    cols = [q for q in items["question_id"] if q in wide.columns]
    data = wide[cols].join(y.rename("__y")).dropna()
    if len(data) < 3 or not cols:
        return pd.DataFrame(columns=DRIVER_COLUMNS)
    scale = long.groupby("question_id").agg(lo=("lo", "min"), hi=("hi", "max"))
    out = items[items["question_id"].isin(cols)].set_index("question_id")
    out["n"] = len(data)
    means = data[cols].mean()
    out["performance"] = (means - scale["lo"]) / (scale["hi"] - scale["lo"]) * 100
    out["r"] = data[cols].corrwith(data["__y"])
    out["beta"] = standardised_betas(data[cols].to_numpy(), data["__y"].to_numpy())
    out["importance"] = out["r"]
    out["quadrant"] = quadrant(out["importance"], out["performance"])
    return out.reset_index()[DRIVER_COLUMNS]
