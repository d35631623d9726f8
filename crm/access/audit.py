"""The audit log: who did what, when, to how many rows, and whether contact fields were involved.

One row per event in ``audit_log(at, user, role, action, detail JSON, rows,
contact_fields)``. Recorded: ``login`` / ``login_failed`` / ``logout``,
``import``, ``undo``, ``demo``, ``export`` (rows and whether phone or email
were in the file), ``reveal`` (full contact fields shown), ``erase``,
``backup``, ``restore`` and ``user.add`` / ``user.remove`` / ``user.password``.
The log is never part of a backup's restore, so restoring old data never
rewrites history.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
import pandas as pd

from crm.store.db import query

ACTIONS = (
    "login", "login_failed", "logout", "import", "undo", "demo", "export", "reveal", "erase",
    "backup", "restore", "user.add", "user.remove", "user.password",
)

DDL = """
CREATE TABLE IF NOT EXISTS audit_log (
    "at"           TIMESTAMP NOT NULL,
    "user"         VARCHAR NOT NULL,
    role           VARCHAR,
    action         VARCHAR NOT NULL,
    detail         JSON,
    rows           BIGINT,
    contact_fields BOOLEAN NOT NULL DEFAULT FALSE
)
"""

_INSERT = """
INSERT INTO audit_log ("at", "user", role, action, detail, rows, contact_fields)
VALUES ($at, $user, $role, $action, $detail, $rows, $contact)
"""

_LIST = """
SELECT "at", "user", role, action, detail, rows, contact_fields
FROM audit_log
WHERE ($start IS NULL OR "at" >= $start)
  AND ($end IS NULL OR "at" < $end)
  AND ($user IS NULL OR "user" = $user)
  AND (len($actions) = 0 OR list_contains($actions, action))
ORDER BY "at" DESC, action
LIMIT $limit
"""


def now() -> dt.datetime:
    return dt.datetime.now()


def record(con: duckdb.DuckDBPyConnection, user: str, role: str | None, action: str,
           detail: dict[str, Any] | None = None, *, rows: int | None = None, contact_fields: bool = False,
           at: dt.datetime | None = None) -> None:
    """Append one event. Runs inside the caller's transaction when there is one."""
    if action not in ACTIONS:
        raise KeyError(f"unknown audit action: {action}")
    con.execute(_INSERT, {
        "at": at or now(), "user": user, "role": role, "action": action,
        "detail": json.dumps(detail or {}, ensure_ascii=False, default=str),
        "rows": None if rows is None else int(rows), "contact": bool(contact_fields),
    })


def list_events(con: duckdb.DuckDBPyConnection, *, start: dt.date | None = None, end: dt.date | None = None,
                user: str | None = None, actions: tuple[str, ...] = (), limit: int = 10_000) -> pd.DataFrame:
    """Events newest first, from `start` to `end` (dates, inclusive), of one user and some actions."""
    return query(con, _LIST, {
        "start": start, "end": None if end is None else end + dt.timedelta(days=1),
        "user": user or None, "actions": list(actions), "limit": int(limit),
    })


def users_in_log(con: duckdb.DuckDBPyConnection) -> list[str]:
    return query(con, 'SELECT DISTINCT "user" FROM audit_log ORDER BY 1')["user"].tolist()


def recent_failures(con: duckdb.DuckDBPyConnection, user: str, since: dt.datetime) -> pd.DataFrame:
    """Failed logins of `user` since `since` (for throttling), oldest first."""
    return query(
        con,
        """
        SELECT "at" FROM audit_log
        WHERE action = 'login_failed' AND "user" = $user AND "at" >= $since
          AND "at" > coalesce((SELECT max("at") FROM audit_log
                               WHERE action = 'login' AND "user" = $user AND "at" >= $since),
                              $since - INTERVAL 1 SECOND)
        ORDER BY "at"
        """,
        {"user": user, "since": since},
    )
