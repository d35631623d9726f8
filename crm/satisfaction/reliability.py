"""Reliability of the rating scales: Cronbach's α per dimension and overall, α if an item is deleted.

Items are the *perceived* rating questions of each dimension (reverse-scored items flipped, each
rescaled to 0–1 as (v − min) ÷ (max − min) so that items on 1–5 and 1–7 scales can be combined;
rescaling every item by the same factor leaves α unchanged). Only respondents who answered every
item of a scale count (listwise).

Cronbach (1951): with k items, item variances σ²_i and the variance σ²_X of the sum score,

    α = k ÷ (k − 1) × (1 − Σ σ²_i ÷ σ²_X)

(sample variances, ddof = 1). α-if-item-deleted is α of the other k − 1 items. α ≥ 0.7 is the
usual threshold for an acceptable scale (Nunnally 1978); a scale needs k ≥ 2 items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm.satisfaction.surveys import perceived_items
from crm.store.filters import Filters

THRESHOLD = 0.7
ALL = "all"  # scope of the scale made of every perceived item


def cronbach_alpha(items: pd.DataFrame | np.ndarray) -> float | None:
    """α of the columns of `items` (rows = respondents, complete cases only); None when k < 2,
    fewer than 2 rows or a constant sum score."""
    x = np.asarray(items, dtype=float)
    x = x[~np.isnan(x).any(axis=1)] if x.ndim == 2 else x
    if x.ndim != 2 or x.shape[1] < 2 or x.shape[0] < 2:
        return None
    k = x.shape[1]
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return None
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total_var))


def alpha_if_deleted(items: pd.DataFrame) -> pd.Series:
    """α of the remaining items with each column left out in turn (index = the column names)."""
    complete = items.dropna()
    return pd.Series({c: cronbach_alpha(complete.drop(columns=c)) for c in items.columns}, dtype="float64")


def item_matrix(con, survey_ids, filters: Filters | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(items, wide): items = question_id, question, dimension of the perceived rating items;
    wide = one row per response, one 0–1 column per item ((v − min) ÷ (max − min), reverse-scored flipped)."""
    items, matrix, _, _ = perceived_items(con, survey_ids, filters)
    span = (items["hi"] - items["lo"]).replace(0, np.nan).to_numpy(dtype=float)
    wide = pd.DataFrame((matrix - items["lo"].to_numpy(dtype=float)) / span, columns=items["question_id"].tolist())
    answered = [c for c in wide.columns if wide[c].notna().any()]
    return items[items["question_id"].isin(answered)][["question_id", "question", "dimension"]].reset_index(
        drop=True), wide[answered]


def reliability(con, survey_ids, filters: Filters | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scales, items):
    scales = scope (a dimension or 'all'), k (items), n (complete responses), alpha, acceptable (α ≥ 0.7);
    items = scope, question_id, question, alpha_if_deleted, item_total_r (corrected item–total correlation).
    """
    items, wide = item_matrix(con, survey_ids, filters)
    groups = [(d, list(g["question_id"])) for d, g in items.groupby("dimension", sort=False)]
    groups.append((ALL, list(items["question_id"])))
    scale_rows, item_rows = [], []
    text = dict(zip(items["question_id"], items["question"]))
    for scope, cols in groups:
        if len(cols) < 2:
            continue
        block = wide[cols].dropna()
        alpha = cronbach_alpha(block)
        scale_rows.append({"scope": scope, "k": len(cols), "n": len(block), "alpha": alpha,
                           "acceptable": alpha is not None and alpha >= THRESHOLD})
        deleted = alpha_if_deleted(block)
        total = block.sum(axis=1)
        for c in cols:
            rest = total - block[c]
            r = block[c].corr(rest) if len(block) > 2 else np.nan
            item_rows.append({"scope": scope, "question_id": c, "question": text[c],
                              "alpha_if_deleted": deleted[c], "item_total_r": r})
    scales = pd.DataFrame(scale_rows, columns=["scope", "k", "n", "alpha", "acceptable"])
    return scales, pd.DataFrame(item_rows, columns=["scope", "question_id", "question", "alpha_if_deleted",
                                                    "item_total_r"])
