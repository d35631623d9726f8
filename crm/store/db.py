"""Database access: connection, schema, the one query gateway, data version.

Every table is documented in README.md ("Schema"). Keys (customer_id, order_id,
ticket_id) are unique by construction: imports upsert by key and the demo
builder writes unique ids. DuckDB primary-key indexes are deliberately not
declared: on ten million orders they cost memory and slow bulk loads, while
every write path already de-duplicates.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import duckdb
import pandas as pd

DEFAULT_DB_PATH = Path(os.environ.get("CRM_DB", "data/crm.duckdb"))

# DuckDB's memory cap for every connection the app and the CLI open: a share of RAM
# ("50%") or a size ("4GB"), from CRM_DB_MEMORY_LIMIT. Beyond it DuckDB spills to disk or
# fails the query with an error instead of letting the process grow without bound.
DEFAULT_MEMORY_LIMIT = "50%"
_MEMORY_LIMIT = re.compile(r"^\s*\d+(\.\d+)?\s*(%|[KMGT]i?B)\s*$", re.IGNORECASE)


def memory_limit() -> str:
    """The DuckDB memory limit to use (see DEFAULT_MEMORY_LIMIT); a malformed setting is an error."""
    value = os.environ.get("CRM_DB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
    if not _MEMORY_LIMIT.match(value):
        raise ValueError(f"CRM_DB_MEMORY_LIMIT must be a share such as 50% or a size such as 4GB, not {value!r}")
    return value.replace(" ", "")

SCHEMA_VERSION = 1

# Columns of the base tables, in order. Imports and the demo builder write
# exactly these; the *_replaced history tables add `replaced_by`.
CUSTOMER_COLUMNS = [
    "customer_id", "name", "gender", "birthday", "province", "city",
    "channel", "signup_date", "phone", "email", "customer_type",
    "is_stub", "batch_id",
]
ORDER_COLUMNS = [
    "order_id", "customer_id", "order_date", "amount", "cost", "profit",
    "category", "channel", "quantity", "returned", "batch_id",
]
TICKET_COLUMNS = [
    "ticket_id", "customer_id", "opened_at", "resolved_at", "type",
    "status", "channel", "batch_id",
]

_TABLES_DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);
CREATE TABLE IF NOT EXISTS customers (
    customer_id   VARCHAR NOT NULL,
    name          VARCHAR,
    gender        VARCHAR,          -- 'F', 'M' or NULL
    birthday      DATE,
    province      VARCHAR,          -- Chinese short name, e.g. 广东
    city          VARCHAR,
    channel       VARCHAR,          -- acquisition channel
    signup_date   DATE,
    phone         VARCHAR,
    email         VARCHAR,
    customer_type VARCHAR,          -- 'individual' or 'company'
    is_stub       BOOLEAN DEFAULT FALSE,  -- created from an order of an unknown customer
    batch_id      INTEGER           -- import batch that wrote the row (0 = demo build)
);
CREATE TABLE IF NOT EXISTS orders (
    order_id    VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    order_date  TIMESTAMP NOT NULL,
    amount      DECIMAL(14,2) NOT NULL,   -- paid amount, CNY
    cost        DECIMAL(14,2),
    profit      DECIMAL(14,2),            -- amount - cost when cost is known
    category    VARCHAR,
    channel     VARCHAR,                  -- sales channel of the order
    quantity    INTEGER,
    returned    BOOLEAN DEFAULT FALSE,
    batch_id    INTEGER
);
CREATE TABLE IF NOT EXISTS tickets (
    ticket_id   VARCHAR NOT NULL,
    customer_id VARCHAR,
    opened_at   TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    type        VARCHAR,    -- 'complaint', 'consultation', 'after_sales', 'other'
    status      VARCHAR,    -- 'open', 'resolved', 'closed'
    channel     VARCHAR,    -- 'phone', 'online_chat', 'email', 'store', 'app'
    batch_id    INTEGER
);
CREATE TABLE IF NOT EXISTS surveys (
    survey_id   VARCHAR NOT NULL,
    title       VARCHAR,
    source_tool VARCHAR,    -- 'wjx', 'tencent', 'google_forms', 'qualtrics', 'excel', 'demo'
    language    VARCHAR,
    created_at  TIMESTAMP,
    batch_id    INTEGER,
    wave        VARCHAR     -- surveys sharing a title are waves of one questionnaire; this names the wave
);
CREATE TABLE IF NOT EXISTS survey_questions (
    survey_id   VARCHAR NOT NULL,
    question_id VARCHAR NOT NULL,
    position    INTEGER,
    text        VARCHAR,
    kind        VARCHAR,    -- 'rating', 'nps', 'choice', 'text'
    dimension   VARCHAR,    -- e.g. 'quality', 'price', 'delivery', 'service', 'overall'
    measure     VARCHAR,    -- 'perceived', 'expected', 'importance', 'overall' or NULL
    scale_min   DOUBLE,
    scale_max   DOUBLE,
    batch_id    INTEGER,
    reverse_scored BOOLEAN DEFAULT FALSE,  -- a high answer means low satisfaction
    group_text  VARCHAR,    -- a matrix question's stem (text holds stem and sub-item)
    item_text   VARCHAR,    -- a matrix item's sub-item
    options     VARCHAR,    -- JSON list of the answer labels in scale order, when the file had labels
    source_column VARCHAR   -- the column header as in the file
);
CREATE TABLE IF NOT EXISTS survey_responses (
    response_id  VARCHAR NOT NULL,
    survey_id    VARCHAR NOT NULL,
    customer_id  VARCHAR,
    submitted_at TIMESTAMP,
    batch_id     INTEGER,
    respondent_key VARCHAR, -- the identifying value from the file, kept only while unmatched (personal data)
    link_method  VARCHAR,   -- how customer_id was found: 'customer_id', 'phone', 'email', 'order_id' or NULL
    duration_seconds DOUBLE
);
CREATE TABLE IF NOT EXISTS survey_answers (
    response_id VARCHAR NOT NULL,
    question_id VARCHAR NOT NULL,
    value_num   DOUBLE,
    value_text  VARCHAR,
    batch_id    INTEGER
);
CREATE TABLE IF NOT EXISTS import_batches (
    batch_id          INTEGER PRIMARY KEY,
    table_name        VARCHAR NOT NULL,   -- 'customers', 'orders', 'tickets', 'demo'
    file_name         VARCHAR,
    file_hash         VARCHAR,            -- sha256 of the file's bytes
    imported_at       TIMESTAMP NOT NULL,
    rows_total        BIGINT,
    rows_accepted     BIGINT,
    rows_rejected     BIGINT,
    rows_inserted     BIGINT,
    rows_updated      BIGINT,
    customers_created BIGINT,
    status            VARCHAR NOT NULL,   -- 'active' or 'undone'
    undone_at         TIMESTAMP,
    mapping           VARCHAR             -- JSON: source column -> target field
);
CREATE TABLE IF NOT EXISTS value_mappings (
    dimension    VARCHAR NOT NULL,    -- 'category', 'channel', 'province'
    source_value VARCHAR NOT NULL,    -- the value as files bring it (after province normalisation)
    target_value VARCHAR NOT NULL,    -- the value stored instead
    created_at   TIMESTAMP,
    batch_id     INTEGER              -- import batch that recorded the choice
);
CREATE TABLE IF NOT EXISTS value_mappings_replaced AS SELECT *, 0::INTEGER AS replaced_by FROM value_mappings WITH NO DATA;
CREATE TABLE IF NOT EXISTS customers_replaced AS SELECT *, 0::INTEGER AS replaced_by FROM customers WITH NO DATA;
CREATE TABLE IF NOT EXISTS orders_replaced AS SELECT *, 0::INTEGER AS replaced_by FROM orders WITH NO DATA;
CREATE TABLE IF NOT EXISTS tickets_replaced AS SELECT *, 0::INTEGER AS replaced_by FROM tickets WITH NO DATA;
"""


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating when missing) the database at `path`, or in memory for ":memory:".

    The schema is created on first use, so every command works on an empty file.
    Memory is capped at `memory_limit()`.
    """
    target = str(path if path is not None else DEFAULT_DB_PATH)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(target, read_only=read_only, config={"memory_limit": memory_limit()})
    if not read_only:
        ensure_schema(con)
    return con


# Columns added after a table first shipped: a database made by an older version gains them on open.
_ADDED_COLUMNS = (
    ("surveys", "wave", "VARCHAR"),
    ("survey_questions", "reverse_scored", "BOOLEAN DEFAULT FALSE"),
    ("survey_questions", "group_text", "VARCHAR"),
    ("survey_questions", "item_text", "VARCHAR"),
    ("survey_questions", "options", "VARCHAR"),
    ("survey_questions", "source_column", "VARCHAR"),
    ("survey_responses", "respondent_key", "VARCHAR"),
    ("survey_responses", "link_method", "VARCHAR"),
    ("survey_responses", "duration_seconds", "DOUBLE"),
)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table that does not exist yet and add columns newer versions need (idempotent)."""
    for statement in _split_statements(_TABLES_DDL):
        con.execute(statement)
    for table, column, ddl in _ADDED_COLUMNS:  # identifiers from the constant above, never from input
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {ddl}")
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING",
        [str(SCHEMA_VERSION)],
    )
    con.execute("INSERT INTO meta VALUES ('data_version', '0') ON CONFLICT (key) DO NOTHING")
    from crm.access import audit, privacy, users  # local import: they query through this module

    for ddl in (users.DDL, audit.DDL, privacy.DDL):
        con.execute(ddl)
    # Feature tables are created empty so that readers work before the first import.
    from crm.store import features  # local import: features depends on this module

    features.ensure_feature_tables(con)


def _split_statements(ddl: str) -> list[str]:
    lines = [line.split("--", 1)[0] for line in ddl.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


_PARAM_NAME = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def bind(sql: str, params: Sequence[Any] | Mapping[str, Any] | None) -> Sequence[Any] | dict[str, Any]:
    """Keep the named parameters `sql` refers to (DuckDB rejects unused ones).

    Lets callers pass one shared parameter dict (e.g. `Filters.params()`) to
    every query; positional parameter lists pass through unchanged.
    """
    if params is None:
        return []
    if isinstance(params, Mapping):
        used = set(_PARAM_NAME.findall(sql))
        return {name: value for name, value in params.items() if name in used}
    return params


def query(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None,
          *, frames: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Run one read query with bound parameters on its own cursor; return a DataFrame.

    This is the gateway every analytic uses: `sql` is a static string from
    `crm/`, and every value arrives through `params` (`$name` or `?`).
    `frames` makes in-memory tables visible to this query only, under fixed names.
    """
    cur = con.cursor()
    try:
        for name, frame in (frames or {}).items():
            cur.register(name, frame)
        return cur.execute(sql, bind(sql, params)).df()
    finally:
        cur.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Any:
    """Run a query that returns one value."""
    cur = con.cursor()
    try:
        row = cur.execute(sql, bind(sql, params)).fetchone()
        return None if row is None else row[0]
    finally:
        cur.close()


def scalar_in_transaction(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Any:
    """One value read on `con` itself, so it sees the caller's uncommitted writes.

    A cursor is a separate DuckDB connection and only sees committed data; a
    writer inside its transaction uses this instead of `scalar`.
    """
    rows = con.execute(sql, bind(sql, params)).fetchall()
    return rows[0][0] if rows else None


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A counter raised by every write (import, undo, demo build); caches key on it."""
    value = scalar(con, "SELECT value FROM meta WHERE key = 'data_version'")
    return int(value or 0)


def bump_data_version(con: duckdb.DuckDBPyConnection) -> int:
    """Raise the data version inside the caller's transaction and return the new value."""
    con.execute(
        "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'data_version'"
    )
    return int(scalar_in_transaction(con, "SELECT value FROM meta WHERE key = 'data_version'"))


def next_batch_id(con: duckdb.DuckDBPyConnection) -> int:
    """The id for a new import batch (batch 0 is reserved for the demo build)."""
    return int(scalar_in_transaction(con, "SELECT coalesce(max(batch_id), 0) + 1 FROM import_batches"))


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the base tables."""
    df = query(
        con,
        """
        SELECT 'customers' AS t, count(*) AS n FROM customers
        UNION ALL SELECT 'orders', count(*) FROM orders
        UNION ALL SELECT 'tickets', count(*) FROM tickets
        UNION ALL SELECT 'survey_responses', count(*) FROM survey_responses
        """,
    )
    return dict(zip(df["t"], df["n"].astype(int)))
