"""Customer lifetime value: BG/NBD purchases × Gamma-Gamma spend × margin, discounted.

For each customer of the summary (``crm.retention.summary``; orders up to the
calibration end, which is the date the value is measured on):

* p_alive — P(alive | x, t_x, T) under BG/NBD (Fader, Hardie & Lee 2005, eq. 13).
* expected_purchases — E[Y(h) | x, t_x, T], purchase days expected in the next
  `horizon_months` months (eq. 10); expected_30 / expected_90 — the same for the
  next 30 and 90 days.
* expected_spend — E[M | x, m̄], Gamma-Gamma's expected spend per purchase day
  (Fader & Hardie 2013, eq. 5; the population mean pγ/(q−1) without repeat purchases).
* clv — the discounted margin of the next `horizon_months` months, in month steps::

      clv = margin × expected_spend × Σ_{i=1..H} (E[Y(i·m)] − E[Y((i−1)·m)]) / (1 + d)^i

  with m one average month (365.25 / 12 days, in the summary's unit), d the
  monthly discount rate and each month's purchases discounted at its end.
* margin — the data's own gross margin, Σ profit ÷ Σ amount over the orders whose
  cost is known (non-returned, inside the filters, up to the calibration end), when
  there are any; otherwise ``DEFAULT_MARGIN`` (30 %); or the caller's value.

`backtest` fits BG/NBD on a calibration period and predicts a holdout period it
has not seen (the paper's Figures 2 and 4 and its error measures; the rule that
calls a fit poor is stated there).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm.errors import CRMInputError
from crm.retention.bgnbd import BetaGeoModel, one_blas_thread
from crm.retention.gamma_gamma import GammaGammaModel
from crm.retention.summary import (ORDERS_SQL, check_date, check_unit, customer_summary, filter_params,
                                   latest_order_date)
from crm.store.db import query
from crm.store.filters import Filters

MONTH_DAYS = 365.25 / 12
DEFAULT_MARGIN = 0.30
MAX_HORIZON_MONTHS = 120
MAX_HOLDOUT_MONTHS = 60

TABLE_COLUMNS = ["customer_id", "frequency", "recency", "T", "monetary", "p_alive", "expected_purchases",
                 "expected_30", "expected_90", "clv", "expected_spend"]
PARAM_NAMES = ("r", "alpha", "a", "b", "p", "q", "gamma", "bgnbd_loglik", "gg_loglik")

# Backtest: a fit is poor when the holdout's total is off by more than POOR_TOTAL_ERROR, or
# the mean holdout purchases of the calibration-frequency groups (0 … 7+) are off by more than
# POOR_GROUP_ERROR on average (groups weighted by their customers).
POOR_TOTAL_ERROR = 0.20
POOR_GROUP_ERROR = 0.30
FREQUENCY_GROUPS = 7  # 0, 1, …, 6 and "7+"

_MARGIN_SQL = f"""
SELECT sum(profit::DECIMAL(18, 2))::DOUBLE / nullif(sum(amount::DECIMAL(18, 2)), 0)::DOUBLE AS margin, count(*) AS orders
FROM {ORDERS_SQL}
WHERE order_date <= $calibration_end AND profit IS NOT NULL
"""


@dataclass(frozen=True)
class CustomerValue:
    """What `customer_value` returns.

    table — one row per customer, columns ``TABLE_COLUMNS``, sorted by customer_id;
    params — fitted r, alpha, a, b (BG/NBD), p, q, gamma (Gamma-Gamma) and both total
    log-likelihoods (bgnbd_loglik, gg_loglik); margin — the margin used;
    margin_source — 'given', 'data' or 'default'; data_margin — the data's own margin
    (None without known costs); diagnostics — customers, repeat_customers,
    gg_customers, bgnbd_converged, gg_converged, frequency_spend_correlation, mean_spend.
    """

    table: pd.DataFrame
    params: dict
    margin: float
    margin_source: str
    data_margin: float | None
    calibration_end: dt.date
    unit: str
    horizon_months: int
    monthly_discount: float
    diagnostics: dict = field(default_factory=dict)


def validate_value_parameters(horizon_months: object, monthly_discount: object,
                              margin: object) -> tuple[int, float, float | None]:
    """CRMInputError unless 1 ≤ horizon_months ≤ 120 (whole), 0 ≤ monthly_discount < 1
    and margin is None or in (0, 1]."""
    if isinstance(horizon_months, bool) or not isinstance(horizon_months, (int, np.integer)) \
            or not 1 <= horizon_months <= MAX_HORIZON_MONTHS:
        raise CRMInputError("clv.error.horizon", value=horizon_months, max=MAX_HORIZON_MONTHS)
    if not _is_number(monthly_discount) or not 0 <= monthly_discount < 1:
        raise CRMInputError("clv.error.discount", value=monthly_discount)
    if margin is not None and (not _is_number(margin) or not 0 < margin <= 1):
        raise CRMInputError("clv.error.margin", value=margin)
    return int(horizon_months), float(monthly_discount), None if margin is None else float(margin)


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.number)) and math.isfinite(value)


def order_margin(con, *, calibration_end: dt.date, filters: Filters | None = None) -> float | None:
    """Σ profit ÷ Σ amount over the orders with a known cost up to `calibration_end` (None without any)."""
    row = query(con, _MARGIN_SQL, {**filter_params(filters), "calibration_end": calibration_end})
    if not len(row) or int(row["orders"].iloc[0]) == 0 or pd.isna(row["margin"].iloc[0]):
        return None
    return float(row["margin"].iloc[0])


def _calibration_end(con, calibration_end, filters: Filters | None) -> dt.date:
    if calibration_end is not None:
        return check_date(calibration_end, "calibration_end")
    if filters is not None:
        return filters.as_of
    latest = latest_order_date(con)
    if latest is None:
        raise CRMInputError("clv.error.no_orders")
    return latest


def customer_value(con, *, calibration_end: dt.date | None = None, horizon_months: int = 12, unit: str = "week",
                   monthly_discount: float = 0.01, margin: float | None = None,
                   filters: Filters | None = None) -> CustomerValue:
    """Fit BG/NBD and Gamma-Gamma on the orders up to `calibration_end` and value every customer.

    `calibration_end` defaults to the filters' as-of date, else the latest order;
    `filters` limits the orders to its dimension filters (its period is not used:
    the models read each customer's whole history). See the module docstring for
    the formulas. Raises CRMInputError on bad parameters, without orders, or when
    no customer bought twice (the models cannot be fitted).
    """
    horizon, discount, given_margin = validate_value_parameters(horizon_months, monthly_discount, margin)
    unit_days = check_unit(unit)
    end = _calibration_end(con, calibration_end, filters)
    summary = customer_summary(con, calibration_end=end, unit=unit, filters=filters)
    if summary.empty:
        raise CRMInputError("clv.error.no_orders")
    x = summary["frequency"].to_numpy(dtype="float64")
    tx = summary["recency"].to_numpy(dtype="float64")
    big_t = summary["T"].to_numpy(dtype="float64")
    monetary = summary["monetary"].to_numpy(dtype="float64", na_value=np.nan)

    bg = BetaGeoModel().fit(x, tx, big_t)
    gg = GammaGammaModel().fit(x, monetary)

    data_margin = order_margin(con, calibration_end=end, filters=filters)
    if given_margin is not None:
        used, source = given_margin, "given"
    elif data_margin is not None:
        used, source = data_margin, "data"
    else:
        used, source = DEFAULT_MARGIN, "default"

    month = MONTH_DAYS / unit_days
    times = np.concatenate([month * np.arange(1, horizon + 1), [30 / unit_days, 90 / unit_days]])
    with one_blas_thread():
        cumulative = bg.conditional_expected_purchases(times, x, tx, big_t)
        by_month = np.diff(cumulative[:, :horizon], axis=1, prepend=0.0)
        discounted = by_month @ (1.0 + discount) ** -np.arange(1, horizon + 1)
    spend = gg.conditional_expected_spend(x, monetary)

    table = summary.assign(
        p_alive=bg.p_alive(x, tx, big_t),
        expected_purchases=cumulative[:, horizon - 1],
        expected_30=cumulative[:, horizon],
        expected_90=cumulative[:, horizon + 1],
        clv=used * spend * discounted,
        expected_spend=spend,
    )[TABLE_COLUMNS]
    params = {**bg.params_, **gg.params_, "bgnbd_loglik": bg.loglik_, "gg_loglik": gg.loglik_}
    diagnostics = {
        "customers": bg.n_customers_, "repeat_customers": bg.n_repeat_, "gg_customers": gg.n_customers_,
        "bgnbd_converged": bg.converged_, "gg_converged": gg.converged_,
        "frequency_spend_correlation": gg.frequency_spend_correlation_, "mean_spend": gg.mean_spend_,
    }
    return CustomerValue(table=table, params=params, margin=used, margin_source=source, data_margin=data_margin,
                         calibration_end=end, unit=unit, horizon_months=horizon, monthly_discount=discount,
                         diagnostics=diagnostics)


# ------------------------------------------------------------------ the page's report
GROUP_DIMENSIONS = ("segment", "channel", "province", "tier")
NO_GROUP = "none"  # customers without an RFM class (no order in the analysis period) or tier
REPORT_COLUMNS = TABLE_COLUMNS + ["name", "province", "channel", "segment", "tier"]
GROUP_COLUMNS = ["value", "customers", "clv", "clv_share", "clv_mean", "p_alive", "expected_30", "expected_90"]

_REPORT_SQL = """
SELECT v.*, cf.name, cf.province, cf.acquisition_channel AS channel,
       coalesce(r.segment, 'none') AS segment, coalesce(t.tier, 'none') AS tier
FROM clv_table v
LEFT JOIN customer_features cf USING (customer_id)
LEFT JOIN clv_rfm r USING (customer_id)
LEFT JOIN clv_tiers t USING (customer_id)
ORDER BY v.clv DESC, v.customer_id
LIMIT $top
"""

_GROUPS_SQL = """
WITH joined AS (
    SELECT v.clv, v.p_alive, v.expected_30, v.expected_90,
           cf.province, cf.acquisition_channel AS channel,
           coalesce(r.segment, 'none') AS segment, coalesce(t.tier, 'none') AS tier
    FROM clv_table v
    LEFT JOIN customer_features cf USING (customer_id)
    LEFT JOIN clv_rfm r USING (customer_id)
    LEFT JOIN clv_tiers t USING (customer_id)
)
SELECT CASE WHEN grouping(segment) = 0 THEN 'segment' WHEN grouping(channel) = 0 THEN 'channel'
            WHEN grouping(province) = 0 THEN 'province' ELSE 'tier' END AS dimension,
       CASE WHEN grouping(segment) = 0 THEN segment WHEN grouping(channel) = 0 THEN channel
            WHEN grouping(province) = 0 THEN province ELSE tier END AS value,
       count(*) AS customers, sum(clv) AS clv, avg(clv) AS clv_mean,
       avg(p_alive) AS p_alive, sum(expected_30) AS expected_30, sum(expected_90) AS expected_90
FROM joined
GROUP BY GROUPING SETS ((segment), (channel), (province), (tier))
"""


@dataclass(frozen=True)
class ValueReport:
    """What the lifetime-value page shows, computed once per set of parameters.

    value — the `CustomerValue`; top — the `top` customers with the highest CLV,
    columns ``REPORT_COLUMNS`` (name, province, acquisition channel, RFM class code and
    tier name added; ``NO_GROUP`` without a class or tier); groups — per dimension of
    ``GROUP_DIMENSIONS``, one row per value with ``GROUP_COLUMNS``: customers, clv
    (sum), clv_share (of all customers' clv), clv_mean, p_alive (mean), expected_30
    and expected_90 (sums: purchase days expected from the group in the next 30 / 90 days).
    """

    value: CustomerValue
    top: pd.DataFrame
    groups: dict[str, pd.DataFrame]


def value_report(con, filters: Filters, *, horizon_months: int = 12, unit: str = "week",
                 monthly_discount: float = 0.01, margin: float | None = None, top: int = 5000) -> ValueReport:
    """`customer_value` as of the filters' as-of date inside their dimension filters, with the
    customers' RFM class (``crm.value.rfm.compute_rfm(filters)``: the analysis period), loyalty
    tier on the as-of date (``crm.value.loyalty`` defaults), acquisition channel and province."""
    from crm.value import loyalty, rfm  # local import: the value pages' modules are not needed otherwise

    value = customer_value(con, horizon_months=horizon_months, unit=unit, monthly_discount=monthly_discount,
                           margin=margin, filters=filters)
    scores = rfm.compute_rfm(con, filters)
    classes = pd.DataFrame({"customer_id": scores["customer_id"], "segment": scores["segment"].astype("str")})
    tiers = loyalty.assign_tiers(loyalty.compute_points(con, filters))
    tier_names = pd.DataFrame({"customer_id": tiers["customer_id"], "tier": tiers["tier"].astype("str")})
    frames = {"clv_table": value.table, "clv_rfm": classes, "clv_tiers": tier_names}
    best = query(con, _REPORT_SQL, {"top": int(top)}, frames=frames)[REPORT_COLUMNS]
    grouped = query(con, _GROUPS_SQL, frames=frames)
    total = float(value.table["clv"].sum())
    grouped["clv_share"] = grouped["clv"] / total if total else 0.0
    groups = {}
    for dimension in GROUP_DIMENSIONS:
        part = grouped[grouped["dimension"] == dimension]
        groups[dimension] = _order_groups(part, dimension)[GROUP_COLUMNS].reset_index(drop=True)
    return ValueReport(value=value, top=best, groups=groups)


def _order_groups(part: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """RFM classes and tiers in their fixed order (then 'none'); channels and provinces by CLV."""
    from crm.value import loyalty, rfm

    fixed = {"segment": list(rfm.SEGMENTS), "tier": [name for name, _ in loyalty.DEFAULT_TIERS]}.get(dimension)
    if fixed is None:
        return part.sort_values(["clv", "value"], ascending=[False, True], na_position="last")
    order = {code: i for i, code in enumerate([*fixed, NO_GROUP])}
    return part.assign(_order=part["value"].map(order).fillna(len(order))).sort_values(["_order", "value"])


def clv_distribution(clv: pd.Series | np.ndarray, *, bins: int = 30, quantile: float = 0.99) -> tuple[pd.DataFrame, int]:
    """Histogram of CLV over [min(0, lowest), the `quantile`-th value]: (low, high, customers) per bin,
    and how many customers lie above the top (the long tail, left out so the bins stay readable)."""
    values = np.asarray(clv, dtype="float64")
    values = values[np.isfinite(values)]
    if not len(values):
        return pd.DataFrame({"low": [], "high": [], "customers": []}), 0
    top = float(np.quantile(values, quantile))
    low = min(0.0, float(values.min()))
    if top <= low:
        top = float(values.max()) if values.max() > low else low + 1.0
    counts, edges = np.histogram(values[values <= top], bins=bins, range=(low, top))
    return (pd.DataFrame({"low": edges[:-1], "high": edges[1:], "customers": counts.astype("int64")}),
            int((values > top).sum()))


def p_alive_distribution(p_alive: pd.Series | np.ndarray, *, bins: int = 20) -> pd.DataFrame:
    """Histogram of P(alive) over [0, 1] in `bins` equal bins: (low, high, customers); 1 falls in the last bin."""
    counts, edges = np.histogram(np.asarray(p_alive, dtype="float64"), bins=bins, range=(0.0, 1.0))
    return pd.DataFrame({"low": edges[:-1], "high": edges[1:], "customers": counts.astype("int64")})
