"""Dimension scores, CSI weights and c = b / a, by hand (tests/fixtures/survey_shop.py)."""

import pytest

from crm.errors import CRMInputError
from crm.satisfaction import index


def test_dimension_scores_and_expectation_gap(survey):
    df = index.dimension_scores(survey, ("S2",)).set_index("dimension")
    assert df.index.tolist() == ["quality", "price"]
    # quality per response (0–100): R1 100, R2 (66.7 + 75)/2, R3 (16.7 + 0)/2, R4 50, R5 (83.3 + 75)/2
    assert df.loc["quality", "score"] == pytest.approx((100 + 425 / 6 + 25 / 3 + 50 + 475 / 6) / 5)
    assert df.loc["price", "score"] == pytest.approx(60.0)
    # a = mean expected 6.0; b = perceived mapped onto 1–7: 7, 5.25, 1.5, 4, 5.75 -> 4.7
    assert df.loc["quality", "expected"] == pytest.approx(6.0)
    assert df.loc["quality", "perceived"] == pytest.approx(4.7)
    assert df.loc["quality", "c"] == pytest.approx(4.7 / 6.0)
    assert df.loc["quality", "gap"] == pytest.approx(-1.3)
    assert df.loc["price", "c"] == pytest.approx(3.4 / 4.0)
    # stated importance: means of 5 4 5 3 4 and 3 4 2 3 5
    assert df.loc["quality", "weight"] == pytest.approx(4.2) and df.loc["price", "weight"] == pytest.approx(3.4)


def test_csi_default_and_edited_weights(survey):
    df = index.dimension_scores(survey, ("S2",))
    quality = (100 + 425 / 6 + 25 / 3 + 50 + 475 / 6) / 5
    assert index.csi(df) == pytest.approx((4.2 * quality + 3.4 * 60) / 7.6)
    assert index.csi(df, {"quality": 1, "price": 3}) == pytest.approx((quality + 3 * 60) / 4)
    assert index.csi(df, {"quality": 0, "price": 2}) == pytest.approx(60.0)
    with pytest.raises(CRMInputError, match="Weights must be numbers"):
        index.csi(df, {"quality": -1, "price": 1})
    with pytest.raises(CRMInputError, match="Weights must be numbers"):
        index.csi(df, {"quality": 0, "price": 0})
