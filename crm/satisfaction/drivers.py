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
from crm.satisfaction.surveys import perceived_items
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
    items, matrix, overall, nps = perceived_items(con, survey_ids, filters)
    answered = ~np.isnan(matrix).all(axis=0) if len(matrix) else np.zeros(len(items), dtype=bool)
    items = items[answered].reset_index(drop=True)
    cols = items["question_id"].tolist()
    data = pd.DataFrame(matrix[:, answered], columns=cols)
    data["__y"] = nps if target == "nps" else overall
    data = data.dropna()
    if len(data) < 3 or not cols:
        return pd.DataFrame(columns=DRIVER_COLUMNS)
    out = items.set_index("question_id")
    out["n"] = len(data)
    means = data[cols].mean()
    out["performance"] = (means - out["lo"]) / (out["hi"] - out["lo"]) * 100
    out["r"] = data[cols].corrwith(data["__y"])
    out["beta"] = standardised_betas(data[cols].to_numpy(), data["__y"].to_numpy())
    out["importance"] = out["r"]
    out["quadrant"] = quadrant(out["importance"], out["performance"])
    return out.reset_index()[DRIVER_COLUMNS]
