"""Gamma-Gamma against Fader & Hardie (2013) on the CDNOW sample, and its conditional expectation."""

import numpy as np
import pytest
from scipy.special import gammaln

from crm.errors import CRMInputError
from crm.retention.gamma_gamma import GammaGammaModel, _Spends
from crm.retention.summary import customer_summary
from tests.fixtures.cdnow_shop import CALIBRATION_END


@pytest.fixture(scope="module")
def spends(cdnow):
    s = customer_summary(cdnow, calibration_end=CALIBRATION_END)
    return s["frequency"].to_numpy(float), s["monetary"].to_numpy(float)


@pytest.fixture(scope="module")
def model(spends):
    return GammaGammaModel().fit(*spends)


def test_reproduces_the_published_cdnow_estimates(model):
    """Fader & Hardie (2013), CDNOW calibration period, customers with repeat purchases: p 6.25, q 3.74, γ 15.44."""
    assert round(model.p_, 2) == 6.25
    assert round(model.q_, 2) == 3.74
    assert round(model.gamma_, 2) == 15.44
    assert model.n_customers_ == 946 and model.converged_
    assert model.mean_spend_ == pytest.approx(model.p_ * model.gamma_ / (model.q_ - 1))


def test_conditional_expected_spend(model):
    p, q, gamma = model.p_, model.q_, model.gamma_
    population = p * gamma / (q - 1)
    # x = 0: the population mean; x = 3, m̄ = 20: the weighted average of eq. 5
    weight = p * 3 / (p * 3 + q - 1)
    got = model.conditional_expected_spend([0, 3], [np.nan, 20.0])
    assert got == pytest.approx([population, (1 - weight) * population + weight * 20.0], rel=1e-12)
    assert got[1] == pytest.approx(p * (gamma + 3 * 20.0) / (p * 3 + q - 1), rel=1e-12)


def test_log_likelihood_by_hand_and_total(model, spends):
    p, q, gamma = model.p_, model.q_, model.gamma_
    x, m = 2, 22.345
    by_hand = (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(gamma) + (p * x - 1) * np.log(m)
               + p * x * np.log(x) - (p * x + q) * np.log(gamma + m * x))
    assert model.log_likelihood(x, m)[0] == pytest.approx(by_hand, rel=1e-12)
    x_all, m_all = spends
    used = x_all > 0
    assert model.log_likelihood(x_all[used], m_all[used]).sum() == pytest.approx(model.loglik_, rel=1e-12)


def test_gradient_matches_finite_differences(spends):
    x, m = spends
    used = x > 0
    data = _Spends(x[used], m[used] / 30)
    params = np.array([5.0, 3.0, 0.5])
    _, grad = data.loglik_and_gradient(params)
    for i in range(3):
        step = np.zeros(3)
        step[i] = 1e-6 * params[i]
        numeric = (data.loglik_and_gradient(params + step)[0] - data.loglik_and_gradient(params - step)[0]) / (2 * step[i])
        assert grad[i] == pytest.approx(numeric, rel=1e-5)


@pytest.mark.parametrize("args, message", [
    (([1, 2], [10.0, np.nan]), "Row 2: a customer with repeat purchases needs a mean spend"),
    (([1, 2], [10.0, -5.0]), "Row 2: a customer with repeat purchases needs a mean spend"),
    (([1, -2], [10.0, 5.0]), "Row 2: frequency"),
    (([1, 0], [10.0, np.nan]), "No customer has bought on two different days"),
    (([1], [10.0, 5.0]), "same length"),
])
def test_fit_validates_its_input(args, message):
    with pytest.raises(CRMInputError, match=message):
        GammaGammaModel().fit(*args)


def test_unfitted_model():
    with pytest.raises(CRMInputError, match="Gamma-Gamma model is not fitted yet"):
        GammaGammaModel().conditional_expected_spend([1], [10.0])
