"""Customer 360: find a customer and see everything about them.

Two scopes, always labelled on the page:

* all time (``profile``, ``order_history``, ``category_mix``, ``tickets``,
  ``survey_answers``) — the customer's whole record, without the sidebar's
  period or dimension filters: it is one customer's own history;
* this period (``period_totals``) — revenue, orders and profit in the sidebar's
  period inside its filters, the very figures of the key-account list, so the
  two can be compared.

Orders are non-returned orders unless a column says otherwise.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from crm.store.db import query
from crm.errors import CRMInputError
from crm.store.filters import Filters
from crm.value.loyalty import assign_tiers, points_for_customers
from crm.value.rfm import rfm_for_customers

SEARCH_COLUMNS = ["customer_id", "name", "phone", "province", "revenue"]
MAX_SEARCH_LIMIT = 500
# Start of "all history": earlier than any order a shop can have.
HISTORY_START = dt.date(1900, 1, 1)

_SEARCH_SQL = """
SELECT customer_id, name, CASE WHEN $contact THEN phone END AS phone, province, revenue
FROM customer_features
WHERE customer_id ILIKE $pattern ESCAPE '\\'
   OR name ILIKE $pattern ESCAPE '\\'
   OR ($contact AND (phone ILIKE $pattern ESCAPE '\\' OR email ILIKE $pattern ESCAPE '\\'))
ORDER BY lower(customer_id) = lower($text) DESC, revenue DESC, customer_id
LIMIT $limit
"""

_CONTACTS_SQL = """
SELECT f.customer_id, f.phone, f.email
FROM customer_features f SEMI JOIN wanted w ON w.customer_id = f.customer_id
ORDER BY f.customer_id
"""

_FEATURES_SQL = "SELECT * FROM customer_features WHERE customer_id = $customer_id"

_HISTORY_SQL = """
SELECT order_month AS month,
       count(*) FILTER (WHERE NOT returned) AS orders,
       coalesce(sum(amount) FILTER (WHERE NOT returned), 0) AS revenue,
       coalesce(sum(profit) FILTER (WHERE NOT returned), 0) AS profit,
       count(*) FILTER (WHERE returned) AS returned_orders
FROM order_facts
WHERE customer_id = $customer_id
GROUP BY order_month
ORDER BY order_month
"""

# Complaints open on $as_of: the rule of the overview KPI and the key-account list.
_OPEN_COMPLAINTS_SQL = """
SELECT count(*) AS open_complaints
FROM tickets
WHERE customer_id = $customer_id AND type = 'complaint'
  AND opened_at::DATE <= $as_of
  AND (resolved_at::DATE > $as_of
       OR (resolved_at IS NULL AND coalesce(status, 'open') NOT IN ('resolved', 'closed')))
"""

_PERIOD_SQL = """
SELECT count(*) AS orders, coalesce(sum(amount), 0) AS revenue, coalesce(sum(profit), 0) AS profit
FROM crm_orders($provinces, $channels, $categories, $genders, $age_bands)
WHERE customer_id = $customer_id AND order_date BETWEEN $start AND $end
"""

_CATEGORY_MIX_SQL = """
SELECT coalesce(category, '') AS category, count(*) AS orders, sum(amount) AS revenue,
       sum(amount) / sum(sum(amount)) OVER () AS share
FROM order_facts
WHERE customer_id = $customer_id AND NOT returned
GROUP BY ALL
ORDER BY revenue DESC, category
"""

_TICKETS_SQL = """
SELECT ticket_id, opened_at, resolved_at, type, status, channel
FROM tickets
WHERE customer_id = $customer_id
ORDER BY opened_at DESC, ticket_id
"""

_SURVEY_SQL = """
SELECT r.submitted_at, r.survey_id, s.title AS survey_title, a.question_id, q.text AS question,
       q.dimension, q.measure, a.value_num, a.value_text
FROM survey_responses r
JOIN survey_answers a USING (response_id)
LEFT JOIN survey_questions q ON q.survey_id = r.survey_id AND q.question_id = a.question_id
LEFT JOIN surveys s ON s.survey_id = r.survey_id
WHERE r.customer_id = $customer_id
ORDER BY r.submitted_at DESC, r.response_id, q.position, a.question_id
"""


def _escape_like(text: str) -> str:
    """Make %, _ and the escape character itself literal in an ILIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_customers(con, text: str, limit: int = 20, contact: bool = True) -> pd.DataFrame:
    """Customers whose id or name — and, when `contact`, phone or email — contains `text` (case-insensitive).

    An exact id match comes first, then by lifetime revenue (highest first).
    Blank text gives an empty frame. Columns: customer_id, name, phone
    (NULL without `contact`: roles that may not search by contact fields do
    not get them either), province, revenue.
    """
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise CRMInputError("c360.error.limit", limit=limit, max=MAX_SEARCH_LIMIT)
    text = (text or "").strip()
    if not text:
        return query(con, _SEARCH_SQL, {"pattern": "", "text": "", "limit": 0, "contact": False})
    return query(con, _SEARCH_SQL, {"pattern": f"%{_escape_like(text)}%", "text": text, "limit": int(limit),
                                    "contact": bool(contact)})


def contacts(con, customer_ids: pd.Series) -> pd.DataFrame:
    """customer_id, phone, email of the given customers (full values: mask them before showing).

    Takes a Series, which Streamlit's cache hashes fast (30 ms for 50,000 ids, a tuple takes 1.2 s).
    """
    wanted = pd.DataFrame({"customer_id": pd.Series(customer_ids, dtype="string").to_numpy()})
    return query(con, _CONTACTS_SQL, frames={"wanted": wanted})


def _plain(value: object) -> object:
    """numpy / pandas scalars → Python values (dates as datetime.date, missing as None)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


def profile(con, customer_id: str, as_of: dt.date) -> dict[str, object]:
    """Everything about one customer as a dict of plain Python values.

    * every column of ``customer_features`` (lifetime figures at the data's
      reference date: orders, revenue, recency_days, open_complaints, …);
    * ``as_of``; loyalty on that date: ``tenure_months``, ``spend``, ``points``,
      ``tier`` (``crm.value.loyalty`` defaults); ``open_complaints`` — complaints
      open on that date (the rule of the overview KPI and the key-account list,
      so the 360° view and the list agree);
    * RFM over all history up to as_of, scored against every customer with an
      order by then (``crm.value.rfm`` defaults): ``rfm_recency_days``,
      ``rfm_frequency``, ``rfm_monetary``, ``r_score``, ``f_score``, ``m_score``,
      ``segment`` (None when the customer has no order by as_of).

    Raises CRMInputError("c360.error.unknown_customer") for an unknown id.
    """
    features = query(con, _FEATURES_SQL, {"customer_id": customer_id})
    if features.empty:
        raise CRMInputError("c360.error.unknown_customer", customer_id=customer_id)
    result = {column: _plain(value) for column, value in features.iloc[0].items()}
    result["as_of"] = as_of
    result["open_complaints"] = int(query(con, _OPEN_COMPLAINTS_SQL,
                                          {"customer_id": customer_id, "as_of": as_of}).iloc[0, 0])

    history = Filters(start=min(HISTORY_START, as_of), end=as_of, as_of=as_of)
    points = points_for_customers(con, history, [customer_id])
    if points.empty:
        result.update(tenure_months=0, spend=0.0, points=0.0, tier=None)
    else:
        row = assign_tiers(points).iloc[0]
        result.update(tenure_months=_plain(row["tenure_months"]), spend=_plain(row["spend"]),
                      points=_plain(row["points"]), tier=str(row["tier"]))

    rfm = rfm_for_customers(con, history, [customer_id])
    if rfm.empty:
        result.update(rfm_recency_days=None, rfm_frequency=0, rfm_monetary=0.0,
                      r_score=None, f_score=None, m_score=None, segment=None)
    else:
        row = rfm.iloc[0]
        result.update(
            rfm_recency_days=_plain(row["recency_days"]), rfm_frequency=_plain(row["frequency"]),
            rfm_monetary=_plain(row["monetary"]), r_score=_plain(row["r_score"]),
            f_score=_plain(row["f_score"]), m_score=_plain(row["m_score"]), segment=str(row["segment"]),
        )
    return result


def period_totals(con, customer_id: str, filters: Filters) -> dict[str, float | int]:
    """The customer's revenue, orders and profit in [filters.start, filters.end] inside the filters.

    Non-returned orders of ``crm_orders``, as in ``crm.value.key_accounts``: for a
    key account these equal its row in the list. Zeros when none.
    """
    row = query(con, _PERIOD_SQL, {**filters.params(), "customer_id": customer_id}).iloc[0]
    return {"orders": int(row["orders"]), "revenue": float(row["revenue"]), "profit": float(row["profit"])}


def order_history(con, customer_id: str) -> pd.DataFrame:
    """Per calendar month with any order: orders, revenue, profit (non-returned) and returned_orders."""
    return query(con, _HISTORY_SQL, {"customer_id": customer_id})


def category_mix(con, customer_id: str) -> pd.DataFrame:
    """Per category (non-returned orders): orders, revenue and share = revenue ÷ the customer's revenue.

    Orders without a category are under ''. Largest first.
    """
    return query(con, _CATEGORY_MIX_SQL, {"customer_id": customer_id})


def tickets(con, customer_id: str) -> pd.DataFrame:
    """The customer's service tickets, newest first."""
    return query(con, _TICKETS_SQL, {"customer_id": customer_id})


def survey_answers(con, customer_id: str) -> pd.DataFrame:
    """Every survey answer the customer gave, with the question text, dimension and measure.

    Columns: submitted_at, survey_id, survey_title, question_id, question,
    dimension, measure, value_num, value_text; newest response first.
    """
    return query(con, _SURVEY_SQL, {"customer_id": customer_id})


def retention_figures(scores: pd.DataFrame, values: pd.DataFrame | None, customer_id: str) -> dict[str, object]:
    """One customer's churn probability and risk band (from `crm.retention.churn` scores) and P(alive), expected
    purchases and 12-month CLV (from the `crm.retention.clv` table, when there is one); None where absent
    (a customer without a purchase by the as-of date has no score)."""
    out: dict[str, object] = {"churn_probability": None, "risk_band": None, "p_alive": None,
                              "expected_purchases": None, "clv": None}
    row = scores.loc[scores["customer_id"] == customer_id]
    if len(row):
        out.update(churn_probability=_plain(row["churn_probability"].iloc[0]),
                   risk_band=_plain(row["risk_band"].iloc[0]))
    if values is not None:
        row = values.loc[values["customer_id"] == customer_id]
        if len(row):
            out.update({c: _plain(row[c].iloc[0]) for c in ("p_alive", "expected_purchases", "clv") if c in row})
    return out
