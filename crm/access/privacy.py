"""Personal data (个人信息保护法, PIPL): masking contact fields and erasing one customer.

**Masking** — the one place that hides phones and emails, used by every page
and download that shows or exports them: ``13800000005`` → ``138****0005``
(first three and last four characters kept, spaces and dashes dropped; eight
characters or fewer become ``****``), ``zhang.san@example.com`` →
``z***@example.com`` (text without an ``@`` becomes ``***``). Missing values
stay missing.

**Erasure** — ``erase_customer`` removes a customer's personal fields
(``PERSONAL_FIELDS``: name, gender, birthday, city, phone, email) from
``customers`` and the ``customers_replaced`` history, and unlinks their survey
responses (``survey_responses.customer_id`` becomes NULL). Their orders and
tickets stay, under the bare customer id, so revenue, order counts and
complaint figures do not change. The SHA-256 of the id goes into
``erased_customers``; ``apply_erasures`` runs at the start of every
re-materialisation (import, undo, restore, demo build), so neither an undo that
restores an older row nor a re-import of the same person brings them back.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from crm.access.roles import can
from crm.errors import CRMInputError
from crm.store import db

PERSONAL_FIELDS = ("name", "gender", "birthday", "city", "phone", "email")
CONTACT_FIELDS = ("phone", "email")

DDL = """
CREATE TABLE IF NOT EXISTS erased_customers (
    customer_hash VARCHAR PRIMARY KEY,   -- sha256(customer_id): the list itself names nobody
    erased_at     TIMESTAMP NOT NULL
)
"""

_ERASED = "sha256(customer_id) IN (SELECT customer_hash FROM erased_customers)"
_HAS_PERSONAL = "(" + " OR ".join(f"{f} IS NOT NULL" for f in PERSONAL_FIELDS) + ")"
_CLEARED = ", ".join(f"{f} = NULL" for f in PERSONAL_FIELDS)
_APPLY = {
    "customers": f"UPDATE customers SET {_CLEARED} WHERE {_ERASED} AND {_HAS_PERSONAL}",
    "customers_replaced": f"UPDATE customers_replaced SET {_CLEARED} WHERE {_ERASED} AND {_HAS_PERSONAL}",
    "survey_responses": f"UPDATE survey_responses SET customer_id = NULL WHERE customer_id IS NOT NULL AND {_ERASED}",
}


# --------------------------------------------------------------------------- masking


def mask_phone(values: pd.Series) -> pd.Series:
    """138****0005: the first three and last four characters of the phone without spaces or dashes."""
    text = values.astype("string").str.replace(r"[\s\-]", "", regex=True)
    masked = text.str.slice(0, 3) + "****" + text.str.slice(-4)
    return masked.where(text.str.len() > 8, "****").where(text.notna() & (text != ""), text)


def mask_email(values: pd.Series) -> pd.Series:
    """z***@example.com: the first character of the local part and the whole domain."""
    text = values.astype("string").str.strip()
    parts = text.str.extract(r"^(?P<first>[^@])[^@]*@(?P<domain>[^@]+)$")
    masked = (parts["first"] + "***@" + parts["domain"]).fillna("***")
    return masked.where(text.notna() & (text != ""), text)


_MASKS = {"phone": mask_phone, "email": mask_email}


def mask_value(value: object, kind: str) -> str | None:
    """One phone or email masked (None stays None)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    result = _MASKS[kind](pd.Series([str(value)], dtype="string")).iloc[0]
    return None if pd.isna(result) else str(result)


def mask_contacts(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """A copy of `df` with the columns in `columns` ({column: 'phone' | 'email'}) masked."""
    present = {c: kind for c, kind in columns.items() if c in df.columns}
    return df.assign(**{c: _MASKS[kind](df[c]) for c, kind in present.items()}) if present else df


def for_display(df: pd.DataFrame, columns: dict[str, str], role: str | None, *, revealed: bool = False) -> pd.DataFrame:
    """What a table shows: contact columns masked unless `revealed` and the role may see them."""
    return df if revealed and can(role, "contact.view") else mask_contacts(df, columns)


def for_export(df: pd.DataFrame, columns: dict[str, str], role: str | None) -> tuple[pd.DataFrame, bool]:
    """What a download holds, and whether it carries contact fields.

    Roles allowed ``contact.export`` get the full values; others get the table
    without the contact columns at all.
    """
    present = [c for c in columns if c in df.columns]
    if not present:
        return df, False
    if can(role, "contact.export"):
        return df, bool(df[present].notna().any().any())
    return df.drop(columns=present), False


# --------------------------------------------------------------------------- erasure


def apply_erasures(con: duckdb.DuckDBPyConnection) -> int:
    """Clear personal fields of every erased customer wherever they reappeared; rows changed.

    Runs on `con` inside the caller's transaction (features.materialise calls it first).
    """
    if not int(db.scalar_in_transaction(con, "SELECT count(*) FROM erased_customers") or 0):
        return 0
    changed = 0
    for statement in _APPLY.values():
        changed += int(con.execute(statement).fetchall()[0][0])
    return changed


def is_erased(con: duckdb.DuckDBPyConnection, customer_id: str) -> bool:
    return bool(db.scalar(con, "SELECT count(*) FROM erased_customers WHERE customer_hash = sha256($id)",
                          {"id": customer_id}))


def erase_customer(con: duckdb.DuckDBPyConnection, customer_id: str) -> dict[str, int]:
    """Erase one customer's personal data in one transaction (see the module docstring).

    Returns rows changed per table. CRMInputError('privacy.error.unknown_customer')
    when no customer has this id.
    """
    customer_id = (customer_id or "").strip()
    if not db.scalar(con, "SELECT count(*) FROM customers WHERE customer_id = $id", {"id": customer_id}):
        raise CRMInputError("privacy.error.unknown_customer", customer_id=customer_id)
    from crm.store import features  # local import: features calls back into this module

    con.begin()
    try:
        con.execute(
            "INSERT INTO erased_customers VALUES (sha256($id), $at) ON CONFLICT DO NOTHING",
            {"id": customer_id, "at": dt.datetime.now().replace(microsecond=0)},
        )
        changed = {table: int(con.execute(sql).fetchall()[0][0]) for table, sql in _APPLY.items()}
        features.materialise(con)
        db.bump_data_version(con)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return changed
