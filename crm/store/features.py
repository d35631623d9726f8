"""Materialised aggregates, rebuilt after every import, undo and demo build.

Dashboards read these instead of joining raw tables on every click:

* ``order_facts`` — one row per order, the customer's dimensions (province,
  gender, age band, type) already joined in, dates as DATE, money as DOUBLE,
  stored sorted by ``order_date`` so period filters skip whole row groups.
* ``customer_features`` — one row per customer with lifetime figures:
  first and last order, order count, revenue, profit, recency, tenure,
  main category (the one with the most revenue), ticket and complaint counts.

Age and recency are measured at the *reference date*: the latest order date in
the data (kept in ``meta.reference_date``), so demo data never looks stale.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from crm.store.db import scalar, scalar_in_transaction

# Age bands: code -> inclusive lower bound in years. Labels come from i18n (`age_band.<code>`).
AGE_BANDS = ["u25", "25_34", "35_44", "45_54", "55p", "unknown"]

_MACROS = [
    """
    CREATE OR REPLACE MACRO crm_age(birthday, ref) AS
        CASE WHEN birthday IS NULL THEN NULL ELSE date_sub('year', birthday, ref) END
    """,
    """
    CREATE OR REPLACE MACRO crm_age_band(age) AS
        CASE
            WHEN age IS NULL THEN 'unknown'
            WHEN age < 25 THEN 'u25'
            WHEN age < 35 THEN '25_34'
            WHEN age < 45 THEN '35_44'
            WHEN age < 55 THEN '45_54'
            ELSE '55p'
        END
    """,
]

_ORDER_FACTS_DDL = """
CREATE TABLE IF NOT EXISTS order_facts (
    order_id VARCHAR, customer_id VARCHAR, order_date DATE, order_month DATE,
    amount DOUBLE, profit DOUBLE, category VARCHAR, channel VARCHAR,
    quantity INTEGER, returned BOOLEAN, province VARCHAR, city VARCHAR,
    gender VARCHAR, age_band VARCHAR, customer_type VARCHAR
)
"""

_CUSTOMER_FEATURES_DDL = """
CREATE TABLE IF NOT EXISTS customer_features (
    customer_id VARCHAR, name VARCHAR, gender VARCHAR, birthday DATE, age INTEGER,
    age_band VARCHAR, province VARCHAR, city VARCHAR, acquisition_channel VARCHAR,
    signup_date DATE, customer_type VARCHAR, phone VARCHAR, email VARCHAR,
    first_order_date DATE, last_order_date DATE, orders BIGINT, revenue DOUBLE,
    profit DOUBLE, returns BIGINT, avg_order_value DOUBLE, recency_days INTEGER,
    tenure_days INTEGER, main_category VARCHAR, tickets BIGINT, complaints BIGINT,
    open_complaints BIGINT
)
"""


def ensure_feature_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the SQL macros and the feature tables (empty) when they do not exist yet."""
    from crm.store.filters import MACROS

    con.execute(_ORDER_FACTS_DDL)
    con.execute(_CUSTOMER_FEATURES_DDL)
    for macro in _MACROS + MACROS:
        con.execute(macro)


def reference_date(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The latest order date in the data (None when there are no orders)."""
    value = scalar(con, "SELECT value FROM meta WHERE key = 'reference_date'")
    return dt.date.fromisoformat(value) if value else None


def materialise(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """Rebuild ``order_facts`` and ``customer_features`` from the base tables.

    Runs inside the caller's transaction when there is one, so an import and
    its aggregates commit together. Erasures (``crm.access.privacy``) are
    re-applied first. Returns the reference date.
    """
    from crm.access.privacy import apply_erasures  # local import: privacy calls back into this module

    apply_erasures(con)  # an erased customer stays erased whatever the write brought back
    ref = scalar_in_transaction(con, "SELECT max(order_date)::DATE FROM orders")
    if ref is None:
        ref = dt.date.today()
    params = {"ref": ref}
    con.execute(
        """
        CREATE OR REPLACE TABLE order_facts AS
        SELECT o.order_id, o.customer_id,
               o.order_date::DATE AS order_date,
               date_trunc('month', o.order_date)::DATE AS order_month,
               o.amount::DOUBLE AS amount,
               coalesce(o.profit, o.amount - o.cost)::DOUBLE AS profit,
               o.category, o.channel, o.quantity, coalesce(o.returned, FALSE) AS returned,
               c.province, c.city, c.gender, crm_age_band(crm_age(c.birthday, $ref)) AS age_band,
               c.customer_type
        FROM orders o LEFT JOIN customers c USING (customer_id)
        ORDER BY o.order_date
        """,
        params,
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE customer_features AS
        WITH o AS (
            SELECT customer_id,
                   min(order_date) AS first_order_date,
                   max(order_date) AS last_order_date,
                   count(*) AS orders,
                   sum(amount) AS revenue,
                   sum(profit) AS profit
            FROM order_facts WHERE NOT returned GROUP BY customer_id
        ), m AS (  -- main category: the one with the most revenue (ties: first by name)
            SELECT customer_id, category AS main_category
            FROM order_facts WHERE NOT returned AND category IS NOT NULL
            GROUP BY customer_id, category
            QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY sum(amount) DESC, category) = 1
        ), r AS (
            SELECT customer_id, count(*) AS returns FROM order_facts WHERE returned GROUP BY customer_id
        ), t AS (
            SELECT customer_id,
                   count(*) AS tickets,
                   count(*) FILTER (WHERE type = 'complaint') AS complaints,
                   count(*) FILTER (WHERE type = 'complaint' AND status = 'open') AS open_complaints
            FROM tickets GROUP BY customer_id
        )
        SELECT c.customer_id, c.name, c.gender, c.birthday,
               crm_age(c.birthday, $ref) AS age,
               crm_age_band(crm_age(c.birthday, $ref)) AS age_band,
               c.province, c.city, c.channel AS acquisition_channel, c.signup_date,
               c.customer_type, c.phone, c.email,
               o.first_order_date, o.last_order_date,
               coalesce(o.orders, 0) AS orders,
               coalesce(o.revenue, 0) AS revenue,
               coalesce(o.profit, 0) AS profit,
               coalesce(r.returns, 0) AS returns,
               CASE WHEN o.orders > 0 THEN o.revenue / o.orders END AS avg_order_value,
               date_diff('day', o.last_order_date, $ref) AS recency_days,
               date_diff('day', coalesce(o.first_order_date, c.signup_date), $ref) AS tenure_days,
               m.main_category,
               coalesce(t.tickets, 0) AS tickets,
               coalesce(t.complaints, 0) AS complaints,
               coalesce(t.open_complaints, 0) AS open_complaints
        FROM customers c
        LEFT JOIN o USING (customer_id)
        LEFT JOIN m USING (customer_id)
        LEFT JOIN r USING (customer_id)
        LEFT JOIN t USING (customer_id)
        """,
        params,
    )
    con.execute(
        "INSERT INTO meta VALUES ('reference_date', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [ref.isoformat()],
    )
    return ref
