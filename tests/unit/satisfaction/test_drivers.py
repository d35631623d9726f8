"""Key drivers on a constructed case and the IPA quadrants."""

import numpy as np
import pandas as pd
import pytest

from crm.errors import CRMInputError
from crm.satisfaction import drivers


def test_standardised_betas_on_a_constructed_case():
    # x1 ⟂ x2, equal variances; y = 2 x1 + x2, so β = (2, 1) / √5 and r = β
    x = np.array([[1, 1], [-1, 1], [1, -1], [-1, -1]], dtype=float)
    y = 2 * x[:, 0] + x[:, 1]
    beta = drivers.standardised_betas(x, y)
    assert beta == pytest.approx([2 / np.sqrt(5), 1 / np.sqrt(5)])
    assert np.corrcoef(x[:, 0], y)[0, 1] == pytest.approx(beta[0])


def test_constant_item_gets_no_weight():
    x = np.array([[1, 3], [2, 3], [3, 3], [4, 3]], dtype=float)
    assert drivers.standardised_betas(x, x[:, 0] * 2) == pytest.approx([1.0, 0.0])


def test_quadrants_against_the_means():
    importance = pd.Series([0.8, 0.8, 0.2, 0.2])
    performance = pd.Series([90.0, 50.0, 50.0, 90.0])
    assert drivers.quadrant(importance, performance).tolist() == ["keep", "improve", "low_priority", "overkill"]


def test_key_drivers_of_the_survey(survey):
    df = drivers.key_drivers(survey, ("S2",)).set_index("question_id")
    assert df.index.tolist() == ["q3", "q4", "q6"]
    overall = np.array([5, 4, 2, 3, 4], dtype=float)
    q3 = np.array([7, 5, 2, 4, 6], dtype=float)
    q4 = np.array([5, 4, 1, 3, 4], dtype=float)  # reversed
    q6 = np.array([4, 3, 2, 3, 5], dtype=float)
    assert df.loc["q3", "r"] == pytest.approx(np.corrcoef(q3, overall)[0, 1])
    assert df.loc["q4", "r"] == pytest.approx(np.corrcoef(q4, overall)[0, 1])
    assert df.loc["q6", "performance"] == pytest.approx((3.4 - 1) / 4 * 100)
    beta = drivers.standardised_betas(np.column_stack([q3, q4, q6]), overall)
    assert df["beta"].tolist() == pytest.approx(beta.tolist())
    nps = drivers.key_drivers(survey, ("S2",), target="nps").set_index("question_id")
    assert nps.loc["q3", "r"] == pytest.approx(np.corrcoef(q3, [10, 9, 3, 7, 6])[0, 1])
    with pytest.raises(CRMInputError, match="revenue"):
        drivers.key_drivers(survey, ("S2",), target="revenue")
