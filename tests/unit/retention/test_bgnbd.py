"""BG/NBD against Fader, Hardie & Lee (2005) on the CDNOW sample, and its closed forms by hand."""

import numpy as np
import pytest
from scipy.special import gammaln, hyp2f1

from crm.errors import CRMInputError
from crm.retention.bgnbd import BetaGeoModel, _Histories
from crm.retention.summary import customer_summary
from tests.fixtures.cdnow_shop import CALIBRATION_END


@pytest.fixture(scope="module")
def calibration(cdnow):
    s = customer_summary(cdnow, calibration_end=CALIBRATION_END)  # weeks
    return s["frequency"].to_numpy(float), s["recency"].to_numpy(float), s["T"].to_numpy(float)


@pytest.fixture(scope="module")
def model(calibration):
    return BetaGeoModel().fit(*calibration)


def test_reproduces_the_published_cdnow_estimates(model):
    """Fader, Hardie & Lee (2005), section 5: r 0.243, α 4.414, a 0.793, b 2.426, LL −9,582.4."""
    assert round(model.r_, 3) == 0.243
    assert round(model.alpha_, 3) == 4.414
    assert round(model.a_, 3) == 0.793
    assert round(model.b_, 3) == 2.426
    assert round(model.loglik_, 1) == -9582.4
    assert model.converged_ and model.n_customers_ == 2357 and model.n_repeat_ == 946
    assert model.params_ == {"r": model.r_, "alpha": model.alpha_, "a": model.a_, "b": model.b_}


def test_hardie_spreadsheet_values(model):
    """Hardie's BG/NBD spreadsheet for the paper: E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226 and E[X(t)]."""
    assert model.conditional_expected_purchases(39, 2, 30.43, 38.86)[0] == pytest.approx(1.226, abs=5e-4)
    times = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0]
    expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    assert model.expected_purchases(times) == pytest.approx(expected, abs=1e-3)


def test_p_alive_closed_form(model):
    r, alpha, a, b = model.r_, model.alpha_, model.a_, model.b_
    # eq. 13 by hand for x = 2, t_x = 30.43, T = 38.86
    by_hand = 1 / (1 + a / (b + 2 - 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2))
    assert model.p_alive(2, 30.43, 38.86)[0] == pytest.approx(by_hand, rel=1e-12)
    assert model.p_alive([0, 0], [0, 0], [10, 38.86]).tolist() == [1.0, 1.0]  # no repeat: alive by definition
    just_bought, long_ago = model.p_alive([5, 5], [38.0, 5.0], [38.86, 38.86])
    assert just_bought > 0.85 > 0.3 > long_ago


@pytest.mark.parametrize("t, x, tx, T", [(39, 2, 30.43, 38.86), (10, 0, 0, 20), (52, 15, 30, 38), (52, 40, 70, 80),
                                         (1, 1, 0.5, 1)])
def test_conditional_expectation_is_the_papers_eq_10(model, t, x, tx, T):
    """The Euler-transformed evaluation equals eq. 10 written out with ₂F₁(r+x, b+x; a+b+x−1; z)."""
    r, alpha, a, b = model.r_, model.alpha_, model.a_, model.b_
    z = t / (alpha + T + t)
    numerator = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                                             * hyp2f1(r + x, b + x, a + b + x - 1, z))
    denominator = 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)
    assert model.conditional_expected_purchases(t, x, tx, T)[0] == pytest.approx(numerator / denominator, rel=1e-9)


def test_unconditional_is_the_conditional_of_a_new_customer(model):
    t = np.array([1.0, 13.0, 52.0])
    assert model.expected_purchases(t) == pytest.approx(
        model.conditional_expected_purchases(t, [0], [0], [0])[0], rel=1e-12)
    r, alpha, a, b = model.r_, model.alpha_, model.a_, model.b_
    eq9 = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + 52)) ** r * hyp2f1(r, b, a + b - 1, 52 / (alpha + 52)))
    assert model.expected_purchases(52.0) == pytest.approx(eq9, rel=1e-9)


def test_several_horizons_at_once(model):
    many = model.conditional_expected_purchases([4.0, 13.0, 52.0], [0, 3], [0, 20], [30, 30])
    assert many.shape == (2, 3)
    assert many[1, 2] == pytest.approx(model.conditional_expected_purchases(52.0, 3, 20, 30)[0])
    assert (np.diff(many, axis=1) > 0).all()


def test_log_likelihood_by_hand_and_total(model, calibration):
    r, alpha, a, b = model.r_, model.alpha_, model.a_, model.b_
    x, tx, T = 2, 30.43, 38.86  # eq. 6 written out
    beta = lambda p, q: np.exp(gammaln(p) + gammaln(q) - gammaln(p + q))  # noqa: E731
    front = np.exp(gammaln(r + x) - gammaln(r)) * alpha ** r
    likelihood = (beta(a, b + x) / beta(a, b) * front / (alpha + T) ** (r + x)
                  + beta(a + 1, b + x - 1) / beta(a, b) * front / (alpha + tx) ** (r + x))
    assert model.log_likelihood(x, tx, T)[0] == pytest.approx(np.log(likelihood), rel=1e-10)
    assert model.log_likelihood(*calibration).sum() == pytest.approx(model.loglik_, rel=1e-12)


def test_gradient_matches_finite_differences(calibration):
    data = _Histories(*calibration)
    params = np.array([0.3, 4.0, 0.8, 2.5])
    _, grad = data.loglik_and_gradient(params)
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6 * params[i]
        numeric = (data.loglik_and_gradient(params + step)[0] - data.loglik_and_gradient(params - step)[0]) / (2 * step[i])
        assert grad[i] == pytest.approx(numeric, rel=1e-5)


@pytest.mark.parametrize("args, message", [
    (([1, -1], [1, 0], [2, 2]), "Row 2: frequency"),
    (([1, 1.5], [1, 1], [2, 2]), "Row 2: frequency"),
    (([1, 2], [1, 3], [2, 2]), "Row 2: recency must lie between 0 and T"),
    (([0, 1], [1, 1], [2, 2]), "Row 1: a customer without repeat purchases must have recency 0"),
    (([1, 1], [1, 1], [2, -1]), "Row 2: the customer's age T cannot be negative"),
    (([1, np.nan], [1, 1], [2, 2]), "Column frequency must hold finite numbers only \\(row 2"),
    (([1, 1], [1], [2, 2]), "same length"),
    (([0, 0], [0, 0], [2, 2]), "No customer has bought on two different days"),
    (([], [], []), "no customers to fit"),
])
def test_fit_validates_its_input(args, message):
    with pytest.raises(CRMInputError, match=message):
        BetaGeoModel().fit(*args)


def test_settings_and_unfitted_model():
    with pytest.raises(CRMInputError, match="tolerance tol must lie between 0 and 1"):
        BetaGeoModel(tol=0).fit([1], [1], [2])
    with pytest.raises(CRMInputError, match="max_iter must be a whole number"):
        BetaGeoModel(max_iter=0.5).fit([1], [1], [2])
    with pytest.raises(CRMInputError, match="BG/NBD model is not fitted yet"):
        BetaGeoModel().p_alive([1], [1], [2])


def test_prediction_time_must_not_be_negative(model):
    with pytest.raises(CRMInputError, match="prediction time must be a number ≥ 0"):
        model.conditional_expected_purchases(-1, 1, 1, 2)
