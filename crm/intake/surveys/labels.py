"""Answer labels of rating questions: Likert label sets in Chinese and English, stars, numbers with labelled ends.

A rating answer is stored as its position on the question's own scale
(``scale_min`` … ``scale_max``). Text labels become 1 … k in the order of the
label set that holds every label a column uses (``非常不满意`` → 1 …
``非常满意`` → 5; ``Strongly disagree`` → 1 … ``Strongly agree`` → 5), stars
(``★★★★☆``) count the filled stars, and ``5 - Very satisfied`` / ``5分`` /
``1=非常不满意`` read the leading number.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Label sets in scale order. When several sets hold every label of a column, the first listed wins.
LIKERT_SETS: tuple[tuple[str, ...], ...] = (
    # Chinese, five points
    ("非常不满意", "不满意", "一般", "满意", "非常满意"),
    ("很不满意", "不满意", "一般", "满意", "很满意"),
    ("非常不满意", "比较不满意", "一般", "比较满意", "非常满意"),
    ("非常不满意", "不太满意", "一般", "比较满意", "非常满意"),
    ("非常不同意", "不同意", "一般", "同意", "非常同意"),
    ("非常不同意", "不同意", "中立", "同意", "非常同意"),
    ("完全不同意", "不同意", "一般", "同意", "完全同意"),
    ("很不同意", "不同意", "一般", "同意", "很同意"),
    ("非常不重要", "不重要", "一般", "重要", "非常重要"),
    ("很不重要", "不重要", "一般", "重要", "很重要"),
    ("非常差", "差", "一般", "好", "非常好"),
    ("很差", "较差", "一般", "较好", "很好"),
    ("非常不符合", "不符合", "一般", "符合", "非常符合"),
    ("远低于期望", "低于期望", "符合期望", "高于期望", "远高于期望"),
    # Chinese, seven and three points
    ("非常不满意", "不满意", "有点不满意", "一般", "有点满意", "满意", "非常满意"),
    ("非常不同意", "不同意", "有点不同意", "一般", "有点同意", "同意", "非常同意"),
    ("不满意", "一般", "满意"),
    # English, five points
    ("Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"),
    ("Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied", "Satisfied", "Very satisfied"),
    ("Extremely dissatisfied", "Somewhat dissatisfied", "Neither satisfied nor dissatisfied", "Somewhat satisfied",
     "Extremely satisfied"),
    ("Very unsatisfied", "Unsatisfied", "Neutral", "Satisfied", "Very satisfied"),
    ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"),
    ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"),
    ("Strongly disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree", "Strongly agree"),
    ("Very poor", "Poor", "Fair", "Good", "Excellent"),
    ("Very poor", "Poor", "Average", "Good", "Very good"),
    ("Not at all important", "Slightly important", "Moderately important", "Very important", "Extremely important"),
    ("Not important at all", "Not important", "Neutral", "Important", "Very important"),
    ("Much worse than expected", "Worse than expected", "As expected", "Better than expected",
     "Much better than expected"),
    # English, seven points
    ("Extremely dissatisfied", "Moderately dissatisfied", "Slightly dissatisfied", "Neither satisfied nor dissatisfied",
     "Slightly satisfied", "Moderately satisfied", "Extremely satisfied"),
    ("Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree", "Agree",
     "Strongly agree"),
)

STAR = "★"
# a leading number, optionally followed by a unit and a label: '5', '5分', '4 星', '5 - Very satisfied', '1=非常不满意'
_LEADING_NUMBER = r"^\s*(-?\d+(?:\.\d+)?)\s*(?:分|星|points?|stars?)?\s*(?:$|[-–—:：=.、)）(（\s])"


def normalise_label(text: str) -> str:
    """A label reduced for matching: full-width to half-width, lower case, spaces and punctuation removed."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", str(text)).lower())


_NORMALISED_SETS = [tuple(normalise_label(label) for label in labels) for labels in LIKERT_SETS]


def find_label_set(values) -> tuple[tuple[str, ...] | None, int]:
    """The label set (in scale order) holding the most of `values`' distinct labels, and how many it does not hold.

    Returns (None, n) when no set holds at least two of them or at least half of them.
    """
    distinct = {normalise_label(v) for v in values if str(v).strip()}
    distinct.discard("")
    if not distinct:
        return None, 0
    best, best_hits = None, 0
    for labels, normalised in zip(LIKERT_SETS, _NORMALISED_SETS):
        hits = len(distinct & set(normalised))
        if hits > best_hits:
            best, best_hits = labels, hits
    if best is None or best_hits < 2 or best_hits * 2 < len(distinct):
        return None, len(distinct)
    return best, len(distinct) - best_hits


def label_positions(options: list[str] | tuple[str, ...]) -> dict[str, int]:
    """Normalised label → its 1-based position."""
    return {normalise_label(label): i for i, label in enumerate(options, start=1)}


def leading_numbers(values: pd.Series) -> pd.Series:
    """The leading number of each text ('5 - Very satisfied' → 5.0, '4分' → 4.0), NaN when there is none."""
    return pd.to_numeric(values.str.extract(_LEADING_NUMBER, expand=False), errors="coerce")


def star_counts(values: pd.Series) -> pd.Series:
    """The number of filled stars of each text holding at least one ('★★★★☆' → 4.0), NaN otherwise."""
    counts = values.str.count(STAR).astype("float64")
    return counts.where(counts > 0)


def to_scale(values: pd.Series, options: list[str] | tuple[str, ...] | None) -> pd.Series:
    """Rating answers (text, NA when skipped) as numbers: label position, plain number, stars, leading number.

    Each distinct text is parsed once (a column of 100,000 answers holds a handful of distinct ones).
    """
    text = values.astype("string[pyarrow]")
    distinct = pd.Series(text.dropna().unique(), dtype="string[pyarrow]")
    if distinct.empty:
        return pd.Series(float("nan"), index=values.index, dtype="float64")
    parsed = pd.Series(float("nan"), index=distinct.index, dtype="float64")
    if options:
        positions = label_positions(options)
        parsed = pd.Series([positions.get(normalise_label(v)) for v in distinct], index=distinct.index,
                           dtype="float64")
    for parse in (lambda t: pd.to_numeric(t, errors="coerce"), star_counts, leading_numbers):
        missing = parsed.isna()
        if not missing.any():
            break
        parsed = parsed.fillna(parse(distinct.where(missing)).astype("float64"))
    return pd.Series(lookup(text, distinct, parsed.to_numpy(dtype="float64", na_value=np.nan)), index=values.index,
                     dtype="float64")


def lookup(text: pd.Series, keys: pd.Series, values: np.ndarray) -> np.ndarray:
    """`values[i]` where `text` equals `keys[i]`, NaN (or None for object values) elsewhere, by a hash join in
    Arrow (a dictionary `map` over 100,000 cells costs far more)."""
    positions = pc.index_in(pa.array(text.astype("string[pyarrow]").array), value_set=pa.array(keys.tolist(),
                                                                                                 pa.string()))
    index = pc.fill_null(positions, -1).to_numpy(zero_copy_only=False)
    missing = np.nan if values.dtype.kind == "f" else None
    table = np.append(values, np.array([missing], dtype=values.dtype))
    return table[index]
