"""BG/NBD: the beta-geometric / negative-binomial model of repeat buying.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "Counting Your Customers the
Easy Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275–284.

While alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after
every purchase they drop out with probability p ~ Beta(a, b). For a customer with
x repeat purchases, the last at t_x, observed for T (all times from the first
purchase, in one unit: weeks or days), the paper's equations are:

* likelihood (eq. 6)::

      L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + 1{x>0} · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))

* P(alive | x, t_x, T) (eq. 13) = 1 / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x));
  1 when x = 0;
* E[X(t)], purchases in (0, t] of a customer just acquired (eq. 9)::

      (a+b−1)/(a−1) · [1 − (α/(α+t))^r · ₂F₁(r, b; a+b−1; t/(α+t))]

* E[Y(t) | x, t_x, T], purchases in (T, T+t] (eq. 10)::

      (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
      · P(alive | x, t_x, T)

  evaluated through Euler's transformation ₂F₁(A, B; C; z) = (1−z)^(C−A−B) ₂F₁(C−A, C−B; C; z),
  which turns the bracket into ``1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z)``: the
  same value, without ₂F₁ parameters that grow with x (no overflow for heavy buyers).
  E[X(t)] is the case x = 0, T = 0.

Parameters are estimated by maximum likelihood over log-parameters (scipy's L-BFGS-B
with the analytic gradient). The terms that depend on x alone (the gamma and
digamma functions) are evaluated once per distinct x and weighted by its count,
so an iteration costs two logarithms and an exponential per customer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1
from threadpoolctl import threadpool_limits

from crm.errors import CRMInputError

# Log-parameters are kept in this box: e^±30 covers any unit and currency.
_LOG_BOUNDS = (-30.0, 30.0)


def one_blas_thread():
    """A context running BLAS (numpy's dot products, L-BFGS-B) on one thread.

    The vectors here gain nothing from BLAS threads, and on a busy machine those
    threads spin waiting for a core: a fit took 8 s instead of 1.3 s with them.
    """
    return threadpool_limits(limits=1, user_api="blas")


def as_float_array(values: object, column: str) -> np.ndarray:
    """`values` as a 1-D float array; CRMInputError naming the column and first row that is not a finite number."""
    try:
        array = np.asarray(values, dtype="float64").reshape(-1)
    except (TypeError, ValueError) as exc:
        raise CRMInputError("clv.error.not_number", column=column) from exc
    bad = ~np.isfinite(array)
    if bad.any():
        raise CRMInputError("clv.error.not_number", column=column, row=int(np.argmax(bad)) + 1)
    return array


def check_same_length(**arrays: np.ndarray) -> int:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise CRMInputError("clv.error.lengths", lengths=", ".join(f"{k} {v}" for k, v in lengths.items()))
    return next(iter(lengths.values()), 0)


def check_fit_settings(tol: object, max_iter: object) -> None:
    """CRMInputError unless 0 < tol < 1 and max_iter is a whole number ≥ 1."""
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 < tol < 1:
        raise CRMInputError("clv.error.tol", tol=tol)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise CRMInputError("clv.error.max_iter", max_iter=max_iter)


def validate_histories(frequency: object, recency: object, T: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) as float arrays, checked: x whole ≥ 0, 0 ≤ t_x ≤ T, t_x = 0 when x = 0.

    Raises CRMInputError naming the column and the first offending row (1-based).
    """
    x = as_float_array(frequency, "frequency")
    tx = as_float_array(recency, "recency")
    big_t = as_float_array(T, "T")
    check_same_length(frequency=x, recency=tx, T=big_t)
    columns = {"frequency": x, "recency": tx, "T": big_t}
    checks = (
        ((x < 0) | (x != np.floor(x)), "clv.error.frequency", "frequency"),
        (big_t < 0, "clv.error.age", "T"),
        ((tx < 0) | (tx > big_t * (1 + 1e-12)), "clv.error.recency", "recency"),
        ((x == 0) & (tx != 0), "clv.error.recency_single", "recency"),
    )
    for bad, key, column in checks:
        if bad.any():
            row = int(np.argmax(bad))
            raise CRMInputError(key, column=column, row=row + 1, value=float(columns[column][row]))
    return x, tx, big_t


class BetaGeoModel:
    """BG/NBD estimator (Fader, Hardie & Lee 2005), scikit-learn style.

    Settings: `tol` (L-BFGS-B's projected-gradient tolerance on the mean log-likelihood)
    and `max_iter`. After `fit`: `r_`, `alpha_`, `a_`, `b_`, `loglik_` (the total
    log-likelihood), `n_customers_`, `n_repeat_` (customers with x > 0),
    `converged_` and `n_iter_`.
    """

    def __init__(self, *, tol: float = 1e-10, max_iter: int = 1000):
        self.tol = tol
        self.max_iter = max_iter

    # ---------------------------------------------------------------- fitting
    def fit(self, frequency, recency, T) -> "BetaGeoModel":
        """Estimate r, α, a, b by maximum likelihood from the customers' (x, t_x, T)."""
        check_fit_settings(self.tol, self.max_iter)
        x, tx, big_t = validate_histories(frequency, recency, T)
        if len(x) == 0:
            raise CRMInputError("clv.error.no_customers")
        if not (x > 0).any():
            raise CRMInputError("clv.error.no_repeat")
        data = _Histories(x, tx, big_t)

        def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(log_params)
            ll, grad = data.loglik_and_gradient(params)
            return -ll / data.n, -grad * params / data.n

        with one_blas_thread():
            result = minimize(objective, np.zeros(4), jac=True, method="L-BFGS-B", bounds=[_LOG_BOUNDS] * 4,
                              options={"gtol": self.tol, "ftol": 1e-15, "maxiter": int(self.max_iter)})
            self.loglik_ = float(data.loglik_and_gradient(np.exp(result.x))[0])
        self.r_, self.alpha_, self.a_, self.b_ = (float(v) for v in np.exp(result.x))
        self.n_customers_ = int(len(x))
        self.n_repeat_ = int((x > 0).sum())
        self.converged_ = bool(result.success)
        self.n_iter_ = int(result.nit)
        return self

    @property
    def params_(self) -> dict[str, float]:
        self._check_fitted()
        return {"r": self.r_, "alpha": self.alpha_, "a": self.a_, "b": self.b_}

    def _check_fitted(self) -> None:
        if not hasattr(self, "r_"):
            raise CRMInputError("clv.error.not_fitted", model="BG/NBD")

    # ---------------------------------------------------------------- predictions
    def log_likelihood(self, frequency, recency, T) -> np.ndarray:
        """Each customer's log-likelihood (eq. 6) under the fitted parameters."""
        self._check_fitted()
        x, tx, big_t = validate_histories(frequency, recency, T)
        return _loglik(np.array([self.r_, self.alpha_, self.a_, self.b_]), x, tx, big_t)

    def p_alive(self, frequency, recency, T) -> np.ndarray:
        """P(alive | x, t_x, T) (eq. 13); exactly 1 for customers without a repeat purchase."""
        self._check_fitted()
        x, tx, big_t = validate_histories(frequency, recency, T)
        return self._p_alive(x, tx, big_t)

    def _p_alive(self, x: np.ndarray, tx: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        repeat = x > 0
        out = np.ones_like(x)
        xr = x[repeat]
        log_odds = (np.log(a) - np.log(b + xr - 1)
                    + (r + xr) * (np.log(alpha + big_t[repeat]) - np.log(alpha + tx[repeat])))
        out[repeat] = expit(-log_odds)
        return out

    def expected_purchases(self, t) -> np.ndarray:
        """E[X(t)] (eq. 9): expected purchases in (0, t] of a newly acquired customer."""
        self._check_fitted()
        times = _check_times(t)
        zeros = np.zeros_like(times)
        return self._bracket(times, zeros, zeros)

    def conditional_expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T] (eq. 10): expected purchases in the next `t` time units.

        `t` a number gives one value per customer, shape (n,); `t` a sequence of k
        horizons gives shape (n, k), column j for horizon t[j].
        """
        self._check_fitted()
        times = _check_times(t)
        x, tx, big_t = validate_histories(frequency, recency, T)
        alive = self._p_alive(x, tx, big_t)
        # the ₂F₁ bracket depends on (x, T) only: evaluated once per distinct pair
        x_codes, x_values = pd.factorize(x)
        t_codes, t_values = pd.factorize(big_t)
        pair_codes, pairs = pd.factorize(x_codes.astype("int64") * len(t_values) + t_codes)
        ux, ut = x_values[pairs // len(t_values)], t_values[pairs % len(t_values)]
        if times.ndim == 0:
            return self._bracket(times, ux, ut)[pair_codes] * alive
        bracket = self._bracket(times.reshape(1, -1), ux[:, None], ut[:, None])
        return bracket[pair_codes] * alive[:, None]

    def _bracket(self, t: np.ndarray, x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        """(a+b+x−1)/(a−1) · [1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z)], z = t/(α+T+t)."""
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        if abs(a - 1) < 1e-9:  # the formula's removable singularity at a = 1
            a = 1 + 1e-9
        z = t / (alpha + big_t + t)
        c = a + b + x - 1
        return c / (a - 1) * (1 - (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, c, z))


def _check_times(t: object) -> np.ndarray:
    try:
        times = np.asarray(t, dtype="float64")
    except (TypeError, ValueError) as exc:
        raise CRMInputError("clv.error.time", value=t) from exc
    if not np.isfinite(times).all() or (times < 0).any():
        raise CRMInputError("clv.error.time", value=t)
    return times


def _loglik(params: np.ndarray, x: np.ndarray, tx: np.ndarray, big_t: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood (eq. 6)."""
    r, alpha, a, b = params
    repeat = x > 0
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore"):
        a4 = np.where(repeat, np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + tx),
                      -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


class _Histories:
    """Customers' (x, t_x, T) prepared for repeated evaluation of the total log-likelihood.

    Functions of x, t_x or T alone are evaluated once per distinct value and gathered.
    """

    def __init__(self, x: np.ndarray, tx: np.ndarray, big_t: np.ndarray):
        self.n = float(len(x))
        self.xi, self.xu = pd.factorize(x)  # hashing: faster than sorting for a million values
        self.counts = np.bincount(self.xi, minlength=len(self.xu)).astype("float64")
        self.ti, self.tu = pd.factorize(big_t)
        self.txi, self.txu = pd.factorize(tx)
        self.x = x

    def loglik_and_gradient(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """The total log-likelihood (eq. 6) and its gradient in (r, α, a, b).

        Per customer, LL = A1 + A2 + A3 + log(1 + e^(A4−A3)), with the second term
        present only when x > 0; its share of the likelihood is expit(A4 − A3).
        """
        r, alpha, a, b = params
        xu, w, n = self.xu, self.counts, self.n
        repeat_u = xu > 0
        b_x1 = np.where(repeat_u, b + xu - 1, 1.0)
        # terms of x alone, once per distinct x
        ll = (w @ (gammaln(r + xu) + gammaln(b + xu) - gammaln(a + b + xu))
              + n * (r * np.log(alpha) - gammaln(r) + gammaln(a + b) - gammaln(b)))
        log_t_u = np.log(alpha + self.tu)
        log_tx_u = np.log(alpha + self.txu)
        log_t = log_t_u[self.ti]
        log_tx = log_tx_u[self.txi]
        rx = r + self.x
        a3 = -rx * log_t
        # A4 − A3 = log a − log(b+x−1) + (r+x)(log(α+T) − log(α+t_x)); −∞ when x = 0
        offset_u = np.where(repeat_u, np.log(a) - np.log(b_x1), -np.inf)
        diff = offset_u[self.xi] + rx * (log_t - log_tx)
        e = np.exp(np.minimum(diff, 30.0))  # log(1 + e^d) = d beyond 30, to double precision
        ll += a3.sum() + np.where(diff > 30.0, diff, np.log1p(e)).sum()
        w4 = e / (1.0 + e)
        w3 = 1.0 - w4
        inv_t = (1 / (alpha + self.tu))[self.ti]
        inv_tx = (1 / (alpha + self.txu))[self.txi]
        d_r = (w @ digamma(r + xu) + n * (np.log(alpha) - digamma(r)) - w3 @ log_t - w4 @ log_tx)
        d_alpha = n * r / alpha - rx @ (w3 * inv_t + w4 * inv_tx)
        d_ab = n * digamma(a + b) - w @ digamma(a + b + xu)
        w4_by_x = np.bincount(self.xi, weights=w4, minlength=len(xu))  # Σ w4 per distinct x
        d_a = d_ab + w4_by_x.sum() / a
        d_b = (d_ab + w @ digamma(b + xu) - n * digamma(b)
               - w4_by_x @ np.where(repeat_u, 1 / b_x1, 0.0))
        return float(ll), np.array([d_r, d_alpha, d_a, d_b])
