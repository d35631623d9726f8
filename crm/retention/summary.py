"""The per-customer purchase summary the lifetime-value models read (one DuckDB query).

Definitions (Fader, Hardie & Lee 2005, "Counting your customers the easy way", and
the CDNOW summary they publish):

* Orders are the non-returned orders of ``crm_orders`` (inside the dimension filters
  when a `Filters` is given). Orders of one customer on the same day are merged
  into one *purchase day* whose spend is the sum of their amounts.
* The calibration period runs from the first order in the data to `calibration_end`
  (inclusive); a customer belongs to it when they bought on or before that day.
* frequency x — repeat purchase days in the calibration period: purchase days − 1.
* recency t_x — time from the first purchase day to the last one, in `unit`s
  (0 when x = 0).
* T — the customer's age: time from the first purchase day to `calibration_end`,
  in `unit`s. Measured in whole days (``calibration_end − first day``) and divided
  by 7 for weeks, exactly as the published CDNOW summary: a customer whose first
  purchase was on 1997-01-01 has T = 272 / 7 = 38.86 weeks at 1997-09-30.
* monetary — mean spend of the repeat purchase days (the first day excluded, as in
  Fader & Hardie 2013's Gamma-Gamma input); missing (NaN) when x = 0.

Money is summed in whole cents (BIGINT: exact), so the summary, and the models fitted
on it, are the same run after run (a parallel sum of doubles depends on the order it
adds in).

With an `observation_end` after `calibration_end` the holdout columns are added for
the same customers (those of the calibration period):

* holdout_frequency — purchase days in (calibration_end, observation_end];
* holdout_monetary — their mean spend (NaN without any);
* holdout_duration — observation_end − calibration_end in `unit`s (the same for all).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from crm.errors import CRMInputError
from crm.store.db import query, scalar
from crm.store.filters import Filters

# Days per unit of time.
UNITS = {"week": 7.0, "day": 1.0}

SUMMARY_COLUMNS = ["customer_id", "frequency", "recency", "T", "monetary"]
HOLDOUT_COLUMNS = ["holdout_frequency", "holdout_monetary", "holdout_duration"]

ORDERS_SQL = "crm_orders($provinces, $channels, $categories, $genders, $age_bands)"

# Purchase days up to $last (the calibration end, or the observation end with a holdout).
_DAYS = f"""
WITH days AS (
    SELECT customer_id, order_date AS day, sum(round(amount * 100)::BIGINT) AS cents
    FROM {ORDERS_SQL}
    WHERE order_date <= $last
    GROUP BY customer_id, order_date
), cal AS (
    SELECT customer_id,
           count(*) - 1 AS frequency,
           min(day) AS first_day,
           max(day) AS last_day,
           sum(cents) - arg_min(cents, day) AS repeat_cents
    FROM days
    WHERE day <= $calibration_end
    GROUP BY customer_id
)"""

_SUMMARY_SELECT = """
SELECT cal.customer_id,
       cal.frequency::BIGINT AS frequency,
       date_diff('day', cal.first_day, cal.last_day) / $unit_days AS recency,
       date_diff('day', cal.first_day, $calibration_end) / $unit_days AS "T",
       CASE WHEN cal.frequency > 0 THEN cal.repeat_cents / 100 / cal.frequency END AS monetary"""

_SUMMARY_SQL = _DAYS + _SUMMARY_SELECT + """
FROM cal
ORDER BY cal.customer_id
"""

_HOLDOUT_SQL = _DAYS + """, hold AS (
    SELECT customer_id, count(*) AS holdout_frequency, sum(cents) / 100 / count(*) AS holdout_monetary
    FROM days
    WHERE day > $calibration_end
    GROUP BY customer_id
)""" + _SUMMARY_SELECT + """,
       coalesce(hold.holdout_frequency, 0)::BIGINT AS holdout_frequency,
       hold.holdout_monetary,
       date_diff('day', $calibration_end, $last) / $unit_days AS holdout_duration
FROM cal LEFT JOIN hold USING (customer_id)
ORDER BY cal.customer_id
"""

_LATEST_SQL = f"SELECT max(order_date) FROM {ORDERS_SQL}"


def check_unit(unit: object) -> float:
    """Days per `unit`; CRMInputError unless it is 'week' or 'day'."""
    if not isinstance(unit, str) or unit not in UNITS:
        raise CRMInputError("clv.error.unit", unit=unit)
    return UNITS[unit]


def check_date(value: object, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CRMInputError("clv.error.date", name=name, value=value)


def filter_params(filters: Filters | None) -> dict[str, list[str]]:
    """The dimension lists of `filters` (all empty without filters: every order counts)."""
    if filters is None:
        return {"provinces": [], "channels": [], "categories": [], "genders": [], "age_bands": []}
    return filters.dimension_params()


def latest_order_date(con, filters: Filters | None = None) -> dt.date | None:
    """The latest non-returned order date inside the filters' dimensions (None without orders)."""
    value = scalar(con, _LATEST_SQL, filter_params(filters))
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def customer_summary(con, *, calibration_end: dt.date | str | None = None,
                     observation_end: dt.date | str | None = None, unit: str = "week",
                     filters: Filters | None = None) -> pd.DataFrame:
    """One row per customer with a purchase on or before `calibration_end` (definitions above).

    Columns ``SUMMARY_COLUMNS`` (customer_id, frequency, recency, T, monetary), plus
    ``HOLDOUT_COLUMNS`` when `observation_end` is given; sorted by customer_id.
    `calibration_end` defaults to the latest order date inside the filters' dimensions;
    `filters` limits the orders to its dimension filters (its dates are not used:
    the models need each customer's whole history up to `calibration_end`).
    """
    unit_days = check_unit(unit)
    if calibration_end is None:
        calibration_end = latest_order_date(con, filters)
        if calibration_end is None:
            raise CRMInputError("clv.error.no_orders")
    cal_end = check_date(calibration_end, "calibration_end")
    params: dict[str, object] = {**filter_params(filters), "calibration_end": cal_end, "unit_days": unit_days}
    if observation_end is None:
        return query(con, _SUMMARY_SQL, {**params, "last": cal_end})[SUMMARY_COLUMNS]
    obs_end = check_date(observation_end, "observation_end")
    if obs_end <= cal_end:
        raise CRMInputError("clv.error.holdout_order", calibration_end=cal_end.isoformat(),
                            observation_end=obs_end.isoformat())
    return query(con, _HOLDOUT_SQL, {**params, "last": obs_end})[SUMMARY_COLUMNS + HOLDOUT_COLUMNS]
