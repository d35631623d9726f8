"""Cronbach's α on a worked example, α if item deleted."""

import numpy as np
import pandas as pd
import pytest

from crm.satisfaction import reliability

# Five respondents, three items. Item variances 2.5, 1.7, 0.7 (sum 4.9); sum scores 10 13 8 14 5, variance 13.5.
ITEMS = pd.DataFrame({"i1": [3, 4, 2, 5, 1], "i2": [4, 5, 3, 5, 2], "i3": [3, 4, 3, 4, 2]})


def test_alpha_worked_example():
    # α = 3/2 × (1 − 4.9 / 13.5)
    assert reliability.cronbach_alpha(ITEMS) == pytest.approx(1.5 * (1 - 4.9 / 13.5))
    assert reliability.cronbach_alpha(ITEMS) == pytest.approx(0.955556, abs=1e-6)


def test_alpha_if_item_deleted():
    deleted = reliability.alpha_if_deleted(ITEMS)
    # without i1: variances 1.7 + 0.7, sums 7 9 6 9 4 (variance 4.5)
    assert deleted["i1"] == pytest.approx(2 * (1 - 2.4 / 4.5))
    # without i2: 2.5 + 0.7, sums 6 8 5 9 3 (variance 5.7)
    assert deleted["i2"] == pytest.approx(2 * (1 - 3.2 / 5.7))
    # without i3: 2.5 + 1.7, sums 7 9 5 10 3 (variance 8.2)
    assert deleted["i3"] == pytest.approx(2 * (1 - 4.2 / 8.2))


def test_alpha_needs_two_items_and_variance():
    assert reliability.cronbach_alpha(ITEMS[["i1"]]) is None
    assert reliability.cronbach_alpha(np.ones((4, 3))) is None


def test_reliability_of_the_survey_scales(survey):
    scales, items = reliability.reliability(survey, ("S2",))
    # quality: q3 and q4 (reversed) rescaled to 0–1; price has one item (no scale)
    q3 = np.array([7, 5, 2, 4, 6]) / 6 - 1 / 6
    q4 = (np.array([5, 4, 1, 3, 4]) - 1) / 4
    expected = reliability.cronbach_alpha(np.column_stack([q3, q4]))
    by_scope = scales.set_index("scope")
    assert by_scope.loc["quality", "alpha"] == pytest.approx(expected)
    assert by_scope.loc["quality", "k"] == 2 and by_scope.loc["quality", "n"] == 5
    # sum-score check by hand: var(q3)+var(q4) and var(q3+q4)
    v = q3.var(ddof=1) + q4.var(ddof=1)
    assert expected == pytest.approx(2 * (1 - v / (q3 + q4).var(ddof=1)))
    assert set(by_scope.index) == {"quality", "all"}
    assert by_scope.loc["all", "k"] == 3
    assert set(items["question_id"]) == {"q3", "q4", "q6"}
