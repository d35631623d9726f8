"""Win-back list (流失客户名册): lapsed and at-risk customers, ranked by what is at stake, with what to do.

Who is on the list, as of the as-of date and for a churn horizon of H days:

* **lapsed** (已流失): no purchase in the last H days (``days_since > H``), but
  within `max_days_since` (default 730 days; older customers are counted as lost
  and left out unless the limit is lifted);
* **at risk** (有流失风险): a purchase in the last H days and a churn probability
  (`crm.retention.churn`) of at least `at_risk_threshold` (default 0.5).

What is at stake (the ranking, highest first; ties by past value, then id):

* ``past_value`` revenue to date (non-returned orders);
* ``value_if_kept`` the value of the next 12 months *if the customer stays*:
  CLV ÷ P(alive) from the BG/NBD + Gamma-Gamma model (`crm.retention.clv`;
  its conditional expectation is P(alive) × the purchases of a live customer,
  so the quotient is the value given alive; P(alive) floored at 0.05). Without
  a fitted CLV (too little data) the annual spend to date stands in:
  past_value × 365 ÷ max(tenure days, 365) (``value_source`` says which);
* ``at_stake`` = churn probability × value_if_kept: the value expected to be
  lost if nothing is done.

Recommended action (a code, translated on the page), the first rule that applies:

1. ``service_recovery`` — an open complaint, a latest satisfaction below half its
   scale, or a latest NPS answer of 6 or less (a detractor): fix the problem first;
2. ``personal_call`` — at_stake in the top `top_share` (default 10 %) of the list:
   a personal call from an account manager;
3. ``winback_offer`` — lapsed: a come-back offer in their last category;
4. ``retention_care`` — at risk, not yet lapsed: a reminder or recommendation in
   their last category (or points) before they lapse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm.errors import CRMInputError
from crm.store.db import query
from crm.store.features import reference_date

STATUSES = ("lapsed", "at_risk")
ACTIONS = ("service_recovery", "personal_call", "winback_offer", "retention_care")
AT_RISK_THRESHOLD = 0.5
MAX_DAYS_SINCE = 730
TOP_SHARE = 0.10
MIN_P_ALIVE = 0.05
LOW_SATISFACTION = 0.5
DETRACTOR_NPS = 6

COLUMNS = ["customer_id", "name", "status", "action", "churn_probability", "at_stake", "value_if_kept", "past_value",
           "days_since", "last_order_date", "last_category", "last_complaint_date", "open_complaints", "satisfaction",
           "nps", "orders", "p_alive", "clv", "province", "customer_type", "phone", "email"]
VALUE_COLUMNS = ("p_alive", "clv")  # empty without the lifetime-value model
KINDS = {"churn_probability": "percent", "at_stake": "money", "value_if_kept": "money", "past_value": "money",
         "clv": "money", "p_alive": "percent", "satisfaction": "percent", "last_order_date": "date",
         "last_complaint_date": "date", "nps": "decimal"}
CONTACT = {"phone": "phone", "email": "email"}

_DETAILS_SQL = """
WITH last_order AS (
    SELECT customer_id, max(order_date) AS last_order_date,
           arg_max(category, (order_date, order_id)) AS last_category
    FROM order_facts
    WHERE NOT returned AND order_date <= $as_of AND ($everyone OR customer_id IN (SELECT customer_id FROM wanted))
    GROUP BY customer_id
),
complaint AS (
    SELECT customer_id, max(opened_at)::DATE AS last_complaint_date
    FROM tickets
    WHERE type = 'complaint' AND customer_id IS NOT NULL AND opened_at::DATE <= $as_of
    GROUP BY customer_id
)
SELECT l.customer_id, c.name, c.province, c.customer_type, c.phone, c.email,
       l.last_order_date, l.last_category, m.last_complaint_date
FROM last_order l
LEFT JOIN customers c USING (customer_id)
LEFT JOIN complaint m USING (customer_id)
ORDER BY l.customer_id
"""


@dataclass(frozen=True)
class WinBack:
    """`table`: the ranked list (`COLUMNS`); `value_source`: 'clv' or 'run_rate' (see the module docstring)."""

    table: pd.DataFrame
    value_source: str


def customer_details(con, as_of: dt.date, customer_ids: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Per buyer (all, or those in `customer_ids`): name, province, type, contacts, last purchase date and its
    category, last complaint date."""
    wanted = pd.DataFrame({"customer_id": pd.Series(list(customer_ids or ()), dtype="string")})
    return query(con, _DETAILS_SQL, {"as_of": as_of, "everyone": customer_ids is None}, frames={"wanted": wanted})


def customer_values(con, as_of: dt.date) -> pd.DataFrame | None:
    """The CLV table (`crm.retention.clv.customer_value`) calibrated to `as_of`, or None when it cannot be fitted
    (too little data) or this build has no CLV model; the list then values customers by their run rate."""
    try:
        from crm.retention.clv import customer_value
    except ImportError:
        return None

    try:
        return customer_value(con, calibration_end=as_of).table
    except CRMInputError:
        return None


def rank_win_back(scores: pd.DataFrame, details: pd.DataFrame, values: pd.DataFrame | None, *,
                  horizon_days: int = 90, at_risk_threshold: float = AT_RISK_THRESHOLD,
                  max_days_since: int | None = MAX_DAYS_SINCE, top_share: float = TOP_SHARE) -> WinBack:
    """The ranked list from churn scores, customer details and (optionally) the CLV table (rules above)."""
    if not 0 <= at_risk_threshold <= 1:
        raise CRMInputError("winback.error.threshold", value=at_risk_threshold)
    days = scores["recency_days"]
    lapsed = days > horizon_days
    if max_days_since is not None:
        lapsed &= days <= max_days_since
    at_risk = (days <= horizon_days) & (scores["churn_probability"] >= at_risk_threshold)
    listed = scores.loc[lapsed | at_risk, ["customer_id", "churn_probability", "recency_days", "monetary", "orders",
                                           "tenure_days", "open_complaints", "satisfaction", "nps"]]
    out = listed.rename(columns={"recency_days": "days_since", "monetary": "past_value"})
    out["status"] = np.where(out["days_since"] > horizon_days, "lapsed", "at_risk")
    out = out.merge(details, on="customer_id", how="left")
    run_rate = out["past_value"] * 365.0 / np.maximum(out["tenure_days"], 365.0)
    if values is not None:
        out = out.merge(values[["customer_id", "p_alive", "clv"]], on="customer_id", how="left")
        if_kept = out["clv"] / np.maximum(out["p_alive"], MIN_P_ALIVE)
        out["value_if_kept"] = if_kept.where(if_kept.notna(), run_rate)
        source = "clv"
    else:
        out["p_alive"] = np.nan
        out["clv"] = np.nan
        out["value_if_kept"] = run_rate
        source = "run_rate"
    out["at_stake"] = out["churn_probability"] * out["value_if_kept"]
    out = out.sort_values(["at_stake", "past_value", "customer_id"], ascending=[False, False, True],
                          ignore_index=True)
    unhappy = ((out["open_complaints"] > 0) | (out["satisfaction"] < LOW_SATISFACTION)
               | (out["nps"] <= DETRACTOR_NPS)).fillna(False).to_numpy(dtype=bool)
    top = np.arange(len(out)) < int(np.ceil(len(out) * top_share))
    out["action"] = np.select([unhappy, top, (out["status"] == "lapsed").to_numpy()],
                              ["service_recovery", "personal_call", "winback_offer"], "retention_care")
    out["orders"] = out["orders"].astype("int64")
    out["days_since"] = out["days_since"].astype("int64")
    out["open_complaints"] = out["open_complaints"].astype("int64")
    return WinBack(table=out[COLUMNS], value_source=source)


def filter_win_back(table: pd.DataFrame, *, statuses=(), actions=(), categories=(), provinces=(),
                    min_probability: float = 0.0, min_stake: float = 0.0,
                    max_days_since: int | None = None) -> pd.DataFrame:
    """Rows of the list matching every given filter (an empty choice means all)."""
    keep = (table["churn_probability"] >= min_probability) & (table["at_stake"].fillna(0) >= min_stake)
    for column, chosen in (("status", statuses), ("action", actions), ("last_category", categories),
                           ("province", provinces)):
        if chosen:
            keep &= table[column].isin(list(chosen))
    if max_days_since is not None:
        keep &= table["days_since"] <= max_days_since
    return table[keep].reset_index(drop=True)


def win_back_list(con, *, horizon_days: int = 90, as_of: dt.date | None = None, random_state: int = 0,
                  values: pd.DataFrame | None = None, use_clv: bool = True,
                  at_risk_threshold: float = AT_RISK_THRESHOLD, max_days_since: int | None = MAX_DAYS_SINCE,
                  top_share: float = TOP_SHARE) -> WinBack:
    """Score churn, value customers (`values`, else the CLV model unless `use_clv` is False) and rank the list."""
    from crm.retention.churn import score_churn

    as_of = as_of or reference_date(con)
    churn = score_churn(con, horizon_days=horizon_days, as_of=as_of, random_state=random_state)
    if values is None and use_clv:
        values = customer_values(con, as_of)
    return rank_win_back(churn.scores, customer_details(con, as_of), values, horizon_days=horizon_days,
                         at_risk_threshold=at_risk_threshold, max_days_since=max_days_since, top_share=top_share)
