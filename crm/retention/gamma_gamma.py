"""Gamma-Gamma: the model of spend per transaction.

Fader, P. S. & Hardie, B. G. S. (2013), "The Gamma-Gamma Model of Monetary Value"
(brucehardie.com/notes/025), after Colombo & Jiang (1999).

A customer's transaction values are Gamma(p, ν) around their own mean p/ν, and ν
varies across customers as Gamma(q, γ). For a customer with x ≥ 1 transactions of
mean value m̄ (here: x repeat purchase days, m̄ their mean spend)::

    f(m̄ | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m̄^(px−1) x^(px) / (γ + m̄x)^(px+q)

and the expected mean spend of that customer's future transactions (eq. 5)::

    E[M | p, q, γ, m̄, x] = p(γ + m̄x) / (px + q − 1)
                        = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · m̄,

a weighted average of the population mean pγ/(q−1) and the customer's own mean;
a customer without repeat purchases (x = 0) gets the population mean. That mean
exists only when q > 1.

The model assumes spend per transaction does not depend on how often a customer
buys: `frequency_spend_correlation` measures that on the fitted customers.
Fitted by maximum likelihood over log-parameters (L-BFGS-B, analytic gradient) on
the customers with x > 0 and m̄ > 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from crm.errors import CRMInputError
from crm.retention.bgnbd import _LOG_BOUNDS, as_float_array, check_fit_settings, check_same_length, one_blas_thread


def validate_spend(frequency: object, monetary: object) -> tuple[np.ndarray, np.ndarray]:
    """(x, m̄) as float arrays; m̄ may be missing (NaN) only where x = 0.

    CRMInputError naming the column and the first offending row (1-based) for a
    negative or fractional x, or a missing or negative m̄ where x > 0.
    """
    x = as_float_array(frequency, "frequency")
    try:
        m = np.asarray(monetary, dtype="float64").reshape(-1)
    except (TypeError, ValueError) as exc:
        raise CRMInputError("clv.error.not_number", column="monetary") from exc
    check_same_length(frequency=x, monetary=m)
    bad = (x < 0) | (x != np.floor(x))
    if bad.any():
        row = int(np.argmax(bad))
        raise CRMInputError("clv.error.frequency", column="frequency", row=row + 1, value=float(x[row]))
    bad = (x > 0) & ~(np.isfinite(m) & (m >= 0))
    if bad.any():
        row = int(np.argmax(bad))
        raise CRMInputError("clv.error.monetary", column="monetary", row=row + 1, value=float(m[row]))
    return x, m


class GammaGammaModel:
    """Gamma-Gamma spend model (Fader & Hardie 2013), scikit-learn style.

    Settings: `tol`, `max_iter` (as `BetaGeoModel`). After `fit`: `p_`, `q_`, `gamma_`,
    `loglik_` (total over the fitted customers), `n_customers_` (customers fitted:
    x > 0 and m̄ > 0), `frequency_spend_correlation_` (Pearson's r between x and m̄
    over them; the model assumes it near 0), `converged_`, `n_iter_`.
    """

    def __init__(self, *, tol: float = 1e-10, max_iter: int = 1000):
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, frequency, monetary) -> "GammaGammaModel":
        """Estimate p, q, γ on the customers with repeat purchases (x > 0, m̄ > 0)."""
        check_fit_settings(self.tol, self.max_iter)
        x, m = validate_spend(frequency, monetary)
        use = (x > 0) & (m > 0)
        if use.sum() < 2:
            raise CRMInputError("clv.error.no_repeat")
        x, m = x[use], m[use]
        data = _Spends(x, m / float(np.mean(m)))  # γ in units of the mean spend: same optimum, better scaled

        def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(log_params)
            ll, grad = data.loglik_and_gradient(params)
            return -ll / data.n, -grad * params / data.n

        with one_blas_thread():
            result = minimize(objective, np.zeros(3), jac=True, method="L-BFGS-B", bounds=[_LOG_BOUNDS] * 3,
                              options={"gtol": self.tol, "ftol": 1e-15, "maxiter": int(self.max_iter)})
        p, q, gamma_scaled = np.exp(result.x)
        self.p_, self.q_, self.gamma_ = float(p), float(q), float(gamma_scaled * np.mean(m))
        self.loglik_ = float(_loglik(np.array([self.p_, self.q_, self.gamma_]), x, m).sum())
        self.n_customers_ = int(len(x))
        self.frequency_spend_correlation_ = (float(np.corrcoef(x, m)[0, 1])
                                             if x.std() > 0 and m.std() > 0 else float("nan"))
        self.converged_ = bool(result.success)
        self.n_iter_ = int(result.nit)
        return self

    @property
    def params_(self) -> dict[str, float]:
        self._check_fitted()
        return {"p": self.p_, "q": self.q_, "gamma": self.gamma_}

    @property
    def mean_spend_(self) -> float:
        """The population's mean spend per transaction, pγ/(q−1) (infinite when q ≤ 1)."""
        self._check_fitted()
        return self.p_ * self.gamma_ / (self.q_ - 1) if self.q_ > 1 else float("inf")

    def _check_fitted(self) -> None:
        if not hasattr(self, "p_"):
            raise CRMInputError("clv.error.not_fitted", model="Gamma-Gamma")

    def log_likelihood(self, frequency, monetary) -> np.ndarray:
        """Each customer's log-likelihood of m̄ given x (x > 0 and m̄ > 0 required)."""
        self._check_fitted()
        x, m = validate_spend(frequency, monetary)
        if ((x <= 0) | (m <= 0)).any():
            row = int(np.argmax((x <= 0) | (m <= 0)))
            raise CRMInputError("clv.error.monetary", column="monetary", row=row + 1, value=float(m[row]))
        return _loglik(np.array([self.p_, self.q_, self.gamma_]), x, m)

    def conditional_expected_spend(self, frequency, monetary) -> np.ndarray:
        """E[M | x, m̄] = p(γ + m̄x)/(px + q − 1); the population mean pγ/(q−1) where x = 0.

        CRMInputError when a customer without repeat purchases needs the population
        mean and it does not exist (q ≤ 1).
        """
        self._check_fitted()
        x, m = validate_spend(frequency, monetary)
        p, q, gamma = self.p_, self.q_, self.gamma_
        if q <= 1 and (x == 0).any():
            raise CRMInputError("clv.error.spend_mean", q=round(q, 3))
        own = np.where(x > 0, m, 0.0)
        return p * (gamma + own * x) / (p * x + q - 1)


def _loglik(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood of m̄ given x."""
    p, q, gamma = params
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(gamma + x * m))


class _Spends:
    """Customers' (x, m̄) prepared for repeated evaluation of the total log-likelihood.

    Gamma and digamma terms depend on x alone: evaluated once per distinct x and
    weighted by its count; the sums of log m̄ and x·log m̄ are constant. An
    iteration costs one logarithm per customer.
    """

    def __init__(self, x: np.ndarray, m: np.ndarray):
        self.n = float(len(x))
        index, self.xu = pd.factorize(x)
        self.counts = np.bincount(index, minlength=len(self.xu)).astype("float64")
        self.x, self.m = x, m
        log_m = np.log(m)
        self.sum_log_m = float(log_m.sum())
        self.sum_x_log_m = float(x @ log_m)
        self.sum_x = float(x.sum())

    def loglik_and_gradient(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, gamma = params
        xu, w = self.xu, self.counts
        pxu = p * xu
        log_gm = np.log(gamma + self.x * self.m)
        ll = (w @ (gammaln(pxu + q) - gammaln(pxu) + pxu * np.log(xu))
              + self.n * (q * np.log(gamma) - gammaln(q))
              + p * self.sum_x_log_m - self.sum_log_m - (p * self.x + q) @ log_gm)
        psi = digamma(pxu + q)
        d_p = (w @ (xu * (psi - digamma(pxu) + np.log(xu))) + self.sum_x_log_m - self.x @ log_gm)
        d_q = w @ psi - self.n * digamma(q) + self.n * np.log(gamma) - log_gm.sum()
        d_gamma = self.n * q / gamma - (p * self.x + q) @ (1 / (gamma + self.x * self.m))
        return float(ll), np.array([d_p, d_q, d_gamma])
