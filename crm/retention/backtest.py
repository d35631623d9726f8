"""Backtest of the purchase model: fit on a calibration period, predict a holdout it has not seen.

As in Fader, Hardie & Lee (2005), section 4:

* The customers are those who bought on or before `calibration_end`; BG/NBD is
  fitted on their calibration summary (``crm.retention.summary``).
* by_frequency (the paper's Figure 4): customers grouped by their calibration
  frequency x = 0, 1, …, 6, 7+; per group the mean purchase days actually made in
  the holdout (calibration_end, observation_end] and the mean predicted,
  E[Y(holdout) | x, t_x, T].
* tracking (Figure 2): cumulative repeat purchase days of these customers over
  time, actual against expected, a point every week. Expected at day s:
  Σ_customers E[X(s − first purchase day)], grouped by first purchase day.
  Repeat purchases before the calibration end are what the model was fitted to;
  those after it are the test.
* errors: total actual and predicted holdout purchases and the relative error
  (predicted − actual) ÷ actual; per customer, the mean absolute error (MAE) and
  the root mean squared error of the model and, for comparison, of a naive
  forecast that repeats each customer's calibration rate (x ÷ T × holdout length);
  the group error: the customer-weighted mean of |predicted − actual| ÷ actual
  over the frequency groups with actual > 0; the tracking error: the mean of
  |expected − actual| ÷ actual over the holdout weeks' cumulative points.
* poor_fit: True when |relative total error| > 20 % (``POOR_TOTAL_ERROR``) or the
  group error > 30 % (``POOR_GROUP_ERROR``); `poor_reasons` names which.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm.errors import CRMInputError
from crm.retention.bgnbd import BetaGeoModel, one_blas_thread
from crm.retention.clv import FREQUENCY_GROUPS, MAX_HOLDOUT_MONTHS, POOR_GROUP_ERROR, POOR_TOTAL_ERROR
from crm.retention.summary import ORDERS_SQL, check_unit, customer_summary, filter_params, latest_order_date
from crm.store.db import query
from crm.store.filters import Filters, _add_months

# Per day: purchase days of customers whose first purchase day is on or before the
# calibration end: first purchases that day (new) and repeat purchases (repeats).
_DAILY_SQL = f"""
WITH days AS (
    SELECT customer_id, order_date AS day
    FROM {ORDERS_SQL}
    WHERE order_date <= $observation_end
    GROUP BY customer_id, order_date
), firsts AS (
    SELECT customer_id, min(day) AS first_day
    FROM days GROUP BY customer_id
    HAVING min(day) <= $calibration_end
)
SELECT d.day,
       count(*) FILTER (WHERE d.day = f.first_day) AS new,
       count(*) FILTER (WHERE d.day > f.first_day) AS repeats
FROM days d JOIN firsts f USING (customer_id)
GROUP BY d.day
ORDER BY d.day
"""


@dataclass(frozen=True)
class Backtest:
    """What `backtest` returns (see the module docstring for every measure)."""

    calibration_end: dt.date
    observation_end: dt.date
    unit: str
    params: dict
    by_frequency: pd.DataFrame   # frequency (0..7, 7 meaning 7+), customers, actual, predicted
    tracking: pd.DataFrame       # day, actual, expected (cumulative repeat purchase days), holdout (bool)
    errors: dict = field(default_factory=dict)
    poor_fit: bool = False
    poor_reasons: tuple[str, ...] = ()


def default_split(con, *, holdout_months: int = 6, filters: Filters | None = None,
                  observation_end: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(calibration_end, observation_end): the holdout is the last `holdout_months` months up to
    the observation end (the filters' as-of date, else the latest order)."""
    if isinstance(holdout_months, bool) or not isinstance(holdout_months, (int, np.integer)) \
            or not 1 <= holdout_months <= MAX_HOLDOUT_MONTHS:
        raise CRMInputError("clv.error.holdout_months", value=holdout_months, max=MAX_HOLDOUT_MONTHS)
    end = observation_end or (filters.as_of if filters is not None else latest_order_date(con))
    if end is None:
        raise CRMInputError("clv.error.no_orders")
    return _add_months(end, -int(holdout_months)), end


def backtest(con, *, calibration_end: dt.date | None = None, observation_end: dt.date | None = None,
             holdout_months: int = 6, unit: str = "week", filters: Filters | None = None) -> Backtest:
    """Fit BG/NBD up to `calibration_end`, predict (calibration_end, observation_end] and compare.

    Without dates, the holdout is the last `holdout_months` months up to the filters'
    as-of date (else the latest order): see `default_split`.
    """
    unit_days = check_unit(unit)
    if calibration_end is None or observation_end is None:
        cal_default, obs_default = default_split(con, holdout_months=holdout_months, filters=filters,
                                                 observation_end=observation_end)
        calibration_end = calibration_end or cal_default
        observation_end = observation_end or obs_default
    summary = customer_summary(con, calibration_end=calibration_end, observation_end=observation_end, unit=unit,
                               filters=filters)
    if summary.empty:
        raise CRMInputError("clv.error.no_calibration_orders", calibration_end=str(calibration_end))
    x = summary["frequency"].to_numpy(dtype="float64")
    tx = summary["recency"].to_numpy(dtype="float64")
    big_t = summary["T"].to_numpy(dtype="float64")
    actual = summary["holdout_frequency"].to_numpy(dtype="float64")
    duration = float(summary["holdout_duration"].iloc[0])

    model = BetaGeoModel().fit(x, tx, big_t)
    predicted = model.conditional_expected_purchases(duration, x, tx, big_t)
    naive = np.divide(x, big_t, out=np.zeros_like(x), where=big_t > 0) * duration

    by_frequency = (
        pd.DataFrame({"frequency": np.minimum(x, FREQUENCY_GROUPS).astype("int64"), "actual": actual,
                      "predicted": predicted})
        .groupby("frequency").agg(customers=("actual", "size"), actual=("actual", "mean"),
                                  predicted=("predicted", "mean"))
        .reindex(range(FREQUENCY_GROUPS + 1), fill_value=0).reset_index()
    )
    by_frequency["customers"] = by_frequency["customers"].astype("int64")

    tracking = _tracking(con, model, calibration_end, observation_end, unit_days, filters)

    total_actual, total_predicted = float(actual.sum()), float(predicted.sum())
    total_error = (total_predicted - total_actual) / total_actual if total_actual else float("nan")
    groups = by_frequency[by_frequency["actual"] > 0]
    group_error = (float(np.average((groups["predicted"] - groups["actual"]).abs() / groups["actual"],
                                    weights=groups["customers"])) if len(groups) else float("nan"))
    late = tracking[tracking["holdout"] & (tracking["actual"] > 0)]
    tracking_error = float(((late["expected"] - late["actual"]).abs() / late["actual"]).mean()) if len(late) \
        else float("nan")
    errors = {
        "customers": int(len(x)), "holdout_duration": duration,
        "total_actual": total_actual, "total_predicted": total_predicted, "total_error": total_error,
        "mae": float(np.abs(predicted - actual).mean()),
        "rmse": float(np.sqrt(((predicted - actual) ** 2).mean())),
        "naive_mae": float(np.abs(naive - actual).mean()),
        "naive_rmse": float(np.sqrt(((naive - actual) ** 2).mean())),
        "group_error": group_error, "tracking_error": tracking_error,
    }
    reasons = []
    if not np.isfinite(total_error) or abs(total_error) > POOR_TOTAL_ERROR:
        reasons.append("total")
    if np.isfinite(group_error) and group_error > POOR_GROUP_ERROR:
        reasons.append("groups")
    return Backtest(calibration_end=calibration_end, observation_end=observation_end, unit=unit,
                    params={**model.params_, "bgnbd_loglik": model.loglik_}, by_frequency=by_frequency,
                    tracking=tracking, errors=errors, poor_fit=bool(reasons), poor_reasons=tuple(reasons))


def _tracking(con, model: BetaGeoModel, calibration_end: dt.date, observation_end: dt.date, unit_days: float,
              filters: Filters | None) -> pd.DataFrame:
    """Cumulative repeat purchase days, actual and expected, at the end of every week (and the last day)."""
    daily = query(con, _DAILY_SQL, {**filter_params(filters), "calibration_end": calibration_end,
                                    "observation_end": observation_end})
    empty = pd.DataFrame({"day": pd.Series(dtype="datetime64[s]"), "actual": pd.Series(dtype="float64"),
                          "expected": pd.Series(dtype="float64"), "holdout": pd.Series(dtype="bool")})
    if daily.empty:
        return empty
    days = pd.to_datetime(daily["day"]).to_numpy(dtype="datetime64[D]")
    first = days[0]
    last = np.datetime64(observation_end, "D")
    points = np.arange(first + 6, last, 7, dtype="datetime64[D]")  # the end of every week …
    points = np.append(points, last)                               # … and the observation end
    cumulative = np.cumsum(daily["repeats"].to_numpy(dtype="float64"))
    at = np.searchsorted(days, points, side="right") - 1
    actual = np.where(at >= 0, cumulative[np.maximum(at, 0)], 0.0)
    cohorts = daily["new"].to_numpy(dtype="float64")
    has_new = cohorts > 0
    cohort_days, cohort_sizes = days[has_new], cohorts[has_new]
    ages = (points[None, :] - cohort_days[:, None]).astype("float64") / unit_days  # (cohorts, points)
    with one_blas_thread():
        expected = cohort_sizes @ model.expected_purchases(np.maximum(ages, 0.0))
    return pd.DataFrame({"day": points.astype("datetime64[s]"), "actual": actual, "expected": expected,
                         "holdout": points > np.datetime64(calibration_end, "D")})
